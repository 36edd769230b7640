//! `client.collect(..)`: the document-first mobile-money collection as one call.
//!
//! Steps: operator prediction (phone → `payment_method` + `gateway_provider`) → party →
//! counterparty → invoice or order → items → publish → fee prediction (optional) → payment
//! account (`COLLECTION`; given, remembered, or created) → checkout session → exactly-once
//! execution → wait for `COMPLETED`/`FAILED` → receipt once the document is `PAID`.
//!
//! Two orderings differ from the quickstart, on purpose: the operator is predicted **first**,
//! because the fee prediction and the payment account both need its `payment_method` and
//! `gateway_provider` and a phone no operator serves should fail before anything is created; and
//! the session is created **last**, right before the execution, because sessions are short-lived.

use std::time::Duration;

use crate::runtime::Instant;

use rust_decimal::Decimal;

use crate::api::sources::Sources;
use crate::client::Client;
use crate::enums::{
    ExecutionStatus, FeeBearer, OperationType, RelationshipType, SourceStatus, SourceType,
};
use crate::error::{Error, ErrorKind, Result};
use crate::flows::{
    account_rejected, execute_in_session, forget_account, remember_account, remembered_account,
    validate_id_opt, validate_items, validate_options, validate_reference_id, AccountKey,
    FlowContext, FlowEvent, FlowOptions, LineItem, SourceReceipt, StatusTransition,
};
use crate::ids::Id;
use crate::models::counterparty::CreateCounterpartyRequest;
use crate::models::execution::{CollectionExecutionRequest, Execution};
use crate::models::party::CreatePartyRequest;
use crate::models::payment_account::CreatePaymentAccountRequest;
use crate::models::prediction::{
    AmountAndFeePrediction, MmoProviderInfo, PaymentSourceAmountAndFeesQuery,
};
use crate::models::session::CreateCheckoutSessionRequest;
use crate::models::source::{
    AddItemRequest, CreateSourceRequest, InvoiceDetail, InvoiceKind, OrderDetail, OrderKind,
    SourceDocument, SourceKind,
};
use crate::status::StatusMachine;
use crate::time::Timestamp;
use crate::validate;

/// What to collect, from whom, and where to start. Build it with [`CollectRequest::new`] and the
/// `with_*` setters, or fill the public fields.
///
/// Starting points: with none of `party_id`, `counterparty_id`, `source_id` the flow creates the
/// party (needs `payer_name`), the counterparty, the document and its items. With `party_id` it
/// creates only the counterparty and the document; with `counterparty_id` only the document; with
/// `source_id` it pays that existing invoice/order (publishing it if still `IDLE`; `items` must
/// then be empty).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Deserialize, schemars::JsonSchema))]
pub struct CollectRequest {
    /// The payer's mobile-money wallet, E.164 digits without `+` (e.g. `231771234567`).
    pub phone: String,
    /// The document's currency (ISO 4217). With `source_id` it may be left empty (the document's
    /// currency applies); if given it must match the document.
    #[cfg_attr(feature = "bridge", serde(default))]
    pub currency: String,
    /// The lines to bill (currency = `currency`). Required unless `source_id` is given.
    #[cfg_attr(feature = "bridge", serde(default))]
    pub items: Vec<LineItem>,
    /// `INVOICE` (default) or `ORDER`.
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::default_source_type")
    )]
    pub source_type: SourceType,
    /// The payer's full name (required when the flow creates the party).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub payer_name: Option<String>,
    /// The payer's email.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub payer_email: Option<String>,
    /// The payer's country (ISO 3166-1 alpha-2); default: the operator prediction's country.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub country_code: Option<String>,
    /// The counterparty's relationship (default `CUSTOMER`).
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::collect::default_relationship_type")
    )]
    pub relationship_type: RelationshipType,
    /// The document's note (default `"Payment"`).
    #[cfg_attr(feature = "uniffi", uniffi(default = "Payment"))]
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::collect::default_note")
    )]
    pub note: String,
    /// Who pays the fees (default `PAYER`).
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::collect::default_fee_bearer")
    )]
    pub fee_bearer: FeeBearer,
    /// Whether the document gets a hosted payment link (default `false`).
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    #[cfg_attr(feature = "bridge", serde(default))]
    pub as_payment_link: bool,
    /// Your own free-form reference stored on the document (not the execution's UUID).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub source_reference: Option<String>,
    /// The document's due date.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::time::lenient_opt"),
        schemars(with = "Option<crate::time::TimestampSchema>")
    )]
    pub due_date: Option<Timestamp>,
    /// The currency the payer pays in (the execution's `currency`). Default: the document's
    /// currency when the wallet supports it, else the wallet's first currency (FX applies).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pay_currency: Option<String>,
    /// Whether to predict amounts and fees before paying (default `true`).
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    #[cfg_attr(
        feature = "bridge",
        serde(default = "crate::flows::collect::default_predict_fees")
    )]
    pub predict_fees: bool,
    /// Start from this existing party.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub party_id: Option<Id>,
    /// Start from this existing counterparty.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub counterparty_id: Option<Id>,
    /// Pay this existing invoice or order.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub source_id: Option<Id>,
    /// Collect from this existing `COLLECTION` payment account instead of registering the wallet.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "bridge",
        serde(default, with = "crate::ids::flexible_opt"),
        schemars(with = "Option<i64>")
    )]
    pub payment_account_id: Option<Id>,
    /// The payment account's label (default `"<payer> <METHOD> wallet"`).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub account_name: Option<String>,
    /// The execution's idempotency key (UUID v4). Default: a new one, journaled before the call.
    /// Give your own to store it with your order before the flow starts. The key is bound to this
    /// attempt's session: running the flow again with it is refused (`Conflict`, nothing sent), so
    /// an interrupted flow is resumed with `client.status().wait(..)` or `client.reconcile(..)`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub reference_id: Option<String>,
    /// Waiting and progress.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "bridge", serde(skip), schemars(skip))]
    pub options: FlowOptions,
}

