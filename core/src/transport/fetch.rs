//! The WebAssembly transport: the host's global `fetch` (Node 18+, workerd, Deno, browsers), with
//! the same contract as the native one: no redirects followed (`redirect: "manual"`), the
//! per-request or default timeout (an `AbortController` aborted when it passes), bodies bounded by
//! `max_response_body`.

use std::time::Duration;

use async_trait::async_trait;
use futures::future::{select, Either};
use send_wrapper::SendWrapper;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, Request, RequestInit, RequestRedirect, Response};

use super::{
    Bytes, HeaderMap, HeaderName, HeaderValue, HttpRequest, HttpResponse, ReqwestSettings,
    Transport, TransportError,
};
use crate::error::Result;

#[wasm_bindgen]
extern "C" {
    /// `globalThis.fetch`: there is no `window` in a Worker, Node or Deno.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> js_sys::Promise;
}

/// The default transport on WebAssembly: the host's `fetch`.
#[derive(Clone, Debug)]
pub struct FetchTransport {
    user_agent: String,
    timeout: Duration,
    max_body: usize,
}

impl FetchTransport {
    /// Builds the transport (from the client configuration: `Config::reqwest_settings`). `fetch`
    /// has no separate connect timeout and trusts the host's roots: an extra root certificate
    /// cannot be honoured, so it is refused rather than ignored.
    pub fn new(settings: ReqwestSettings<'_>) -> Result<Self> {
        if settings.extra_root_ca_pem.is_some() {
            return Err(crate::error::Error::invalid_field(
                "extra_root_ca_pem",
                "the WebAssembly build sends requests with the host's fetch, which trusts the host's certificates only",
            ));
        }
        Ok(FetchTransport {
            user_agent: settings.user_agent.to_owned(),
            timeout: settings.timeout,
            max_body: settings.max_response_body,
        })
    }
}

/// A JS exception's message (without the URL, which the caller knows).
fn reason(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned())
}

/// Whether a failed `fetch` certainly sent nothing: Node's fetch (undici) names the cause of a
/// refused or unresolvable connection; other hosts give a bare `TypeError`, which is taken as
/// "may have been processed" (the safe reading for money).
fn never_connected(error: &JsValue) -> bool {
    let code = js_sys::Reflect::get(error, &JsValue::from_str("cause"))
        .and_then(|cause| js_sys::Reflect::get(&cause, &JsValue::from_str("code")))
        .ok()
        .and_then(|code| code.as_string());
    matches!(
        code.as_deref(),
        Some("ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN" | "ECONNRESET_BEFORE_SEND")
    )
}

fn failed(error: &JsValue) -> TransportError {
    if never_connected(error) {
        TransportError::Connect(reason(error))
    } else {
        TransportError::Broken(reason(error))
    }
}

fn request(
    request: &HttpRequest,
    user_agent: &str,
    controller: &AbortController,
) -> std::result::Result<Request, TransportError> {
    let headers = Headers::new().map_err(|e| TransportError::Connect(reason(&e)))?;
    for (name, value) in &request.headers {
        if let Ok(value) = value.to_str() {
            headers
                .append(name.as_str(), value)
                .map_err(|e| TransportError::Connect(reason(&e)))?;
        }
    }
    // Browsers refuse to set it; servers (workerd, Node, Deno) send it.
    let _ = headers.set("user-agent", user_agent);
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&controller.signal()));
    if let Some(body) = &request.body {
        init.set_body(&js_sys::Uint8Array::from(&body[..]).into());
    }
    Request::new_with_str_and_init(&request.url, &init)
        .map_err(|e| TransportError::Connect(reason(&e)))
}

fn response_headers(response: &Response) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Ok(Some(entries)) = js_sys::try_iter(&response.headers()) else {
        return headers;
    };
    for entry in entries.flatten() {
        let pair = js_sys::Array::from(&entry);
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

async fn exchange(
    request: Request,
    max_body: usize,
) -> std::result::Result<HttpResponse, TransportError> {
    let answer = JsFuture::from(global_fetch(&request))
        .await
        .map_err(|e| failed(&e))?;
    let response: Response = answer.dyn_into().map_err(|_| {
        TransportError::Broken("fetch returned something else than a Response".into())
    })?;
    let status = response.status();
    if status == 0 {
        // A browser's opaque answer to `redirect: "manual"`: a redirect, which the pipeline
        // refuses like any 3xx.
        return Ok(HttpResponse {
            status: 307,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        });
    }
    let headers = response_headers(&response);
    let too_large = TransportError::BodyTooLarge { limit: max_body };
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > u64::try_from(max_body).unwrap_or(u64::MAX)) {
        // Not read: cancel the body so the host can drop the connection.
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Err(too_large);
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| TransportError::Broken(reason(&e)))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| TransportError::Broken(reason(&e)))?;
    let body = js_sys::Uint8Array::new(&buffer);
    if usize::try_from(body.length()).unwrap_or(usize::MAX) > max_body {
        return Err(too_large);
    }
    Ok(HttpResponse {
        status,
        headers,
        body: Bytes::from(body.to_vec()),
    })
}

#[async_trait]
impl Transport for FetchTransport {
    async fn send(
        &self,
        request: HttpRequest,
    ) -> std::result::Result<HttpResponse, TransportError> {
        let timeout = request.timeout.unwrap_or(self.timeout);
        let user_agent = self.user_agent.clone();
        let max_body = self.max_body;
        // JS values are !Send; wasm32 has a single thread, so the wrapper is never crossed.
        SendWrapper::new(async move {
            let controller =
                AbortController::new().map_err(|e| TransportError::Connect(reason(&e)))?;
            let outgoing = self::request(&request, &user_agent, &controller)?;
            let work = Box::pin(exchange(outgoing, max_body));
            let deadline = Box::pin(crate::runtime::sleep(timeout));
            match select(work, deadline).await {
                Either::Left((outcome, _)) => outcome,
                Either::Right(((), _)) => {
                    controller.abort();
                    Err(TransportError::Timeout)
                }
            }
        })
        .await
    }
}
