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
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::bridge::flows::{self, transitions};
use crate::bridge::schema::SchemaContext;
use crate::bridge::EventSink;
use crate::client::Client;
use crate::enums::OperationType;
use crate::error::Result;
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

    // flows (`bridge/flows.rs`: their arguments are the core's request and options types)
    ops.extend(flows::operations());

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
        request req: WaitOptions ["arg"];
        returns WaitOutcome;
        events true;
        |c, ev| {
            let options = WaitOptions { on_transition: transitions(&ev), ..req };
            c.status().wait(operation, &reference_id, options).await?
        }
    }
}
