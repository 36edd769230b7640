//! How the bridge runs a flow (`collect`, `payout`, …, `status.wait`, `auth.obtain_token`): the
//! entries themselves are written by `#[dollr_macros::flows]` on the flows' methods (each module's
//! `bridge_flows()`, listed in [`crate::bridge::registry::flows`]) through `flow!`; this module
//! holds what they share: reading the arguments and sending the events.
//!
//! A flow's arguments are one flat object: its positional parameters, plus the fields of its
//! request or options type ([`FlowArgs`]), plus, for a flow request that waits for a payment, the
//! fields of its [`FlowOptions`], plus, for one that bills lines, the `amount` shorthand
//! ([`SingleLine`]). Each part is read with its own core type's `Deserialize`, so every rule and
//! default lives on the core types; this module only splits the keys and forwards events.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bridge::args::{Args, RequestShape};
use crate::bridge::registry::NoArgs;
use crate::bridge::schema::SchemaContext;
use crate::bridge::{output, EventSink};
use crate::error::Result;
use crate::flows::{
    BillsLines, BulkPayoutRequest, CollectRequest, FlowOptions, FlowProgress,
    HostedCheckoutRequest, PayoutRequest, ProgressCallback, RefundRequest, SingleLine,
    SourceWaitOptions, TransferRequest,
};
use crate::reconcile::ReconcileOptions;
use crate::wait::{Transition, TransitionCallback, WaitOptions};

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

/// The request or options type of a flow (`#[flow]` / `#[options]` in `#[dollr_macros::flows]`),
/// as the bridge reads it: its fields are arguments of the flow, and it says whether the flow
/// reports events and where they come from. Implemented here for each type (the core's modules
/// know nothing of the bridge above them).
pub(crate) trait FlowArgs: DeserializeOwned + schemars::JsonSchema + Send + 'static {
    /// It carries [`FlowOptions`] (a flow that waits for a payment): their fields are arguments
    /// too, the flow's progress is the call's events, and Swift/Kotlin take a `listener`.
    const WAITS: bool = false;
    /// It bills lines and takes the `amount` shorthand.
    const BILLS_LINES: bool = false;
    /// The flow reports events (the schema's `events`).
    const EVENTS: bool = Self::WAITS;
    /// Its [`FlowOptions`], when [`FlowArgs::WAITS`].
    fn flow_options(&mut self) -> Option<&mut FlowOptions> {
        None
    }
    /// Itself as a request that bills lines, when [`FlowArgs::BILLS_LINES`].
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        None
    }
    /// Points its listener at the call's event sink (by default its [`FlowOptions`]' one).
    fn send_events_to(&mut self, sink: &Option<EventSink>) {
        if let Some(options) = self.flow_options() {
            options.on_progress = progress(sink);
        }
    }
}

impl FlowArgs for NoArgs {}

/// Its fields, its options' and the `amount` shorthand are the flow's arguments; its progress, the
/// events.
impl FlowArgs for CollectRequest {
    const WAITS: bool = true;
    const BILLS_LINES: bool = true;
    fn flow_options(&mut self) -> Option<&mut FlowOptions> {
        Some(&mut self.options)
    }
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        Some(self)
    }
}

/// Fields and options are the flow's arguments; its progress, the events.
macro_rules! waits {
    ($($request:ty),*) => {$(
        impl FlowArgs for $request {
            const WAITS: bool = true;
            fn flow_options(&mut self) -> Option<&mut FlowOptions> {
                Some(&mut self.options)
            }
        }
    )*};
}
waits!(
    PayoutRequest,
    TransferRequest,
    RefundRequest,
    BulkPayoutRequest
);

/// Its fields and the `amount` shorthand are the flow's arguments; no events.
impl FlowArgs for HostedCheckoutRequest {
    const BILLS_LINES: bool = true;
    fn lines(&mut self) -> Option<&mut dyn BillsLines> {
        Some(self)
    }
}

/// Each status change is a `source_status_changed` event.
impl FlowArgs for SourceWaitOptions {
    const EVENTS: bool = true;
    fn send_events_to(&mut self, sink: &Option<EventSink>) {
        self.on_progress = progress(sink);
    }
}

/// Each observed change is a `transition` event.
impl FlowArgs for WaitOptions {
    const EVENTS: bool = true;
    fn send_events_to(&mut self, sink: &Option<EventSink>) {
        self.on_transition = transitions(sink);
    }
}

/// Reconciling reports no events.
impl FlowArgs for ReconcileOptions {}

/// The argument shapes of one flow: derived once per flow (`flow!`).
pub(crate) struct Shapes {
    request: RequestShape,
    options: RequestShape,
    single_line: RequestShape,
}