/// The document's note when none is given.
pub const DEFAULT_NOTE: &str = "Payment";

// The defaults of the fields a caller may leave out, shared by `CollectRequest::new` and the
// request's `Deserialize` (bridge).
pub(crate) fn default_relationship_type() -> RelationshipType {
    RelationshipType::Customer
}
pub(crate) fn default_note() -> String {
    DEFAULT_NOTE.to_string()
}
pub(crate) fn default_fee_bearer() -> FeeBearer {
    FeeBearer::Payer
}
pub(crate) fn default_predict_fees() -> bool {
    true
}

impl CollectRequest {
    /// Collect `amount` in `currency` from the wallet `phone`, as one invoice line `"Payment"`.
    pub fn new(phone: impl Into<String>, amount: Decimal, currency: impl Into<String>) -> Self {
        CollectRequest {
            phone: phone.into(),
            currency: currency.into(),
            items: vec![LineItem::single(amount)],
            source_type: crate::flows::default_source_type(),
            payer_name: None,
            payer_email: None,
            country_code: None,
            relationship_type: default_relationship_type(),
            note: default_note(),
            fee_bearer: default_fee_bearer(),
            as_payment_link: false,
            source_reference: None,
            due_date: None,
            pay_currency: None,
            predict_fees: default_predict_fees(),
            party_id: None,
            counterparty_id: None,
            source_id: None,
            payment_account_id: None,
            account_name: None,
            reference_id: None,
            options: FlowOptions::default(),
        }
    }

    /// Pay the existing invoice or order `source_id` from the wallet `phone`.
    pub fn for_source(phone: impl Into<String>, source_type: SourceType, source_id: Id) -> Self {
        let mut request = CollectRequest::new(phone, Decimal::ZERO, "");
        request.items.clear();
        request.source_type = source_type;
        request.source_id = Some(source_id);
        request
    }

