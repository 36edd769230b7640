//! The workload: the Dollr quickstart's collect flow (docs/quickstart.md), twice — once as the
//! floor (`limit`: hand-written requests on one keep-alive `reqwest::Client`, no SDK logic) and
//! once through dollr-core's resource calls, step by step.
//!
//! Both send exactly the quickstart's requests with the quickstart's values: party →
//! counterparty → invoice → item → publish → MMO prediction → checkout session → payment account
//! → execute → status until `COMPLETED` (9 requests plus the status polls; the token is obtained
//! once per client, outside the flow). Every contender in every language sends the same ones; the
//! driver checks the sandbox's request counters after each round.

use anyhow::{bail, Context, Result};
use dollr_core::enums::{ExecutionStatus, FeeBearer, OperationType, RelationshipType, SourceType};
use dollr_core::models::counterparty::CreateCounterpartyRequest;
use dollr_core::models::execution::CollectionExecutionRequest;
use dollr_core::models::party::CreatePartyRequest;
use dollr_core::models::payment_account::CreatePaymentAccountRequest;
use dollr_core::models::session::CreateCheckoutSessionRequest;
use dollr_core::models::source::{AddItemRequest, CreateSourceRequest};
use dollr_core::Decimal;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::{Deserialize, Serialize};

/// The sandbox's test credentials.
pub const CLIENT_ID: &str = "dollr_test_client";
/// The sandbox's test credentials (nobody's secret).
pub const CLIENT_SECRET: &str = "dollr_test_secret";
/// The quickstart's payer (the sandbox's "completes" number).
pub const PHONE: &str = "231771234567";
/// A runaway guard: with settle time 0 the first status poll already answers `COMPLETED`.
pub const MAX_POLLS: usize = 10_000;

/// One flow's visible result, to check that nobody skipped a step.
#[derive(Debug)]
pub struct FlowResult {
    /// The execution's idempotency key.
    pub reference_id: String,
    /// Status requests it took to see `COMPLETED`.
    pub polls: usize,
}

// ---- limit: the raw requests ----------------------------------------------------------------

/// The floor: the same HTTP requests on one keep-alive `reqwest::Client`, bodies from borrowed
/// structs, responses decoded into just the fields the next step needs.
#[derive(Clone)]
pub struct Limit {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

#[derive(Serialize)]
struct TokenBody<'a> {
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

#[derive(Deserialize)]
struct WithId {
    id: i64,
}

#[derive(Deserialize)]
struct MmoAnswer {
    payment_method: String,
    gateway_provider: String,
}

#[derive(Deserialize)]
struct StatusAnswer {
    status: String,
}

#[derive(Serialize)]
struct PartyBody<'a> {
    fullname: &'a str,
    phone: &'a str,
    email: &'a str,
    country_code: &'a str,
}

#[derive(Serialize)]
struct CounterpartyBody<'a> {
    relationship_type: &'a str,
    party_id: i64,
}

#[derive(Serialize)]
struct InvoiceBody<'a> {
    counterparty_id: i64,
    currency: &'a str,
    note: &'a str,
    fee_bearer: &'a str,
    as_payment_link: bool,
}

#[derive(Serialize)]
struct ItemBody<'a> {
    name: &'a str,
    currency: &'a str,
    qty: i64,
    amount: f64,
}

#[derive(Serialize)]
struct SessionBody<'a> {
    source_id: i64,
    source_type: &'a str,
}

#[derive(Serialize)]
struct AccountBody<'a> {
    account_name: &'a str,
    provider: &'a str,
    method: &'a str,
    party_id: i64,
    country_code: &'a str,
    insensitive_account_number: &'a str,
}

#[derive(Serialize)]
struct ExecuteBody<'a> {
    session_id: &'a str,
    payment_account_id: &'a str,
    currency: &'a str,
    reference_id: &'a str,
}

