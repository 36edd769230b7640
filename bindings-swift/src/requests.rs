//! Free functions: the core's request constructors (with the core's defaults: a `"Payment"` line,
//! `CUSTOMER` / `BENEFICIARY` relationships, `PAYER` fees, fee prediction on), reference ids, the
//! sandbox test numbers, and the hooks the SDK's own tests use to prove panics never cross the FFI.

use std::collections::HashMap;

use dollr_core::{
    CollectRequest, Decimal, HostedCheckoutRequest, PayoutRequest, RefundRequest, SourceType,
    TransferRequest,
};

use crate::error::DollrError;
use crate::runtime::{guard, run};

/// Collect `amount` `currency` from the wallet `phone`, billed as one invoice line `"Payment"`.
/// Set `payer_name` (or a `party_id`) before running it.
#[uniffi::export]
pub fn collect_request(phone: String, amount: Decimal, currency: String) -> CollectRequest {
    CollectRequest::new(phone, amount, currency)
}

/// Pay the existing invoice or order `source_id` from the wallet `phone`.
#[uniffi::export]
pub fn collect_request_for_source(
    phone: String,
    source_type: SourceType,
    source_id: i64,
) -> CollectRequest {
    CollectRequest::for_source(phone, source_type, source_id)
}

/// Pay `amount` `currency` to the wallet `phone`, authorized by the merchant passcode tied to the
/// merchant phone `passcode_phone`. Set `recipient_name` (or a party/account id) before running it.
#[uniffi::export]
pub fn payout_request(
    phone: String,
    amount: Decimal,
    currency: String,
    passcode: String,
    passcode_phone: String,
) -> PayoutRequest {
    PayoutRequest::new(phone, amount, currency, passcode, passcode_phone)
}

/// Transfer `amount` `currency` from the merchant wallet `from_wallet_id` to a counterparty.
#[uniffi::export]
pub fn transfer_request(
    from_wallet_id: i64,
    to_counterparty_id: i64,
    amount: Decimal,
    currency: String,
) -> TransferRequest {
    TransferRequest::new(from_wallet_id, to_counterparty_id, amount, currency)
}

/// Refund `amount` of the payment intent `original_payment_intent_id`.
#[uniffi::export]
pub fn refund_request(original_payment_intent_id: i64, amount: Decimal) -> RefundRequest {
    RefundRequest::new(original_payment_intent_id, amount)
}

/// A hosted invoice of `amount` `currency` (one line, `"Payment"`) for the payer `phone`.
#[uniffi::export]
pub fn hosted_checkout_request(
    phone: String,
    amount: Decimal,
    currency: String,
) -> HostedCheckoutRequest {
    HostedCheckoutRequest::new(phone, amount, currency)
}

/// A fresh execution reference id (UUID v4). Store it with your order before executing.
#[uniffi::export]
pub fn new_reference_id() -> String {
    dollr_core::new_reference_id()
}

/// The SDK version (one number for every dollr package).
#[uniffi::export]
pub fn sdk_version() -> String {
    dollr_core::config::SDK_VERSION.to_string()
}

/// The sandbox's deterministic test numbers by name (`COMPLETES`, `DECLINES`, `SLOW`,
/// `SLOW_THEN_FAILS`, …, `CARD_REQUIRES_3DS`). They mean nothing to the production API.
#[uniffi::export]
pub fn test_numbers() -> HashMap<String, String> {
    dollr_core::test_numbers::NAMED
        .iter()
        .map(|(name, number)| (name.to_string(), number.to_string()))
        .collect()
}

/// Runs its closure when dropped.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(restore) = self.0.take() {
            restore();
        }
    }
}

/// Until the returned guard is dropped, a panic is not reported on stderr: the hooks below panic
/// on purpose, and a test log need not print what its tests expect. The hook is process-wide, so
/// this only ever wraps those hooks, for the moment they run. The guard must be dropped when no
/// thread is panicking (each hook catches its panic first): `set_hook` may not run in an unwind.
fn quiet_panics() -> OnDrop<impl FnOnce()> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    OnDrop(Some(move || std::panic::set_hook(previous)))
}

/// For the SDK's own tests: panics inside a synchronous export. The panic is caught and surfaces
/// as `DollrError.Internal`.
#[uniffi::export]
#[allow(clippy::panic)] // the point of this hook
pub fn debug_panic(message: String) -> Result<(), DollrError> {
    let _quiet = quiet_panics();
    guard(|| panic!("{message}"))
}

/// For the SDK's own tests: panics inside an async export, on the SDK's runtime. The panic is
/// caught and surfaces as `DollrError.Internal`.
#[uniffi::export(async_runtime = "tokio")]
#[allow(clippy::panic)] // the point of this hook
pub async fn debug_panic_async(message: String) -> Result<(), DollrError> {
    let _quiet = quiet_panics();
    run(async move { panic!("{message}") }).await
}

/// For the SDK's own tests: panics in an export without the SDK's guard, to prove uniffi itself
/// stops the unwind at the FFI (Kotlin `InternalException`, Swift a fatal error from the generated
/// code) rather than aborting the process.
#[uniffi::export]
#[allow(clippy::panic)] // the point of this hook
pub fn debug_panic_unguarded(message: String) {
    // Reported quietly, then resumed as it was: uniffi still sees an unguarded panic.
    let quiet = quiet_panics();
    let unwound = std::panic::catch_unwind(|| panic!("{message}"));
    drop(quiet);
    if let Err(payload) = unwound {
        std::panic::resume_unwind(payload);
    }
}
