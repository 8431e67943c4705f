//! XML-RPC decoding and encoding, including a round-trip property.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn call(params: &str) -> String {
    format!("<?xml version=\"1.0\"?><methodCall><methodName>m.x</methodName><params>{params}</params></methodCall>")
}

fn param(value: &str) -> String {
    format!("<param><value>{value}</value></param>")
}

fn decoded(value: &str) -> Result<Value, RpcError> {
    decode(call(&param(value)).as_bytes(), None, 64).map(|c| c.params[0].clone())
}

#[test]
fn scalar_types() {
    assert_eq!(decoded("<int>-5</int>").unwrap(), json!(-5));
    assert_eq!(decoded("<i4> 7 </i4>").unwrap(), json!(7));
    assert_eq!(
        decoded("<i8>9000000000</i8>").unwrap(),
        json!(9_000_000_000i64)
    );
    assert_eq!(decoded("<boolean>1</boolean>").unwrap(), json!(true));
    assert_eq!(decoded("<double>-0.5</double>").unwrap(), json!(-0.5));
    assert_eq!(
        decoded("<string> a &lt;b&gt; </string>").unwrap(),
        json!(" a <b> ")
    );
    assert_eq!(decoded("untyped").unwrap(), json!("untyped"));
    assert_eq!(decoded("<nil/>").unwrap(), Value::Null);
    assert_eq!(
        decoded("<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>").unwrap(),
        json!("19980717T14:08:55")
    );
    assert_eq!(
        decoded("<base64>aMOpbGxv</base64>").unwrap(),
        json!("héllo")
    );
    assert_eq!(
        decoded("<struct><member><name>k</name><value><array><data><value><int>1</int></value></data></array></value></member></struct>").unwrap(),
        json!({"k": [1]})
    );
}

#[test]
fn bad_values_are_faults() {
    for bad in [
        "<int>2147483648</int>",
        "<int>12a</int>",
        "<boolean>yes</boolean>",
        "<double>NaN</double>",
        "<dateTime.iso8601>yesterday</dateTime.iso8601>",
        "<base64>!!!</base64>",
        "<base64>//79</base64>",
        "<array></array>",
        "<blob>1</blob>",
        "<int>1</int><int>2</int>",
    ] {
        assert_eq!(decoded(bad).unwrap_err().code, INVALID_REQUEST, "{bad}");
    }
}

#[test]
fn malformed_documents_are_faults() {
    let cases: [(&[u8], i64); 6] = [
        (b"<methodCall><methodName>x</methodName>", PARSE_ERROR),
        (b"\xff\xfe<methodCall/>", PARSE_ERROR),
        (b"<!DOCTYPE x [<!ENTITY a \"b\">]><methodCall><methodName>&a;</methodName></methodCall>", PARSE_ERROR),
        (b"<methodResponse/>", INVALID_REQUEST),
        (b"<methodCall><params/></methodCall>", INVALID_REQUEST),
        (b"<methodCall><methodName> </methodName></methodCall>", INVALID_REQUEST),
    ];
    for (body, code) in cases {
        assert_eq!(
            decode(body, None, 64).unwrap_err().code,
            code,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn responses_and_faults() {
    let out =
        encode_response(&json!({"revision": 5_000_000_000i64, "ok": true, "n": null, "s": "a&b"}));
    assert!(
        out.contains("<i8>5000000000</i8>") && out.contains("<nil/>") && out.contains("a&amp;b"),
        "{out}"
    );
    let fault = encode_fault(&RpcError::new(-32601, "Method not found: x"));
    assert!(
        fault.contains("<name>faultCode</name><value><int>-32601</int></value>"),
        "{fault}"
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("\\PC{0,6}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever we encode decodes to the same JSON.
    #[test]
    fn round_trip(v in arb_json()) {
        let mut body = String::from("<methodCall><methodName>m</methodName><params><param>");
        encode_value(&v, &mut body);
        body.push_str("</param></params></methodCall>");
        let back = decode(body.as_bytes(), None, 64).unwrap();
        prop_assert_eq!(&back.params[0], &v);
    }

    /// Any bytes: a call or a fault, never a panic.
    #[test]
    fn any_bytes_are_judged(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&body, None, 64);
    }

    /// Mutated valid documents: a call or a fault, never a panic.
    #[test]
    fn mutations_are_judged(v in arb_json(), cut in 0usize..400, byte in any::<u8>()) {
        let mut body = String::from("<methodCall><methodName>m</methodName><params><param>");
        encode_value(&v, &mut body);
        body.push_str("</param></params></methodCall>");
        let mut bytes = body.into_bytes();
        if !bytes.is_empty() {
            let i = cut % bytes.len();
            bytes[i] = byte;
        }
        let _ = decode(&bytes, None, 64);
    }
}

#[test]
fn characters_xml_cannot_carry_are_found() {
    use serde_json::json;
    assert_eq!(
        super::unrepresentable(&json!({"k": ["ok\t\n\r é 😀"]})),
        None
    );
    assert_eq!(
        super::unrepresentable(&json!(["a", {"b": "x\u{1}"}])),
        Some('\u{1}')
    );
    assert_eq!(
        super::unrepresentable(&json!({"key\u{b}": 1})),
        Some('\u{b}')
    );
    assert_eq!(super::unrepresentable(&json!("\u{fffe}")), Some('\u{fffe}'));
    assert!(super::xml_char('\u{10000}') && !super::xml_char('\u{0}'));
}
