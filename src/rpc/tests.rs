//! Protocol-core tests: request bytes in, response bytes out, no HTTP, no database.

use serde_json::{json, Value};

use super::args::{self, Args};
use super::jsonrpc::Limits;
use super::method::{Ctx, RpcMethod, Spec};
use super::registry::{Offered::Both, Permission, Ty};
use super::*;
use crate::domain::{Namespace, RecordKey, Username};

/// Answers with fixed data from its own small table, so only the protocol
/// is under test: the real methods' params are tested with their resource.
#[derive(Clone)]
struct Echo;

impl Executor for Echo {
    fn methods(&self) -> &'static [Declared<Echo>] {
        &TABLE
    }
}

static TABLE: [Declared<Echo>; 11] = [
    Declared::of::<Get>(),
    Declared::of::<Put>(),
    Declared::of::<Delete>(),
    Declared::of::<Changes>(),
    Declared::of::<List>(),
    Declared::of::<MyRpc>(),
    Declared::of::<ListMethods>(),
    Declared::of::<MethodHelp>(),
    Declared::of::<MethodSignature>(),
    Declared::of::<Multicall>(),
    Declared::of::<Discover>(),
];

const fn spec(
    name: &'static str,
    params: &'static [(&'static str, Ty)],
    required: usize,
    returns: Ty,
    permission: Permission,
) -> Spec {
    Spec {
        name,
        params,
        required,
        returns,
        offered: Both,
        permission,
        help: "A test method that echoes a record.",
    }
}

const KEY_NS: &[(&str, Ty)] = &[("key", Ty::String), ("namespace", Ty::String)];

/// `{key}` (and `namespace` outside `default`); -32002 for the key `missing`.
struct Get;

impl RpcMethod<Echo> for Get {
    const SPEC: &'static Spec = &spec("records.get", KEY_NS, 1, Ty::Struct, Permission::Read);
    type Args = (RecordKey, Namespace);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::key)?, a.namespace()?))
    }

    fn namespaces((_, ns): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(_: Ctx<'_, Echo>, (key, ns): Self::Args) -> Result<RawJson, CallError> {
        match key.as_str() {
            "missing" => Err(CallError::NotFound(key.into_string())),
            _ if ns.is_default() => Ok(RawJson::of(&json!({ "key": key.as_str() }))),
            _ => Ok(RawJson::of(
                &json!({ "key": key.as_str(), "namespace": ns.as_str() }),
            )),
        }
    }
}

/// Answers the value it was given.
struct Put;

impl RpcMethod<Echo> for Put {
    const SPEC: &'static Spec = &spec(
        "records.put",
        &[
            ("key", Ty::String),
            ("value", Ty::Any),
            ("namespace", Ty::String),
            ("expires_in", Ty::Double),
            ("expires_at", Ty::String),
        ],
        2,
        Ty::Int,
        Permission::Write,
    );
    type Args = (RecordKey, Value, Namespace);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let bound = (a.required(args::key)?, a.value(), a.namespace()?);
        a.value();
        a.value();
        Ok(bound)
    }

    fn namespaces((_, _, ns): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(_: Ctx<'_, Echo>, (_, value, _): Self::Args) -> Result<RawJson, CallError> {
        Ok(RawJson::of(&value))
    }
}

/// Always finds the database unavailable.
struct Delete;

impl RpcMethod<Echo> for Delete {
    const SPEC: &'static Spec = &spec("records.delete", KEY_NS, 1, Ty::Boolean, Permission::Write);
    type Args = Namespace;

    fn bind(a: &mut Args) -> Result<Namespace, RpcError> {
        a.required(args::key)?;
        a.namespace()
    }

    fn namespaces(ns: &Namespace) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(_: Ctx<'_, Echo>, _: Namespace) -> Result<RawJson, CallError> {
        Err(CallError::Unavailable)
    }
}

/// Answers `since`.
struct Changes;

impl RpcMethod<Echo> for Changes {
    const SPEC: &'static Spec = &spec(
        "records.changes",
        &[("since", Ty::Int)],
        1,
        Ty::Struct,
        Permission::Read,
    );
    type Args = i64;

    fn bind(a: &mut Args) -> Result<i64, RpcError> {
        a.required(args::revision)
    }

    fn namespaces(_: &i64) -> Vec<&Namespace> {
        vec![Namespace::default_ref()]
    }

    async fn run(_: Ctx<'_, Echo>, since: i64) -> Result<RawJson, CallError> {
        Ok(RawJson::of(&since))
    }
}

