//! The table of every operation the bridge can call: one entry per public async method of every
//! resource handle (`parties.create` is `client.parties().create(..)`) and per flow (`collect` is
//! `client.collect(..)`).
//!
//! Each entry is written once, by the [`op!`] macro, and yields both the handler (arguments →
//! core call → JSON) and the schema entry (from the same positional types, request type and
//! result type), so the two cannot disagree.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::bridge::args::{Args, Locations, RequestShape};
use crate::bridge::flows::{self, transitions};
use crate::bridge::schema::SchemaContext;
use crate::bridge::{output, EventSink};
use crate::client::Client;
use crate::enums::{OperationType, SourceType};
use crate::error::Result;
use crate::ids::Id;
use crate::models::*;
use crate::wait::{WaitOptions, WaitOutcome};

/// The future of one bridge call.
pub(crate) type OperationFuture<'a> = Pin<Box<dyn Future<Output = Result<Value>> + Send + 'a>>;

/// One callable operation.
pub(crate) struct Operation {
    /// `resource.method`, or the flow's name.
    pub(crate) name: &'static str,
    /// Runs it.
    pub(crate) run: for<'a> fn(&'a Client, Value, Option<EventSink>) -> OperationFuture<'a>,
    /// Describes it for the schema.
    pub(crate) describe: fn(&mut SchemaContext) -> Value,
}

/// The request type of operations that take positional arguments only.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct NoArgs {}

/// Defines one operation: its name and doc, its positional parameters (name, type, kind, doc),
/// its request type (whose fields are the other parameters; `NoArgs` for none), its result
/// type, whether it reports events, and the core call.
macro_rules! op {
    (
        $name:expr, $doc:expr;
        params { $($p:ident : $pt:ty [$pkind:literal] $pdoc:literal),* $(,)? }
        request $req:ident : $rt:ty [$rkind:literal];
        returns $ret:ty;
        events $events:literal;
        |$client:ident, $sink:ident| $body:block
    ) => {{
        #[allow(unused_variables, unused_mut, clippy::let_unit_value)]
        fn run<'a>(client: &'a Client, args: Value, sink: Option<EventSink>) -> OperationFuture<'a> {
            // One per operation (each expansion of `op!` has its own `run`), derived on first use.
            static SHAPE: OnceLock<RequestShape> = OnceLock::new();
            const LOCATIONS: Locations = Locations {
                request: $rkind,
                positional: &[$((stringify!($p), $pkind)),*],
            };
            Box::pin(async move {
                let result: Result<Value> = async {
                    let mut args = Args::new($name, args)?;
                    args.check(SHAPE.get_or_init(|| RequestShape::of::<$rt>(&[$(stringify!($p)),*])))?;
                    $( let $p: $pt = args.positional(stringify!($p))?; )*
                    let $req: $rt = args.request()?;
                    let $client = client;
                    let $sink = sink;
                    let value: $ret = $body;
                    output(&value)
                }
                .await;
                result.map_err(|error| LOCATIONS.relocate(error))
            })
        }
        fn describe(ctx: &mut SchemaContext) -> Value {
            #[allow(unused_mut)]
            let mut params: Vec<Value> = Vec::new();
            $( params.push(ctx.positional::<$pt>(stringify!($p), $pkind, $pdoc)); )*
            if $rkind != "none" {
                params.extend(ctx.request_params::<$rt>($rkind));
            }
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, $events)
        }
        Operation { name: $name, run, describe }
    }};
}

