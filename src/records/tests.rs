//! The params that bound what one call may ask for: the namespaces of one
//! `records.changes` (1 to 100, each valid) and the `limit` of history and
//! audit reads (1 to 1000).

use serde_json::{json, Value};

use crate::center::Center;
use crate::rpc::args::Args;
use crate::rpc::error::INVALID_PARAMS;
use crate::rpc::jsonrpc::Params;
use crate::rpc::method::RpcMethod;

/// What binding `params` for `M` gives: its args, or the error code.
fn bind<M: RpcMethod<Center>>(params: Value) -> Result<M::Args, i64> {
    let params = match params {
        Value::Array(values) => Params::Positional(values),
        Value::Object(map) => Params::Named(map),
        _ => Params::None,
    };
    Args::arrange(M::SPEC, params)
        .and_then(|mut args| M::bind(&mut args))
        .map_err(|e| e.code)
}

#[test]
fn list_params_are_bounded() {
    let names = |n: usize| Value::from((0..n).map(|i| format!("ns-{i}")).collect::<Vec<_>>());
    assert!(bind::<super::Changes>(json!([0, names(100)])).is_ok());
    assert!(bind::<super::Changes>(json!([0, ["*"]])).is_ok());
    for params in [
        json!([0, names(101)]),
        json!([0, []]),
        json!([0, ["Bad"]]),
        json!([0, "default"]),
        json!([-1]),
        json!([0, null, 3601]),
    ] {
        let code = bind::<super::Changes>(params.clone()).err();
        assert_eq!(code, Some(INVALID_PARAMS), "{params}");
    }
    for limit in [json!(0), json!(1001), json!("10")] {
        let history = bind::<crate::history::KeyHistory>(json!({ "key": "a", "limit": limit }));
        assert_eq!(history.err(), Some(INVALID_PARAMS), "{limit}");
        let audit = bind::<crate::history::AuditList>(json!({ "limit": limit }));
        assert_eq!(audit.err(), Some(INVALID_PARAMS), "{limit}");
    }
    assert!(bind::<crate::history::AuditList>(json!({ "limit": 1000 })).is_ok());
}

/// A change set binds whole or not at all, each error naming what is wrong.
#[test]
fn change_sets_are_checked() {
    let ok = bind::<super::Apply>(json!([{"upserts": {"a": 1}, "deletes": ["b"]}])).unwrap();
    assert_eq!(ok.changes.upserts.len(), 1);
    for changes in [
        json!({"upserts": {"a": 1}, "deletes": ["a"]}),
        json!({"upserts": [1]}),
        json!({"expires_in": {"a": 5}}),
        json!({"other": 1}),
        json!("a"),
    ] {
        let code = bind::<super::Apply>(json!([changes])).err();
        assert_eq!(code, Some(INVALID_PARAMS), "{changes}");
    }
}
