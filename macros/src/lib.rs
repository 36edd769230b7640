//! dollr's house macros (used by `dollr-core` only).
//!
//! [`operations`] declares every API operation of a resource handle ONCE, on its Rust method: from
//! the method's signature and `///` doc it emits the bridge registry entry of each operation (the
//! `op!` macro of `core/src/bridge/registry.rs`: handler and schema from the same types) and the
//! signature the generated uniffi wrappers are written from (`make generate`). [`flows`] does the
//! same for the flows (`client.collect(..)`, `client.status().wait(..)`, …). See
//! `docs/decisions/0012-operations-declared-once.md`.

use proc_macro::TokenStream;
use proc_macro2::{Group, Ident, Span, TokenStream as Tokens, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericParam, ImplItem, ItemImpl, Lit, LitStr, Meta, Pat,
    PathArguments, ReturnType, Token, Type, TypeParamBound, Visibility,
};

/// Declares the operations of an API resource handle: every `pub async fn` of the annotated `impl`
/// is one operation, named `<resource>.<method>`, documented by the method's `///` doc.
///
/// ```ignore
/// #[dollr_macros::operations("parties")]
/// impl Parties {
///     /// `GET /v1/parties/retrieve/{id}`: one party.
///     pub async fn retrieve(&self, #[path("The party's id.")] id: Id) -> Result<Party> { .. }
///
///     /// `GET /v1/parties/list`, optionally filtered by full name.
///     pub async fn list(&self, #[query(default)] query: &ListPartiesQuery) -> Result<Vec<Party>> { .. }
/// }
/// ```
///
/// * The resource name is the `Client` accessor (`client.parties()`) and the bindings' resource.
/// * Each parameter says where the API takes it: `#[path("doc")]`, `#[query("doc")]` or
///   `#[arg("doc")]` (an SDK argument not sent as such) for one value; `#[body]` or `#[query]` for
///   the request type whose fields are the other parameters (`#[query(default)]`: it may be
///   omitted, every field being optional).
/// * `#[query_fields(SomeQuery)]` on a method whose parameters are the fields of `SomeQuery`: the
///   bridge takes that query type, Rust and uniffi the fields.
/// * A generic handle is instantiated once per resource: `#[operations("invoices" = InvoiceKind,
///   "orders" = OrderKind)]` on `impl<K: SourceKind> Sources<K>`; `{kind}` in a doc becomes the
///   resource name.
///
/// The object doc of the bindings' resource is the `impl` block's own `///` doc.
#[proc_macro_attribute]
pub fn operations(attr: TokenStream, item: TokenStream) -> TokenStream {
    let instances = syn::parse_macro_input!(attr as Instances);
    let mut item = syn::parse_macro_input!(item as ItemImpl);
    let mut errors: Option<syn::Error> = None;
    let operations = collect(&mut item, &mut errors);
    let generated = match &errors {
        Some(error) => error.to_compile_error(),
        None => match expand(&item, &instances, &operations) {
            Ok(tokens) => tokens,
            Err(error) => error.to_compile_error(),
        },
    };
    quote!(#item #generated).into()
}

/// `"parties"`, or `"invoices" = InvoiceKind, "orders" = OrderKind` for a generic handle.
struct Instances(Vec<Instance>);

struct Instance {
    resource: LitStr,
    kind: Option<Type>,
}

impl Parse for Instances {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let list = Punctuated::<Instance, Token![,]>::parse_terminated(input)?;
        Ok(Instances(list.into_iter().collect()))
    }
}

impl Parse for Instance {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let resource: LitStr = input.parse()?;
        let kind = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Instance { resource, kind })
    }
}

/// Where one parameter goes.
enum Role {
    /// One value: `path`, `query` or `arg`, with its doc.
    Positional { kind: String, doc: LitStr },
    /// The request type whose fields are the other parameters: `body` or `query`.
    Request { kind: String, default: bool },
    /// A field of the method's `#[query_fields(..)]` type.
    Field,
}

/// A named parameter and what its helper attribute says it is.
struct Param<R> {
    name: Ident,
    ty: Type,
    role: R,
}