    /// Sets the payer's name.
    pub fn with_payer_name(mut self, name: impl Into<String>) -> Self {
        self.payer_name = Some(name.into());
        self
    }
    /// Sets the payer's email.
    pub fn with_payer_email(mut self, email: impl Into<String>) -> Self {
        self.payer_email = Some(email.into());
        self
    }
    /// Replaces the lines.
    pub fn with_items(mut self, items: Vec<LineItem>) -> Self {
        self.items = items;
        self
    }
    /// Bills an order instead of an invoice.
    pub fn with_source_type(mut self, source_type: SourceType) -> Self {
        self.source_type = source_type;
        self
    }
    /// Sets the note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
    /// Sets who pays the fees.
    pub fn with_fee_bearer(mut self, fee_bearer: FeeBearer) -> Self {
        self.fee_bearer = fee_bearer;
        self
    }
    /// Sets the currency the payer pays in.
    pub fn with_pay_currency(mut self, currency: impl Into<String>) -> Self {
        self.pay_currency = Some(currency.into());
        self
    }
    /// Starts from an existing party.
    pub fn with_party_id(mut self, party_id: Id) -> Self {
        self.party_id = Some(party_id);
        self
    }
    /// Starts from an existing counterparty.
    pub fn with_counterparty_id(mut self, counterparty_id: Id) -> Self {
        self.counterparty_id = Some(counterparty_id);
        self
    }
    /// Collects from an existing payment account.
    pub fn with_payment_account_id(mut self, account_id: Id) -> Self {
        self.payment_account_id = Some(account_id);
        self
    }
    /// Uses your own idempotency key.
    pub fn with_reference_id(mut self, reference_id: impl Into<String>) -> Self {
        self.reference_id = Some(reference_id.into());
        self
    }
    /// Sets the waiting and progress options.
    pub fn with_options(mut self, options: FlowOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks every field before anything is sent; the error names the first bad field.
    pub fn validate(&self) -> Result<()> {
        validate::phone("phone", &self.phone)?;
        crate::models::checkout::public_source_type("source_type", &self.source_type)?;
        match self.source_id {
            Some(source_id) => {
                validate::id("source_id", source_id)?;
                if !self.currency.is_empty() {
                    validate::supported_currency("currency", &self.currency)?;
                }
                if !self.items.is_empty() {
                    return Err(Error::invalid_field(
                        "items",
                        "give items only when the flow creates the document (not with source_id)",
                    ));
                }
            }
            None => {
                validate::supported_currency("currency", &self.currency)?;
                if self.items.is_empty() {
                    return Err(Error::invalid_field(
                        "items",
                        "at least one item is required",
                    ));
                }
                validate_items(&self.items, &self.currency)?;
                validate::known("fee_bearer", &self.fee_bearer)?;
                if self.counterparty_id.is_none() {
                    validate::known("relationship_type", &self.relationship_type)?;
                }
            }
        }
        validate_id_opt("party_id", self.party_id)?;
        validate_id_opt("counterparty_id", self.counterparty_id)?;
        validate_id_opt("payment_account_id", self.payment_account_id)?;
        if self.party_id.is_none() && self.counterparty_id.is_none() && self.source_id.is_none() {
            match &self.payer_name {
                Some(name) => validate::non_empty("payer_name", name)?,
                None => return Err(Error::missing_field("payer_name")),
            }
        } else if let Some(name) = &self.payer_name {
            validate::non_empty("payer_name", name)?;
        }
        if let Some(email) = &self.payer_email {
            validate::non_empty("payer_email", email)?;
        }
        if let Some(country) = &self.country_code {
            validate::country_code("country_code", country)?;
        }
        // Collections are mobile money: the wallet's market decides what it can pay in. Checked
        // after the format rules, so each input keeps the verdict it had before markets were.
        let market = validate::mobile_money_phone("phone", &self.phone)?;
        if let Some(currency) = &self.pay_currency {
            validate::wallet_currency("pay_currency", currency, market)?;
        }
        if let Some(name) = &self.account_name {
            validate::non_empty("account_name", name)?;
        }
        validate_reference_id(self.reference_id.as_deref())?;
        validate_options(&self.options)
    }
}

/// Everything a collection did and saw.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "bridge", derive(serde::Serialize, schemars::JsonSchema))]
pub struct CollectOutcome {
    /// The party paid by (created or given).
    pub party_id: Id,
    /// Whether the flow created the party.
    pub party_created: bool,
    /// The counterparty billed.
    pub counterparty_id: Id,
    /// Whether the flow created the counterparty.
    pub counterparty_created: bool,
    /// `INVOICE` or `ORDER`.
    pub source_type: SourceType,
    /// The document's id.
    pub source_id: Id,
    /// Whether the flow created the document.
    pub source_created: bool,
    /// The document's number (`INV-…` / `ORD-…`).
    pub source_number: String,
    /// The document's total.
    #[cfg_attr(
        feature = "bridge",
        serde(with = "crate::money::exact"),
        schemars(with = "crate::money::DecimalSchema")
    )]
    pub total_amount: Decimal,
    /// The document's currency.
    pub currency: String,
    /// The currency the payer paid in (the execution's `currency`).
    pub pay_currency: String,
    /// The operator behind the phone.
    pub provider: MmoProviderInfo,
    /// The amounts and fees predicted before paying (when asked for).
    pub fee_prediction: Option<AmountAndFeePrediction>,
    /// The `COLLECTION` payment account used.
    pub payment_account_id: Id,
    /// Whether an existing account was used (given, or remembered by this client).
    pub payment_account_reused: bool,
    /// The checkout session.
    pub session_id: Id,
    /// The execution's idempotency key.
    pub reference_id: String,
    /// The execution as last seen (terminal unless `settled` is false).
    pub execution: Execution,
    /// Every status observed, first to last, with when.
    pub transitions: Vec<StatusTransition>,
    /// Whether the execution reached `COMPLETED` or `FAILED` before the wait deadline.
    pub settled: bool,
    /// The document's status after the payment (`PAID` once completed), when checked.
    pub source_status: Option<SourceStatus>,
    /// The receipt, when the document is `PAID`.
    pub receipt: Option<SourceReceipt>,
}

