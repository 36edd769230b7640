//! The records the sandbox keeps, and their wire shapes (from the API reference).

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::money::{money, Currency, FeeBearer, Method, OpType, Quote};
use crate::phone::Behaviour;

/// ISO-8601 UTC with `Z`, second precision (as in the docs' examples).
pub fn ts(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// [`ts`] for `#[serde(serialize_with)]`.
pub fn serialize_ts<S: serde::Serializer>(
    dt: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&ts(*dt))
}

fn ts_opt(dt: Option<DateTime<Utc>>) -> Value {
    dt.map(|d| json!(ts(d))).unwrap_or(Value::Null)
}

/// The relationship types (12, `SELF` included).
pub const RELATIONSHIP_TYPES: [&str; 12] = [
    "CUSTOMER",
    "SUPPLIER",
    "EMPLOYEE",
    "BENEFICIARY",
    "FRIEND",
    "FAMILY",
    "DONOR",
    "DONEE",
    "CONTACT",
    "SERVICE_PROVIDER",
    "PARTNER",
    "SELF",
];

/// Source statuses.
pub const SOURCE_STATUSES: [&str; 5] = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"];

/// A contact.
#[derive(Clone, Debug)]
pub struct Party {
    pub id: i64,
    pub fullname: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub country_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Party {
    /// `PartyResponse`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "fullname": self.fullname,
            "phone": self.phone,
            "email": self.email,
            "country_code": self.country_code,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
        })
    }
}

/// A party linked to the merchant.
#[derive(Clone, Debug)]
pub struct Counterparty {
    pub id: i64,
    pub relationship_type: String,
    pub party_id: Option<i64>,
    pub owner_party_type: &'static str,
    pub owner_party_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Counterparty {
    /// `CounterPartyResponse`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "relationship_type": self.relationship_type,
            "party_id": self.party_id,
            "owner_party_type": self.owner_party_type,
            "owner_party_id": self.owner_party_id,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
        })
    }

    /// `CounterPartyWithPartyResponse` (as embedded in invoice detail).
    /// `party` is left out for a counterparty without one: the reference types it as an
    /// optional object, not a nullable one (schemathesis found the `null`, #18).
    pub fn json_with_party(&self, party: Option<&Party>) -> Value {
        let mut v = json!({
            "id": self.id,
            "owner_party_type": self.owner_party_type,
            "owner_party_id": self.owner_party_id,
            "relationship_type": self.relationship_type,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
        });
        if let Some(party) = party {
            v["party"] = party.json();
        }
        v
    }
}

/// Invoice or order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// `INVOICE`.
    Invoice,
    /// `ORDER`.
    Order,
}

impl SourceKind {
    /// Parses `INVOICE` / `ORDER`.
    pub fn parse(s: &str) -> Option<SourceKind> {
        match s {
            "INVOICE" => Some(SourceKind::Invoice),
            "ORDER" => Some(SourceKind::Order),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Invoice => "INVOICE",
            SourceKind::Order => "ORDER",
        }
    }

    /// `invoice` / `order`.
    pub fn noun(self) -> &'static str {
        match self {
            SourceKind::Invoice => "invoice",
            SourceKind::Order => "order",
        }
    }

    /// `Invoice` / `Order`.
    pub fn title(self) -> &'static str {
        match self {
            SourceKind::Invoice => "Invoice",
            SourceKind::Order => "Order",
        }
    }

    /// Number prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            SourceKind::Invoice => "INV",
            SourceKind::Order => "ORD",
        }
    }
}

/// Source lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    Idle,
    Active,
    Processing,
    Paid,
    Canceled,
}

impl SourceStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Idle => "IDLE",
            SourceStatus::Active => "ACTIVE",
            SourceStatus::Processing => "PROCESSING",
            SourceStatus::Paid => "PAID",
            SourceStatus::Canceled => "CANCELED",
        }
    }
}

/// A line item.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub currency: Currency,
    pub qty: i64,
    pub amount: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Item {
    /// `InvoiceItemResponse` / `OrderItemResponse`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "currency": self.currency.code(),
            "qty": self.qty,
            "amount": money(self.amount, self.currency),
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
        })
    }
}

