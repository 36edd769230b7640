//! The wire shapes of the v1 API as the sandbox speaks them: request bodies, parameters and
//! responses, one struct per schema of the API reference (`tests/dollr-api/operations.json`),
//! declared for the document only (the handlers read and write `serde_json::Value` field by
//! field, for FastAPI-style errors and exact numbers); schemathesis checks in `make test` that what
//! the handlers send conforms to these (tests/contract).
#![allow(dead_code)] // never constructed: the types exist for their schemas

use schemars::JsonSchema;

use super::{Amount, DateTimeText, Nullable, Number, NumberOrString, StringOrInteger};

/// `ClientCredentialObtainTokenPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct ClientCredentialObtainTokenPayload {
    /// Client ID from merchant portal (Settings -> Developer -> API Keys).
    pub client_id: String,
    /// Shown once at creation.
    #[schemars(extend("format" = "password", "writeOnly" = true))]
    pub client_secret: String,
}

/// `ObtainTokenResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct ObtainTokenResponse {
    /// JWT; send as 'Authorization: Bearer <token>'.
    pub access_token: String,
    /// Expiry duration in MINUTES (e.g. 60).
    pub expires_in: i64,
}

/// `CreatePartyPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreatePartyPayload {
    pub fullname: String,
    /// E.164 digits only, without '+' (e.g. 231771234567).
    #[schemars(extend("minLength" = 8, "maxLength" = 15, "pattern" = "^[1-9]\\d{7,14}$"))]
    pub phone: String,
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2 (e.g. LR) per docs; no constraint visible in OpenAPI.
    pub country_code: Option<String>,
}

/// `PartyResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PartyResponse {
    pub id: i64,
    pub fullname: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    pub email: Option<String>,
    #[schemars(extend("minLength" = 8, "maxLength" = 15))]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 (e.g. LR) per docs.
    pub country_code: Option<String>,
}

/// `ListPartiesQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct ListPartiesQuery {
    /// Filter by full name (partial match).
    pub fullname: Option<String>,
}

/// `RetrievePartiesPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrievePartiesPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `CreateCounterPartyPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateCounterPartyPayload {
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: String,
    /// Optional in API; always pass it in document-first flows.
    pub party_id: Option<i64>,
}

/// `CounterPartyResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct CounterPartyResponse {
    pub id: i64,
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: String,
    /// Shown in old-docs example; NOT present in the OpenAPI embedded-counterparty object (which has owner_party_type/owner_party_id + party).
    pub party_id: Option<i64>,
    /// Seen on embedded counterparty in InvoiceDetailResponse; presence on this response unverified.
    #[serde(default)]
    pub owner_party_type: String,
    /// Same caveat as owner_party_type.
    #[serde(default)]
    pub owner_party_id: i64,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `ListCounterpartiesQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct ListCounterpartiesQuery {
    /// Filter by linked party's full name.
    pub fullname: Option<String>,
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: Option<String>,
}

/// `RetrieveCounterpartiesPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveCounterpartiesPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `CounterPartyWithPartyResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct CounterPartyWithPartyResponse {
    pub id: i64,
    /// Merchant owner type (likely USER/MICRO_ORGANIZATION/ORGANIZATION).
    pub owner_party_type: String,
    pub owner_party_id: i64,
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Embedded party; required flag not visible.
    #[serde(default)]
    pub party: PartyResponse,
}

/// `UpdateCounterpartyPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateCounterpartyPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `UpdateCounterPartyPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateCounterPartyPayload {
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: Option<String>,
    /// Re-link to a different existing party.
    pub party_id: Option<i64>,
}

/// `CreateInvoicePayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateInvoicePayload {
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub note: String,
    /// Plain string in OpenAPI; PAYER = customer pays fees on top, PAYEE = merchant absorbs.
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// Enable hosted payment link for this source.
    pub as_payment_link: bool,
    /// Your internal reference.
    pub reference_id: Option<String>,
    pub due_date: Option<DateTimeText>,
}

/// `InvoiceResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceResponse {
    pub id: i64,
    /// Auto-generated document number (e.g. INV-2025-0042 / ORD-2025-0099).
    pub invoice_number: String,
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Source total (OpenAPI anyOf number...).
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// Listed with required fields in the example; very likely nullable (optional on create).
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Your own reference (not the execution UUID).
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
}

