//! Parties and counterparties.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::http::{App, Auth, JsonBody, RawQuery};
use crate::model::{Counterparty, Party, RELATIONSHIP_TYPES};
use crate::state::{idx, State as SandboxState};
use crate::validate::{path_id, Fields, QueryFields};

/// `POST /v1/parties/create`.
pub(crate) async fn create_party(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let fullname = f.req_nonempty("fullname");
    let phone = f.req_phone("phone");
    let email = f.opt_str("email");
    let country_code = f.opt_str("country_code");
    if let Some(cc) = &country_code {
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
            f.error(
                "country_code",
                "country_code must be an ISO 3166-1 alpha-2 code",
                "value_error.country_code",
            );
        }
    }
    f.finish()?;
    let (Some(fullname), Some(phone)) = (fullname, phone) else {
        return Err(ApiError::Internal(500));
    };
    Ok(Json(app.with(|st| {
        let now = st.now();
        let party = Party {
            id: st.parties.len() as i64 + 1,
            fullname,
            phone: Some(phone),
            email,
            country_code: country_code.map(|c| c.to_ascii_uppercase()),
            created_at: now,
            updated_at: now,
        };
        let v = party.json();
        st.parties.push(party);
        v
    })))
}

/// `GET /v1/parties/list?fullname=`.
pub(crate) async fn list_parties(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let name = q.opt_str("fullname").map(|n| n.to_lowercase());
    q.finish()?;
    Ok(Json(app.with(|st| {
        Value::Array(
            st.parties
                .iter()
                .filter(|p| {
                    name.as_ref()
                        .map_or(true, |n| p.fullname.to_lowercase().contains(n.as_str()))
                })
                .map(Party::json)
                .collect(),
        )
    })))
}

/// `GET /v1/parties/retrieve/{id}`.
pub(crate) async fn retrieve_party(
    State(app): State<App>,
    _a: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| {
        st.party(id)
            .map(|p| Json(p.json()))
            .ok_or_else(|| ApiError::NotFound("Party not found".to_owned()))
    })
}

fn check_party(f: &mut Fields<'_>, st: &SandboxState, party_id: Option<i64>) {
    if let Some(p) = party_id {
        if st.party(p).is_none() {
            f.error(
                "party_id",
                format!("party {p} not found"),
                "value_error.not_found",
            );
        }
    }
}

/// `POST /v1/counterparties/create`.
pub(crate) async fn create_counterparty(
    State(app): State<App>,
    _a: Auth,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut f = Fields::body(body.as_ref());
    let relationship = f.req_enum("relationship_type", &RELATIONSHIP_TYPES);
    let party_id = f.opt_int("party_id");
    app.with(|st| {
        check_party(&mut f, st, party_id);
        f.finish()?;
        let Some(relationship_type) = relationship else {
            return Err(ApiError::Internal(500));
        };
        let now = st.now();
        let cp = Counterparty {
            id: st.counterparties.len() as i64 + 1,
            relationship_type,
            party_id,
            owner_party_type: "ORGANIZATION",
            owner_party_id: st.settings.merchant_id,
            created_at: now,
            updated_at: now,
        };
        let v = cp.json();
        st.counterparties.push(cp);
        Ok(Json(v))
    })
}

/// `GET /v1/counterparties/list?fullname=&relationship_type=`: the counterparty
/// fields plus the embedded `party`.
pub(crate) async fn list_counterparties(
    State(app): State<App>,
    _a: Auth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut q = QueryFields::parse(q.as_deref());
    let name = q.opt_str("fullname").map(|n| n.to_lowercase());
    let rel = q.opt_enum("relationship_type", &RELATIONSHIP_TYPES);
    q.finish()?;
    Ok(Json(app.with(|st| {
        let rows = st
            .counterparties
            .iter()
            .filter(|c| rel.as_ref().map_or(true, |r| &c.relationship_type == r))
            .filter_map(|c| {
                let party = c.party_id.and_then(|p| st.party(p));
                if let Some(n) = &name {
                    if !party.is_some_and(|p| p.fullname.to_lowercase().contains(n.as_str())) {
                        return None;
                    }
                }
                let mut v = c.json();
                if let Some(m) = v.as_object_mut() {
                    m.insert(
                        "party".to_owned(),
                        party.map(Party::json).unwrap_or(Value::Null),
                    );
                }
                Some(v)
            })
            .collect();
        Value::Array(rows)
    })))
}

/// `GET /v1/counterparties/retrieve/{id}` (`CounterPartyWithPartyResponse`).
pub(crate) async fn retrieve_counterparty(
    State(app): State<App>,
    _a: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    app.with(|st| {
        let cp = st
            .counterparty(id)
            .ok_or_else(|| ApiError::NotFound("Counterparty not found".to_owned()))?;
        let party = cp.party_id.and_then(|p| st.party(p));
        Ok(Json(cp.json_with_party(party)))
    })
}

/// `PUT /v1/counterparties/update/{id}`.
pub(crate) async fn update_counterparty(
    State(app): State<App>,
    _a: Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = path_id("id", &id)?;
    let mut f = Fields::optional_body(body.as_ref());
    let relationship = f.opt_enum("relationship_type", &RELATIONSHIP_TYPES);
    let party_id = f.opt_int("party_id");
    app.with(|st| {
        if st.counterparty(id).is_none() {
            return Err(ApiError::NotFound("Counterparty not found".to_owned()));
        }
        check_party(&mut f, st, party_id);
        f.finish()?;
        let now = st.now();
        let cp = idx(id)
            .and_then(|i| st.counterparties.get_mut(i))
            .ok_or_else(|| ApiError::NotFound("Counterparty not found".to_owned()))?;
        if let Some(r) = relationship {
            cp.relationship_type = r;
        }
        if party_id.is_some() {
            cp.party_id = party_id;
        }
        cp.updated_at = now;
        Ok(Json(cp.json()))
    })
}