/// Answers `[]`.
struct List;

impl RpcMethod<Echo> for List {
    const SPEC: &'static Spec = &spec(
        "records.list",
        &[("namespace", Ty::String)],
        0,
        Ty::Array,
        Permission::Read,
    );
    type Args = Namespace;

    fn bind(a: &mut Args) -> Result<Namespace, RpcError> {
        a.namespace()
    }

    fn namespaces(ns: &Namespace) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(_: Ctx<'_, Echo>, _: Namespace) -> Result<RawJson, CallError> {
        Ok(RawJson::from_trusted("[]"))
    }
}

/// Answers `[]`, with no params.
struct MyRpc;

impl RpcMethod<Echo> for MyRpc {
    const SPEC: &'static Spec = &spec("testrpc.MyRPC", &[], 0, Ty::Array, Permission::Read);
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![Namespace::default_ref()]
    }

    async fn run(_: Ctx<'_, Echo>, _: ()) -> Result<RawJson, CallError> {
        Ok(RawJson::from_trusted("[]"))
    }
}

const LIMITS: Limits = Limits {
    max_reply: 1 << 20,
    max_batch: 3,
    max_depth: 8,
};

fn respond(body: &[u8]) -> Option<Value> {
    let writer = Caller {
        principal: Username::parse("tester").ok().map(Principal::User),
        grants: Grants::everything(crate::domain::Level::Write),
        ..Caller::default()
    };
    let out = futures_executor(handle_json(body, &LIMITS, &writer, &Echo)).body;
    out.map(|body| serde_json::from_slice(&body.to_vec()).expect("response is JSON"))
}

/// Runs a future that never waits on I/O.
fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
    actix_web::rt::System::new().block_on(f)
}

fn check(request: &str, expected: Value) {
    assert_eq!(
        respond(request.as_bytes()),
        Some(expected),
        "request: {request}"
    );
}

fn error_code(request: &[u8]) -> i64 {
    let reply = respond(request).expect("a reply");
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {reply}"))
}

#[test]
fn positional_and_named_params() {
    check(
        r#"{"jsonrpc":"2.0","method":"records.get","params":["a"],"id":1}"#,
        json!({"jsonrpc":"2.0","result":{"key":"a"},"id":1}),
    );
    check(
        r#"{"jsonrpc":"2.0","method":"records.put","params":{"value":[1],"key":"a"},"id":"x"}"#,
        json!({"jsonrpc":"2.0","result":[1],"id":"x"}),
    );
    // The namespace: one more positional param, or by name.
    check(
        r#"{"jsonrpc":"2.0","method":"records.get","params":["a","geo"],"id":1}"#,
        json!({"jsonrpc":"2.0","result":{"key":"a","namespace":"geo"},"id":1}),
    );
    check(
        r#"{"jsonrpc":"2.0","method":"records.get","params":{"key":"a","namespace":"geo"},"id":1}"#,
        json!({"jsonrpc":"2.0","result":{"key":"a","namespace":"geo"},"id":1}),
    );
    check(
        r#"{"jsonrpc":"2.0","method":"records.get","params":{"key":"a","namespace":null},"id":1}"#,
        json!({"jsonrpc":"2.0","result":{"key":"a"},"id":1}),
    );
}

#[test]
fn ids_are_echoed_with_their_type() {
    for id in [json!(7), json!(-2.5), json!("7"), json!(null)] {
        let req = json!({"jsonrpc":"2.0","method":"records.changes","params":[0],"id":id});
        let reply = respond(req.to_string().as_bytes()).unwrap();
        assert_eq!(reply["id"], id);
    }
}