/// `ListInvoiceQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct ListInvoiceQuery {
    /// ISO 4217 filter.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: Option<String>,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: Option<String>,
}

/// `RetrieveInvoiceByIdPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveInvoiceByIdPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `InvoiceDetailResponseInvoiceItemsItem`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceDetailResponseInvoiceItemsItem {
    pub id: i64,
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `InvoiceDetailResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceDetailResponse {
    pub id: i64,
    /// Auto-generated document number (e.g. INV-2025-0042 / ORD-2025-0099).
    pub invoice_number: String,
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Source total (OpenAPI anyOf number...).
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// Listed with required fields in the example; very likely nullable (optional on create).
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Your own reference (not the execution UUID).
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
    /// Line items.
    #[serde(default)]
    pub invoice_items: Vec<InvoiceDetailResponseInvoiceItemsItem>,
    /// Embedded counterparty with nested party.
    #[serde(default)]
    pub counterparty: CounterPartyWithPartyResponse,
}

/// `RetrieveInvoiceByNumberPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveInvoiceByNumberPath {
    /// Document number, e.g. INV-2025-0042. Path-param NAME taken from old docs; not verified against OpenAPI.
    pub invoice_number: String,
}

/// `UpdateInvoicePath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateInvoicePath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `UpdateInvoicePayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateInvoicePayload {
    pub reference_id: Option<String>,
    pub note: Option<String>,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: Option<String>,
    pub due_date: Option<DateTimeText>,
}

/// `AddInvoiceItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct AddInvoiceItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub invoice_id: String,
}

/// `AddInvoiceItemPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct AddInvoiceItemPayload {
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Quantity (old docs: minimum 1; bound not visible in OpenAPI excerpt).
    pub qty: i64,
    /// Unit price. A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
}

/// `InvoiceItemResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceItemResponse {
    pub id: i64,
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `UpdateInvoiceItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateInvoiceItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub invoice_id: String,
    /// Item id. Param name from old docs ('{id}'); unverified.
    pub id: String,
}

/// `UpdateInvoiceItemPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateInvoiceItemPayload {
    pub name: Option<String>,
    pub qty: Option<i64>,
    /// New unit price.
    pub amount: Option<Amount>,
}

/// `RemoveInvoiceItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RemoveInvoiceItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub invoice_id: String,
    /// Item id (name unverified).
    pub id: String,
}

/// `RemoveInvoiceItemResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct RemoveInvoiceItemResponse {}

/// `PublishInvoicePath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PublishInvoicePath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `CancelInvoicePath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct CancelInvoicePath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `RetrieveInvoiceReceiptByIdPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveInvoiceReceiptByIdPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `InvoiceReceiptResponseItemsItem`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceReceiptResponseItemsItem {
    pub id: i64,
    pub name: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub currency: String,
}

/// `InvoiceReceiptResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct InvoiceReceiptResponse {
    pub invoice_id: i64,
    pub invoice_number: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// anyOf number...
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub counterparty_id: i64,
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: String,
    pub counterparty_name: String,
    pub counterparty_phone: String,
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
    pub counterparty_email: Option<String>,
    /// What the payer paid (Amount).
    pub payer_amount: Option<Amount>,
    pub payer_currency: Option<String>,
    /// What the merchant received (Amount).
    pub payee_amount: Option<Amount>,
    pub payee_currency: Option<String>,
    pub platform_fee: Option<Number>,
    pub platform_currency: Option<String>,
    pub gateway_fee: Option<Number>,
    pub gateway_currency: Option<String>,
    pub fx_fee: Option<Number>,
    /// Decimal rendered as STRING.
    pub fx_rate: Option<String>,
    pub fx_currency_from: Option<String>,
    pub fx_currency_to: Option<String>,
    pub payment_provider: Option<String>,
    pub payment_method: Option<String>,
    pub account_name: Option<String>,
    pub gateway_confirmed_at: Option<DateTimeText>,
    pub provider_transaction_id: Option<String>,
    #[serde(default)]
    pub items: Vec<InvoiceReceiptResponseItemsItem>,
}

/// `RetrieveInvoiceReceiptByNumberPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveInvoiceReceiptByNumberPath {
    /// Document number; param name from old docs, unverified.
    pub invoice_number: String,
}

