//! Shared helpers for the sandbox integration tests: a small JSON client and
//! the document-first flows.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use dollr_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// Starts a sandbox with a small settle time and a fixed seed.
pub async fn sandbox(settle_ms: u64) -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests(settle_ms))
        .await
        .expect("sandbox starts")
}

/// Starts a sandbox with a custom config.
pub async fn sandbox_with(cfg: SandboxConfig) -> Sandbox {
    Sandbox::start(cfg).await.expect("sandbox starts")
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A tiny authenticated JSON client.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl Client {
    pub async fn new(sb: &Sandbox) -> Client {
        let http = reqwest::Client::new();
        let base = sb.url();
        let r = http
            .post(format!("{base}/v1/jwt/client/obtain/token"))
            .json(&json!({"client_id": sb.client_id(), "client_secret": sb.client_secret()}))
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("token json");
        let token = v["access_token"].as_str().expect("access_token").to_owned();
        Client { http, base, token }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request sent");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json body")
        };
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Resp {
        self.send(reqwest::Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Asserts 200 and returns the body.
    pub async fn ok_post(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 200, "POST {path}: {r:?}");
        r.body
    }

    pub async fn ok_get(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {r:?}");
        r.body
    }

    pub async fn party(&self, phone: &str) -> i64 {
        let p = self
            .ok_post(
                "/v1/parties/create",
                json!({"fullname": "Amara Kamara", "phone": phone, "country_code": "LR"}),
            )
            .await;
        p["id"].as_i64().expect("party id")
    }

    pub async fn counterparty(&self, party_id: i64) -> i64 {
        let c = self
            .ok_post(
                "/v1/counterparties/create",
                json!({"relationship_type": "CUSTOMER", "party_id": party_id}),
            )
            .await;
        c["id"].as_i64().expect("counterparty id")
    }

    /// Party → counterparty → invoice with one item → published. Returns (invoice id, party id).
    pub async fn published_invoice(
        &self,
        phone: &str,
        currency: &str,
        amount: Value,
        fee_bearer: &str,
    ) -> (i64, i64) {
        let party = self.party(phone).await;
        let cp = self.counterparty(party).await;
        let inv = self
            .ok_post(
                "/v1/invoices/create",
                json!({"counterparty_id": cp, "currency": currency, "note": "test", "fee_bearer": fee_bearer, "as_payment_link": true}),
            )
            .await;
        let id = inv["id"].as_i64().expect("invoice id");
        self.ok_post(
            &format!("/v1/invoices/{id}/items/add"),
            json!({"name": "Thing", "currency": currency, "qty": 1, "amount": amount}),
        )
        .await;
        let r = self.put(&format!("/v1/invoices/publish/{id}"), None).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["status"], "ACTIVE");
        (id, party)
    }

    pub async fn account(&self, party: i64, phone: &str, op: &str) -> i64 {
        let mmo = self
            .ok_get(&format!(
                "/v1/predictions/mmo-provider-info?phone={phone}&operation_type={op}"
            ))
            .await;
        let a = self
            .ok_post(
                &format!("/v1/payment-accounts/create?operation_type={op}"),
                json!({
                    "account_name": "Wallet",
                    "provider": mmo["gateway_provider"],
                    "method": mmo["payment_method"],
                    "party_id": party,
                    "insensitive_account_number": phone,
                }),
            )
            .await;
        a["id"].as_i64().expect("account id")
    }

    pub async fn checkout_session(&self, source_type: &str, source_id: i64) -> i64 {
        let s = self
            .ok_post(
                "/v1/sessions/checkout",
                json!({"source_id": source_id, "source_type": source_type}),
            )
            .await;
        assert_eq!(s["status"], "ACTIVE");
        s["id"].as_i64().expect("session id")
    }

    /// A full collection on a fresh invoice paid from `phone`. Returns (invoice id, reference_id, execution).
    pub async fn collect(
        &self,
        phone: &str,
        currency: &str,
        amount: Value,
    ) -> (i64, String, Value) {
        let (invoice, party) = self
            .published_invoice(phone, currency, amount, "PAYER")
            .await;
        let account = self.account(party, phone, "COLLECTION").await;
        let session = self.checkout_session("INVOICE", invoice).await;
        let reference = uuid();
        let e = self
            .ok_post(
                "/v1/executions/collection",
                json!({"session_id": session.to_string(), "payment_account_id": account.to_string(), "currency": currency, "reference_id": reference}),
            )
            .await;
        (invoice, reference, e)
    }

    /// Polls a status endpoint until `pred` holds, with a deadline.
    pub async fn poll_until(
        &self,
        path: &str,
        deadline: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let r = self.get(path).await;
            if r.status == 200 && pred(&r.body) {
                return r.body;
            }
            assert!(
                start.elapsed() < deadline,
                "deadline passed polling {path}; last: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn wait_terminal(&self, kind: &str, reference: &str) -> Value {
        self.poll_until(
            &format!("/v1/status/{kind}/{reference}"),
            Duration::from_secs(10),
            |v| v["status"] == "COMPLETED" || v["status"] == "FAILED",
        )
        .await
    }
}

/// Plain (unauthenticated) request with a raw body.
pub async fn raw(
    base: &str,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Resp {
    let http = reqwest::Client::new();
    let mut rb = http.request(method, format!("{base}{path}"));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.body(b);
    }
    let r = rb.send().await.expect("request sent");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp {
        status,
        body,
        headers,
    }
}