struct Operation {
    method: Ident,
    doc: String,
    params: Vec<Param<Role>>,
    query_fields: Option<Type>,
    returns: Type,
}

fn push_error(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(existing) => existing.combine(error),
        None => *errors = Some(error),
    }
}

/// What a parameter's helper attribute said.
enum Marker<R> {
    /// One of the markers, understood.
    Found(R),
    /// A marker that could not be understood (its error is already recorded).
    Invalid,
    /// No marker at all.
    Absent,
}

/// Removes a parameter's helper attributes (those named in `kinds`, so rustc never sees them)
/// and parses them with `parse`; a parse error is recorded in `errors`.
fn take_marker<R>(
    attrs: &mut Vec<Attribute>,
    kinds: &[&str],
    errors: &mut Option<syn::Error>,
    mut parse: impl FnMut(&str, &Attribute) -> syn::Result<R>,
) -> Marker<R> {
    let mut marker = Marker::Absent;
    attrs.retain(|attr| {
        let Some(kind) = kinds.iter().copied().find(|k| attr.path().is_ident(k)) else {
            return true;
        };
        marker = match parse(kind, attr) {
            Ok(found) => Marker::Found(found),
            Err(error) => {
                push_error(errors, error);
                Marker::Invalid
            }
        };
        false
    });
    marker
}

/// Every `pub async fn` of the impl, its helper attributes removed (so rustc never sees them).
fn collect(item: &mut ItemImpl, errors: &mut Option<syn::Error>) -> Vec<Operation> {
    let mut operations = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let query_fields = take_query_fields(&mut method.attrs, errors);
        let is_operation =
            matches!(method.vis, Visibility::Public(_)) && method.sig.asyncness.is_some();
        if !is_operation {
            if let Some(ty) = query_fields {
                push_error(
                    errors,
                    syn::Error::new(
                        ty.span(),
                        "#[query_fields] on a method that is not `pub async fn`",
                    ),
                );
            }
            continue;
        }
        let in_query_fields = query_fields.is_some();
        let (doc, params) =
            doc_and_params(method, "an operation", errors, |attrs, name, errors| {
                take_role(attrs, in_query_fields, name, errors)
            });
        let requests = params
            .iter()
            .filter(|p| matches!(p.role, Role::Request { .. }))
            .count();
        if requests > 1 {
            push_error(
                errors,
                syn::Error::new(
                    method.sig.ident.span(),
                    "at most one #[body] / #[query] request parameter",
                ),
            );
        }
        let returns = match result_type(&method.sig.output) {
            Some(ty) => ty,
            None => {
                push_error(
                    errors,
                    syn::Error::new(method.sig.output.span(), "an operation returns `Result<T>`"),
                );
                continue;
            }
        };
        operations.push(Operation {
            method: method.sig.ident.clone(),
            doc,
            params,
            query_fields,
            returns,
        });
    }
    operations
}

/// The method's `///` doc and its parameters, each with the role `role` reads from (and removes
/// with) its helper attribute; errors for a missing doc, an unnamed parameter or no `&self`.
fn doc_and_params<R>(
    method: &mut syn::ImplItemFn,
    what: &str,
    errors: &mut Option<syn::Error>,
    mut role: impl FnMut(&mut Vec<Attribute>, &Ident, &mut Option<syn::Error>) -> Option<R>,
) -> (String, Vec<Param<R>>) {
    let span = method.sig.ident.span();
    let doc = doc_text(&method.attrs);
    if doc.is_empty() {
        let message = format!("{what} needs a `///` doc: it is the doc of every binding");
        push_error(errors, syn::Error::new(span, message));
    }
    let mut params = Vec::new();
    let mut has_receiver = false;
    for input in &mut method.sig.inputs {
        match input {
            FnArg::Receiver(_) => has_receiver = true,
            FnArg::Typed(typed) => {
                let Pat::Ident(pat) = &*typed.pat else {
                    push_error(
                        errors,
                        syn::Error::new(typed.pat.span(), "name the parameter"),
                    );
                    continue;
                };
                let name = pat.ident.clone();
                if let Some(role) = role(&mut typed.attrs, &name, errors) {
                    let ty = (*typed.ty).clone();
                    params.push(Param { name, ty, role });
                }
            }
        }
    }
    if !has_receiver {
        push_error(
            errors,
            syn::Error::new(span, format!("{what} takes `&self`")),
        );
    }
    (doc, params)
}