impl Limit {
    /// Obtains the token once (quickstart step 1) and keeps the `Authorization` header.
    pub async fn connect(base: &str) -> Result<Limit> {
        let http = reqwest::Client::new();
        let token: TokenAnswer = http
            .post(format!("{base}/v1/jwt/client/obtain/token"))
            .json(&TokenBody {
                client_id: CLIENT_ID,
                client_secret: CLIENT_SECRET,
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let auth = HeaderValue::from_str(&format!("Bearer {}", token.access_token))?;
        Ok(Limit {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
        })
    }

    async fn post<B: Serialize, T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let answer = self
            .http
            .post(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.auth.clone())
            .json(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(answer.json().await?)
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T> {
        let answer = self
            .http
            .get(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await?
            .error_for_status()?;
        Ok(answer.json().await?)
    }

    /// One status lookup (the per-call overhead measurement).
    pub async fn status(&self, reference_id: &str) -> Result<String> {
        let answer: StatusAnswer = self
            .get(&format!("/v1/status/collection/{reference_id}"))
            .await?;
        Ok(answer.status)
    }

    /// The quickstart's collect flow.
    pub async fn flow(&self) -> Result<FlowResult> {
        let party: WithId = self
            .post(
                "/v1/parties/create",
                &PartyBody {
                    fullname: "Amara Kamara",
                    phone: PHONE,
                    email: "amara@example.com",
                    country_code: "LR",
                },
            )
            .await?;
        let counterparty: WithId = self
            .post(
                "/v1/counterparties/create",
                &CounterpartyBody {
                    relationship_type: "CUSTOMER",
                    party_id: party.id,
                },
            )
            .await?;
        let invoice: WithId = self
            .post(
                "/v1/invoices/create",
                &InvoiceBody {
                    counterparty_id: counterparty.id,
                    currency: "USD",
                    note: "Consulting services",
                    fee_bearer: "PAYER",
                    as_payment_link: true,
                },
            )
            .await?;
        let _item: WithId = self
            .post(
                &format!("/v1/invoices/{}/items/add", invoice.id),
                &ItemBody {
                    name: "Strategy Session",
                    currency: "USD",
                    qty: 1,
                    amount: 250.00,
                },
            )
            .await?;
        let answer = self
            .http
            .put(format!("{}/v1/invoices/publish/{}", self.base, invoice.id))
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await?
            .error_for_status()?;
        let _published: WithId = answer.json().await?;
        let mmo: MmoAnswer = self
            .get(&format!(
                "/v1/predictions/mmo-provider-info?phone={PHONE}&operation_type=COLLECTION"
            ))
            .await?;
        let session: WithId = self
            .post(
                "/v1/sessions/checkout",
                &SessionBody {
                    source_id: invoice.id,
                    source_type: "INVOICE",
                },
            )
            .await?;
        let account: WithId = self
            .post(
                "/v1/payment-accounts/create?operation_type=COLLECTION",
                &AccountBody {
                    account_name: "Amara MTN Wallet",
                    provider: &mmo.gateway_provider,
                    method: &mmo.payment_method,
                    party_id: party.id,
                    country_code: "LR",
                    insensitive_account_number: PHONE,
                },
            )
            .await?;
        let reference_id = uuid::Uuid::new_v4().to_string();
        let _execution: StatusAnswer = self
            .post(
                "/v1/executions/collection",
                &ExecuteBody {
                    session_id: &session.id.to_string(),
                    payment_account_id: &account.id.to_string(),
                    currency: "USD",
                    reference_id: &reference_id,
                },
            )
            .await?;
        let mut polls = 0;
        loop {
            polls += 1;
            match self.status(&reference_id).await?.as_str() {
                "COMPLETED" => break,
                "FAILED" => bail!("collection {reference_id} FAILED"),
                _ if polls >= MAX_POLLS => bail!("collection {reference_id} never settled"),
                _ => {}
            }
        }
        Ok(FlowResult {
            reference_id,
            polls,
        })
    }
}

// ---- dollr-core: the SDK's resource calls -------------------------------------------------

/// The same flow through dollr-core's resource handles (typed models, client-side validation,
/// the token cache, the retry pipeline, the in-memory execution journal).
#[derive(Clone)]
pub struct Core {
    client: dollr_core::Client,
}

impl Core {
    /// A client with the default (in-memory) journal.
    pub fn connect(base: &str) -> Result<Core> {
        let client = dollr_core::Client::builder()
            .client_id(CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .base_url(base)
            .build()
            .context("building the dollr-core client")?;
        Ok(Core { client })
    }

    /// The client, for the overhead measurements.
    pub fn client(&self) -> &dollr_core::Client {
        &self.client
    }

    /// One status lookup (the per-call overhead measurement).
    pub async fn status(&self, reference_id: &str) -> Result<ExecutionStatus> {
        Ok(self.client.status().collection(reference_id).await?.status)
    }

    /// The quickstart's collect flow, one resource call per request.
    pub async fn flow(&self) -> Result<FlowResult> {
        let c = &self.client;
        let party = c
            .parties()
            .create(&CreatePartyRequest {
                fullname: "Amara Kamara".into(),
                phone: PHONE.into(),
                email: Some("amara@example.com".into()),
                country_code: Some("LR".into()),
            })
            .await?;
        let counterparty = c
            .counterparties()
            .create(&CreateCounterpartyRequest::new(
                RelationshipType::Customer,
                party.id,
            ))
            .await?;
        let invoice = c
            .invoices()
            .create(&CreateSourceRequest {
                counterparty_id: counterparty.id,
                currency: "USD".into(),
                note: "Consulting services".into(),
                fee_bearer: FeeBearer::Payer,
                as_payment_link: true,
                reference_id: None,
                due_date: None,
            })
            .await?;
        c.invoices()
            .add_item(
                invoice.id,
                &AddItemRequest::new("Strategy Session", "USD", 1, Decimal::new(25000, 2)),
            )
            .await?;
        c.invoices().publish(invoice.id).await?;
        let mmo = c
            .predictions()
            .mmo_provider_info(PHONE, OperationType::Collection)
            .await?;
        let session = c
            .sessions()
            .checkout(&CreateCheckoutSessionRequest {
                source_id: invoice.id,
                source_type: SourceType::Invoice,
            })
            .await?;
        let account = c
            .payment_accounts()
            .create(
                OperationType::Collection,
                &CreatePaymentAccountRequest {
                    account_name: "Amara MTN Wallet".into(),
                    provider: mmo.gateway_provider,
                    method: mmo.payment_method,
                    party_id: party.id,
                    country_code: Some("LR".into()),
                    insensitive_account_number: Some(PHONE.into()),
                },
            )
            .await?;
        let execution = c
            .executions()
            .collection(&CollectionExecutionRequest {
                session_id: session.id,
                payment_account_id: account.id,
                currency: "USD".into(),
                reference_id: dollr_core::new_reference_id(),
            })
            .await?;
        let reference_id = execution.reference_id;
        let mut polls = 0;
        loop {
            polls += 1;
            match self.status(&reference_id).await? {
                ExecutionStatus::Completed => break,
                ExecutionStatus::Failed => bail!("collection {reference_id} FAILED"),
                _ if polls >= MAX_POLLS => bail!("collection {reference_id} never settled"),
                _ => {}
            }
        }
        Ok(FlowResult {
            reference_id,
            polls,
        })
    }
}
