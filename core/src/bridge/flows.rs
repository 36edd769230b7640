//! The bridge entries of the flows (`collect`, `payout`, `transfer`, `refund`, `hosted_checkout`,
//! `verify_paid`, `wait_source_paid`, `reconcile`, `forget_payment_accounts`) and the event sinks
//! of flows and waits.
//!
//! A flow's arguments are one flat object: the fields of its core request type, plus (flows that
//! wait for a payment) the fields of [`FlowOptions`], plus (flows that bill lines) the `amount`
//! shorthand ([`SingleLine`]). Each part is read with its own core type's `Deserialize`, so every
//! rule and default lives on the core types; this module only splits the keys and forwards events.

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bridge::args::{Args, RequestShape};
use crate::bridge::registry::{NoArgs, Operation, OperationFuture};
use crate::bridge::schema::SchemaContext;
use crate::bridge::{output, EventSink};
use crate::client::Client;
use crate::enums::SourceType;
use crate::error::Result;
use crate::flows::{
    BillsLines, CollectOutcome, CollectRequest, FlowOptions, FlowProgress, HostedCheckout,
    HostedCheckoutRequest, PaymentVerification, PayoutOutcome, PayoutRequest, ProgressCallback,
    RefundOutcome, RefundRequest, SingleLine, SourceWaitOptions, SourceWaitOutcome,
    TransferOutcome, TransferRequest,
};
use crate::ids::Id;
use crate::reconcile::{ReconcileOptions, ReconcileReport};
use crate::wait::{Transition, TransitionCallback};

/// The listener that forwards flow progress to the sink as JSON events.
pub(crate) fn progress(sink: &Option<EventSink>) -> Option<ProgressCallback> {
    let sink = sink.clone()?;
    let listener: ProgressCallback =
        Arc::new(move |progress: &FlowProgress| match output(progress) {
            Ok(event) => sink(event),
            Err(error) => {
                tracing::warn!(error = %error, "a flow event could not be encoded for the bridge")
            }
        });
    Some(listener)
}

/// The transition callback that forwards `status.wait` changes to the sink as `transition`
/// events.
pub(crate) fn transitions(sink: &Option<EventSink>) -> Option<TransitionCallback> {
    let sink = sink.clone()?;
    let callback: TransitionCallback = Arc::new(move |transition: &Transition| {
        match output(transition) {
            Ok(Value::Object(mut event)) => {
                event.insert("event".to_string(), Value::String("transition".to_string()));
                sink(Value::Object(event))
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "a status transition could not be encoded for the bridge")
            }
        }
    });
    Some(callback)
}

/// A flow's request type, as the bridge reads it.
trait FlowRequest: DeserializeOwned + schemars::JsonSchema + Send + 'static {
    /// Its options, when the flow waits for a payment (they are arguments of the flow).
    fn options(&mut self) -> Option<&mut FlowOptions> {
        None
    }
    /// Itself as a request that bills lines, when it takes the `amount` shorthand.
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        None
    }
    /// Whether it takes [`FlowOptions`].
    const WAITS: bool;
    /// Whether it takes the `amount` shorthand.
    const BILLS_LINES: bool;
}

macro_rules! flow_request {
    ($ty:ty, waits) => {
        impl FlowRequest for $ty {
            fn options(&mut self) -> Option<&mut FlowOptions> {
                Some(&mut self.options)
            }
            const WAITS: bool = true;
            const BILLS_LINES: bool = false;
        }
    };
}
flow_request!(PayoutRequest, waits);
flow_request!(TransferRequest, waits);
flow_request!(RefundRequest, waits);

impl FlowRequest for CollectRequest {
    fn options(&mut self) -> Option<&mut FlowOptions> {
        Some(&mut self.options)
    }
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        Some(self)
    }
    const WAITS: bool = true;
    const BILLS_LINES: bool = true;
}

impl FlowRequest for HostedCheckoutRequest {
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        Some(self)
    }
    const WAITS: bool = false;
    const BILLS_LINES: bool = true;
}

/// The argument shapes of one flow: derived once (`flow!`).
struct Shapes {
    request: RequestShape,
    options: RequestShape,
    single_line: RequestShape,
}