/// Removes `#[query_fields(Type)]` and returns its type.
fn take_query_fields(attrs: &mut Vec<Attribute>, errors: &mut Option<syn::Error>) -> Option<Type> {
    let mut found = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident("query_fields") {
            return true;
        }
        match attr.parse_args::<Type>() {
            Ok(ty) => found = Some(ty),
            Err(error) => push_error(errors, error),
        }
        false
    });
    found
}

/// Removes the parameter's helper attribute and says what it means.
fn take_role(
    attrs: &mut Vec<Attribute>,
    in_query_fields: bool,
    name: &Ident,
    errors: &mut Option<syn::Error>,
) -> Option<Role> {
    let marker = take_marker(
        attrs,
        &["path", "query", "arg", "body"],
        errors,
        |kind, attr| {
            if in_query_fields {
                return Err(syn::Error::new(
                    attr.span(),
                    "no parameter attribute with #[query_fields]: the parameters are its fields",
                ));
            }
            match &attr.meta {
            Meta::Path(_) if kind == "query" || kind == "body" => Ok(Role::Request {
                kind: kind.to_string(),
                default: false,
            }),
            Meta::List(list) => {
                if let Ok(doc) = syn::parse2::<LitStr>(list.tokens.clone()) {
                    if kind == "body" {
                        Err(syn::Error::new(
                            attr.span(),
                            "#[body] marks the request type; it takes no doc",
                        ))
                    } else {
                        Ok(Role::Positional {
                            kind: kind.to_string(),
                            doc,
                        })
                    }
                } else if syn::parse2::<Ident>(list.tokens.clone()).is_ok_and(|i| i == "default")
                    && (kind == "query" || kind == "body")
                {
                    Ok(Role::Request {
                        kind: kind.to_string(),
                        default: true,
                    })
                } else {
                    Err(syn::Error::new(
                        list.tokens.span(),
                        "expected a doc string, or `default` on a #[query]/#[body] request",
                    ))
                }
            }
            _ => Err(syn::Error::new(
                attr.span(),
                "#[path(\"doc\")], #[query(\"doc\")] and #[arg(\"doc\")] need the parameter's doc",
            )),
        }
        },
    );
    match marker {
        Marker::Found(role) => Some(role),
        Marker::Invalid => None,
        Marker::Absent if in_query_fields => Some(Role::Field),
        Marker::Absent => {
            push_error(
                errors,
                syn::Error::new(
                    name.span(),
                    "say where this parameter goes: #[path(\"doc\")], #[query(\"doc\")], #[arg(\"doc\")], \
                     or #[body] / #[query] for the request type",
                ),
            );
            None
        }
    }
}

/// The `T` of `Result<T>`.
fn result_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    }
}

/// The `///` doc as one text: lines of a paragraph joined by a space, paragraphs by a blank line,
/// intra-doc links (`` [`Name`] ``) as plain code (they mean nothing outside rustdoc).
fn doc_text(attrs: &[Attribute]) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        let Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) = &nv.value
        else {
            continue;
        };
        let text = text.value();
        // A blank `///` line is an empty doc attribute: it ends the paragraph.
        let lines: Vec<&str> = if text.trim().is_empty() {
            vec![""]
        } else {
            text.lines().collect()
        };
        for line in lines {
            let line = line.trim();
            if line.is_empty() {
                if !current.is_empty() {
                    paragraphs.push(std::mem::take(&mut current));
                }
            } else {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(line);
            }
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
        .join("\n\n")
        .replace("[`", "`")
        .replace("`]", "`")
}

/// Substitutes a generic handle's type parameter: `K::Source` becomes
/// `<InvoiceKind as SourceKind>::Source`, a bare `K` becomes `InvoiceKind`.
struct Substitution {
    param: Ident,
    bound: Tokens,
    concrete: Type,
}

