//! The methods the protocol core answers from the executor's table:
//! `system.listMethods`, `system.methodHelp`, `system.methodSignature`,
//! `system.multicall` (XML-RPC; run by `xml_answer`) and `rpc.discover`.

use serde_json::Value;

use super::args::{self, Args};
use super::method::{lookup, offered, Ctx, RpcMethod, Spec};
use super::registry::{Offered::*, Permission::*, Protocol, Ty};
use super::{openrpc, CallError, Executor, RawJson, RpcError};
use crate::domain::Namespace;

pub struct ListMethods;

impl<C: Executor> RpcMethod<C> for ListMethods {
    const SPEC: &'static Spec = &Spec {
        name: "system.listMethods",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "Returns the names of all methods.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, C>, _: ()) -> Result<RawJson, CallError> {
        let names: Vec<&str> = offered(ctx.exec.methods(), ctx.protocol)
            .map(|s| s.name)
            .collect();
        Ok(RawJson::of(&names))
    }
}

/// The spec of the method called `name`, as `protocol` offers it.
fn described<C: Executor>(ctx: &Ctx<'_, C>, name: &str) -> Result<&'static Spec, CallError> {
    lookup(ctx.exec.methods(), ctx.protocol, name)
        .map(|(m, _)| m.spec())
        .ok_or_else(|| CallError::Rpc(RpcError::method_not_found(name)))
}

pub struct MethodHelp;

impl<C: Executor> RpcMethod<C> for MethodHelp {
    const SPEC: &'static Spec = &Spec {
        name: "system.methodHelp",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::String,
        offered: Both,
        permission: Read,
        help: "Returns the help text of the named method.",
    };
    type Args = String;

    fn bind(args: &mut Args) -> Result<String, RpcError> {
        args.required(args::string)
    }

    fn namespaces(_: &String) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, C>, name: String) -> Result<RawJson, CallError> {
        Ok(RawJson::of(&described(&ctx, &name)?.help))
    }
}

pub struct MethodSignature;

impl<C: Executor> RpcMethod<C> for MethodSignature {
    const SPEC: &'static Spec = &Spec {
        name: "system.methodSignature",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "Returns the signatures of the named method: [[return type, param types...], ...], one per number of params.",
    };
    type Args = String;

    fn bind(args: &mut Args) -> Result<String, RpcError> {
        args.required(args::string)
    }

    fn namespaces(_: &String) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, C>, name: String) -> Result<RawJson, CallError> {
        Ok(RawJson::of(&described(&ctx, &name)?.signatures()))
    }
}

pub struct Multicall;

impl<C: Executor> RpcMethod<C> for Multicall {
    const SPEC: &'static Spec = &Spec {
        name: "system.multicall",
        params: &[("calls", Ty::Array)],
        required: 1,
        returns: Ty::Array,
        offered: XmlOnly,
        permission: Read,
        help: "XML-RPC only: runs each {methodName, params} in order, each judged on its own; returns \
               [result] or a fault struct per call.",
    };
    type Args = Vec<Value>;

    fn bind(args: &mut Args) -> Result<Vec<Value>, RpcError> {
        args.required(calls)
    }

    fn namespaces(_: &Vec<Value>) -> Vec<&Namespace> {
        vec![]
    }

    /// Only reached nested: `xml_answer` runs a multicall itself.
    async fn run(_: Ctx<'_, C>, _: Vec<Value>) -> Result<RawJson, CallError> {
        Err(CallError::Rpc(RpcError::invalid_request(
            "system.multicall cannot be nested",
        )))
    }
}

/// `system.multicall`'s `calls`: an array of `{methodName, params}`.
pub fn calls(name: &str, v: Value) -> Result<Vec<Value>, RpcError> {
    match v {
        Value::Array(calls) => Ok(calls),
        other => Err(RpcError::invalid_params(format!(
            "{name:?} must be an array, got {}",
            args::kind(&other)
        ))),
    }
}

pub struct Discover;

impl<C: Executor> RpcMethod<C> for Discover {
    const SPEC: &'static Spec = &Spec {
        name: "rpc.discover",
        params: &[],
        required: 0,
        returns: Ty::Struct,
        offered: JsonOnly,
        permission: Read,
        help: "JSON-RPC only: returns the OpenRPC 1.3 document describing these methods.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, C>, _: ()) -> Result<RawJson, CallError> {
        let specs = offered(ctx.exec.methods(), Protocol::Json);
        Ok(RawJson::of(&openrpc::document(specs, ctx.exec.rpc_path())))
    }
}