/// An invoice or an order (same shape, different number and item key).
#[derive(Clone, Debug)]
pub struct Source {
    pub kind: SourceKind,
    pub id: i64,
    pub number: String,
    pub counterparty_id: i64,
    pub currency: Currency,
    pub status: SourceStatus,
    pub note: String,
    pub fee_bearer: FeeBearer,
    pub due_date: Option<DateTime<Utc>>,
    pub as_payment_link: bool,
    pub reference_id: Option<String>,
    pub owner_id: i64,
    pub owner_type: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub items: Vec<Item>,
    /// Index of the execution that paid it.
    pub paid_by: Option<usize>,
}

impl Source {
    /// Σ qty × amount.
    pub fn total(&self) -> Decimal {
        self.items
            .iter()
            .map(|i| Decimal::from(i.qty) * i.amount)
            .sum()
    }

    /// `InvoiceResponse` / `OrderResponse`.
    pub fn json(&self) -> Value {
        let number_key = match self.kind {
            SourceKind::Invoice => "invoice_number",
            SourceKind::Order => "order_number",
        };
        let mut v = json!({
            "id": self.id,
            "counterparty_id": self.counterparty_id,
            "currency": self.currency.code(),
            "total_amount": money(self.total(), self.currency),
            "status": self.status.as_str(),
            "note": self.note,
            "fee_bearer": self.fee_bearer.as_str(),
            "due_date": ts_opt(self.due_date),
            "as_payment_link": self.as_payment_link,
            "owner_id": self.owner_id,
            "owner_type": self.owner_type,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
            "reference_id": self.reference_id,
            "paid_at": ts_opt(self.paid_at),
        });
        if let Some(m) = v.as_object_mut() {
            m.insert(number_key.to_owned(), json!(self.number));
        }
        v
    }

    /// Detail response: base fields, items and the counterparty with its party.
    pub fn detail_json(&self, counterparty: Option<&Counterparty>, party: Option<&Party>) -> Value {
        let mut v = self.json();
        let items_key = match self.kind {
            SourceKind::Invoice => "invoice_items",
            SourceKind::Order => "order_items",
        };
        if let Some(m) = v.as_object_mut() {
            m.insert(
                items_key.to_owned(),
                Value::Array(self.items.iter().map(Item::json).collect()),
            );
            m.insert(
                "counterparty".to_owned(),
                counterparty
                    .map(|c| c.json_with_party(party))
                    .unwrap_or(Value::Null),
            );
        }
        v
    }

    /// `PaymentSourceStatusResponse`.
    pub fn status_json(&self) -> Value {
        json!({
            "source_id": self.id,
            "source_type": self.kind.as_str(),
            "source_number": self.number,
            "status": self.status.as_str(),
            "currency": self.currency.code(),
            "total_amount": money(self.total(), self.currency),
            "paid_at": ts_opt(self.paid_at),
        })
    }
}

/// What a session is for.
#[derive(Clone, Debug)]
pub enum SessionKind {
    /// Collect a source.
    Checkout {
        source_kind: SourceKind,
        source_id: i64,
    },
    /// Pay out from a wallet to a payout account.
    Payout {
        payout_account_id: i64,
        wallet_id: i64,
        amount: Decimal,
        currency: Currency,
    },
    /// Move wallet funds to a counterparty.
    Transfer {
        from_wallet_id: i64,
        to_counterparty_id: i64,
        amount: Decimal,
        currency: Currency,
    },
    /// Refund (part of) a collection.
    Refund {
        intent_id: i64,
        amount: Decimal,
        currency: Currency,
        reason: Option<String>,
    },
}

impl SessionKind {
    /// The operation this session can be executed as.
    pub fn op(&self) -> OpType {
        match self {
            SessionKind::Checkout { .. } => OpType::Collection,
            SessionKind::Payout { .. } => OpType::Payout,
            SessionKind::Transfer { .. } => OpType::Transfer,
            SessionKind::Refund { .. } => OpType::Refund,
        }
    }