/// `CreateOrderPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateOrderPayload {
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub note: String,
    /// Plain string in OpenAPI; PAYER = customer pays fees on top, PAYEE = merchant absorbs.
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// Enable hosted payment link for this source.
    pub as_payment_link: bool,
    /// Your internal reference.
    pub reference_id: Option<String>,
}

/// `OrderResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderResponse {
    pub id: i64,
    /// Auto-generated document number (e.g. INV-2025-0042 / ORD-2025-0099).
    pub order_number: String,
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Source total (OpenAPI anyOf number...).
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// ASSUMED same as InvoiceResponse; orders may not carry a due date.
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Your own reference (not the execution UUID).
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
}

/// `ListOrderQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct ListOrderQuery {
    /// ISO 4217 filter.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: Option<String>,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: Option<String>,
}

/// `RetrieveOrderByIdPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveOrderByIdPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `OrderDetailResponseOrderItemsItem`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderDetailResponseOrderItemsItem {
    pub id: i64,
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `OrderDetailResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderDetailResponse {
    pub id: i64,
    /// Auto-generated document number (e.g. INV-2025-0042 / ORD-2025-0099).
    pub order_number: String,
    pub counterparty_id: i64,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Source total (OpenAPI anyOf number...).
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// ASSUMED same as InvoiceResponse; orders may not carry a due date.
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Your own reference (not the execution UUID).
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
    /// ASSUMED name by analogy with invoice_items; not seen.
    #[serde(default)]
    pub order_items: Vec<OrderDetailResponseOrderItemsItem>,
    /// Embedded counterparty with nested party.
    #[serde(default)]
    pub counterparty: CounterPartyWithPartyResponse,
}

/// `RetrieveOrderByNumberPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveOrderByNumberPath {
    /// Document number, e.g. ORD-2025-0099. Path-param NAME taken from old docs; not verified against OpenAPI.
    pub order_number: String,
}

/// `UpdateOrderPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateOrderPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `UpdateOrderPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateOrderPayload {
    pub reference_id: Option<String>,
    pub note: Option<String>,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: Option<String>,
    pub due_date: Option<DateTimeText>,
}

/// `AddOrderItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct AddOrderItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub order_id: String,
}

/// `AddOrderItemPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct AddOrderItemPayload {
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Quantity (old docs: minimum 1; bound not visible in OpenAPI excerpt).
    pub qty: i64,
    /// Unit price. A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
}

/// `OrderItemResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderItemResponse {
    pub id: i64,
    pub name: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `UpdateOrderItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateOrderItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub order_id: String,
    /// Item id. Param name from old docs ('{id}'); unverified.
    pub id: String,
}

/// `UpdateOrderItemPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct UpdateOrderItemPayload {
    pub name: Option<String>,
    pub qty: Option<i64>,
    /// New unit price.
    pub amount: Option<Amount>,
}

/// `RemoveOrderItemPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RemoveOrderItemPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub order_id: String,
    /// Item id (name unverified).
    pub id: String,
}

/// `RemoveOrderItemResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct RemoveOrderItemResponse {}

/// `PublishOrderPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PublishOrderPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `CancelOrderPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct CancelOrderPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `RetrieveOrderReceiptByIdPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveOrderReceiptByIdPath {
    /// OpenAPI types every path id as string (title 'Object ID'); values are the numeric ids returned elsewhere.
    pub id: String,
}

/// `OrderReceiptResponseItemsItem`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderReceiptResponseItemsItem {
    pub id: i64,
    pub name: String,
    pub qty: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub currency: String,
}

