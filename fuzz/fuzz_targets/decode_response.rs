//! Response decoding of every model the core reads, through the client's own entry
//! (`Client::send`, which every operation calls): input `<Model>\n<body>` (a first byte below
//! `0x20` before the model name makes the answer an error status instead of 200).
//!
//! Checks, besides "never panics":
//! * a body the core accepts re-encodes to JSON that it decodes to the same value (nothing is
//!   lost or changed by a round trip: decimals keep their digits, timestamps their instant);
//! * an answer the core refuses (undecodable, or an error status) never shows the bearer token,
//!   even when the body echoes it.
#![no_main]

use dollr_core::models::{
    AmountAndFeePrediction, CardProviderInfo, CheckoutLink, CheckoutSession, Counterparty,
    CounterpartyWithParty, Execution, FeeTier, GatewayFee, GatewayFees, Invoice, InvoiceDetail,
    InvoiceReceipt, Link, MerchantFeeTier, MerchantInfo, MmoProviderInfo, Order, OrderDetail,
    OrderReceipt, Party, PaymentAccount, PayoutSession, PlatformFee, RealtimeKey, RefundSession,
    SourceItem, SourceStatusInfo, TransferSession,
};
use dollr_core::{auth::ObtainTokenResponse, ApiRequest, Client};
use dollr_fuzz::{offline_client, paused_runtime, select, split_input, FixedTransport, FUZZ_TOKEN};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes `body` as `T` through the client, checks the round trip, and the error's redaction.
async fn check<T: DeserializeOwned + Serialize>(
    client: &Client,
    transport: &FixedTransport,
    status: u16,
    body: &[u8],
) {
    transport.answer(status, body.to_vec());
    match client.send::<T>(ApiRequest::get("/v1/fuzz")).await {
        Ok(value) => {
            let first = encode(&value);
            transport.answer(200, first.clone());
            match client.send::<T>(ApiRequest::get("/v1/fuzz")).await {
                Ok(again) => assert_eq!(
                    serde_json::from_slice::<Value>(&encode(&again)).ok(),
                    serde_json::from_slice::<Value>(&first).ok(),
                    "the re-encoded value decodes to another value"
                ),
                Err(error) => panic!(
                    "the core refuses its own encoding {}: {error}",
                    String::from_utf8_lossy(&first)
                ),
            }
        }
        Err(error) => {
            let shown = format!("{error} {error:?} {:?}", error.body());
            assert!(
                !shown.contains(FUZZ_TOKEN),
                "an error shows the bearer token: {shown}"
            );
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    match serde_json::to_vec(value) {
        Ok(bytes) => bytes,
        Err(error) => panic!("a decoded model does not encode: {error}"),
    }
}

macro_rules! models {
    ($($model:ty),* $(,)?) => {
        /// Every model name, in the order `run` dispatches on.
        const NAMES: &[&str] = &[$(stringify!($model)),*];

        async fn run(index: usize, client: &Client, transport: &FixedTransport, status: u16, body: &[u8]) {
            let mut at = 0;
            $(
                if index == at {
                    return check::<$model>(client, transport, status, body).await;
                }
                at += 1;
            )*
            let _ = at;
        }
    };
}

// Every type an operation of `core/src/api/` and the token request decode (`Result<T>` of the
// handles; the `()` operations decode nothing).
models!(
    AmountAndFeePrediction,
    CardProviderInfo,
    CheckoutLink,
    CheckoutSession,
    Counterparty,
    CounterpartyWithParty,
    Execution,
    FeeTier,
    GatewayFee,
    GatewayFees,
    Invoice,
    InvoiceDetail,
    InvoiceReceipt,
    Link,
    MerchantFeeTier,
    MerchantInfo,
    MmoProviderInfo,
    ObtainTokenResponse,
    Order,
    OrderDetail,
    OrderReceipt,
    Party,
    PaymentAccount,
    PayoutSession,
    PlatformFee,
    RealtimeKey,
    RefundSession,
    SourceItem,
    SourceStatusInfo,
    TransferSession,
    Vec<Counterparty>,
    Vec<FeeTier>,
    Vec<Invoice>,
    Vec<Order>,
    Vec<Party>,
);

/// The error statuses an answer can carry (a first byte below 0x20 picks one).
const ERROR_STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 422, 429, 500];

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_input(data);
    let (status, selector) = match selector.first() {
        Some(&first) if first < 0x20 => (
            ERROR_STATUSES[usize::from(first) % ERROR_STATUSES.len()],
            &selector[1..],
        ),
        _ => (200, selector),
    };
    let index = select(selector, NAMES);
    // One client and runtime for every input: decoding touches neither the journal nor any
    // state that one input could leave for the next.
    thread_local! {
        static SETUP: (Client, FixedTransport, tokio::runtime::Runtime) = {
            let (client, transport) = offline_client();
            (client, transport, paused_runtime())
        };
    }
    SETUP.with(|(client, transport, runtime)| {
        runtime.block_on(run(index, client, transport, status, body));
    });
});