    /// `checkout` / `payout` / `transfer` / `refund`.
    pub fn noun(&self) -> &'static str {
        match self {
            SessionKind::Checkout { .. } => "checkout",
            SessionKind::Payout { .. } => "payout",
            SessionKind::Transfer { .. } => "transfer",
            SessionKind::Refund { .. } => "refund",
        }
    }
}

/// Session status: ACTIVE until executed (USED) or past `expires_at` (EXPIRED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    Used,
    Expired,
}

impl SessionStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "ACTIVE",
            SessionStatus::Used => "USED",
            SessionStatus::Expired => "EXPIRED",
        }
    }
}

/// A session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub kind: SessionKind,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Execution index that used it.
    pub used_by: Option<usize>,
    pub payment_account_id: Option<i64>,
}

impl Session {
    /// Status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        if self.used_by.is_some() {
            SessionStatus::Used
        } else if now >= self.expires_at {
            SessionStatus::Expired
        } else {
            SessionStatus::Active
        }
    }

    /// The session response for its kind.
    pub fn json(&self, now: DateTime<Utc>) -> Value {
        let status = self.status(now).as_str();
        let common = |mut v: Value| {
            if let Some(m) = v.as_object_mut() {
                m.insert("id".to_owned(), json!(self.id));
                m.insert("status".to_owned(), json!(status));
                m.insert("expires_at".to_owned(), json!(ts(self.expires_at)));
                m.insert("created_at".to_owned(), json!(ts(self.created_at)));
                m.insert("updated_at".to_owned(), json!(ts(self.updated_at)));
            }
            v
        };
        match &self.kind {
            SessionKind::Checkout {
                source_kind,
                source_id,
            } => common(json!({
                "source_id": source_id,
                "source_type": source_kind.as_str(),
                "payment_account_id": self.payment_account_id,
            })),
            SessionKind::Payout {
                payout_account_id,
                wallet_id,
                amount,
                currency,
            } => common(json!({
                "wallet_id": wallet_id,
                "payout_account_id": payout_account_id,
                "amount": money(*amount, *currency),
                "currency": currency.code(),
            })),
            SessionKind::Transfer {
                from_wallet_id,
                to_counterparty_id,
                amount,
                currency,
            } => common(json!({
                "from_wallet_id": from_wallet_id,
                "to_counterparty_id": to_counterparty_id,
                "amount": money(*amount, *currency),
                "currency": currency.code(),
            })),
            SessionKind::Refund {
                intent_id,
                amount,
                currency,
                reason,
            } => common(json!({
                "original_payment_intent_id": intent_id,
                "amount": money(*amount, *currency),
                "reason": reason,
            })),
        }
    }
}

/// A registered wallet, card or payout destination.
#[derive(Clone, Debug)]
pub struct PaymentAccount {
    pub id: i64,
    pub account_name: String,
    pub provider: String,
    pub method: Method,
    pub party_id: i64,
    pub country_code: Option<String>,
    pub number: Option<String>,
    pub op: OpType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PaymentAccount {
    /// `PaymentAccountResponse` (the account number is not echoed).
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "account_name": self.account_name,
            "provider": self.provider,
            "method": self.method.as_str(),
            "party_id": self.party_id,
            "is_active": true,
            "country_code": self.country_code,
            "created_at": ts(self.created_at),
            "updated_at": ts(self.updated_at),
        })
    }
}

/// A merchant wallet.
#[derive(Clone, Debug)]
pub struct Wallet {
    pub id: i64,
    pub currency: Currency,
    pub balance: Decimal,
}

impl Wallet {
    /// Shape used by `GET /_sandbox/wallets`.
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "currency": self.currency.code(),
            "balance": money(self.balance, self.currency),
            "status": "ACTIVE",
        })
    }
}

