//! What the addon keeps per Node environment (the main thread and each worker thread load it
//! separately, and napi gives each environment one slot of instance data): the JS error classes
//! ([`crate::errors`]) and the completion path of calls that wait ([`crate::completion`]), each
//! registered once by the JS layer when it loads, and the result shapes of its operations
//! ([`crate::shape`]), registered at each operation's first call.

use napi::bindgen_prelude::ObjectRef;
use napi::Env;

use crate::completion::Completions;
use dollr_core::bridge::ResultShapes;

#[derive(Default)]
pub(crate) struct PerEnv {
    /// `{ base: DollrError, byKind: { Validation: ValidationError, … } }`
    pub(crate) error_classes: Option<ObjectRef<false>>,
    pub(crate) completions: Option<Completions>,
    /// The result shapes the JS layer registered, by number ([`crate::shape`]).
    pub(crate) shapes: ResultShapes,
}

/// This environment's state, or `None` before the JS layer registered anything. Called on the JS
/// thread only; callers never hold two of these references at once.
pub(crate) fn get(env: &Env) -> napi::Result<Option<&'static mut PerEnv>> {
    env.get_instance_data::<PerEnv>()
}

/// This environment's state, created empty on first use.
pub(crate) fn get_or_init(env: &Env) -> napi::Result<&'static mut PerEnv> {
    if get(env)?.is_none() {
        env.set_instance_data(PerEnv::default(), (), |_| {})?;
    }
    get(env)?
        .ok_or_else(|| napi::Error::from_reason("the addon's per-environment state is missing"))
}
