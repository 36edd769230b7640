//! `POST /v1/jwt/client/obtain/token`.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::{App, JsonBody};
use crate::validate::Fields;

/// Client credentials → `{"access_token", "expires_in"}` (minutes).
pub(crate) async fn obtain_token(
    State(app): State<App>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let client_id = f.req_str("client_id");
    let client_secret = f.req_str("client_secret");
    f.finish()?;
    app.with(|st| {
        let ok = client_id.as_deref() == Some(st.settings.client_id.as_str())
            && client_secret.as_deref() == Some(st.settings.client_secret.as_str());
        if !ok {
            return Err(ApiError::InvalidCredentials);
        }
        let token = st.issue_token();
        Ok(Json(json!({
            "access_token": token,
            "expires_in": st.settings.token_expires_in_minutes(),
        })))
    })
}