/// Execution status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExecStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl ExecStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecStatus::Pending => "PENDING",
            ExecStatus::Processing => "PROCESSING",
            ExecStatus::Completed => "COMPLETED",
            ExecStatus::Failed => "FAILED",
        }
    }

    /// 0 pending, 1 processing, 2 terminal.
    pub fn stage(self) -> u8 {
        match self {
            ExecStatus::Pending => 0,
            ExecStatus::Processing => 1,
            ExecStatus::Completed | ExecStatus::Failed => 2,
        }
    }

    /// Whether no further change happens.
    pub fn is_terminal(self) -> bool {
        self.stage() == 2
    }
}

/// An execution (and its payment intent).
#[derive(Clone, Debug)]
pub struct Execution {
    /// Payment intent id (`original_payment_intent_id` for refunds).
    pub intent_id: i64,
    /// reference_id as the client sent it.
    pub reference_id: String,
    /// Canonical reference_id (lowercase, hyphenated).
    pub key: String,
    pub op: OpType,
    /// What identifies "the same request" for idempotency.
    pub fingerprint: String,
    pub session_id: i64,
    pub account_id: Option<i64>,
    pub method: Method,
    pub provider: String,
    pub account_name: Option<String>,
    pub quote: Quote,
    pub behaviour: Behaviour,
    pub created_at: DateTime<Utc>,
    pub processing_at: DateTime<Utc>,
    pub terminal_at: DateTime<Utc>,
    /// Stage forced by `/_sandbox/advance` (0 = none).
    pub forced_stage: u8,
    pub status: ExecStatus,
    pub gateway_message: Option<String>,
    pub wallet_message: Option<String>,
    pub client_secret: Option<String>,
    pub requires_action: Option<bool>,
    pub provider_transaction_id: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub source: Option<(SourceKind, i64)>,
    /// Wallet index and amount reserved at creation (payouts, transfers, refunds).
    pub debit: Option<(usize, Decimal)>,
    /// For refunds: the refunded collection's index.
    pub refund_of: Option<usize>,
    /// For collections: completed refunds, in the payer currency.
    pub refunded: Decimal,
    /// For collections: refunds in flight, in the payer currency.
    pub refund_pending: Decimal,
    /// Created by a hosted checkout payment rather than `POST /v1/executions/*`.
    pub via_hosted: bool,
}

impl Execution {
    /// `ExecutionResponse`.
    pub fn json(&self) -> Value {
        let q = &self.quote;
        json!({
            "reference_id": self.reference_id,
            "status": self.status.as_str(),
            "payer_amount": money(q.payer_amount, q.payer_currency),
            "payer_currency": q.payer_currency.code(),
            "payee_amount": money(q.payee_amount, q.base_currency),
            "payee_currency": q.base_currency.code(),
            "operation_type": self.op.as_str(),
            "provider_transaction_id": self.provider_transaction_id,
            "gateway_message": self.gateway_message,
            "wallet_message": self.wallet_message,
            "client_secret": self.client_secret,
            "requires_action": self.requires_action,
        })
    }

    /// The payment-intent view (`GET /_sandbox/payment-intents`).
    pub fn intent_json(&self) -> Value {
        let q = &self.quote;
        json!({
            "id": self.intent_id,
            "reference_id": self.reference_id,
            "operation_type": self.op.as_str(),
            "status": self.status.as_str(),
            "session_id": self.session_id,
            "payment_account_id": self.account_id,
            "payment_method": self.method.as_str(),
            "provider": self.provider,
            "payer_amount": money(q.payer_amount, q.payer_currency),
            "payer_currency": q.payer_currency.code(),
            "payee_amount": money(q.payee_amount, q.base_currency),
            "payee_currency": q.base_currency.code(),
            "refunded_amount": money(self.refunded, q.payer_currency),
            "source_type": self.source.map(|(k, _)| k.as_str()),
            "source_id": self.source.map(|(_, id)| id),
            "created_at": ts(self.created_at),
            "completed_at": ts_opt(self.completed_at),
            "via_hosted_checkout": self.via_hosted,
        })
    }
}

/// A hosted checkout page.
#[derive(Clone, Debug)]
pub struct Hosted {
    pub token: String,
    pub kind: SourceKind,
    pub source_id: i64,
    pub config_id: i64,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}
