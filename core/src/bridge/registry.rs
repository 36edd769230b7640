//! Every operation the bridge can call: one per public async method of every resource handle
//! (`parties.create` is `client.parties().create(..)`) and per flow (`collect` is
//! `client.collect(..)`).
//!
//! Each entry is one [`op!`] expansion, which yields both the handler (arguments → core call →
//! JSON) and the schema entry (from the same positional types, request type and result type), so
//! the two cannot disagree. The resource handles' entries are not written here: the
//! `#[dollr_macros::operations]` attribute on each handle's `impl` block (`core/src/api/*`) writes
//! them from the methods' signatures and docs ([`resources`]); the flows' are the table below.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::bridge::schema::SchemaContext;
use crate::bridge::views::{
    single_line_amount, CollectArgs, CollectOutcomeView, EventView, FlowEventCommon,
    HostedCheckoutArgs, HostedCheckoutView, PaymentVerificationView, PayoutArgs, PayoutOutcomeView,
    ReconcileArgs, ReconcileReportView, RefundArgs, RefundOutcomeView, SourceWaitArgs,
    SourceWaitOutcomeView, TransferArgs, TransferOutcomeView, WaitArgs, WaitOutcomeView,
};
use crate::bridge::{output, EventSink};
use crate::client::Client;
use crate::enums::{OperationType, SourceType};
use crate::error::Result;
use crate::flows::{FlowProgress, ProgressCallback};
use crate::ids::Id;
use crate::wait::{Transition, TransitionCallback};

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

/// The operations of one resource handle (`client.parties()`), as `#[dollr_macros::operations]`
/// declares them on the handle's methods: the bridge entries, and the signatures the uniffi
/// wrappers are generated from (`bridge::uniffi_wrappers`).
pub(crate) struct Resource {
    /// The `Client` accessor and the bindings' resource name (`parties`).
    pub(crate) name: &'static str,
    /// The doc of the resource's object in the bindings (the annotated `impl` block's `///`).
    pub(crate) doc: &'static str,
    /// The core handle's type (`std::any::type_name`), e.g. `dollr_core::api::parties::Parties`.
    pub(crate) handle: &'static str,
    /// One bridge entry per operation, in declaration order.
    pub(crate) operations: Vec<Operation>,
    /// The same operations' Rust signatures, in the same order.
    pub(crate) signatures: Vec<Signature>,
}

/// One operation's Rust signature, for the generated uniffi wrapper.
pub(crate) struct Signature {
    pub(crate) method: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) params: Vec<SignatureParam>,
    /// The `T` of the method's `Result<T>` (`std::any::type_name`).
    pub(crate) returns: &'static str,
}

/// One parameter of a [`Signature`].
pub(crate) struct SignatureParam {
    pub(crate) name: &'static str,
    /// The owned type a wrapper takes (`String` for `&str`), by `std::any::type_name`.
    pub(crate) ty: &'static str,
    /// The core method takes it by reference.
    pub(crate) by_ref: bool,
    /// The wrapper may omit it (a request whose every field is optional).
    pub(crate) default: bool,
}

/// Defines one operation: its name and doc, its positional parameters (name, type, kind, doc),
/// its request type (whose fields are the other parameters; `NoArgs` for none), its result
/// type, whether it reports events, and the core call. Expanded in `api/*` by
/// `#[dollr_macros::operations]` too, hence the `$crate` paths.
macro_rules! op {
    (
        $name:expr, $doc:expr;
        params { $($p:ident : $pt:ty [$pkind:literal] $pdoc:literal),* $(,)? }
        request $req:ident : $rt:ty [$rkind:literal];
        returns $ret:ty;
        events $events:literal;
        |$client:ident, $sink:ident| $body:block
    ) => {{
        use $crate::bridge::registry::support as __op;
        #[allow(unused_variables, unused_mut, clippy::let_unit_value)]
        fn run<'a>(
            client: &'a $crate::client::Client,
            args: __op::Value,
            sink: ::std::option::Option<$crate::bridge::EventSink>,
        ) -> $crate::bridge::registry::OperationFuture<'a> {
            // One per operation (each expansion of `op!` has its own `run`), derived on first use.
            static SHAPE: ::std::sync::OnceLock<__op::RequestShape> = ::std::sync::OnceLock::new();
            const LOCATIONS: __op::Locations = __op::Locations {
                request: $rkind,
                positional: &[$((stringify!($p), $pkind)),*],
            };
            ::std::boxed::Box::pin(async move {
                let result: $crate::error::Result<__op::Value> = async {
                    let mut args = __op::Args::new($name, args)?;
                    args.check(SHAPE.get_or_init(|| __op::RequestShape::of::<$rt>(&[$(stringify!($p)),*])))?;
                    $( let $p: $pt = args.positional(stringify!($p))?; )*
                    let $req: $rt = args.request()?;
                    let $client = client;
                    let $sink = sink;
                    let value: $ret = $body;
                    __op::output(&value)
                }
                .await;
                result.map_err(|error| LOCATIONS.relocate(error))
            })
        }
        fn describe(ctx: &mut __op::SchemaContext) -> __op::Value {
            #[allow(unused_mut)]
            let mut params: ::std::vec::Vec<__op::Value> = ::std::vec::Vec::new();
            $( params.push(ctx.positional::<$pt>(stringify!($p), $pkind, $pdoc)); )*
            if $rkind != "none" {
                params.extend(ctx.request_params::<$rt>($rkind));
            }
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, $events)
        }
        $crate::bridge::registry::Operation { name: $name, run, describe }
    }};
}
pub(crate) use op;