impl Shapes {
    fn of<R: FlowRequest>() -> Shapes {
        let options = RequestShape::of::<FlowOptions>(&[]);
        let single_line = RequestShape::of::<SingleLine>(&[]);
        let mut parts = Vec::new();
        if R::WAITS {
            parts.push(&options);
        }
        if R::BILLS_LINES {
            parts.push(&single_line);
        }
        let request = RequestShape::of::<R>(&[]).also_knowing(&parts);
        Shapes {
            request,
            options,
            single_line,
        }
    }
}

/// Reads a flow's request from its flat arguments (options and shorthand included) and hands its
/// progress to the sink. Returns the shorthand too, to name `amount` in the flow's errors.
fn read<R: FlowRequest>(
    name: &'static str,
    args: Value,
    sink: &Option<EventSink>,
    shapes: &Shapes,
) -> Result<(R, SingleLine)> {
    let mut args = Args::new(name, args)?;
    let options: FlowOptions = if R::WAITS {
        args.split(&shapes.options)?
    } else {
        FlowOptions::default()
    };
    let single_line: SingleLine = if R::BILLS_LINES {
        args.split(&shapes.single_line)?
    } else {
        SingleLine::default()
    };
    let items_given = args.has("items");
    args.check(&shapes.request)?;
    let mut request: R = args.request()?;
    if let Some(lines) = request.lines() {
        single_line.apply_to(lines, items_given)?;
    }
    if let Some(slot) = request.options() {
        *slot = FlowOptions {
            on_progress: progress(sink),
            ..options
        };
    }
    Ok((request, single_line))
}

/// The schema parameters of a flow: its request's fields, its options' and its shorthand's,
/// sorted as one list (required first, then by name), as if they were one type.
fn describe<R: FlowRequest>(ctx: &mut SchemaContext) -> Vec<Value> {
    let mut params = ctx.request_params::<R>("arg");
    if R::WAITS {
        params.extend(ctx.request_params::<FlowOptions>("arg"));
    }
    if R::BILLS_LINES {
        params.extend(ctx.request_params::<SingleLine>("arg"));
    }
    let key = |param: &Value| {
        let required = param["required"].as_bool().unwrap_or(false);
        (
            !required,
            param["name"].as_str().unwrap_or_default().to_string(),
        )
    };
    params.sort_by_key(key);
    params
}

/// Defines one flow entry: its name and doc, its request type, its result type, whether it
/// reports events, and the core call.
macro_rules! flow {
    ($name:literal, $doc:literal; request $rt:ty; returns $ret:ty; events $events:literal; |$client:ident, $req:ident| $call:expr) => {{
        fn run<'a>(
            client: &'a Client,
            args: Value,
            sink: Option<EventSink>,
        ) -> OperationFuture<'a> {
            static SHAPES: OnceLock<Shapes> = OnceLock::new();
            Box::pin(async move {
                let shapes = SHAPES.get_or_init(Shapes::of::<$rt>);
                let ($req, single_line) = read::<$rt>($name, args, &sink, shapes)?;
                let $client = client;
                let value: $ret = $call.await.map_err(|e| single_line.name_the_amount(e))?;
                output(&value)
            })
        }
        fn describe_it(ctx: &mut SchemaContext) -> Value {
            let params = describe::<$rt>(ctx);
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, $events)
        }
        Operation {
            name: $name,
            run,
            describe: describe_it,
        }
    }};
}

/// An entry whose arguments are positional parameters and a core options type (no flat
/// request): `verify_paid`, `wait_source_paid`, `reconcile`, `forget_payment_accounts`.
macro_rules! call {
    (
        $name:literal, $doc:literal;
        params { $($p:ident : $pt:ty, $pdoc:literal),* $(,)? }
        options $opt:ident : $ot:ty;
        returns $ret:ty;
        events $events:literal;
        |$client:ident, $sink:ident| $body:expr
    ) => {{
        #[allow(unused_variables, unused_mut, clippy::let_unit_value)]
        fn run<'a>(client: &'a Client, args: Value, sink: Option<EventSink>) -> OperationFuture<'a> {
            static SHAPE: OnceLock<RequestShape> = OnceLock::new();
            Box::pin(async move {
                let mut args = Args::new($name, args)?;
                args.check(SHAPE.get_or_init(|| RequestShape::of::<$ot>(&[$(stringify!($p)),*])))?;
                $( let $p: $pt = args.positional(stringify!($p))?; )*
                let mut $opt: $ot = args.request()?;
                let $client = client;
                let $sink = sink;
                let value: $ret = $body;
                output(&value)
            })
        }
        fn describe_it(ctx: &mut SchemaContext) -> Value {
            #[allow(unused_mut)]
            let mut params: Vec<Value> = Vec::new();
            $( params.push(ctx.positional::<$pt>(stringify!($p), "arg", $pdoc)); )*
            params.extend(ctx.request_params::<$ot>("arg"));
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, $events)
        }
        Operation { name: $name, run, describe: describe_it }
    }};
}