impl CollectOutcome {
    /// The execution's final (or last seen) status.
    pub fn status(&self) -> &ExecutionStatus {
        &self.execution.status
    }
    /// Whether the money moved.
    pub fn is_completed(&self) -> bool {
        self.execution.status == ExecutionStatus::Completed
    }
}

/// What the collect flow needs from each kind of document beyond the generic handle.
pub(crate) trait FlowSourceKind: SourceKind {
    fn resource(client: &Client) -> Sources<Self>
    where
        Self: Sized;
    fn wrap_receipt(receipt: Self::Receipt) -> SourceReceipt;
    fn detail_counterparty_id(detail: &Self::Detail) -> Id;
    fn detail_party_id(detail: &Self::Detail) -> Option<Id>;
}

impl FlowSourceKind for InvoiceKind {
    fn resource(client: &Client) -> Sources<Self> {
        client.invoices()
    }
    fn wrap_receipt(receipt: Self::Receipt) -> SourceReceipt {
        SourceReceipt::Invoice(receipt)
    }
    fn detail_counterparty_id(detail: &InvoiceDetail) -> Id {
        detail.counterparty_id
    }
    fn detail_party_id(detail: &InvoiceDetail) -> Option<Id> {
        detail
            .counterparty
            .as_ref()
            .and_then(|c| c.party.as_ref())
            .map(|p| p.id)
    }
}

impl FlowSourceKind for OrderKind {
    fn resource(client: &Client) -> Sources<Self> {
        client.orders()
    }
    fn wrap_receipt(receipt: Self::Receipt) -> SourceReceipt {
        SourceReceipt::Order(receipt)
    }
    fn detail_counterparty_id(detail: &OrderDetail) -> Id {
        detail.counterparty_id
    }
    fn detail_party_id(detail: &OrderDetail) -> Option<Id> {
        detail
            .counterparty
            .as_ref()
            .and_then(|c| c.party.as_ref())
            .map(|p| p.id)
    }
}

#[dollr_macros::flows]
impl Client {
    /// Collects a mobile-money payment end to end: operator prediction, party, counterparty,
    /// invoice/order, items, publish, fee prediction, payment account, session, exactly-once
    /// execution, wait, receipt (the request says where to start). Reports each step as an event.
    ///
    /// A payment that ends `FAILED` is an outcome, not an error; one still in flight at the
    /// deadline has `settled: false` (resume it with `status.wait` or `reconcile`, never with a new
    /// payment). Errors are bad input (`Validation`, before anything is sent), API refusals, or an
    /// `AmbiguousExecution` carrying the `reference_id` to resume with.
    pub async fn collect(&self, #[flow] request: &CollectRequest) -> Result<CollectOutcome> {
        request.validate()?;
        match request.source_type {
            SourceType::Invoice => Box::pin(collect_with::<InvoiceKind>(self, request)).await,
            SourceType::Order => Box::pin(collect_with::<OrderKind>(self, request)).await,
            ref other => Err(Error::invalid_field(
                "source_type",
                format!("\"{other}\" is not one of INVOICE, ORDER"),
            )),
        }
    }
}

/// The document being paid, as far as the flow needs it.
struct Document {
    id: Id,
    number: String,
    currency: String,
    total_amount: Decimal,
    created: bool,
}

/// The party and counterparty the document belongs to.
struct Parties {
    party_id: Id,
    party_created: bool,
    counterparty_id: Id,
    counterparty_created: bool,
}