/// What an `op!` expansion outside this module needs (the bridge's internals stay private).
pub(crate) mod support {
    pub(crate) use crate::bridge::args::{Args, Locations, RequestShape};
    pub(crate) use crate::bridge::output;
    pub(crate) use crate::bridge::schema::SchemaContext;
    pub(crate) use serde_json::Value;
}

/// The progress callback that forwards flow events to the sink as JSON.
fn progress(sink: &Option<EventSink>) -> Option<ProgressCallback> {
    let sink = sink.clone()?;
    let callback: ProgressCallback =
        Arc::new(move |progress: &FlowProgress| match flow_event(progress) {
            Ok(event) => sink(event),
            Err(error) => {
                tracing::warn!(error = %error, "a flow event could not be encoded for the bridge")
            }
        });
    Some(callback)
}

/// A flow event as JSON: its own fields, `event` (the core's stable name), `elapsed_ms`, `at`
/// and `message`.
pub(crate) fn flow_event(progress: &FlowProgress) -> Result<Value> {
    let mut event = output(&EventView::from(progress.event.clone()))?;
    let common = output(&FlowEventCommon::of(progress))?;
    if let (Some(event), Value::Object(common)) = (event.as_object_mut(), common) {
        event.extend(common);
        event.insert(
            "event".to_string(),
            Value::String(progress.event.name().to_string()),
        );
    }
    Ok(event)
}