/// `OrderReceiptResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct OrderReceiptResponse {
    pub order_id: i64,
    pub order_number: String,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// anyOf number...
    pub total_amount: Amount,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub note: String,
    pub due_date: Nullable<DateTimeText>,
    pub as_payment_link: bool,
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    pub owner_id: i64,
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub created_at: DateTimeText,
    pub counterparty_id: i64,
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub relationship_type: String,
    pub counterparty_name: String,
    pub counterparty_phone: String,
    pub reference_id: Option<String>,
    pub paid_at: Option<DateTimeText>,
    pub counterparty_email: Option<String>,
    /// What the payer paid (Amount).
    pub payer_amount: Option<Amount>,
    pub payer_currency: Option<String>,
    /// What the merchant received (Amount).
    pub payee_amount: Option<Amount>,
    pub payee_currency: Option<String>,
    pub platform_fee: Option<Number>,
    pub platform_currency: Option<String>,
    pub gateway_fee: Option<Number>,
    pub gateway_currency: Option<String>,
    pub fx_fee: Option<Number>,
    /// Decimal rendered as STRING.
    pub fx_rate: Option<String>,
    pub fx_currency_from: Option<String>,
    pub fx_currency_to: Option<String>,
    pub payment_provider: Option<String>,
    pub payment_method: Option<String>,
    pub account_name: Option<String>,
    pub gateway_confirmed_at: Option<DateTimeText>,
    pub provider_transaction_id: Option<String>,
    #[serde(default)]
    pub items: Vec<OrderReceiptResponseItemsItem>,
}

/// `RetrieveOrderReceiptByNumberPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct RetrieveOrderReceiptByNumberPath {
    /// Document number; param name from old docs, unverified.
    pub order_number: String,
}

/// `PaymentSourceItemInput`.
#[derive(JsonSchema, Default)]
pub(crate) struct PaymentSourceItemInput {
    pub name: String,
    pub currency: String,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
}

/// `CreateCheckoutSourceRequestPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateCheckoutSourceRequestPayload {
    /// Plain string in schema. Docs: 'HOSTED' returns a hosted-page url; other values: contact Dollr (old docs also named DIRECT).
    #[schemars(extend("enum" = ["HOSTED"]))]
    pub mode: String,
    /// NOTE: 'source_kind' here, 'source_type' everywhere else.
    #[schemars(extend("enum" = ["INVOICE", "ORDER"]))]
    pub source_kind: String,
    /// E.164 digits only, without '+' (e.g. 231771234567). (schema title 'Phone number').
    #[schemars(extend("minLength" = 8, "maxLength" = 15, "pattern" = "^[1-9]\\d{7,14}$"))]
    pub party_phone: String,
    /// ISO 4217 (type string; length constraint not visible on this page).
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub items: Vec<PaymentSourceItemInput>,
    pub party_name: Option<String>,
    pub party_email: Option<String>,
    /// Plain string in schema.
    #[schemars(extend("enum" = ["CUSTOMER", "SUPPLIER", "EMPLOYEE", "BENEFICIARY", "FRIEND", "FAMILY", "DONOR", "DONEE", "CONTACT", "SERVICE_PROVIDER", "PARTNER", "SELF"]))]
    pub party_relationship: Option<String>,
    pub reference_id: Option<String>,
    pub note: Option<String>,
    pub due_date: Option<DateTimeText>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub expires_at: Option<DateTimeText>,
    /// Optional; use an existing counterparty instead of auto-matching.
    pub counterparty_id: Option<i64>,
}

/// `CreateCheckoutSourceLinkResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateCheckoutSourceLinkResponse {
    pub mode: String,
    #[schemars(extend("enum" = ["INVOICE", "ORDER"]))]
    pub source_type: String,
    pub source_id: i64,
    pub source_number: String,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub source_status: String,
    pub counterparty_id: i64,
    pub party_id: i64,
    pub currency: String,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub total_amount: Amount,
    pub source_checkout_config_id: i64,
    /// Hosted payment URL; redirect customer here.
    pub url: String,
    pub reference_id: Option<String>,
    pub due_date: Option<DateTimeText>,
    pub expires_at: Option<DateTimeText>,
    /// Internal routing token; prefer url.
    pub hosted_path_or_token: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
}

/// `CreateCheckoutSessionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateCheckoutSessionPayload {
    /// Invoice or order id (must be ACTIVE/published).
    pub source_id: i64,
    /// Plain string in schema (no enum).
    #[schemars(extend("enum" = ["INVOICE", "ORDER"]))]
    pub source_type: String,
}

/// `CheckoutSessionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct CheckoutSessionResponse {
    /// Session id. Send it as a STRING to executions, as an INTEGER to realtime-keys.
    pub id: i64,
    pub source_id: i64,
    pub source_type: String,
    /// Values not documented (error catalog implies ACTIVE).
    pub status: String,
    pub expires_at: DateTimeText,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// anyOf number|integer|... (cut)
    pub payment_account_id: Option<Amount>,
}

/// `CreatePayoutSessionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreatePayoutSessionPayload {
    /// Payment account created with operation_type=PAYOUT.
    pub payout_account_id: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
}