async fn collect_with<K: FlowSourceKind>(
    client: &Client,
    request: &CollectRequest,
) -> Result<CollectOutcome> {
    let ctx = FlowContext::new(&request.options);
    ctx.emit(FlowEvent::Validated {
        flow: "collect".into(),
    });
    let phone = request.phone.as_str();

    let predictions = client.predictions();
    let provider = ctx
        .repeatable("provider_prediction", || {
            predictions.mmo_provider_info(phone, OperationType::Collection)
        })
        .await?;
    ctx.emit(FlowEvent::ProviderPredicted {
        info: provider.clone(),
    });
    let country_code = request
        .country_code
        .clone()
        .or_else(|| country_of(&provider));

    let resource = K::resource(client);
    let (parties, document) = match request.source_id {
        Some(source_id) => {
            existing_document::<K>(client, &ctx, &resource, request, source_id).await?
        }
        None => {
            let parties = ensure_parties(client, &ctx, request, country_code.clone()).await?;
            let document =
                create_document::<K>(&ctx, &resource, request, parties.counterparty_id).await?;
            (parties, document)
        }
    };
    let pay_currency = request
        .pay_currency
        .clone()
        .unwrap_or_else(|| default_pay_currency(&document.currency, &provider.currencies));

    let fee_prediction = if request.predict_fees {
        let query = PaymentSourceAmountAndFeesQuery {
            target_currency: pay_currency.clone(),
            payment_method: provider.payment_method.clone(),
            provider: provider.gateway_provider.clone(),
            source_type: K::SOURCE_TYPE,
            source_id: document.id,
        };
        let prediction = ctx
            .repeatable("fee_prediction", || {
                predictions.payment_source_amount_and_fees(&query)
            })
            .await?;
        ctx.emit(FlowEvent::FeesPredicted {
            prediction: prediction.clone(),
        });
        Some(prediction)
    } else {
        None
    };

    let account_key = AccountKey {
        operation_type: OperationType::Collection,
        phone: request.phone.clone(),
        method: provider.payment_method.clone(),
        provider: provider.gateway_provider.clone(),
        party_id: Some(parties.party_id),
    };
    let (payment_account_id, payment_account_reused, remembered) = match request.payment_account_id
    {
        Some(id) => (id, true, false),
        None => match remembered_account(client, &account_key) {
            Some(id) => (id, true, true),
            None => {
                let create = CreatePaymentAccountRequest {
                    account_name: request.account_name.clone().unwrap_or_else(|| {
                        format!(
                            "{} {} wallet",
                            request.payer_name.as_deref().unwrap_or("Payer"),
                            provider.payment_method
                        )
                    }),
                    provider: provider.gateway_provider.clone(),
                    method: provider.payment_method.clone(),
                    party_id: parties.party_id,
                    country_code: country_code.clone(),
                    insensitive_account_number: Some(request.phone.clone()),
                };
                let accounts = client.payment_accounts();
                let account = ctx
                    .repeatable("payment_account", || {
                        accounts.create(OperationType::Collection, &create)
                    })
                    .await?;
                remember_account(client, account_key.clone(), account.id);
                (account.id, false, false)
            }
        },
    };
    ctx.emit(FlowEvent::PaymentAccountReady {
        operation_type: OperationType::Collection,
        account_id: payment_account_id,
        method: Some(provider.payment_method.clone()),
        provider: Some(provider.gateway_provider.clone()),
        reused: payment_account_reused,
    });

    let session_request = CreateCheckoutSessionRequest {
        source_id: document.id,
        source_type: K::SOURCE_TYPE,
    };
    let sessions = client.sessions();
    let session = ctx
        .repeatable("session", || sessions.checkout(&session_request))
        .await?;
    let wait_started = Instant::now();
    ctx.listen_on(session.id, K::SOURCE_TYPE);
    let (reference_id, settled) = execute_in_session(
        client,
        &ctx,
        OperationType::Collection,
        (session.id, session.expires_at),
        request.reference_id.as_deref(),
        |reference_id| {
            let execute = CollectionExecutionRequest {
                session_id: session.id,
                payment_account_id,
                currency: pay_currency.clone(),
                reference_id,
            };
            let (ctx, account_key) = (&ctx, &account_key);
            async move {
                let outcome = ctx.executions(client).collection(&execute).await;
                if let Err(error) = &outcome {
                    if remembered && account_rejected(error) {
                        // The remembered account is gone (deleted, deactivated, or the server
                        // state was reset): forget it so the next collection registers the
                        // wallet again.
                        forget_account(client, account_key);
                    }
                }
                outcome
            }
        },
    )
    .await?;

    let (source_status, receipt) = if settled.execution.status == ExecutionStatus::Completed {
        let budget = request
            .options
            .wait_timeout
            .unwrap_or(crate::flows::DEFAULT_WAIT_TIMEOUT)
            .saturating_sub(wait_started.elapsed())
            .max(PAID_GRACE);
        let status =
            source_paid_after_completion(client, &ctx, K::SOURCE_TYPE, document.id, budget).await?;
        let receipt = if status == SourceStatus::Paid {
            let receipt = ctx
                .repeatable("receipt", || resource.receipt(document.id))
                .await?;
            let receipt = K::wrap_receipt(receipt);
            ctx.emit(FlowEvent::ReceiptFetched {
                receipt: Box::new(receipt.clone()),
            });
            Some(receipt)
        } else {
            None
        };
        (Some(status), receipt)
    } else {
        (None, None)
    };

    Ok(CollectOutcome {
        party_id: parties.party_id,
        party_created: parties.party_created,
        counterparty_id: parties.counterparty_id,
        counterparty_created: parties.counterparty_created,
        source_type: K::SOURCE_TYPE,
        source_id: document.id,
        source_created: document.created,
        source_number: document.number,
        total_amount: document.total_amount,
        currency: document.currency,
        pay_currency,
        provider,
        fee_prediction,
        payment_account_id,
        payment_account_reused,
        session_id: session.id,
        reference_id,
        execution: settled.execution,
        transitions: settled.transitions,
        settled: settled.settled,
        source_status,
        receipt,
    })
}