/// The transition callback that forwards `status.wait` changes to the sink as JSON.
fn transitions(sink: &Option<EventSink>) -> Option<TransitionCallback> {
    let sink = sink.clone()?;
    let callback: TransitionCallback = Arc::new(move |transition: &Transition| {
        match output(&EventView::from(transition)) {
            Ok(event) => sink(event),
            Err(error) => {
                tracing::warn!(error = %error, "a status transition could not be encoded for the bridge")
            }
        }
    });
    Some(callback)
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

/// Every resource handle, in the schema's order. Each handle's `impl` block carries
/// `#[dollr_macros::operations("name")]`, which writes its `bridge_resource()` from the methods.
pub(crate) fn resources() -> Vec<Resource> {
    use crate::api::*;
    vec![
        Parties::bridge_resource(),
        Counterparties::bridge_resource(),
        Invoices::bridge_resource(),
        Orders::bridge_resource(),
        Checkouts::bridge_resource(),
        Links::bridge_resource(),
        Sessions::bridge_resource(),
        PaymentAccounts::bridge_resource(),
        Executions::bridge_resource(),
        Status::bridge_resource(),
        Predictions::bridge_resource(),
        Fees::bridge_resource(),
        Merchants::bridge_resource(),
        RealtimeKeys::bridge_resource(),
    ]
}

fn build() -> Vec<Operation> {
    // The token call is the client's own (not a resource handle's).
    let mut ops: Vec<Operation> = vec![op! {
        "auth.obtain_token", "`POST /v1/jwt/client/obtain/token`: exchanges the client credentials for a token (`expires_in` in minutes). Rarely needed: every call obtains and refreshes tokens by itself.";
        params {}
        request _r: NoArgs ["none"];
        returns crate::auth::ObtainTokenResponse;
        events false;
        |c, ev| { c.obtain_token().await? }
    }];
    for resource in resources() {
        let is_status = resource.name == "status";
        ops.extend(resource.operations);
        if is_status {
            // A flow over the status handle (`crate::wait`), listed with the status operations.
            ops.push(status_wait());
        }
    }

    // flows
    ops.push(op! {
        "collect", "Collects a mobile-money payment end to end: operator prediction, party, counterparty, invoice/order, items, publish, fee prediction, payment account, session, exactly-once execution, wait, receipt. A payment that ends `FAILED` is a result, not an error; one still in flight at the deadline has `settled: false` (resume with `status.wait` or `reconcile`, never with a new payment). Reports each step as an event.";
        params {}
        request req: CollectArgs ["arg"];
        returns CollectOutcomeView;
        events true;
        |c, ev| {
            let amount_given = req.amount_given();
            let outcome = c.collect(&req.into_core(progress(&ev))?).await;
            CollectOutcomeView::from(outcome.map_err(|e| single_line_amount(e, amount_given))?)
        }
    });
    ops.push(op! {
        "payout", "Pays out to a mobile-money wallet end to end (operator prediction, party and counterparty when needed, payout account reused per client, session, exactly-once execution with the passcode, wait). A payout that ends `FAILED` is a result; a refused passcode is `PermissionDenied`. Reports each step as an event.";
        params {}
        request req: PayoutArgs ["arg"];
        returns PayoutOutcomeView;
        events true;
        |c, ev| { PayoutOutcomeView::from(c.payout(&req.into_core(progress(&ev))).await?) }
    });
    ops.push(op! {
        "transfer", "Transfers from one of your wallets to a counterparty end to end (session, exactly-once execution, wait). Reports each step as an event.";
        params {}
        request req: TransferArgs ["arg"];
        returns TransferOutcomeView;
        events true;
        |c, ev| { TransferOutcomeView::from(c.transfer(&req.into_core(progress(&ev))).await?) }
    });
    ops.push(op! {
        "refund", "Refunds (part of) an earlier collection end to end (session, exactly-once execution, wait). Reports each step as an event.";
        params {}
        request req: RefundArgs ["arg"];
        returns RefundOutcomeView;
        events true;
        |c, ev| { RefundOutcomeView::from(c.refund(&req.into_core(progress(&ev))).await?) }
    });
    ops.push(op! {
        "hosted_checkout", "Creates an invoice or order with a hosted payment page; send the payer to `url`, then confirm with `verify_paid` or `wait_source_paid` (never on the redirect alone).";
        params {}
        request req: HostedCheckoutArgs ["arg"];
        returns HostedCheckoutView;
        events false;
        |c, ev| {
            let amount_given = req.amount_given();
            let checkout = c.hosted_checkout(&req.into_core()?).await;
            HostedCheckoutView::from(checkout.map_err(|e| single_line_amount(e, amount_given))?)
        }
    });
    ops.push(op! {
        "verify_paid", "Asks the API whether the document is `PAID`. Call it before fulfilling; a redirect to `success_url` proves nothing.";
        params {
            source_type: SourceType ["arg"] "`INVOICE` or `ORDER`.",
            source_id: Id ["arg"] "The document's id."
        }
        request _r: NoArgs ["none"];
        returns PaymentVerificationView;
        events false;
        |c, ev| { PaymentVerificationView::from(c.verify_paid(source_type, source_id).await?) }
    });
    ops.push(op! {
        "wait_source_paid", "Polls the document's status until it is `PAID` or `CANCELED`, or the deadline passes (not an error: `timed_out`). Each status change is sent as a `source_status_changed` event.";
        params {
            source_type: SourceType ["arg"] "`INVOICE` or `ORDER`.",
            source_id: Id ["arg"] "The document's id."
        }
        request req: SourceWaitArgs ["arg"];
        returns SourceWaitOutcomeView;
        events true;
        |c, ev| {
            let options = req.into_core(progress(&ev));
            SourceWaitOutcomeView::from(c.wait_source_paid(source_type, source_id, options).await?)
        }
    });
    ops.push(op! {
        "reconcile", "Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its current status; optionally resubmits those the API never saw, with the same reference id.";
        params {}
        request req: ReconcileArgs ["arg"];
        returns ReconcileReportView;
        events false;
        |c, ev| { ReconcileReportView::from(c.reconcile(req.into_core()).await?) }
    });
    ops.push(op! {
        "forget_payment_accounts", "Forgets the payment accounts the flows remembered for this client, so the next collect or payout registers the wallet again (e.g. after resetting a sandbox).";
        params {}
        request _r: NoArgs ["none"];
        returns ();
        events false;
        |c, ev| { c.forget_payment_accounts() }
    });

    ops
}

/// `status.wait`: polls an execution to a terminal status, each change an event.
fn status_wait() -> Operation {
    op! {
        "status.wait", "Polls an execution until it is `COMPLETED` or `FAILED` (`state: \"finished\"`) or the deadline passes (`state: \"still_processing\"`, not an error: wait again later). Each observed change is sent as a `transition` event.";
        params {
            // `path`: it is the path parameter of every status request the wait makes, and
            // bindings put path parameters first (`status.wait(reference_id, operation=...)`).
            reference_id: String ["path"] "The execution's idempotency key (UUID v4).",
            operation: OperationType ["arg"] "Which kind of execution (`COLLECTION`, `PAYOUT`, `TRANSFER`, `REFUND`)."
        }
        request req: WaitArgs ["arg"];
        returns WaitOutcomeView;
        events true;
        |c, ev| {
            let options = req.into_core(transitions(&ev));
            WaitOutcomeView::from(c.status().wait(operation, &reference_id, options).await?)
        }
    }
}