/// The twelve operations of invoices or orders (one generic handle in the core).
macro_rules! source_ops {
    ($ops:ident, $resource:literal, $handle:ident, $label:literal, $source:ty, $detail:ty, $receipt:ty) => {
        $ops.push(op! {
            concat!($resource, ".create"), concat!("`POST /v1/", $resource, "/create`: a new ", $label, " in `IDLE`; add items, then publish.");
            params {}
            request req: CreateSourceRequest ["body"];
            returns $source;
            events false;
            |c, ev| { c.$handle().create(&req).await? }
        });
        $ops.push(op! {
            concat!($resource, ".list"), concat!("`GET /v1/", $resource, "/list`, optionally filtered by currency and status.");
            params {}
            request req: ListSourcesQuery ["query"];
            returns Vec<$source>;
            events false;
            |c, ev| { c.$handle().list(&req).await? }
        });
        $ops.push(op! {
            concat!($resource, ".retrieve"), concat!("`GET /v1/", $resource, "/retrieve/{id}`: the ", $label, " with its items and counterparty.");
            params { id: Id ["path"] "The document's id." }
            request _r: NoArgs ["none"];
            returns $detail;
            events false;
            |c, ev| { c.$handle().retrieve(id).await? }
        });
        $ops.push(op! {
            concat!($resource, ".retrieve_by_number"), concat!("`GET /v1/", $resource, "/retrieve/number/{number}`: the same, by document number.");
            params { number: String ["path"] "The document number (`INV-…` / `ORD-…`)." }
            request _r: NoArgs ["none"];
            returns $detail;
            events false;
            |c, ev| { c.$handle().retrieve_by_number(&number).await? }
        });
        $ops.push(op! {
            concat!($resource, ".update"), concat!("`PUT /v1/", $resource, "/update/{id}` (only while `IDLE`): sends only the fields given.");
            params { id: Id ["path"] "The document's id." }
            request req: UpdateSourceRequest ["body"];
            returns $source;
            events false;
            |c, ev| { c.$handle().update(id, &req).await? }
        });
        $ops.push(op! {
            concat!($resource, ".add_item"), concat!("`POST /v1/", $resource, "/{id}/items/add` (only while `IDLE`)." );
            params { id: Id ["path"] "The document's id." }
            request req: AddItemRequest ["body"];
            returns SourceItem;
            events false;
            |c, ev| { c.$handle().add_item(id, &req).await? }
        });
        $ops.push(op! {
            concat!($resource, ".update_item"), concat!("`PUT /v1/", $resource, "/{id}/items/{item_id}/update` (only while `IDLE`): sends only the fields given.");
            params { id: Id ["path"] "The document's id.", item_id: Id ["path"] "The item's id." }
            request req: UpdateItemRequest ["body"];
            returns SourceItem;
            events false;
            |c, ev| { c.$handle().update_item(id, item_id, &req).await? }
        });
        $ops.push(op! {
            concat!($resource, ".remove_item"), concat!("`DELETE /v1/", $resource, "/{id}/items/{item_id}/remove` (only while `IDLE`).");
            params { id: Id ["path"] "The document's id.", item_id: Id ["path"] "The item's id." }
            request _r: NoArgs ["none"];
            returns ();
            events false;
            |c, ev| { c.$handle().remove_item(id, item_id).await? }
        });
        $ops.push(op! {
            concat!($resource, ".publish"), concat!("`PUT /v1/", $resource, "/publish/{id}`: `IDLE → ACTIVE`; the ", $label, " is locked and payable.");
            params { id: Id ["path"] "The document's id." }
            request _r: NoArgs ["none"];
            returns $source;
            events false;
            |c, ev| { c.$handle().publish(id).await? }
        });
        $ops.push(op! {
            concat!($resource, ".cancel"), concat!("`DELETE /v1/", $resource, "/cancel/{id}`: `IDLE | ACTIVE → CANCELED` (never while `PROCESSING`).");
            params { id: Id ["path"] "The document's id." }
            request _r: NoArgs ["none"];
            returns $source;
            events false;
            |c, ev| { c.$handle().cancel(id).await? }
        });
        $ops.push(op! {
            concat!($resource, ".receipt"), concat!("`GET /v1/", $resource, "/receipt/{id}`: the receipt, once the ", $label, " is `PAID`.");
            params { id: Id ["path"] "The document's id." }
            request _r: NoArgs ["none"];
            returns $receipt;
            events false;
            |c, ev| { c.$handle().receipt(id).await? }
        });
        $ops.push(op! {
            concat!($resource, ".receipt_by_number"), concat!("`GET /v1/", $resource, "/receipt/number/{number}`: the same, by document number.");
            params { number: String ["path"] "The document number (`INV-…` / `ORD-…`)." }
            request _r: NoArgs ["none"];
            returns $receipt;
            events false;
            |c, ev| { c.$handle().receipt_by_number(&number).await? }
        });
    };
}

/// Every operation, in a stable order.
pub(crate) fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(build)
}

/// The operation called `name`.
pub(crate) fn find(name: &str) -> Option<&'static Operation> {
    operations().iter().find(|op| op.name == name)
}