/// How long the flow allows, at least, for a completed payment to show on its document.
const PAID_GRACE: Duration = Duration::from_secs(5);

/// The country of a prediction, when it is an ISO 3166-1 alpha-2 code.
fn country_of(provider: &MmoProviderInfo) -> Option<String> {
    validate::country_code("country", &provider.country)
        .ok()
        .map(|()| provider.country.clone())
}

/// The document's currency when the wallet can pay in it (or the operator did not say), else the
/// wallet's first currency (FX applies).
fn default_pay_currency(document_currency: &str, wallet_currencies: &[String]) -> String {
    if wallet_currencies.is_empty() || wallet_currencies.iter().any(|c| c == document_currency) {
        document_currency.to_string()
    } else {
        wallet_currencies[0].clone()
    }
}

/// Finds or creates the party and the counterparty for a new document.
async fn ensure_parties(
    client: &Client,
    ctx: &FlowContext,
    request: &CollectRequest,
    country_code: Option<String>,
) -> Result<Parties> {
    if let Some(counterparty_id) = request.counterparty_id {
        let party_id = match request.party_id {
            Some(party_id) => party_id,
            None => {
                let counterparties = client.counterparties();
                let counterparty = ctx
                    .repeatable("counterparty_lookup", || {
                        counterparties.retrieve(counterparty_id)
                    })
                    .await?;
                counterparty.party.map(|p| p.id).ok_or_else(|| {
                    Error::invalid_field(
                        "party_id",
                        format!("counterparty #{counterparty_id} has no party; pass the payer's party_id too"),
                    )
                })?
            }
        };
        ctx.emit(FlowEvent::PartyReady {
            party_id,
            fullname: request.payer_name.clone(),
            created: false,
        });
        ctx.emit(FlowEvent::CounterpartyReady {
            counterparty_id,
            relationship_type: None,
            created: false,
        });
        return Ok(Parties {
            party_id,
            party_created: false,
            counterparty_id,
            counterparty_created: false,
        });
    }
    let (party_id, party_created) = match request.party_id {
        Some(party_id) => {
            ctx.emit(FlowEvent::PartyReady {
                party_id,
                fullname: request.payer_name.clone(),
                created: false,
            });
            (party_id, false)
        }
        None => {
            let mut create = CreatePartyRequest::new(
                request.payer_name.clone().unwrap_or_default(),
                request.phone.clone(),
            );
            create.email = request.payer_email.clone();
            create.country_code = country_code;
            let parties = client.parties();
            let party = ctx.repeatable("party", || parties.create(&create)).await?;
            ctx.emit(FlowEvent::PartyReady {
                party_id: party.id,
                fullname: Some(party.fullname.clone()),
                created: true,
            });
            (party.id, true)
        }
    };
    let create = CreateCounterpartyRequest::new(request.relationship_type.clone(), party_id);
    let counterparties = client.counterparties();
    let counterparty = ctx
        .repeatable("counterparty", || counterparties.create(&create))
        .await?;
    ctx.emit(FlowEvent::CounterpartyReady {
        counterparty_id: counterparty.id,
        relationship_type: Some(counterparty.relationship_type.clone()),
        created: true,
    });
    Ok(Parties {
        party_id,
        party_created,
        counterparty_id: counterparty.id,
        counterparty_created: true,
    })
}