/// `PayoutSessionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PayoutSessionResponse {
    pub id: i64,
    /// Merchant wallet Dollr will debit (chosen by Dollr).
    pub wallet_id: i64,
    pub payout_account_id: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub status: String,
    pub expires_at: DateTimeText,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `CreateTransferSessionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateTransferSessionPayload {
    pub from_wallet_id: i64,
    pub to_counterparty_id: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// Caller supplies expiry (unlike payout).
    pub expires_at: DateTimeText,
}

/// `TransferSessionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct TransferSessionResponse {
    pub id: i64,
    pub from_wallet_id: i64,
    pub to_counterparty_id: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    /// Three-letter ISO-4217 currency code (e.g. USD, LRD, NGN). Docs say uppercase.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    pub status: String,
    pub expires_at: DateTimeText,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `CreateRefundSessionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreateRefundSessionPayload {
    /// Id of the original successful collection's payment intent (not exposed by ExecutionResponse; see notes).
    pub original_payment_intent_id: i64,
    /// Partial or full refund amount. A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    pub reason: Option<String>,
    pub expires_at: DateTimeText,
}

/// `RefundSessionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct RefundSessionResponse {
    /// INFERRED
    pub id: i64,
    /// INFERRED
    pub original_payment_intent_id: i64,
    /// A positive, non-zero amount (OpenAPI 'Amount': anyOf number>=0.01 | integer>=1).
    pub amount: Amount,
    /// INFERRED
    pub reason: Option<String>,
    /// INFERRED
    pub status: String,
    /// INFERRED
    pub expires_at: DateTimeText,
    /// INFERRED
    pub created_at: DateTimeText,
    /// INFERRED
    pub updated_at: DateTimeText,
}

/// `CheckoutExecutionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CheckoutExecutionPayload {
    /// Checkout session id AS A STRING (e.g. "55").
    pub session_id: String,
    /// Payment account id AS A STRING.
    pub payment_account_id: String,
    /// Currency the PAYER pays in (prediction target_currency), not necessarily the invoice currency.
    #[schemars(extend("minLength" = 3, "maxLength" = 3))]
    pub currency: String,
    /// A version-4 UUID (e.g. 550e8400-e29b-41d4-a716-446655440000). Idempotency key; generate and persist BEFORE the HTTP call.
    pub reference_id: String,
}

/// `ExecutionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct ExecutionResponse {
    /// Your idempotency key (UUID v4).
    pub reference_id: String,
    /// Plain string in schema; docs list PENDING -> PROCESSING -> COMPLETED | FAILED.
    #[schemars(extend("enum" = ["PENDING", "PROCESSING", "COMPLETED", "FAILED"]))]
    pub status: String,
    /// anyOf number|integer in OpenAPI.
    pub payer_amount: Amount,
    pub payer_currency: String,
    pub payee_currency: String,
    /// anyOf number|integer in OpenAPI.
    pub payee_amount: Amount,
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
    pub provider_transaction_id: Option<String>,
    pub gateway_message: Option<String>,
    pub wallet_message: Option<String>,
    /// Stripe PaymentIntent client secret for 3-D Secure (card collections only).
    pub client_secret: Option<String>,
    /// true when card 3DS must be completed with client_secret before polling.
    pub requires_action: Option<bool>,
}

/// `DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadToken`.
#[derive(JsonSchema, Default)]
pub(crate) struct DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadToken
{
    /// Merchant passcode (set in portal Settings -> Security).
    pub code: String,
    /// Alternative to phone.
    #[serde(default)]
    pub user_id: String,
    /// Phone tied to passcode in portal. Provide phone or user_id.
    #[serde(default)]
    pub phone: String,
}

/// `DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadDevice`.
#[derive(JsonSchema, Default)]
pub(crate) struct DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadDevice
{
    pub name: String,
    /// e.g. SERVER, MOBILE (examples, not a documented enum).
    #[serde(rename = "type")]
    pub kind: String,
    /// e.g. NODE, IOS.
    pub platform: String,
    pub user_agent: String,
    pub client_ip: String,
}

/// `DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayload {
    pub token:
        DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadToken,
    /// All device fields required (audit).
    pub device:
        DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayloadDevice,
}