/// Every flow entry, in the schema's order.
pub(crate) fn operations() -> Vec<Operation> {
    vec![
        flow! {
            "collect", "Collects a mobile-money payment end to end: operator prediction, party, counterparty, invoice/order, items, publish, fee prediction, payment account, session, exactly-once execution, wait, receipt. A payment that ends `FAILED` is a result, not an error; one still in flight at the deadline has `settled: false` (resume with `status.wait` or `reconcile`, never with a new payment). Reports each step as an event.";
            request CollectRequest;
            returns CollectOutcome;
            events true;
            |c, req| c.collect(&req)
        },
        flow! {
            "payout", "Pays out to a mobile-money wallet end to end (operator prediction, party and counterparty when needed, payout account reused per client, session, exactly-once execution with the passcode, wait). A payout that ends `FAILED` is a result; a refused passcode is `PermissionDenied`. Reports each step as an event.";
            request PayoutRequest;
            returns PayoutOutcome;
            events true;
            |c, req| c.payout(&req)
        },
        flow! {
            "transfer", "Transfers from one of your wallets to a counterparty end to end (session, exactly-once execution, wait). Reports each step as an event.";
            request TransferRequest;
            returns TransferOutcome;
            events true;
            |c, req| c.transfer(&req)
        },
        flow! {
            "refund", "Refunds (part of) an earlier collection end to end (session, exactly-once execution, wait). Reports each step as an event.";
            request RefundRequest;
            returns RefundOutcome;
            events true;
            |c, req| c.refund(&req)
        },
        flow! {
            "hosted_checkout", "Creates an invoice or order with a hosted payment page; send the payer to `url`, then confirm with `verify_paid` or `wait_source_paid` (never on the redirect alone).";
            request HostedCheckoutRequest;
            returns HostedCheckout;
            events false;
            |c, req| c.hosted_checkout(&req)
        },
        call! {
            "verify_paid", "Asks the API whether the document is `PAID`. Call it before fulfilling; a redirect to `success_url` proves nothing.";
            params { source_type: SourceType, "`INVOICE` or `ORDER`.", source_id: Id, "The document's id." }
            options _none: NoArgs;
            returns PaymentVerification;
            events false;
            |c, ev| c.verify_paid(source_type, source_id).await?
        },
        call! {
            "wait_source_paid", "Polls the document's status until it is `PAID` or `CANCELED`, or the deadline passes (not an error: `timed_out`). Each status change is sent as a `source_status_changed` event.";
            params { source_type: SourceType, "`INVOICE` or `ORDER`.", source_id: Id, "The document's id." }
            options options: SourceWaitOptions;
            returns SourceWaitOutcome;
            events true;
            |c, ev| {
                options.on_progress = progress(&ev);
                c.wait_source_paid(source_type, source_id, options).await?
            }
        },
        call! {
            "reconcile", "Brings every unresolved journal intent (left by a crash or an `AmbiguousExecution`) to its current status; optionally resubmits those the API never saw, with the same reference id.";
            params {}
            options options: ReconcileOptions;
            returns ReconcileReport;
            events false;
            |c, ev| c.reconcile(options).await?
        },
        call! {
            "forget_payment_accounts", "Forgets the payment accounts the flows remembered for this client, so the next collect or payout registers the wallet again (e.g. after resetting a sandbox).";
            params {}
            options _none: NoArgs;
            returns ();
            events false;
            |c, ev| c.forget_payment_accounts()
        },
    ]
}
