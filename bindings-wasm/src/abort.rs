//! What happens when the engine aborts. wasm32-unknown-unknown cannot unwind: a Rust panic traps
//! the module (the host throws a `WebAssembly.RuntimeError` out of whatever JS frame entered it),
//! and what the Rust code was doing is left half done (a lock held, a table half written). The
//! engine must not be used again after that, and calls waiting on it will never be answered.
//!
//! So the JS layer registers a callback (`_onAbort`, bindings-node/lib/engine_abort.js) and a panic
//! hook hands it the `InternalError` the abort means (made by `js_error`, like every other error)
//! just before the trap. The JS layer then rejects every waiting call with it and refuses every
//! later call without entering the module. The napi addon has no such export: there a panic unwinds
//! and is caught per call (`bindings-node/src/errors.rs`).

use std::any::Any;
use std::cell::RefCell;
use std::sync::Once;

use dollr_core::bridge::panic_text;
use dollr_core::Error;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::errors::js_error;

thread_local! {
    /// The JS layer's callback, given the error once when the engine aborts.
    static ON_ABORT: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers the JS layer's `callback(error)` (hidden from the typings) and the panic hook that
/// calls it.
#[wasm_bindgen(js_name = _onAbort)]
pub fn on_abort(callback: js_sys::Function) {
    static HOOK: Once = Once::new();
    ON_ABORT.with(|slot| *slot.borrow_mut() = Some(callback));
    HOOK.call_once(|| std::panic::set_hook(Box::new(|info| report(info.payload()))));
}

/// The panic hook, given the panic's payload: the module traps right after it returns.
fn report(payload: &(dyn Any + Send)) {
    let what = panic_text(payload).unwrap_or("unknown panic payload");
    let error = js_error(&Error::internal(format!(
        "dollr's WebAssembly engine hit an internal bug (a Rust panic: {what}) and stopped: this \
         call did not complete and no later call can run on this engine (restart the process or \
         isolate); please report it"
    )));
    // `try_borrow`: a panic while the slot is being written has nobody to tell.
    let callback = ON_ABORT.with(|slot| slot.try_borrow().ok().and_then(|slot| slot.clone()));
    if let Some(callback) = callback {
        let _ = callback.call1(&JsValue::NULL, &error);
    }
}

/// A panic on demand, for the tests of what an abort does (debug builds only: `make dist`'s
/// engine has no such export). `"now"` panics in this call; `"later"` answers a Promise and
/// panics in a later turn of the host's event loop, as a call that waits would.
#[cfg(debug_assertions)]
#[wasm_bindgen(js_name = _panicForTests)]
#[allow(clippy::panic)] // the whole point of this export
pub fn panic_for_tests(when: String) -> JsValue {
    if when != "later" {
        panic!("a panic the tests asked for");
    }
    wasm_bindgen_futures::future_to_promise(async move {
        dollr_core::runtime::sleep(std::time::Duration::from_millis(1)).await;
        panic!("a panic the tests asked for, later");
    })
    .into()
}