/// `PayoutExecutionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct PayoutExecutionPayload {
    pub session_id: String,
    /// STRING here although it is an integer on the payout-session payload.
    pub payout_account_id: String,
    /// A version-4 UUID (e.g. 550e8400-e29b-41d4-a716-446655440000). Idempotency key; generate and persist BEFORE the HTTP call.
    pub reference_id: String,
    /// Merchant passcode verification + device metadata (schema title WithDeviceVerifyPasscodePayload).
    pub passcode: DollrPaymentModelsWithDeviceVerifyPasscodePayloadWithDeviceVerifyPasscodePayload,
}

/// `TransferExecutionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct TransferExecutionPayload {
    pub session_id: String,
    /// A version-4 UUID (e.g. 550e8400-e29b-41d4-a716-446655440000). Idempotency key; generate and persist BEFORE the HTTP call.
    pub reference_id: String,
}

/// `RefundExecutionPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct RefundExecutionPayload {
    pub session_id: String,
    /// A version-4 UUID (e.g. 550e8400-e29b-41d4-a716-446655440000). Idempotency key; generate and persist BEFORE the HTTP call.
    pub reference_id: String,
}

/// `GetCollectionStatusPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetCollectionStatusPath {
    /// Transaction reference ID (the UUID you sent on execute).
    pub reference_id: String,
}

/// `GetPayoutStatusPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetPayoutStatusPath {
    /// Transaction reference ID (the UUID you sent on execute).
    pub reference_id: String,
}

/// `GetTransferStatusPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetTransferStatusPath {
    /// Transaction reference ID (the UUID you sent on execute).
    pub reference_id: String,
}

/// `GetRefundStatusPath`. The path parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetRefundStatusPath {
    /// Transaction reference ID (the UUID you sent on execute).
    pub reference_id: String,
}

/// `GetPaymentSourceStatusQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetPaymentSourceStatusQuery {
    /// SUBSCRIPTION present in OpenAPI enum but not publicly supported.
    #[schemars(extend("enum" = ["INVOICE", "ORDER", "SUBSCRIPTION"]))]
    pub source_type: String,
    pub source_id: i64,
}

/// `PaymentSourceStatusResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PaymentSourceStatusResponse {
    pub source_id: i64,
    pub source_type: String,
    pub source_number: String,
    #[schemars(extend("enum" = ["IDLE", "ACTIVE", "PROCESSING", "PAID", "CANCELED"]))]
    pub status: String,
    pub currency: String,
    pub total_amount: Amount,
    pub paid_at: Option<DateTimeText>,
}

/// `CreatePaymentAccountQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct CreatePaymentAccountQuery {
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
}

/// `CreatePaymentAccountPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct CreatePaymentAccountPayload {
    pub account_name: String,
    /// Plain string in this schema; Provider enum elsewhere in OpenAPI = MTN_MOMO_LBR, ORANGE_MONEY_LBR, PAWAPAY, STRIPE, PLATFORM. Recommended: gateway_provider from MMO prediction (PAWAPAY for MoMo), STRIPE for cards.
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "PAWAPAY", "STRIPE", "PLATFORM"]))]
    pub provider: String,
    /// Plain string in schema.
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "AIRTEL_RWA", "MTN_MOMO_RWA", "ORANGE_MONEY_RWA", "CREDIT_CARD", "WALLET"]))]
    pub method: String,
    pub party_id: i64,
    pub country_code: Option<String>,
    /// MoMo wallet number (E.164 without +). Omit for cards.
    pub insensitive_account_number: Option<String>,
}

/// `PaymentAccountResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PaymentAccountResponse {
    pub id: i64,
    pub account_name: String,
    pub provider: String,
    pub method: String,
    pub party_id: i64,
    /// Inactive accounts cannot be used in executions.
    pub is_active: bool,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    pub country_code: Option<String>,
}

/// `GetPaymentLinkQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetPaymentLinkQuery {
    /// Use INVOICE or ORDER; SUBSCRIPTION reserved.
    #[schemars(extend("enum" = ["INVOICE", "ORDER", "SUBSCRIPTION"]))]
    pub source_type: String,
    /// Document number (e.g. INV-2025-0042), NOT the numeric id.
    pub source_number: String,
}

/// `LinkResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct LinkResponse {
    pub url: String,
}