/// Creates the document, adds its items (each checked before a repeat) and publishes it.
async fn create_document<K: FlowSourceKind>(
    ctx: &FlowContext,
    resource: &Sources<K>,
    request: &CollectRequest,
    counterparty_id: Id,
) -> Result<Document> {
    let mut create = CreateSourceRequest::new(
        counterparty_id,
        request.currency.clone(),
        request.note.clone(),
        request.fee_bearer.clone(),
    )
    .as_payment_link(request.as_payment_link);
    create.reference_id = request.source_reference.clone();
    create.due_date = request.due_date;
    let step = if K::SOURCE_TYPE == SourceType::Order {
        "order"
    } else {
        "invoice"
    };
    let source = ctx.repeatable(step, || resource.create(&create)).await?;
    let (id, number) = (source.id(), source.number().to_string());
    ctx.emit(FlowEvent::SourceCreated {
        source_type: K::SOURCE_TYPE,
        source_id: id,
        number: number.clone(),
        currency: request.currency.clone(),
    });
    let mut total = source.total_amount();
    for item in &request.items {
        add_item_once(ctx, resource, id, item, &request.currency, total).await?;
        total += item.total();
        ctx.emit(FlowEvent::ItemAdded {
            source_id: id,
            item: item.clone(),
            currency: request.currency.clone(),
            running_total: total,
        });
    }
    let published = publish(ctx, resource, id).await?;
    ctx.emit(FlowEvent::SourcePublished {
        source_type: K::SOURCE_TYPE,
        source_id: id,
        number: number.clone(),
        total_amount: published,
        currency: request.currency.clone(),
    });
    Ok(Document {
        id,
        number,
        currency: request.currency.clone(),
        total_amount: published,
        created: true,
    })
}

/// Adds one line exactly once. A lost answer leaves it unknown whether the line landed, and a
/// blind repeat would bill it twice, so after a transient failure the document's total decides:
/// grown by the line → it landed; unchanged → add it again; anything else → someone else is
/// editing the document, stop.
async fn add_item_once<K: FlowSourceKind>(
    ctx: &FlowContext,
    resource: &Sources<K>,
    source_id: Id,
    item: &LineItem,
    currency: &str,
    total_before: Decimal,
) -> Result<()> {
    let add = AddItemRequest::new(item.name.clone(), currency, item.qty, item.amount);
    let mut attempt = 0u32;
    loop {
        match resource.add_item(source_id, &add).await {
            Ok(_) => return Ok(()),
            Err(error) if ctx.may_retry(attempt, &error) => {
                let detail = ctx
                    .repeatable("item_check", || resource.retrieve(source_id))
                    .await?;
                let total_now = detail.total_amount();
                if total_now == total_before + item.total() {
                    return Ok(());
                }
                if total_now != total_before {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "document #{source_id} changed while the flow was adding items (total {total_now}, expected {total_before} or {}); check it before paying",
                            total_before + item.total()
                        ),
                    ));
                }
                attempt += 1;
                ctx.emit(FlowEvent::StepRetried {
                    step: "item".into(),
                    attempt,
                    error: error.to_string(),
                });
                crate::runtime::sleep(crate::flows::step_pause(attempt, error.retry_after())).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Publishes an `IDLE` document; returns its total. Publishing is idempotent in effect, but a
/// repeat after a lost answer finds the document already `ACTIVE` and may be refused: the
/// document's status decides then.
async fn publish<K: FlowSourceKind>(
    ctx: &FlowContext,
    resource: &Sources<K>,
    source_id: Id,
) -> Result<Decimal> {
    match ctx
        .repeatable("publish", || resource.publish(source_id))
        .await
    {
        Ok(published) => Ok(published.total_amount()),
        Err(error) => {
            let detail = ctx
                .repeatable("publish_check", || resource.retrieve(source_id))
                .await?;
            if *detail.status() == SourceStatus::Active {
                Ok(detail.total_amount())
            } else {
                Err(error)
            }
        }
    }
}

/// Resolves an existing document (publishing it if `IDLE`) and its parties.
async fn existing_document<K: FlowSourceKind>(
    client: &Client,
    ctx: &FlowContext,
    resource: &Sources<K>,
    request: &CollectRequest,
    source_id: Id,
) -> Result<(Parties, Document)> {
    let detail = ctx
        .repeatable("source_lookup", || resource.retrieve(source_id))
        .await?;
    if !request.currency.is_empty() && request.currency != detail.currency() {
        return Err(Error::invalid_field(
            "currency",
            format!(
                "{} #{source_id} is in {}, not {}",
                K::SOURCE_TYPE,
                detail.currency(),
                request.currency
            ),
        ));
    }
    let counterparty_id = request
        .counterparty_id
        .unwrap_or_else(|| K::detail_counterparty_id(&detail));
    let party_id = match request.party_id.or_else(|| K::detail_party_id(&detail)) {
        Some(party_id) => party_id,
        None => {
            let counterparties = client.counterparties();
            let counterparty = ctx
                .repeatable("counterparty_lookup", || {
                    counterparties.retrieve(counterparty_id)
                })
                .await?;
            counterparty.party.map(|p| p.id).ok_or_else(|| {
                Error::invalid_field(
                    "party_id",
                    format!(
                        "the payer of {} #{source_id} is unknown; pass party_id",
                        K::SOURCE_TYPE
                    ),
                )
            })?
        }
    };
    ctx.emit(FlowEvent::PartyReady {
        party_id,
        fullname: request.payer_name.clone(),
        created: false,
    });
    ctx.emit(FlowEvent::CounterpartyReady {
        counterparty_id,
        relationship_type: None,
        created: false,
    });
    let total_amount = match detail.status() {
        SourceStatus::Idle => publish(ctx, resource, source_id).await?,
        SourceStatus::Active => detail.total_amount(),
        other => {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{} #{source_id} is {other}: only an IDLE or ACTIVE document can be paid{}",
                    K::SOURCE_TYPE,
                    if *other == SourceStatus::Processing {
                        " (a payment is in flight; wait for it)"
                    } else {
                        ""
                    }
                ),
            ))
        }
    };
    let number = detail.number().to_string();
    ctx.emit(FlowEvent::SourcePublished {
        source_type: K::SOURCE_TYPE,
        source_id,
        number: number.clone(),
        total_amount,
        currency: detail.currency().to_string(),
    });
    Ok((
        Parties {
            party_id,
            party_created: false,
            counterparty_id,
            counterparty_created: false,
        },
        Document {
            id: source_id,
            number,
            currency: detail.currency().to_string(),
            total_amount,
            created: false,
        },
    ))
}

