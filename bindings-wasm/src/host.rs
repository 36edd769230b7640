//! What the host supplies to a client on WebAssembly, as JS objects: a token provider (the way to
//! use dollr where no client secret may be held: a browser) and a journal store (decision 0018).

use std::time::Duration;

use async_trait::async_trait;
use dollr_core::auth::{AccessToken, AccessTokenProvider};
use dollr_core::journal::JournalStore;
use dollr_core::{Error, ErrorKind, Secret};
use js_sys::{Function, Object, Promise, Reflect};
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The message of a JS exception, for the core error it becomes.
fn message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the host's function failed".to_owned())
}

/// Calls `function(args…)` on `this` and awaits what it returns (a Promise or a value).
async fn call(
    this: &JsValue,
    function: &Function,
    args: &js_sys::Array,
) -> Result<JsValue, JsValue> {
    let returned = function.apply(this, args)?;
    match returned.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(value) => Ok(value),
    }
}

/// `tokenProvider(forceRefresh)` → `{ token, expiresInMs? }`.
pub(crate) struct JsTokenProvider(pub(crate) SendWrapper<Function>);

#[async_trait]
impl AccessTokenProvider for JsTokenProvider {
    async fn access_token(&self, force_refresh: bool) -> dollr_core::Result<AccessToken> {
        let provider = (*self.0).clone();
        // One thread on wasm32: the wrapped JS values never leave it.
        SendWrapper::new(async move {
            let given = call(
                &JsValue::NULL,
                &provider,
                &js_sys::Array::of1(&JsValue::from_bool(force_refresh)),
            )
            .await
            .map_err(|error| {
                // A DollrError thrown by the provider keeps its kind; anything else is Authentication.
                let kind = Reflect::get(&error, &JsValue::from_str("code"))
                    .ok()
                    .and_then(|code| code.as_string())
                    .and_then(|code| ErrorKind::from_name(&code))
                    .unwrap_or(ErrorKind::Authentication);
                Error::new(kind, format!("the token provider failed: {}", message(&error)))
            })?;
            let token = Reflect::get(&given, &JsValue::from_str("token"))
                .ok()
                .and_then(|token| token.as_string())
                .filter(|token| !token.is_empty())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Authentication,
                        "the token provider must resolve to { token: string, expiresInMs?: number }",
                    )
                })?;
            let expires_in = Reflect::get(&given, &JsValue::from_str("expiresInMs"))
                .ok()
                .and_then(|ms| ms.as_f64())
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Duration::from_millis(ms as u64));
            Ok(AccessToken {
                token: Secret::new(token),
                expires_in,
            })
        })
        .await
    }
}

/// A journal store kept by the host: `{ get(key), put(key, value), list(prefix) }`, each async
/// (`list` resolves to the values whose keys start with `prefix`).
pub(crate) struct JsJournalStore(pub(crate) SendWrapper<Object>);

impl JsJournalStore {
    async fn invoke(&self, method: &str, args: js_sys::Array) -> dollr_core::Result<JsValue> {
        let store: JsValue = (*self.0).clone().into();
        SendWrapper::new(async move {
            let function = Reflect::get(&store, &JsValue::from_str(method))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    Error::invalid_field(
                        "journalStore",
                        format!("the journal store has no `{method}` method"),
                    )
                })?;
            call(&store, &function, &args).await.map_err(|error| {
                Error::internal(format!(
                    "the journal store's {method} failed: {}",
                    message(&error)
                ))
            })
        })
        .await
    }
}

#[async_trait]
impl JournalStore for JsJournalStore {
    async fn get(&self, key: &str) -> dollr_core::Result<Option<String>> {
        Ok(self
            .invoke("get", js_sys::Array::of1(&JsValue::from_str(key)))
            .await?
            .as_string())
    }

    async fn put(&self, key: &str, value: &str) -> dollr_core::Result<()> {
        self.invoke(
            "put",
            js_sys::Array::of2(&JsValue::from_str(key), &JsValue::from_str(value)),
        )
        .await
        .map(drop)
    }

    async fn list(&self, prefix: &str) -> dollr_core::Result<Vec<String>> {
        let listed = self
            .invoke("list", js_sys::Array::of1(&JsValue::from_str(prefix)))
            .await?;
        Ok(js_sys::Array::from(&listed)
            .iter()
            .filter_map(|value| value.as_string())
            .collect())
    }
}