/// `GetReceiptLinkQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetReceiptLinkQuery {
    /// Use INVOICE or ORDER; SUBSCRIPTION reserved.
    #[schemars(extend("enum" = ["INVOICE", "ORDER", "SUBSCRIPTION"]))]
    pub source_type: String,
    /// Document number (e.g. INV-2025-0042), NOT the numeric id.
    pub source_number: String,
}

/// `PredictAmountAndFeeQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictAmountAndFeeQuery {
    pub base_amount: Number,
    #[schemars(extend("minLength" = 3, "maxLength" = 3, "pattern" = "^[A-Z]{3}$"))]
    pub base_currency: String,
    /// Currency the payer will pay in (per currency-and-fx guide).
    #[schemars(extend("minLength" = 3, "maxLength" = 3, "pattern" = "^[A-Z]{3}$"))]
    pub target_currency: String,
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "AIRTEL_RWA", "MTN_MOMO_RWA", "ORANGE_MONEY_RWA", "CREDIT_CARD", "WALLET"]))]
    pub payment_method: String,
    /// seen in docs, not in excerpt
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
    /// seen in docs, not in excerpt
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "PAWAPAY", "STRIPE", "PLATFORM"]))]
    pub provider: String,
    /// seen in docs, not in excerpt
    #[schemars(extend("enum" = ["PAYER", "PAYEE"]))]
    pub fee_bearer: String,
    /// Merchant-specific tier pricing.
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: Option<String>,
    pub owner_id: Option<i64>,
}

/// `AmountAndFeePredictionResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct AmountAndFeePredictionResponse {
    /// Decimal as STRING.
    pub payer_amount: String,
    pub payer_currency: String,
    /// Decimal as STRING.
    pub payee_amount: String,
    pub payee_currency: String,
    pub platform_fee: String,
    pub platform_currency: String,
    pub fx_fee: Option<String>,
    pub gateway_fee: Option<String>,
    pub gateway_currency: Option<String>,
}

/// `PredictMmoProviderInfoQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictMmoProviderInfoQuery {
    /// E.164 digits only, without '+' (e.g. 231771234567).
    pub phone: String,
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
}

/// `PredictPhonePaymentInfoResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictPhonePaymentInfoResponse {
    pub carrier: String,
    pub country: String,
    pub currencies: Vec<String>,
    pub phone: String,
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "AIRTEL_RWA", "MTN_MOMO_RWA", "ORANGE_MONEY_RWA", "CREDIT_CARD", "WALLET"]))]
    pub payment_method: String,
    /// e.g. PAWAPAY.
    pub gateway_provider: String,
    pub operation_type: String,
}

/// `PredictCardProviderInfoQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictCardProviderInfoQuery {
    /// Stripe PaymentMethod id (pm_...) from Stripe Elements.
    pub payment_method_id: String,
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
    /// Docs examples pass provider=STRIPE; required flag unknown.
    #[serde(default)]
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "PAWAPAY", "STRIPE", "PLATFORM"]))]
    pub provider: String,
}

/// `PredictCardProviderInfoResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictCardProviderInfoResponse {
    #[serde(default)]
    pub brand: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub currencies: Vec<String>,
    #[serde(default)]
    pub payment_method: String,
    #[serde(default)]
    pub gateway_provider: String,
}

/// `PredictPaymentSourceAmountAndFeeQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct PredictPaymentSourceAmountAndFeeQuery {
    #[schemars(extend("minLength" = 3, "maxLength" = 3, "pattern" = "^[A-Z]{3}$"))]
    pub target_currency: String,
    /// Rendered options show only the 5 MoMo values (first anyOf branch); docs use CREDIT_CARD too.
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "AIRTEL_RWA", "MTN_MOMO_RWA", "ORANGE_MONEY_RWA", "CREDIT_CARD", "WALLET"]))]
    pub payment_method: String,
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "PAWAPAY", "STRIPE", "PLATFORM"]))]
    pub provider: String,
    #[schemars(extend("enum" = ["INVOICE", "ORDER", "SUBSCRIPTION"]))]
    pub source_type: String,
    pub source_id: i64,
}

/// `GetGatewayFeesQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetGatewayFeesQuery {
    /// Rendered options show the 5 MoMo values; docs add CREDIT_CARD, WALLET.
    #[schemars(extend("enum" = ["MTN_MOMO_LBR", "ORANGE_MONEY_LBR", "AIRTEL_RWA", "MTN_MOMO_RWA", "ORANGE_MONEY_RWA", "CREDIT_CARD", "WALLET"]))]
    pub payment_method: String,
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
}