/// After a completed execution the document turns `PAID`; the API may record that a moment
/// later, so poll briefly (within `budget`) before concluding it is not paid.
async fn source_paid_after_completion(
    client: &Client,
    ctx: &FlowContext,
    source_type: SourceType,
    source_id: Id,
    budget: Duration,
) -> Result<SourceStatus> {
    let deadline = Instant::now() + budget;
    let status = client.status();
    let mut pause = Duration::from_millis(20);
    loop {
        let info = ctx
            .repeatable("source_status", || {
                status.source(source_type.clone(), source_id)
            })
            .await?;
        if info.status.is_terminal() || Instant::now() + pause > deadline {
            return Ok(info.status);
        }
        crate::runtime::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(request: &CollectRequest) -> String {
        match request.validate() {
            Ok(()) => "ok".into(),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Validation);
                e.details().first().map(|d| d.field()).unwrap_or_default()
            }
        }
    }

    #[test]
    fn every_field_is_checked_before_anything_is_sent() {
        let good = CollectRequest::new("231771234567", Decimal::new(2500, 2), "USD")
            .with_payer_name("Amara Kamara");
        assert_eq!(field(&good), "ok");
        assert_eq!(
            field(&CollectRequest {
                currency: "usd".into(),
                ..good.clone()
            }),
            "currency"
        );
        assert_eq!(
            field(&CollectRequest {
                phone: "+231771234567".into(),
                ..good.clone()
            }),
            "phone"
        );
        assert_eq!(
            field(&CollectRequest {
                payer_name: None,
                ..good.clone()
            }),
            "payer_name"
        );
        assert_eq!(
            field(&CollectRequest {
                payer_name: None,
                party_id: Some(4),
                ..good.clone()
            }),
            "ok"
        );
        assert_eq!(
            field(&CollectRequest {
                items: vec![],
                ..good.clone()
            }),
            "items"
        );
        let rwf = CollectRequest::new("250781234567", Decimal::new(10005, 1), "RWF")
            .with_payer_name("Aline");
        assert_eq!(field(&rwf), "items.0.amount");
        assert_eq!(
            field(&good.clone().with_reference_id("nope")),
            "reference_id"
        );
        assert_eq!(field(&good.clone().with_pay_currency("LR")), "pay_currency");
        assert_eq!(
            field(&good.clone().with_source_type(SourceType::Subscription)),
            "source_type"
        );
        assert_eq!(
            field(&CollectRequest {
                party_id: Some(0),
                ..good.clone()
            }),
            "party_id"
        );
        let existing = CollectRequest::for_source("231771234567", SourceType::Invoice, 12);
        assert_eq!(field(&existing), "ok");
        assert_eq!(
            field(&existing.clone().with_items(good.items.clone())),
            "items"
        );
    }

    #[test]
    fn the_payer_pays_in_the_document_currency_when_the_wallet_can() {
        let lr = vec!["LRD".to_string(), "USD".to_string()];
        assert_eq!(default_pay_currency("USD", &lr), "USD");
        assert_eq!(default_pay_currency("RWF", &lr), "LRD");
        assert_eq!(default_pay_currency("USD", &[]), "USD");
    }
}
