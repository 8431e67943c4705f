//! XML-RPC framing, sans I/O: a `methodCall` to a method name and JSON
//! params, JSON results and faults back to `methodResponse`.
//!
//! Values map to JSON: struct/array/string/boolean/double/int as themselves,
//! `<i8>` accepted, `<nil/>` is null, `dateTime.iso8601` arrives as a string,
//! `<base64>` as the string it encodes (UTF-8 only). Out of `<int>`'s 32
//! bits, integers go out as `<i8>`.

use serde_json::{Map, Number, Value};

use super::charset::{declared, Charset};
use super::error::{RpcError, INVALID_REQUEST, PARSE_ERROR};
use super::xml::{self, Element};

/// A decoded call.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlCall {
    pub method: String,
    pub params: Vec<Value>,
}

fn invalid(detail: impl std::fmt::Display) -> RpcError {
    RpcError::new(INVALID_REQUEST, format!("Invalid XML-RPC: {detail}"))
}

/// Decodes a request body in `charset` (the Content-Type's; `None`: the XML
/// declaration's, else UTF-8); XML nesting is bounded by `max_depth`.
pub fn decode(
    body: &[u8],
    charset: Option<Charset>,
    max_depth: usize,
) -> Result<XmlCall, RpcError> {
    let parse_error = |detail: String| RpcError::new(PARSE_ERROR, format!("Parse error: {detail}"));
    let charset = match (charset, declared(body)) {
        (Some(charset), _) => charset,
        (None, None) => Charset::Utf8,
        (None, Some(label)) => Charset::named(label).ok_or_else(|| {
            let shown: String = label.chars().take(40).collect();
            parse_error(format!(
                "unsupported encoding {shown:?} (UTF-8, US-ASCII or ISO-8859-1)"
            ))
        })?,
    };
    let text = charset
        .decode(body)
        .map_err(|e| parse_error(format!("request is not {charset:?} text ({e})")))?;
    let root = xml::parse(&text, max_depth)
        .map_err(|e| RpcError::new(PARSE_ERROR, format!("Parse error: {e}")))?;
    if root.name != "methodCall" {
        return Err(invalid(format!(
            "root element is <{}>, expected <methodCall>",
            root.name
        )));
    }
    let method = root
        .first("methodName")
        .ok_or_else(|| invalid("<methodName> is missing"))?
        .text
        .trim()
        .to_string();
    if method.is_empty() {
        return Err(invalid("<methodName> is empty"));
    }
    let mut params = Vec::new();
    if let Some(list) = root.first("params") {
        for param in list.all("param") {
            let value = param
                .first("value")
                .ok_or_else(|| invalid("<param> without <value>"))?;
            params.push(value_of(value)?);
        }
    }
    Ok(XmlCall { method, params })
}