/// `FeeWithProviderResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct FeeWithProviderResponse {
    pub id: i64,
    pub provider_id: i64,
    pub operation_type: String,
    pub payment_method: String,
    /// Type not shown (anyOf).
    pub percentage: NumberOrString,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
    /// Fixed fee (Amount).
    pub fixed_fee: Option<Amount>,
    pub fixed_fee_currency: Option<String>,
    pub effective_from: Option<DateTimeText>,
    pub effective_to: Option<DateTimeText>,
}

/// `GetPlatformFeesQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetPlatformFeesQuery {
    #[schemars(extend("enum" = ["COLLECTION", "PAYOUT", "TRANSFER", "REFUND"]))]
    pub operation_type: String,
    /// Tier name from merchant-tier or tiers list (often 'default').
    pub fee_tier_name: String,
}

/// `FeeTier`.
#[derive(JsonSchema, Default)]
pub(crate) struct FeeTier {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    pub created_at: DateTimeText,
    pub updated_at: DateTimeText,
}

/// `FeeTierRateResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct FeeTierRateResponse {
    pub id: i64,
    pub operation_type: String,
    /// Decimal as STRING.
    pub percentage: String,
    pub fx_percentage: String,
    pub effective_from: DateTimeText,
    pub created_at: DateTimeText,
    pub payment_method: Option<String>,
    /// Fixed fee (Amount).
    pub fixed_fee: Option<Amount>,
    pub fixed_fee_currency: Option<String>,
    pub effective_to: Option<DateTimeText>,
    /// Named platform fee plan; only one tier may be default; falls back to default tier.
    #[serde(default)]
    pub tier: FeeTier,
}

/// `GetMerchantFeeTierQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetMerchantFeeTierQuery {
    #[schemars(extend("enum" = ["USER", "MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub owner_type: String,
    pub owner_id: i64,
}

/// `MerchantFeeResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct MerchantFeeResponse {
    pub id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub assigned_at: DateTimeText,
    /// anyOf string|null.
    pub assigned_by: Nullable<String>,
    /// Required flag inferred from example ordering.
    pub tier: FeeTier,
}

/// `GetMerchantInfoQuery`. The query parameters.
#[derive(JsonSchema, Default)]
pub(crate) struct GetMerchantInfoQuery {
    pub merchant_id: i64,
    #[schemars(extend("enum" = ["MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub merchant_type: String,
}

/// `MerchantInfoResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct MerchantInfoResponse {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["MICRO_ORGANIZATION", "ORGANIZATION"]))]
    pub kind: String,
    pub email: Option<String>,
    /// E.164 digits only, without '+' (e.g. 231771234567).
    #[schemars(extend("minLength" = 8, "maxLength" = 15))]
    pub phone: Option<String>,
}

/// `GetCollectionRealtimeKeyPayload`.
#[derive(JsonSchema, Default)]
pub(crate) struct GetCollectionRealtimeKeyPayload {
    /// Checkout session id as an INTEGER (executions take it as a string).
    pub session_id: i64,
    #[schemars(extend("enum" = ["INVOICE", "ORDER"]))]
    pub source_type: String,
    /// Same UUID v4 used for the collection execution.
    pub reference_id: String,
}

/// `RealtimeTokenResponse`.
#[derive(JsonSchema, Default)]
pub(crate) struct RealtimeTokenResponse {
    /// Short-lived JWT for Supabase Realtime.
    pub access_token: String,
    /// Lifetime in SECONDS (token endpoint uses minutes).
    pub expires_in: i64,
}

/// `ValidationError`.
#[derive(JsonSchema, Default)]
pub(crate) struct ValidationError {
    /// Path to the failing field, e.g. ["body","currency"] or ["query","phone"]. loc[0] is body/query/path.
    pub loc: Vec<StringOrInteger>,
    /// Human-readable message, e.g. 'field required'.
    pub msg: String,
    /// Machine-readable error type, e.g. 'value_error.missing'.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `HTTPValidationError`.
#[derive(JsonSchema, Default)]
pub(crate) struct HTTPValidationError {
    /// List of field-level validation errors.
    #[serde(default)]
    pub detail: Vec<ValidationError>,
}