impl Substitution {
    fn apply(&self, tokens: Tokens) -> Tokens {
        let mut out: Vec<TokenTree> = Vec::new();
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) if *ident == self.param => {
                    let followed_by_path = matches!(
                        (trees.get(index + 1), trees.get(index + 2)),
                        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                            if a.as_char() == ':' && b.as_char() == ':'
                    );
                    let concrete = &self.concrete;
                    let bound = &self.bound;
                    let replacement = if followed_by_path {
                        quote!(<#concrete as #bound>)
                    } else {
                        quote!(#concrete)
                    };
                    out.extend(replacement);
                }
                TokenTree::Group(group) => {
                    let mut new = Group::new(group.delimiter(), self.apply(group.stream()));
                    new.set_span(group.span());
                    out.push(TokenTree::Group(new));
                }
                other => out.push(other.clone()),
            }
        }
        out.into_iter().collect()
    }
}

/// `&str` → `String`, `&T` → `T`, `T` → `T`; and whether it was a reference.
fn owned(ty: &Type) -> (Tokens, bool) {
    match ty {
        Type::Reference(reference) => {
            let inner = &reference.elem;
            if let Type::Path(path) = &**inner {
                if path.path.is_ident("str") {
                    return (quote!(::std::string::String), true);
                }
            }
            (inner.to_token_stream(), true)
        }
        other => (other.to_token_stream(), false),
    }
}

