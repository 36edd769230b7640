//! Every operation the bridge can call: one per public async method of every resource handle
//! (`parties.create` is `client.parties().create(..)`) and per flow (`collect` is
//! `client.collect(..)`).
//!
//! Each entry is one `op!` (operations) or `flow!` (flows) expansion, which yields both the
//! handler (arguments → core call → JSON) and the schema entry (from the same types), so the two
//! cannot disagree. No entry is written here: `#[dollr_macros::operations]` on each resource
//! handle's `impl` block (`core/src/api/*`) and `#[dollr_macros::flows]` on the flows' `impl`
//! blocks write them from the methods' signatures and docs ([`resources`], [`flows`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::bridge::schema::SchemaContext;
use crate::bridge::EventSink;
use crate::client::Client;
use crate::error::Result;

/// The future of one bridge call.
pub(crate) type OperationFuture<'a> =
    Pin<Box<dyn Future<Output = Result<crate::bridge::Output>> + Send + 'a>>;

/// One callable operation.
pub(crate) struct Operation {
    /// `resource.method`, or the flow's name.
    pub(crate) name: &'static str,
    /// Runs it.
    pub(crate) run: for<'a> fn(&'a Client, Value, Option<EventSink>) -> OperationFuture<'a>,
    /// Describes it for the schema.
    pub(crate) describe: fn(&mut SchemaContext) -> Value,
    /// Where the API takes each of its arguments (errors about them say `path`, `query`, `body`).
    pub(crate) locations: crate::bridge::args::Locations,
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

/// One flow, as `#[dollr_macros::flows]` declares it on its method (`core/src/flows/*`, …): the
/// bridge entry, and the signature its uniffi method is generated from.
pub(crate) struct Flow {
    pub(crate) operation: Operation,
    /// The resource object its uniffi method belongs to (`status`); `None`: the client.
    pub(crate) object: Option<&'static str>,
    pub(crate) signature: Signature,
    /// Why its uniffi method is written by hand in `bindings-swift` (not generated), if it is.
    pub(crate) by_hand: Option<&'static str>,
}

/// One operation's Rust signature, for the generated uniffi wrapper.
pub(crate) struct Signature {
    pub(crate) method: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) params: Vec<SignatureParam>,
    /// The `T` of the method's `Result<T>`, or its plain result (`std::any::type_name`).
    pub(crate) returns: &'static str,
    /// The core method is `async`.
    pub(crate) is_async: bool,
    /// The core method returns `Result<T>`.
    pub(crate) fallible: bool,
    /// The wrapper takes a `listener` for the flow request's `FlowOptions`.
    pub(crate) listener: bool,
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
        const LOCATIONS: __op::Locations = __op::Locations {
            request: $rkind,
            positional: &[$((stringify!($p), $pkind)),*],
        };
        #[allow(unused_variables, unused_mut, clippy::let_unit_value)]
        fn run<'a>(
            client: &'a $crate::client::Client,
            args: __op::Value,
            sink: ::std::option::Option<$crate::bridge::EventSink>,
        ) -> $crate::bridge::registry::OperationFuture<'a> {
            // One per operation (each expansion of `op!` has its own `run`), derived on first use.
            static SHAPE: ::std::sync::OnceLock<__op::RequestShape> = ::std::sync::OnceLock::new();
            ::std::boxed::Box::pin(async move {
                let result: $crate::error::Result<__op::Output> = async {
                    let mut args = __op::Args::new($name, args)?;
                    args.check(SHAPE.get_or_init(|| __op::RequestShape::of::<$rt>(&[$(stringify!($p)),*])))?;
                    $( let $p: $pt = args.positional(stringify!($p))?; )*
                    let $req: $rt = args.request()?;
                    let $client = client;
                    let $sink = sink;
                    let value: $ret = $body;
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
            if $rkind != "none" {
                params.extend(ctx.request_params::<$rt>($rkind));
            }
            let returns = ctx.returns::<$ret>();
            ctx.operation($name, $doc, params, returns, $events)
        }
        $crate::bridge::registry::Operation { name: $name, run, describe, locations: LOCATIONS }
    }};
}
pub(crate) use op;

/// What an `op!` expansion outside this module needs (the bridge's internals stay private).
pub(crate) mod support {
    pub(crate) use crate::bridge::args::{Args, Locations, RequestShape};
    pub(crate) use crate::bridge::schema::SchemaContext;
    pub(crate) use crate::bridge::Output;
    pub(crate) use serde_json::Value;
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

/// Every flow, each module's `#[dollr_macros::flows]` block in turn.
pub(crate) fn flows() -> Vec<Flow> {
    [
        crate::client::bridge_flows(),
        crate::wait::bridge_flows(),
        crate::flows::collect::bridge_flows(),
        crate::flows::payout::bridge_flows(),
        crate::flows::bulk::bridge_flows(),
        crate::flows::transfer::bridge_flows(),
        crate::flows::refund::bridge_flows(),
        crate::flows::checkout::bridge_flows(),
        crate::reconcile::bridge_flows(),
        crate::flows::bridge_flows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The schema's order: the flows of `auth` (no resource handle: the token call) first, each
/// resource's operations followed by its flows (`status.wait`), then the flows of the client.
fn build() -> Vec<Operation> {
    let mut flows: Vec<Option<Operation>> =
        flows().into_iter().map(|f| Some(f.operation)).collect();
    let mut take = |prefix: &str| -> Vec<Operation> {
        flows
            .iter_mut()
            .filter(|slot| {
                slot.as_ref()
                    .is_some_and(|op| op.name.split_once('.').map(|(r, _)| r) == Some(prefix))
            })
            .filter_map(Option::take)
            .collect()
    };
    let mut ops = take("auth");
    for resource in resources() {
        let name = resource.name;
        ops.extend(resource.operations);
        ops.extend(take(name));
    }
    ops.extend(flows.into_iter().flatten());
    ops
}
