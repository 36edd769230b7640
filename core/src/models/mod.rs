//! Wire models, one file per REST resource. Response models ignore unknown fields and keep
//! unknown enum values (forward compatibility); request models validate themselves.

pub mod execution;
pub use execution::{
    CollectionExecutionRequest, Execution, Passcode, PasscodeDevice, PasscodeToken,
    PayoutExecutionRequest, RefundExecutionRequest, TransferExecutionRequest,
};
pub mod fee;
pub use fee::{
    FeeTier, GatewayFee, GatewayFeeQuery, GatewayFees, MerchantFeeTier, MerchantTierQuery,
    PlatformFee, PlatformFeeQuery,
};
pub mod merchant;
pub use merchant::{MerchantInfo, MerchantInfoQuery};
pub mod payment_account;
pub use payment_account::{CreatePaymentAccountRequest, PaymentAccount};
pub mod prediction;
pub use prediction::{
    AmountAndFeePrediction, AmountAndFeesQuery, CardProviderInfo, CardProviderQuery,
    MmoProviderInfo, MmoProviderQuery, PaymentSourceAmountAndFeesQuery,
};
pub mod realtime;
pub use realtime::{RealtimeKey, RealtimeKeyRequest};
pub mod session;
pub use session::{
    CheckoutSession, CreateCheckoutSessionRequest, CreatePayoutSessionRequest,
    CreateRefundSessionRequest, CreateTransferSessionRequest, PayoutSession, RefundSession,
    TransferSession,
};
pub mod status;
pub use status::{SourceStatusInfo, SourceStatusQuery};
pub mod party;
pub use party::{CreatePartyRequest, ListPartiesQuery, Party};
pub mod counterparty;
pub use counterparty::{
    Counterparty, CounterpartyWithParty, CreateCounterpartyRequest, ListCounterpartiesQuery,
    UpdateCounterpartyRequest,
};
pub mod source;
pub use source::{
    AddItemRequest, CreateInvoiceRequest, CreateOrderRequest, CreateSourceRequest, Invoice,
    InvoiceDetail, InvoiceKind, InvoiceReceipt, ListSourcesQuery, Order, OrderDetail, OrderKind,
    OrderReceipt, ReceiptItem, SourceDocument, SourceItem, SourceKind, UpdateItemRequest,
    UpdateSourceRequest,
};
pub mod checkout;
pub use checkout::{CheckoutItem, CheckoutLink, CreateCheckoutRequest};
pub mod link;
pub use link::Link;