/// The JSON value of a `<value>` element.
fn value_of(value: &Element) -> Result<Value, RpcError> {
    let typed = match value.children.as_slice() {
        [] => return Ok(Value::String(value.text.clone())),
        [one] => one,
        _ => return Err(invalid("<value> holds more than one element")),
    };
    let text = typed.text.trim();
    let bad = |what: &str| {
        invalid(format!(
            "<{}> value {:?} is not {what}",
            typed.name,
            truncate(text)
        ))
    };
    Ok(match typed.name.as_str() {
        "int" | "i4" => {
            let n: i64 = text.parse().map_err(|_| bad("an integer"))?;
            if i32::try_from(n).is_err() {
                return Err(bad("within 32 bits (use <i8>)"));
            }
            Value::from(n)
        }
        "i8" => Value::from(text.parse::<i64>().map_err(|_| bad("a 64-bit integer"))?),
        "boolean" => match text {
            "0" => Value::Bool(false),
            "1" => Value::Bool(true),
            _ => return Err(bad("0 or 1")),
        },
        "string" => Value::String(typed.text.clone()),
        "double" => {
            let n: f64 = text.parse().map_err(|_| bad("a number"))?;
            Value::Number(Number::from_f64(n).ok_or_else(|| bad("finite"))?)
        }
        "dateTime.iso8601" if is_iso8601(text) => Value::String(text.to_string()),
        "dateTime.iso8601" => return Err(bad("an ISO 8601 date-time")),
        "base64" => {
            let bytes = base64_decode(text).ok_or_else(|| bad("base64"))?;
            Value::String(String::from_utf8(bytes).map_err(|_| bad("UTF-8 text once decoded"))?)
        }
        "nil" => Value::Null,
        "array" => {
            let data = typed
                .first("data")
                .ok_or_else(|| invalid("<array> without <data>"))?;
            Value::Array(data.all("value").map(value_of).collect::<Result<_, _>>()?)
        }
        "struct" => {
            let mut map = Map::new();
            for member in typed.all("member") {
                let name = member
                    .first("name")
                    .ok_or_else(|| invalid("<member> without <name>"))?;
                let value = member
                    .first("value")
                    .ok_or_else(|| invalid("<member> without <value>"))?;
                map.insert(name.text.clone(), value_of(value)?);
            }
            Value::Object(map)
        }
        other => return Err(invalid(format!("unknown type <{other}>"))),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// `19980717T14:08:55`, optionally with dashes, fraction and zone.
fn is_iso8601(s: &str) -> bool {
    let digits: String = s
        .chars()
        .take_while(|c| *c != 'T')
        .filter(|c| *c != '-')
        .collect();
    let Some((_, time)) = s.split_once('T') else {
        return false;
    };
    let hms: Vec<&str> = time.get(..8).unwrap_or("").split(':').collect();
    digits.len() == 8
        && digits.chars().all(|c| c.is_ascii_digit())
        && hms.len() == 3
        && hms
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_digit()))
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let body = clean
        .strip_suffix(b"==")
        .or_else(|| clean.strip_suffix(b"="))
        .unwrap_or(&clean);
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in body {
        let v = ALPHABET.iter().position(|&a| a == b)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Writes `value` as an XML-RPC `<value>`.
pub fn encode_value(value: &Value, out: &mut String) {
    out.push_str("<value>");
    match value {
        Value::Null => out.push_str("<nil/>"),
        Value::Bool(b) => out.push_str(if *b {
            "<boolean>1</boolean>"
        } else {
            "<boolean>0</boolean>"
        }),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i32::try_from(i).is_ok() => out.push_str(&format!("<int>{i}</int>")),
            (Some(i), _) => out.push_str(&format!("<i8>{i}</i8>")),
            (None, Some(f)) => out.push_str(&format!("<double>{f}</double>")),
            (None, None) => out.push_str("<nil/>"),
        },
        Value::String(s) => {
            out.push_str("<string>");
            out.push_str(&xml::escape(s));
            out.push_str("</string>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>");
            for item in items {
                encode_value(item, out);
            }
            out.push_str("</data></array>");
        }
        Value::Object(map) => {
            out.push_str("<struct>");
            for (k, v) in map {
                out.push_str("<member><name>");
                out.push_str(&xml::escape(k));
                out.push_str("</name>");
                encode_value(v, out);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>");
}

/// Whether XML 1.0 can carry `c` at all (even as a character reference):
/// tab, newline, carriage return, and U+0020 on, except U+FFFE and U+FFFF.
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `value` (in a string or an object key) that XML
/// 1.0 cannot carry, if any.
pub fn unrepresentable(value: &Value) -> Option<char> {
    let in_text = |s: &str| s.chars().find(|c| !xml_char(*c));
    match value {
        Value::String(s) => in_text(s),
        Value::Array(items) => items.iter().find_map(unrepresentable),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| in_text(k).or_else(|| unrepresentable(v))),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// The `<value>` XML of a JSON text, or a fault if it holds a character XML
/// 1.0 cannot carry.
pub fn value_xml(json: &str) -> Result<Box<str>, RpcError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|_| RpcError::new(super::error::INTERNAL_ERROR, "internal error"))?;
    if let Some(c) = unrepresentable(&value) {
        return Err(RpcError::new(
            super::error::INTERNAL_ERROR,
            format!(
                "the result holds U+{:04X}, which XML 1.0 cannot carry; read it over JSON-RPC",
                c as u32
            ),
        ));
    }
    let mut out = String::with_capacity(json.len() * 2);
    encode_value(&value, &mut out);
    Ok(out.into_boxed_str())
}

/// The `methodResponse` around a result's `<value>`.
pub const RESPONSE_HEAD: &str = "<?xml version=\"1.0\"?>\n<methodResponse><params><param>";
pub const RESPONSE_TAIL: &str = "</param></params></methodResponse>\n";

/// A successful `methodResponse` in one string (tests; replies are built
/// from shared pieces, `rpc::body`).
#[cfg(test)]
fn encode_response(result: &Value) -> String {
    let mut out = String::from(RESPONSE_HEAD);
    encode_value(result, &mut out);
    out.push_str(RESPONSE_TAIL);
    out
}

/// The fault struct `{faultCode, faultString}` as a JSON value.
pub fn fault_value(error: &RpcError) -> Value {
    serde_json::json!({ "faultCode": error.code, "faultString": error.message })
}

/// A fault `methodResponse`.
pub fn encode_fault(error: &RpcError) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse><fault>");
    encode_value(&fault_value(error), &mut out);
    out.push_str("</fault></methodResponse>\n");
    out
}

#[cfg(test)]
mod tests;