fn build() -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();

    // auth
    ops.push(op! {
        "auth.obtain_token", "`POST /v1/jwt/client/obtain/token`: exchanges the client credentials for a token (`expires_in` in minutes). Rarely needed: every call obtains and refreshes tokens by itself.";
        params {}
        request _r: NoArgs ["none"];
        returns crate::auth::ObtainTokenResponse;
        events false;
        |c, ev| { c.obtain_token().await? }
    });

    // parties
    ops.push(op! {
        "parties.create", "`POST /v1/parties/create`: a contact record for anyone you collect from or pay out to.";
        params {}
        request req: CreatePartyRequest ["body"];
        returns Party;
        events false;
        |c, ev| { c.parties().create(&req).await? }
    });
    ops.push(op! {
        "parties.list", "`GET /v1/parties/list`, optionally filtered by full name.";
        params {}
        request req: ListPartiesQuery ["query"];
        returns Vec<Party>;
        events false;
        |c, ev| { c.parties().list(&req).await? }
    });
    ops.push(op! {
        "parties.retrieve", "`GET /v1/parties/retrieve/{id}`.";
        params { id: Id ["path"] "The party's id." }
        request _r: NoArgs ["none"];
        returns Party;
        events false;
        |c, ev| { c.parties().retrieve(id).await? }
    });

    // counterparties
    ops.push(op! {
        "counterparties.create", "`POST /v1/counterparties/create`: links a party to the merchant with a relationship type.";
        params {}
        request req: CreateCounterpartyRequest ["body"];
        returns Counterparty;
        events false;
        |c, ev| { c.counterparties().create(&req).await? }
    });
    ops.push(op! {
        "counterparties.list", "`GET /v1/counterparties/list`, optionally filtered by the party's full name and the relationship type.";
        params {}
        request req: ListCounterpartiesQuery ["query"];
        returns Vec<Counterparty>;
        events false;
        |c, ev| { c.counterparties().list(&req).await? }
    });
    ops.push(op! {
        "counterparties.retrieve", "`GET /v1/counterparties/retrieve/{id}`: the counterparty with its embedded party.";
        params { id: Id ["path"] "The counterparty's id." }
        request _r: NoArgs ["none"];
        returns CounterpartyWithParty;
        events false;
        |c, ev| { c.counterparties().retrieve(id).await? }
    });
    ops.push(op! {
        "counterparties.update", "`PUT /v1/counterparties/update/{id}`: sends only the fields given.";
        params { id: Id ["path"] "The counterparty's id." }
        request req: UpdateCounterpartyRequest ["body"];
        returns Counterparty;
        events false;
        |c, ev| { c.counterparties().update(id, &req).await? }
    });

    // invoices and orders
    source_ops!(
        ops,
        "invoices",
        invoices,
        "invoice",
        Invoice,
        InvoiceDetail,
        InvoiceReceipt
    );
    source_ops!(
        ops,
        "orders",
        orders,
        "order",
        Order,
        OrderDetail,
        OrderReceipt
    );

    // checkouts and links
    ops.push(op! {
        "checkouts.create", "`POST /v1/checkouts/create`: party, counterparty and invoice/order from payer details in one call; with `mode = HOSTED` redirect the payer to the returned `url`, and fulfil only once the source is `PAID`.";
        params {}
        request req: CreateCheckoutRequest ["body"];
        returns CheckoutLink;
        events false;
        |c, ev| { c.checkouts().create(&req).await? }
    });
    ops.push(op! {
        "links.pay", "`GET /v1/links/pay`: the hosted payment page of a published source created with `as_payment_link = true`.";
        params {
            source_type: SourceType ["query"] "`INVOICE` or `ORDER`.",
            source_number: String ["query"] "The document number (`INV-…`), not the id."
        }
        request _r: NoArgs ["none"];
        returns Link;
        events false;
        |c, ev| { c.links().pay(source_type, &source_number).await? }
    });
    ops.push(op! {
        "links.receipt", "`GET /v1/links/receipt`: the hosted receipt page of a `PAID` source.";
        params {
            source_type: SourceType ["query"] "`INVOICE` or `ORDER`.",
            source_number: String ["query"] "The document number (`INV-…`), not the id."
        }
        request _r: NoArgs ["none"];
        returns Link;
        events false;
        |c, ev| { c.links().receipt(source_type, &source_number).await? }
    });

    // sessions
    ops.push(op! {
        "sessions.checkout", "`POST /v1/sessions/checkout`: a session for collecting a published invoice or order.";
        params {}
        request req: CreateCheckoutSessionRequest ["body"];
        returns CheckoutSession;
        events false;
        |c, ev| { c.sessions().checkout(&req).await? }
    });
    ops.push(op! {
        "sessions.payout", "`POST /v1/sessions/payout`: Dollr picks the wallet to debit and the expiry.";
        params {}
        request req: CreatePayoutSessionRequest ["body"];
        returns PayoutSession;
        events false;
        |c, ev| { c.sessions().payout(&req).await? }
    });
    ops.push(op! {
        "sessions.transfer", "`POST /v1/sessions/transfer`: wallet to counterparty, expiring when you say.";
        params {}
        request req: CreateTransferSessionRequest ["body"];
        returns TransferSession;
        events false;
        |c, ev| { c.sessions().transfer(&req).await? }
    });
    ops.push(op! {
        "sessions.refund", "`POST /v1/sessions/refund`: money back on an earlier collection.";
        params {}
        request req: CreateRefundSessionRequest ["body"];
        returns RefundSession;
        events false;
        |c, ev| { c.sessions().refund(&req).await? }
    });

    // payment accounts
    ops.push(op! {
        "payment_accounts.create", "`POST /v1/payment-accounts/create?operation_type=...`: a party's wallet or card for executions. Reuse mobile-money and payout accounts.";
        params { operation_type: OperationType ["query"] "`COLLECTION` or `PAYOUT` (a query parameter)." }
        request req: CreatePaymentAccountRequest ["body"];
        returns PaymentAccount;
        events false;
        |c, ev| { c.payment_accounts().create(operation_type, &req).await? }
    });

    // executions
    ops.push(op! {
        "executions.collection", "`POST /v1/executions/collection`: collect from the payer, exactly once per `reference_id` (journaled first; ambiguous outcomes resolved by status). Often answers `PENDING`/`PROCESSING`: follow with `status.wait`.";
        params {}
        request req: CollectionExecutionRequest ["body"];
        returns Execution;
        events false;
        |c, ev| { c.executions().collection(&req).await? }
    });
    ops.push(op! {
        "executions.payout", "`POST /v1/executions/payout`: pay out from the merchant wallet, exactly once per `reference_id`. The passcode is sent but never journaled.";
        params {}
        request req: PayoutExecutionRequest ["body"];
        returns Execution;
        events false;
        |c, ev| { c.executions().payout(&req).await? }
    });
    ops.push(op! {
        "executions.transfer", "`POST /v1/executions/transfer`: wallet to counterparty, exactly once per `reference_id`.";
        params {}
        request req: TransferExecutionRequest ["body"];
        returns Execution;
        events false;
        |c, ev| { c.executions().transfer(&req).await? }
    });
    ops.push(op! {
        "executions.refund", "`POST /v1/executions/refund`: money back on an earlier collection, exactly once per `reference_id`.";
        params {}
        request req: RefundExecutionRequest ["body"];
        returns Execution;
        events false;
        |c, ev| { c.executions().refund(&req).await? }
    });

    // status
    ops.push(op! {
        "status.collection", "`GET /v1/status/collection/{reference_id}`.";
        params { reference_id: String ["path"] "The execution's idempotency key (UUID v4)." }
        request _r: NoArgs ["none"];
        returns Execution;
        events false;
        |c, ev| { c.status().collection(&reference_id).await? }
    });
    ops.push(op! {
        "status.payout", "`GET /v1/status/payout/{reference_id}`.";
        params { reference_id: String ["path"] "The execution's idempotency key (UUID v4)." }
        request _r: NoArgs ["none"];
        returns Execution;
        events false;
        |c, ev| { c.status().payout(&reference_id).await? }
    });
    ops.push(op! {
        "status.transfer", "`GET /v1/status/transfer/{reference_id}`.";
        params { reference_id: String ["path"] "The execution's idempotency key (UUID v4)." }
        request _r: NoArgs ["none"];
        returns Execution;
        events false;
        |c, ev| { c.status().transfer(&reference_id).await? }
    });
    ops.push(op! {
        "status.refund", "`GET /v1/status/refund/{reference_id}`.";
        params { reference_id: String ["path"] "The execution's idempotency key (UUID v4)." }
        request _r: NoArgs ["none"];
        returns Execution;
        events false;
        |c, ev| { c.status().refund(&reference_id).await? }
    });
    ops.push(op! {
        "status.execution", "The status endpoint matching `operation_type` (`COLLECTION`, `PAYOUT`, `TRANSFER`, `REFUND`).";
        params {
            operation_type: OperationType ["arg"] "Which kind of execution.",
            reference_id: String ["path"] "The execution's idempotency key (UUID v4)."
        }
        request _r: NoArgs ["none"];
        returns Execution;
        events false;
        |c, ev| { c.status().execution(operation_type, &reference_id).await? }
    });
    ops.push(op! {
        "status.source", "`GET /v1/status/source`: an invoice's or order's payment state. Fulfil only once it is `PAID`.";
        params {}
        request req: SourceStatusQuery ["query"];
        returns SourceStatusInfo;
        events false;
        |c, ev| { c.status().source(req.source_type, req.source_id).await? }
    });
    ops.push(op! {
        "status.wait", "Polls an execution until it is `COMPLETED` or `FAILED` (`state: \"finished\"`) or the deadline passes (`state: \"still_processing\"`, not an error: wait again later). Each observed change is sent as a `transition` event.";
        params {
            // `path`: it is the path parameter of every status request the wait makes, and
            // bindings put path parameters first (`status.wait(reference_id, operation=...)`).
            reference_id: String ["path"] "The execution's idempotency key (UUID v4).",
            operation: OperationType ["arg"] "Which kind of execution (`COLLECTION`, `PAYOUT`, `TRANSFER`, `REFUND`)."
        }
        request req: WaitOptions ["arg"];
        returns WaitOutcome;
        events true;
        |c, ev| {
            let options = WaitOptions { on_transition: transitions(&ev), ..req };
            c.status().wait(operation, &reference_id, options).await?
        }
    });

    // predictions
    ops.push(op! {
        "predictions.amount_and_fees", "`GET /v1/predictions/amount-and-fees`: what the payer pays and the payee receives.";
        params {}
        request req: AmountAndFeesQuery ["query"];
        returns AmountAndFeePrediction;
        events false;
        |c, ev| { c.predictions().amount_and_fees(&req).await? }
    });
    ops.push(op! {
        "predictions.mmo_provider_info", "`GET /v1/predictions/mmo-provider-info`: the operator behind a phone number; use its `payment_method` and `gateway_provider` for the payment account.";
        params {}
        request req: MmoProviderQuery ["query"];
        returns MmoProviderInfo;
        events false;
        |c, ev| { c.predictions().mmo_provider_info(&req.phone, req.operation_type).await? }
    });
    ops.push(op! {
        "predictions.card_provider_info", "`GET /v1/predictions/card-provider-info`: card routing from a Stripe `payment_method_id`.";
        params {}
        request req: CardProviderQuery ["query"];
        returns CardProviderInfo;
        events false;
        |c, ev| { c.predictions().card_provider_info(&req).await? }
    });
    ops.push(op! {
        "predictions.payment_source_amount_and_fees", "`GET /v1/predictions/payment-source/amount-and-fees`: fees for paying a published invoice or order.";
        params {}
        request req: PaymentSourceAmountAndFeesQuery ["query"];
        returns AmountAndFeePrediction;
        events false;
        |c, ev| { c.predictions().payment_source_amount_and_fees(&req).await? }
    });

    // fees
    ops.push(op! {
        "fees.gateway", "`GET /v1/fees/gateway`: the gateways' fees for a method and operation.";
        params {}
        request req: GatewayFeeQuery ["query"];
        returns Vec<GatewayFee>;
        events false;
        |c, ev| { c.fees().gateway(req.payment_method, req.operation_type).await? }
    });
    ops.push(op! {
        "fees.platform", "`GET /v1/fees/platform`: the platform's rates for one tier and operation.";
        params {}
        request req: PlatformFeeQuery ["query"];
        returns PlatformFee;
        events false;
        |c, ev| { c.fees().platform(req.operation_type, &req.fee_tier_name).await? }
    });
    ops.push(op! {
        "fees.merchant_tier", "`GET /v1/fees/merchant-tier`: the fee tier assigned to a merchant.";
        params {}
        request req: MerchantTierQuery ["query"];
        returns MerchantFeeTier;
        events false;
        |c, ev| { c.fees().merchant_tier(req.owner_type, req.owner_id).await? }
    });
    ops.push(op! {
        "fees.tiers", "`GET /v1/fees/tiers`: every platform fee tier.";
        params {}
        request _r: NoArgs ["none"];
        returns Vec<FeeTier>;
        events false;
        |c, ev| { c.fees().tiers().await? }
    });

    // merchants and realtime keys
    ops.push(op! {
        "merchants.info", "`GET /v1/merchants/merchant-info`: the merchant profile.";
        params {}
        request req: MerchantInfoQuery ["query"];
        returns MerchantInfo;
        events false;
        |c, ev| { c.merchants().info(req.merchant_id, req.merchant_type).await? }
    });
    ops.push(op! {
        "realtime_keys.collection", "`POST /v1/realtime-keys/collection`: a Supabase Realtime token (lifetime in seconds) to watch one collection. A UX hint only; confirm with the status API.";
        params {}
        request req: RealtimeKeyRequest ["body"];
        returns RealtimeKey;
        events false;
        |c, ev| { c.realtime_keys().collection(&req).await? }
    });

    // flows (`bridge/flows.rs`: their arguments are the core's request and options types)
    ops.extend(flows::operations());

    ops
}