fn expand(item: &ItemImpl, instances: &Instances, operations: &[Operation]) -> syn::Result<Tokens> {
    let type_params: Vec<_> = item
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let generic = type_params.first();
    if instances.0.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "name the resource: #[operations(\"parties\")]",
        ));
    }
    let object_doc = doc_text(&item.attrs);
    let mut out = Tokens::new();
    for instance in &instances.0 {
        let substitution =
            match (generic, &instance.kind) {
                (None, None) => None,
                (Some(param), Some(concrete)) => {
                    let bound = param
                        .bounds
                        .iter()
                        .find_map(|b| match b {
                            TypeParamBound::Trait(t) => Some(t.path.to_token_stream()),
                            _ => None,
                        })
                        .ok_or_else(|| {
                            syn::Error::new(param.span(), "the type parameter needs a trait bound")
                        })?;
                    Some(Substitution {
                        param: param.ident.clone(),
                        bound,
                        concrete: concrete.clone(),
                    })
                }
                (Some(param), None) => return Err(syn::Error::new(
                    param.span(),
                    "a generic handle names one instance per resource: \"invoices\" = InvoiceKind",
                )),
                (None, Some(kind)) => {
                    return Err(syn::Error::new(
                        kind.span(),
                        "`= Kind` only on a generic handle",
                    ))
                }
            };
        let subst = |tokens: Tokens| match &substitution {
            Some(s) => s.apply(tokens),
            None => tokens,
        };
        let resource = instance.resource.value();
        let accessor = Ident::new(&resource, instance.resource.span());
        let self_ty = subst(item.self_ty.to_token_stream());
        let object_doc = object_doc.replace("{kind}", &resource);

        let mut entries = Vec::new();
        let mut signatures = Vec::new();
        for op in operations {
            let method = &op.method;
            let name = format!("{resource}.{method}");
            let doc = op.doc.replace("{kind}", &resource);
            let returns = subst(op.returns.to_token_stream());
            let mut positional = Vec::new();
            let mut request = quote!(_r: crate::bridge::registry::NoArgs ["none"]);
            let mut call_args = Vec::new();
            let mut signature_params = Vec::new();
            if let Some(fields) = &op.query_fields {
                let fields = subst(fields.to_token_stream());
                request = quote!(req: #fields ["query"]);
            }
            for param in &op.params {
                let pname = &param.name;
                let (owned_ty, by_ref) = owned(&param.ty);
                let owned_ty = subst(owned_ty);
                let mut default = false;
                match &param.role {
                    Role::Positional { kind, doc } => {
                        positional.push(quote!(#pname: #owned_ty [#kind] #doc));
                        call_args.push(if by_ref {
                            quote!(&#pname)
                        } else {
                            quote!(#pname)
                        });
                    }
                    Role::Request { kind, default: d } => {
                        default = *d;
                        request = quote!(#pname: #owned_ty [#kind]);
                        call_args.push(if by_ref {
                            quote!(&#pname)
                        } else {
                            quote!(#pname)
                        });
                    }
                    Role::Field => {
                        call_args.push(if by_ref {
                            quote!(&req.#pname)
                        } else {
                            quote!(req.#pname)
                        });
                    }
                }
                signature_params.push(signature_param(pname, &owned_ty, by_ref, default));
            }
            let method_text = method.to_string();
            entries.push(quote! {
                crate::bridge::registry::op! {
                    #name, #doc;
                    params { #(#positional),* }
                    request #request;
                    returns #returns;
                    events false;
                    |c, ev| { c.#accessor().#method(#(#call_args),*).await? }
                }
            });
            signatures.push(quote! {
                crate::bridge::registry::Signature {
                    method: #method_text,
                    doc: #doc,
                    params: ::std::vec![#(#signature_params),*],
                    returns: ::std::any::type_name::<#returns>(),
                    is_async: true,
                    fallible: true,
                    listener: false,
                }
            });
        }
        out.extend(quote! {
            #[cfg(feature = "bridge")]
            impl #self_ty {
                /// This resource's operations for the bridge (generated by
                /// `#[dollr_macros::operations]` from the methods above).
                pub(crate) fn bridge_resource() -> crate::bridge::registry::Resource {
                    crate::bridge::registry::Resource {
                        name: #resource,
                        doc: #object_doc,
                        handle: ::std::any::type_name::<#self_ty>(),
                        operations: ::std::vec![#(#entries),*],
                        signatures: ::std::vec![#(#signatures),*],
                    }
                }
            }
        });
    }
    Ok(out)
}

/// One parameter of a generated uniffi wrapper's signature (`bridge::registry::SignatureParam`).
fn signature_param(name: &Ident, owned_ty: &Tokens, by_ref: bool, default: bool) -> Tokens {
    let name = name.to_string();
    quote! {
        crate::bridge::registry::SignatureParam {
            name: #name,
            ty: ::std::any::type_name::<#owned_ty>(),
            by_ref: #by_ref,
            default: #default,
        }
    }
}

/// Declares the flows of an `impl` block: every `pub fn` (async or not) is one flow of the bridge,
/// named after the method (`collect`), or `<prefix>.<method>` with `#[flows("status")]`, and
/// documented by the method's `///` doc. At most one `#[flows]` block per module: it emits the
/// module's `bridge_flows()`, listed once in `bridge::registry::flows()`.
///
/// ```ignore
/// #[dollr_macros::flows]
/// impl Client {
///     /// Pays out to a mobile-money wallet end to end: … Reports each step as an event.
///     pub async fn payout(&self, #[flow] request: &PayoutRequest) -> Result<PayoutOutcome> { .. }
///
///     /// Asks the API whether the document is `PAID` (`status/source`). …
///     pub async fn verify_paid(
///         &self,
///         #[arg("`INVOICE` or `ORDER`.")] source_type: SourceType,
///         #[arg("The document's id.")] source_id: Id,
///     ) -> Result<PaymentVerification> { .. }
/// }
/// ```
///
/// * Each parameter says what it is: `#[arg("doc")]` or `#[path("doc")]` for one value (path
///   parameters come first on the bridge, as the bindings put them); `#[flow]` for a flow request
///   whose fields (and those of its `FlowOptions`, and the `amount` shorthand) are the flow's
///   arguments; `#[options]` for an options type whose fields are arguments (every one optional).
///   The request or options type implements `bridge::flows::FlowArgs`, which says whether the
///   flow reports events and where they come from (its `FlowOptions`, its own listener, or none).
/// * On a block of `Client` the flow runs as `client.<method>(..)`; on a resource handle (a block
///   of `Status` with `#[flows("status")]`) as `client.status().<method>(..)`.
/// * The Swift/Kotlin method is generated from the signature (`make generate`), with a
///   `listener` parameter when the flow request carries `FlowOptions`. `#[uniffi_by_hand("why")]`
///   on a method says its uniffi method is written by hand in `bindings-swift` instead (a
///   translation the generator cannot make); the coverage tests still require it.
#[proc_macro_attribute]
pub fn flows(attr: TokenStream, item: TokenStream) -> TokenStream {
    let prefix = if attr.is_empty() {
        None
    } else {
        Some(syn::parse_macro_input!(attr as LitStr))
    };
    let mut item = syn::parse_macro_input!(item as ItemImpl);
    let mut errors: Option<syn::Error> = None;
    let flows = collect_flows(&mut item, &mut errors);
    let generated = match &errors {
        Some(error) => error.to_compile_error(),
        None => expand_flows(&item, prefix.as_ref(), &flows),
    };
    quote!(#item #generated).into()
}

/// What one flow parameter is.
enum FlowRole {
    /// One value (`arg` or `path`), with its doc.
    Positional { kind: String, doc: LitStr },
    /// A flow request (`#[flow]`): its fields, options and shorthand are the arguments.
    Request,
    /// An options type (`#[options]`): its fields are optional arguments.
    Options,
}

struct Flow {
    method: Ident,
    doc: String,
    params: Vec<Param<FlowRole>>,
    returns: Type,
    fallible: bool,
    is_async: bool,
    by_hand: Option<LitStr>,
}

/// Every `pub fn` of the impl, its helper attributes removed.
fn collect_flows(item: &mut ItemImpl, errors: &mut Option<syn::Error>) -> Vec<Flow> {
    let mut flows = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        if !matches!(method.vis, Visibility::Public(_)) {
            continue;
        }
        let mut by_hand = None;
        method.attrs.retain(|attr| {
            if !attr.path().is_ident("uniffi_by_hand") {
                return true;
            }
            match attr.parse_args::<LitStr>() {
                Ok(why) => by_hand = Some(why),
                Err(error) => push_error(errors, error),
            }
            false
        });
        let (doc, params) = doc_and_params(method, "a flow", errors, take_flow_role);
        let requests = params
            .iter()
            .filter(|p| !matches!(p.role, FlowRole::Positional { .. }))
            .count();
        if requests > 1 {
            push_error(
                errors,
                syn::Error::new(
                    method.sig.ident.span(),
                    "at most one #[flow] / #[options] parameter",
                ),
            );
        }
        let (returns, fallible) = match result_type(&method.sig.output) {
            Some(ty) => (ty, true),
            None => match &method.sig.output {
                ReturnType::Default => (syn::parse_quote!(()), false),
                ReturnType::Type(_, ty) => ((**ty).clone(), false),
            },
        };
        flows.push(Flow {
            method: method.sig.ident.clone(),
            doc,
            params,
            returns,
            fallible,
            is_async: method.sig.asyncness.is_some(),
            by_hand,
        });
    }
    flows
}

/// Removes the parameter's helper attribute and says what it means.
fn take_flow_role(
    attrs: &mut Vec<Attribute>,
    name: &Ident,
    errors: &mut Option<syn::Error>,
) -> Option<FlowRole> {
    let marker = take_marker(
        attrs,
        &["arg", "path", "flow", "options"],
        errors,
        |kind, attr| match (kind, &attr.meta) {
            ("flow", Meta::Path(_)) => Ok(FlowRole::Request),
            ("options", Meta::Path(_)) => Ok(FlowRole::Options),
            ("arg" | "path", Meta::List(list)) => {
                syn::parse2::<LitStr>(list.tokens.clone()).map(|doc| FlowRole::Positional {
                    kind: kind.to_string(),
                    doc,
                })
            }
            ("arg" | "path", _) => Err(syn::Error::new(
                attr.span(),
                "#[arg(\"doc\")] and #[path(\"doc\")] need the parameter's doc",
            )),
            _ => Err(syn::Error::new(
                attr.span(),
                "#[flow] and #[options] take no arguments",
            )),
        },
    );
    if let Marker::Found(role) = marker {
        return Some(role);
    }
    push_error(
        errors,
        syn::Error::new(
            name.span(),
            "say what this parameter is: #[arg(\"doc\")], #[path(\"doc\")], #[flow] (a flow \
             request) or #[options] (an options type)",
        ),
    );
    None
}

fn expand_flows(item: &ItemImpl, prefix: Option<&LitStr>, flows: &[Flow]) -> Tokens {
    let self_ty = &item.self_ty;
    let on_client = matches!(&**self_ty, Type::Path(path) if path.path.is_ident("Client"));
    let prefix = prefix.map(LitStr::value);
    let mut entries = Vec::new();
    for flow in flows {
        let method = &flow.method;
        let method_text = method.to_string();
        let name = match &prefix {
            Some(prefix) => format!("{prefix}.{method_text}"),
            None => method_text.clone(),
        };
        let doc = &flow.doc;
        let returns = &flow.returns;
        let mut positional = Vec::new();
        let mut request = quote!(_r: crate::bridge::registry::NoArgs);
        let mut listener = quote!(false);
        let mut call_args = Vec::new();
        let mut signature_params = Vec::new();
        for param in &flow.params {
            let pname = &param.name;
            let (owned_ty, by_ref) = owned(&param.ty);
            call_args.push(if by_ref {
                quote!(&#pname)
            } else {
                quote!(#pname)
            });
            let default = match &param.role {
                FlowRole::Positional { kind, doc } => {
                    positional.push((kind == "path", quote!(#pname: #owned_ty [#kind] #doc)));
                    false
                }
                FlowRole::Request => {
                    request = quote!(#pname: #owned_ty);
                    listener = quote!(<#owned_ty as crate::bridge::flows::FlowArgs>::WAITS);
                    false
                }
                FlowRole::Options => {
                    request = quote!(#pname: #owned_ty);
                    true
                }
            };
            signature_params.push(signature_param(pname, &owned_ty, by_ref, default));
        }
        // Path parameters first (stable), as every binding orders them.
        positional.sort_by_key(|(is_path, _)| !is_path);
        let positional = positional.into_iter().map(|(_, tokens)| tokens);
        let receiver = match (&prefix, on_client) {
            (Some(prefix), false) => {
                let accessor = Ident::new(prefix, Span::call_site());
                quote!(c.#accessor())
            }
            _ => quote!(c),
        };
        let mut call = quote!(#receiver.#method(#(#call_args),*));
        if flow.is_async {
            call = quote!(#call.await);
        }
        if !flow.fallible {
            call = quote!(crate::error::Result::Ok(#call));
        }
        let operation = quote! {
            crate::bridge::flows::flow! {
                #name, #doc;
                params { #(#positional),* }
                request #request;
                returns #returns;
                |c| #call
            }
        };
        let is_async = flow.is_async;
        let fallible = flow.fallible;
        let by_hand = match &flow.by_hand {
            Some(why) => quote!(::std::option::Option::Some(#why)),
            None => quote!(::std::option::Option::None),
        };
        let object = match (&prefix, on_client) {
            (Some(prefix), false) => quote!(::std::option::Option::Some(#prefix)),
            _ => quote!(::std::option::Option::None),
        };
        entries.push(quote! {
            crate::bridge::registry::Flow {
                operation: #operation,
                object: #object,
                signature: crate::bridge::registry::Signature {
                    method: #method_text,
                    doc: #doc,
                    params: ::std::vec![#(#signature_params),*],
                    returns: ::std::any::type_name::<#returns>(),
                    is_async: #is_async,
                    fallible: #fallible,
                    listener: #listener,
                },
                by_hand: #by_hand,
            }
        });
    }
    quote! {
        /// The flows of this module for the bridge (generated by `#[dollr_macros::flows]` from the
        /// methods above).
        #[cfg(feature = "bridge")]
        pub(crate) fn bridge_flows() -> ::std::vec::Vec<crate::bridge::registry::Flow> {
            ::std::vec![#(#entries),*]
        }
    }
}
