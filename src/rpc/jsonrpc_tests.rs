//! The single-call fast path reads a request exactly as the general path
//! (an object tree) does, and hands what it cannot read to it.

use super::*;

const LIMITS: Limits = Limits {
    max_batch: 100,
    max_depth: 32,
    max_reply: 1 << 20,
};

/// What the general path makes of `text` (a single request).
fn general(text: &str) -> Entry {
    entry(serde_json::from_str(text).unwrap(), Framing::Single)
}

#[test]
fn the_fast_path_agrees_with_the_general_one() {
    let cases = [
        r#"{"jsonrpc":"2.0","method":"records.changes","params":[1],"id":1}"#,
        r#"{"method":"testrpc.MyRPC","params":[],"id":"x"}"#,
        r#"{"method":"m","params":null,"id":null}"#,
        r#"{"jsonrpc":"2.0","method":"m","params":null,"id":3}"#,
        r#"{"jsonrpc":"2.0","method":"m","params":{"a":[1,{"b":2}]}}"#,
        r#"{"jsonrpc":"1.0","method":"m","id":1}"#,
        r#"{"jsonrpc":"2.0","method":7,"id":1}"#,
        r#"{"jsonrpc":"2.0","id":[1]}"#,
        r#"{"jsonrpc":"2.0","method":"m\u0065","params":"x","id":1.5,"other":{"deep":[]}}"#,
        r#"  {"id":1,"method":"m","jsonrpc":"2.0"}  "#,
    ];
    for text in cases {
        let fast = decode(text.as_bytes(), &LIMITS).unwrap();
        assert_eq!(fast, Incoming::Single(general(text)), "{text}");
        assert!(
            serde_json::from_str::<Envelope>(text).is_ok(),
            "fast: {text}"
        );
    }
}

/// A member given twice is no error for the general path (the last one
/// counts); the fast path refuses it and leaves it to that path.
#[test]
fn what_the_fast_path_cannot_read_takes_the_general_path() {
    let twice = r#"{"jsonrpc":"2.0","method":"a","method":"b","id":1}"#;
    assert!(serde_json::from_str::<Envelope>(twice).is_err());
    let Ok(Incoming::Single(Entry::Call(call))) = decode(twice.as_bytes(), &LIMITS) else {
        panic!("a call");
    };
    assert_eq!(call.method, "b");
    let Err(reply) = decode(br#"{"method":"m"} trailing"#, &LIMITS) else {
        panic!("a parse error");
    };
    assert_eq!(
        reply.outcome.unwrap_err().code,
        super::super::error::PARSE_ERROR
    );
}