impl Shapes {
    pub(crate) fn of<R: FlowArgs>(positional: &[&str]) -> Shapes {
        let options = RequestShape::of::<FlowOptions>(&[]);
        let single_line = RequestShape::of::<SingleLine>(&[]);
        let mut parts = Vec::new();
        if R::WAITS {
            parts.push(&options);
        }
        if R::BILLS_LINES {
            parts.push(&single_line);
        }
        let request = RequestShape::of::<R>(positional).also_knowing(&parts);
        Shapes {
            request,
            options,
            single_line,
        }
    }
}

/// The parts of a flow's arguments read before its positional parameters.
pub(crate) struct Parts {
    options: FlowOptions,
    single_line: SingleLine,
    items_given: bool,
}

impl Parts {
    /// Takes the options' and the shorthand's keys out of `args` and checks the rest.
    pub(crate) fn split<R: FlowArgs>(args: &mut Args, shapes: &Shapes) -> Result<Parts> {
        let options = if R::WAITS {
            args.split(&shapes.options)?
        } else {
            FlowOptions::default()
        };
        let single_line = if R::BILLS_LINES {
            args.split(&shapes.single_line)?
        } else {
            SingleLine::default()
        };
        let items_given = args.has("items");
        args.check(&shapes.request)?;
        Ok(Parts {
            options,
            single_line,
            items_given,
        })
    }

    /// Reads the request (options and shorthand applied, events sent to `sink`). Returns the
    /// shorthand too, to name `amount` in the flow's errors.
    pub(crate) fn request<R: FlowArgs>(
        self,
        args: Args,
        sink: &Option<EventSink>,
    ) -> Result<(R, SingleLine)> {
        let mut request: R = args.request()?;
        if let Some(lines) = request.lines() {
            self.single_line.apply_to(lines, self.items_given)?;
        }
        if let Some(slot) = request.flow_options() {
            *slot = self.options;
        }
        request.send_events_to(sink);
        Ok((request, self.single_line))
    }
}

/// The schema parameters of a flow's request: its fields, its options' and its shorthand's,
/// sorted as one list (required first, then by name), as if they were one type.
pub(crate) fn request_params<R: FlowArgs>(ctx: &mut SchemaContext) -> Vec<Value> {
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

/// Defines one flow entry: its name and doc, its positional parameters (name, type, kind, doc),
/// its request or options type ([`FlowArgs`]; `NoArgs` for none), its result type, and the core
/// call (a `Result`). Whether it reports events is the request type's [`FlowArgs::EVENTS`].
/// Expanded by `#[dollr_macros::flows]` in the flows' modules, hence the `$crate` paths.
macro_rules! flow {
    (
        $name:expr, $doc:expr;
        params { $($p:ident : $pt:ty [$pkind:literal] $pdoc:literal),* $(,)? }
        request $req:ident : $rt:ty;
        returns $ret:ty;
        |$client:ident| $call:expr
    ) => {{
        use $crate::bridge::flows::{Parts, Shapes};
        use $crate::bridge::registry::support as __op;
        const LOCATIONS: __op::Locations = __op::Locations {
            request: "arg",
            positional: &[$((stringify!($p), $pkind)),*],
        };
        #[allow(unused_variables, clippy::let_unit_value)]
        fn run<'a>(
            client: &'a $crate::client::Client,
            args: __op::Value,
            sink: ::std::option::Option<$crate::bridge::EventSink>,
        ) -> $crate::bridge::registry::OperationFuture<'a> {
            // One per flow (each expansion of `flow!` has its own `run`), derived on first use.
            static SHAPES: ::std::sync::OnceLock<Shapes> = ::std::sync::OnceLock::new();
            ::std::boxed::Box::pin(async move {
                let result: $crate::error::Result<__op::Output> = async {
                    let shapes = SHAPES.get_or_init(|| Shapes::of::<$rt>(&[$(stringify!($p)),*]));
                    let mut args = __op::Args::new($name, args)?;
                    let parts = Parts::split::<$rt>(&mut args, shapes)?;
                    $( let $p: $pt = args.positional(stringify!($p))?; )*
                    let ($req, single_line) = parts.request::<$rt>(args, &sink)?;
                    let $client = client;
                    let value: $ret = $call.map_err(|e| single_line.name_the_amount(e))?;
                    Ok(__op::Output::new(value))
                }
                .await;
                result.map_err(|error| LOCATIONS.relocate(error))
            })
        }
        fn describe(ctx: &mut __op::SchemaContext) -> __op::Value {
            #[allow(unused_mut)]
            let mut params: ::std::vec::Vec<__op::Value> = ::std::vec::Vec::new();
            $( params.push(ctx.positional::<$pt>(stringify!($p), $pkind, $pdoc)); )*
            params.extend($crate::bridge::flows::request_params::<$rt>(ctx));
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, <$rt as $crate::bridge::flows::FlowArgs>::EVENTS)
        }
        $crate::bridge::registry::Operation { name: $name, run, describe, locations: LOCATIONS }
    }};
}
pub(crate) use flow;
