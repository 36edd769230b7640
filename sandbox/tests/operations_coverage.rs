//! Every operation of the API reference (tests/operations.json, a copy of the shared
//! reference) is routed: no `{"detail": "Not Found"}` route miss, no 405.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Client;
use serde_json::{json, Value};

#[tokio::test]
async fn all_59_operations_are_routed_and_authenticated() {
    let ops: Vec<Value> =
        serde_json::from_str(include_str!("../../tests/dollr-api/operations.json")).unwrap();
    assert_eq!(ops.len(), 59);
    let sb = common::sandbox(20).await;
    let c = Client::new(&sb).await;
    let reference = common::uuid();
    for op in &ops {
        let method = op["method"].as_str().unwrap();
        let mut path = op["path"].as_str().unwrap().to_owned();
        for p in op["path_params"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let value = match name {
                "reference_id" => reference.clone(),
                "invoice_number" => "INV-2026-00001".to_owned(),
                "order_number" => "ORD-2026-00001".to_owned(),
                _ => "1".to_owned(),
            };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method == "POST" || method == "PUT").then(|| json!({}));
        let r = c.send(m.clone(), &path, body).await;
        assert_ne!(r.status, 405, "{method} {path}: {r:?}");
        assert!(
            r.status != 404 || r.body["detail"] != "Not Found",
            "{method} {path} is not routed: {r:?}"
        );
        assert!(r.status < 500, "{method} {path}: {r:?}");
        // Every operation but the token endpoint needs a bearer token.
        let anonymous = common::raw(
            &sb.url(),
            m,
            &path,
            &[("content-type", "application/json")],
            Some(b"{}".to_vec()),
        )
        .await;
        if op["auth"] == true {
            assert_eq!(
                anonymous.status, 401,
                "{method} {path} without a token: {anonymous:?}"
            );
            assert_eq!(anonymous.body["detail"], "Not authenticated");
        } else {
            assert_eq!(anonymous.status, 422, "{method} {path}");
        }
    }
}
