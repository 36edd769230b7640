//! Core errors as the JS layer's error classes: the same shape as the addon's `js_error`
//! (bindings-node/src/errors.rs): the class registered for the kind, `code`, `details`, `status`,
//! `retryAfter` (seconds), `referenceId`, `requestId`.

use std::cell::RefCell;

use dollr_core::{Error, ErrorKind};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// `{ base, byKind }` from lib/errors.js.
    static CLASSES: RefCell<Option<Object>> = const { RefCell::new(None) };
}

/// Keeps the JS error classes (`{ base, byKind: { Validation: ValidationError, … } }`).
#[wasm_bindgen(js_name = _registerErrorClasses)]
pub fn register_error_classes(classes: Object) {
    CLASSES.with(|slot| *slot.borrow_mut() = Some(classes));
}

fn class_of(kind: ErrorKind) -> Option<js_sys::Function> {
    let classes = CLASSES.with(|slot| slot.borrow().clone())?;
    let by_kind = Reflect::get(&classes, &JsValue::from_str("byKind")).ok()?;
    let class = Reflect::get(&by_kind, &JsValue::from_str(kind.name())).ok()?;
    let class = if class.is_function() {
        class
    } else {
        Reflect::get(&classes, &JsValue::from_str("base")).ok()?
    };
    class.dyn_into::<js_sys::Function>().ok()
}

/// `[[kind, class name], …]` for every kind of the core (a test checks each has its class).
#[wasm_bindgen(js_name = _errorKinds)]
pub fn error_kinds() -> Vec<Array> {
    ErrorKind::ALL
        .iter()
        .map(|kind| {
            let name = class_of(*kind)
                .and_then(|class| Reflect::get(&class, &JsValue::from_str("name")).ok())
                .and_then(|name| name.as_string())
                .unwrap_or_default();
            Array::of2(&JsValue::from_str(kind.name()), &JsValue::from_str(&name))
        })
        .collect()
}

fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// The JS error object for a core error (thrown or rejected by the JS layer).
pub(crate) fn js_error(error: &Error) -> JsValue {
    let message = dollr_core::bridge::camel_case_field_names(error.message());
    let object: JsValue = class_of(error.kind())
        .and_then(|class| {
            Reflect::construct(&class, &Array::of1(&JsValue::from_str(&message))).ok()
        })
        .unwrap_or_else(|| js_sys::Error::new(&message).into());
    set(&object, "code", &JsValue::from_str(error.kind().name()));
    let details = Array::new();
    for detail in error.details() {
        let item = Object::new();
        set(
            &item,
            "field",
            &JsValue::from_str(&dollr_core::bridge::camel_case(&detail.field())),
        );
        let loc: Array = detail
            .loc
            .iter()
            .map(|part| JsValue::from_str(part))
            .collect();
        set(&item, "loc", &loc);
        set(
            &item,
            "msg",
            &JsValue::from_str(&dollr_core::bridge::camel_case_field_names(&detail.msg)),
        );
        set(&item, "type", &JsValue::from_str(detail.kind.as_str()));
        details.push(&item);
    }
    set(&object, "details", &details);
    if let Some(status) = error.status() {
        set(&object, "status", &JsValue::from(u32::from(status)));
    }
    if let Some(retry_after) = error.retry_after() {
        set(
            &object,
            "retryAfter",
            &JsValue::from(retry_after.as_secs_f64()),
        );
    }
    if let Some(reference_id) = error.reference_id() {
        set(&object, "referenceId", &JsValue::from_str(reference_id));
    }
    if let Some(request_id) = error.request_id() {
        set(&object, "requestId", &JsValue::from_str(request_id));
    }
    object
}
