//! A method declared once: `RpcMethod` holds its `Spec` (name, params,
//! result, protocols, permission, help), how its params bind to typed
//! `Args`, which namespaces a bound call names (what `authorize` judges)
//! and its body. `Declared` erases one for the table an `Executor` serves;
//! binding, introspection, OpenRPC and the method browser read that table.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use super::args::Args;
use super::registry::Protocol;
pub use super::registry::Spec;
use super::{CallError, Caller, RawJson, RpcError};
use crate::domain::Namespace;

/// What a method's body runs with.
pub struct Ctx<'a, C> {
    pub exec: &'a C,
    /// Authorized for this call already.
    pub caller: &'a Caller,
    pub method: Method,
    pub protocol: Protocol,
    /// Where the call may leave the rest of itself to be answered later
    /// (a held `records.changes`): only alone, never in a batch, a
    /// multicall, a notification or in-process.
    pub hold: Option<&'a super::Hold>,
}

/// One RPC method over the executor `C`. Implemented by a unit struct in
/// the folder of the resource it serves, and listed once in the table.
pub trait RpcMethod<C>: 'static {
    const SPEC: &'static Spec;
    /// Whether its reply depends only on who calls, the params and the
    /// data's revision (the pulls): a repeated request may then be
    /// answered from the reply memo (`super::replay`), which redoes its
    /// fleet note. Never for a method that writes or reads anything else.
    const REPLAYABLE: bool = false;
    /// The params, checked and typed.
    type Args: 'static;

    /// Binds the params in `SPEC.params` order: each read of `args` takes
    /// the next one, and errors name it.
    fn bind(args: &mut Args) -> Result<Self::Args, RpcError>;

    /// The namespaces the call reads or writes: what `Read` and `Write`
    /// permissions are judged on.
    fn namespaces(args: &Self::Args) -> Vec<&Namespace>;

    fn run(ctx: Ctx<'_, C>, args: Self::Args) -> impl Future<Output = Result<RawJson, CallError>>;
}

/// A method's future, boxed so the table can hold methods of any shape.
pub type Running<'a> = Pin<Box<dyn Future<Output = Result<RawJson, CallError>> + 'a>>;

/// A call bound to its method's `Args`, ready to authorize and run.
pub trait Prepared<C> {
    fn namespaces(&self) -> Vec<&Namespace>;
    fn run<'a>(self: Box<Self>, ctx: Ctx<'a, C>) -> Running<'a>;
}

struct Ready<C, M: RpcMethod<C>>(M::Args, PhantomData<fn(&C)>);

impl<C: 'static, M: RpcMethod<C>> Prepared<C> for Ready<C, M> {
    fn namespaces(&self) -> Vec<&Namespace> {
        M::namespaces(&self.0)
    }

    fn run<'a>(self: Box<Self>, ctx: Ctx<'a, C>) -> Running<'a> {
        Box::pin(M::run(ctx, self.0))
    }
}

/// Binds a call's params for one method, its type erased.
type Bind<C> = fn(Args) -> Result<Box<dyn Prepared<C>>, RpcError>;

/// One row of a method table: a method with its type erased.
pub struct Declared<C: 'static> {
    pub spec: &'static Spec,
    /// `RpcMethod::REPLAYABLE`.
    pub replayable: bool,
    bind: Bind<C>,
}

impl<C: 'static> Declared<C> {
    pub const fn of<M: RpcMethod<C>>() -> Declared<C> {
        Declared {
            spec: M::SPEC,
            replayable: M::REPLAYABLE,
            bind: bind_erased::<C, M>,
        }
    }

    pub fn bind(&self, args: Args) -> Result<Box<dyn Prepared<C>>, RpcError> {
        (self.bind)(args)
    }
}

fn bind_erased<C: 'static, M: RpcMethod<C>>(
    mut args: Args,
) -> Result<Box<dyn Prepared<C>>, RpcError> {
    let bound = M::bind(&mut args)?;
    debug_assert!(
        args.is_done(),
        "{} binds fewer params than it declares",
        M::SPEC.name
    );
    Ok(Box::new(Ready::<C, M>(bound, PhantomData)))
}

/// A method of a table: its place there (metrics keep a slot per method)
/// and its spec.
#[derive(Debug, Clone, Copy)]
pub struct Method {
    index: usize,
    spec: &'static Spec,
}

impl PartialEq for Method {
    fn eq(&self, other: &Method) -> bool {
        self.index == other.index
    }
}

impl Method {
    /// The method at `index` of a table, whose spec is `spec`.
    pub const fn at(index: usize, spec: &'static Spec) -> Method {
        Method { index, spec }
    }

    pub fn name(self) -> &'static str {
        self.spec.name
    }

    pub fn spec(self) -> &'static Spec {
        self.spec
    }

    pub fn index(self) -> usize {
        self.index
    }
}

/// The method called `name` in `table`, whatever the protocol.
pub fn named<C>(
    table: &'static [Declared<C>],
    name: &str,
) -> Option<(Method, &'static Declared<C>)> {
    table
        .iter()
        .enumerate()
        .find(|(_, d)| d.spec.name == name)
        .map(|(index, d)| {
            (
                Method {
                    index,
                    spec: d.spec,
                },
                d,
            )
        })
}

/// The method `name` if `protocol` offers it.
pub fn lookup<C>(
    table: &'static [Declared<C>],
    protocol: Protocol,
    name: &str,
) -> Option<(Method, &'static Declared<C>)> {
    named(table, name).filter(|(m, _)| m.spec.offered_on(protocol))
}

/// The specs `protocol` offers, in table order.
pub fn offered<C>(
    table: &'static [Declared<C>],
    protocol: Protocol,
) -> impl Iterator<Item = &'static Spec> {
    table
        .iter()
        .map(|d| d.spec)
        .filter(move |s| s.offered_on(protocol))
}