#[test]
fn notifications_get_no_reply() {
    assert_eq!(
        respond(br#"{"jsonrpc":"2.0","method":"records.put","params":["a",1]}"#),
        None
    );
    assert_eq!(
        respond(
            br#"[{"jsonrpc":"2.0","method":"records.list"},{"jsonrpc":"2.0","method":"nope"}]"#
        ),
        None
    );
    // JSON-RPC 1.0: an id of null is a notification.
    assert_eq!(
        respond(br#"{"method":"records.list","params":[],"id":null}"#),
        None
    );
}

#[test]
fn batches_judge_each_element() {
    check(
        r#"[1,2]"#,
        json!([
        {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: a request must be an object"},"id":null},
        {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request: a request must be an object"},"id":null}]),
    );
    let reply = respond(
        br#"[{"jsonrpc":"2.0","method":"records.get","params":["a"],"id":1},
        {"jsonrpc":"2.0","method":"records.put","params":["b",2]},
        {"jsonrpc":"2.0","method":"nope","id":3}]"#,
    )
    .unwrap();
    assert_eq!(reply.as_array().unwrap().len(), 2);
    assert_eq!(reply[0]["result"], json!({"key":"a"}));
    assert_eq!(reply[1]["error"]["code"], -32601);
    assert_eq!(error_code(b"[]"), -32600);
    assert_eq!(
        error_code(br#"[{},{},{},{}]"#),
        -32600,
        "longer than max_batch"
    );
}

#[test]
fn parse_errors_have_null_id() {
    for bad in [&b"{"[..], b"", b"\xff\xfe", br#"{"method":"#, b"nul"] {
        let reply = respond(bad).unwrap();
        assert_eq!(reply["error"]["code"], -32700, "{bad:?}");
        assert_eq!(reply["id"], Value::Null);
    }
    let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
    assert_eq!(error_code(deep.as_bytes()), -32700);
    // Brackets inside strings do not count.
    let shallow =
        json!({"jsonrpc":"2.0","method":"records.put","params":["k","[[[[[[[[[[[[[["],"id":1});
    assert_eq!(
        respond(shallow.to_string().as_bytes()).unwrap()["result"],
        "[[[[[[[[[[[[[["
    );
}

#[test]
fn invalid_requests() {
    for (req, code) in [
        (r#"{"jsonrpc":"2.0","method":1,"id":1}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":1}"#, -32600),
        (
            r#"{"jsonrpc":"1.5","method":"records.list","id":1}"#,
            -32600,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.list","params":"x","id":1}"#,
            -32600,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.list","id":{}}"#,
            -32600,
        ),
        (r#"{"method":"records.get","params":"a","id":1}"#, -32600),
        (
            r#"{"jsonrpc":"2.0","method":"records.nope","id":1}"#,
            -32601,
        ),
        (r#"{"jsonrpc":"2.0","method":"records.get","id":1}"#, -32602),
        (
            r#"{"jsonrpc":"2.0","method":"records.get","params":[1],"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.get","params":[""],"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.get","params":["a","B"],"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.get","params":["a","b",3],"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.get","params":{"kee":"a"},"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.changes","params":[-1],"id":1}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"records.changes","params":[1.5],"id":1}"#,
            -32602,
        ),
    ] {
        assert_eq!(error_code(req.as_bytes()), code, "{req}");
    }
}

#[test]
fn invalid_params_name_the_param() {
    let reply = respond(br#"{"jsonrpc":"2.0","method":"records.put","params":{"key":"a"},"id":1}"#)
        .unwrap();
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"value\""),
        "{reply}"
    );
    let reply =
        respond(br#"{"jsonrpc":"2.0","method":"records.get","params":{"key":"a","x":1},"id":1}"#)
            .unwrap();
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"x\""),
        "{reply}"
    );
}

#[test]
fn application_errors_use_the_server_range() {
    let reply = respond(br#"{"jsonrpc":"2.0","method":"records.get","params":["missing"],"id":1}"#)
        .unwrap();
    assert_eq!(reply["error"]["code"], error::NOT_FOUND);
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("missing"));
    assert_eq!(
        error_code(br#"{"jsonrpc":"2.0","method":"records.delete","params":["a"],"id":1}"#),
        -32001
    );
}

#[test]
fn version_1_replies_in_version_1_shape() {
    check(
        r#"{"method":"testrpc.MyRPC","params":[],"id":"JSON_RPC_1"}"#,
        json!({"result":[],"error":null,"id":"JSON_RPC_1"}),
    );
    check(
        r#"{"method":"testrpc.MyRPC","id":2}"#,
        json!({"result":[],"error":null,"id":2}),
    );
    // What a Lua client built on cjson sends for a call without arguments.
    check(
        r#"{"method":"testrpc.MyRPC","params":{},"id":"0.84"}"#,
        json!({"result":[],"error":null,"id":"0.84"}),
    );
    let reply = respond(br#"{"method":"nope","params":[],"id":3}"#).unwrap();
    assert_eq!(reply["result"], Value::Null);
    assert_eq!(reply["error"]["code"], -32601);
    assert!(reply.get("jsonrpc").is_none());
}

#[test]
fn introspection_reads_the_registry() {
    let reply = respond(br#"{"jsonrpc":"2.0","method":"system.listMethods","id":1}"#).unwrap();
    let names: Vec<&str> = reply["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"records.changes") && names.contains(&"testrpc.MyRPC"),
        "{names:?}"
    );
    check(
        r#"{"jsonrpc":"2.0","method":"system.methodSignature","params":["records.put"],"id":1}"#,
        json!({"jsonrpc":"2.0","result":[
            ["int","string","undef"],
            ["int","string","undef","string"],
            ["int","string","undef","string","double"],
            ["int","string","undef","string","double","string"]
        ],"id":1}),
    );
    check(
        r#"{"jsonrpc":"2.0","method":"system.methodSignature","params":["records.delete"],"id":1}"#,
        json!({"jsonrpc":"2.0","result":[["boolean","string"],["boolean","string","string"]],"id":1}),
    );
    let help = respond(
        br#"{"jsonrpc":"2.0","method":"system.methodHelp","params":["records.get"],"id":1}"#,
    )
    .unwrap();
    assert!(help["result"].as_str().unwrap().contains("record"));
    assert_eq!(
        error_code(br#"{"jsonrpc":"2.0","method":"system.methodHelp","params":["x.y"],"id":1}"#),
        -32601
    );
}

#[test]
fn authorization_is_checked_per_call() {
    let run = |caller: &Caller, body: &str| {
        let answer = futures_executor(handle_json(body.as_bytes(), &LIMITS, caller, &Echo));
        (
            answer.refusal.map(|r| r.status()),
            answer.body.map(|b| b.to_vec()),
        )
    };
    let anonymous = Caller::default();
    let reader = Caller {
        principal: Username::parse("r").ok().map(Principal::User),
        grants: Grants::everything(crate::domain::Level::Read),
        reads_need_user: true,
        ..Caller::default()
    };
    let put = r#"{"jsonrpc":"2.0","method":"records.put","params":["a",1],"id":1}"#;
    let get = r#"{"jsonrpc":"2.0","method":"records.get","params":["a"],"id":2}"#;
    assert_eq!(run(&anonymous, put).0, Some(401));
    assert_eq!(run(&reader, put).0, Some(403));
    assert_eq!(run(&anonymous, get).0, None, "public reads");
    let private = Caller {
        reads_need_user: true,
        ..Caller::default()
    };
    assert_eq!(run(&private, get).0, Some(401));
    let batch = run(&reader, &format!("[{put},{get}]"));
    assert_eq!(batch.0, None, "a batch answers 200, element by element");
    let replies: Value = serde_json::from_slice(&batch.1.unwrap()).unwrap();
    assert_eq!(replies[0]["error"]["code"], error::PERMISSION_DENIED);
    assert_eq!(replies[1]["result"], json!({"key": "a"}));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Any bytes get a JSON reply or none, never a panic.
        #[test]
        fn any_bytes_answer_json(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Some(v) = respond(&body) { prop_assert!(v.is_object() || v.is_array()); }
        }

        /// Any JSON value as a request is answered in a valid shape.
        #[test]
        fn any_json_is_judged(v in arb_json()) {
            let _ = respond(v.to_string().as_bytes());
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z.\"]{0,8}".prop_map(Value::from),
            Just(json!("2.0")),
            Just(json!("records.get")),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("jsonrpc".to_string()),
                        Just("method".to_string()),
                        Just("params".to_string()),
                        Just("id".to_string()),
                        "[a-z]{1,3}".prop_map(String::from)
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
