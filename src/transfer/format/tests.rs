use super::*;
use serde_json::json;

const AT: i64 = 1_900_000_000_000_000;

fn round_trip(format: Format, expiring: bool) {
    let expires = expiring.then_some(AT);
    let records: [OutRecord; 3] = [
        ("a", r#"{"x":[1,"a,b"]}"#, expires),
        ("quote\"d", r#""line\nbreak""#, None),
        ("é", "null", None),
    ];
    let mut out = Vec::new();
    write(format, &records, &mut out).unwrap();
    let mut back: Vec<(String, String, Option<i64>)> = read(format, out.as_slice())
        .unwrap()
        .into_iter()
        .map(|r| (r.key.into_string(), r.value.to_string(), r.expires_at_us))
        .collect();
    let mut want: Vec<(String, String, Option<i64>)> = records
        .iter()
        .map(|(k, v, e)| {
            let v = serde_json::from_str::<Value>(v).unwrap().to_string();
            (k.to_string(), v, *e)
        })
        .collect();
    back.sort();
    want.sort();
    assert_eq!(back, want, "{format:?}: {}", String::from_utf8_lossy(&out));
}

#[test]
fn every_format_round_trips() {
    for format in [Format::Json, Format::Ndjson, Format::Csv] {
        round_trip(format, false);
    }
    round_trip(Format::Ndjson, true);
    round_trip(Format::Csv, true);
    assert_eq!(Format::of_path("x/data.JSONL"), Some(Format::Ndjson));
    assert_eq!(Format::of_path("data"), None);
}

/// JSON cannot carry an expiry: refused whole, nothing written.
#[test]
fn json_refuses_expiring_records() {
    let mut out = Vec::new();
    let err = write(Format::Json, &[("a", "1", Some(AT))], &mut out).unwrap_err();
    assert!(err.to_string().contains("ndjson or csv"), "{err}");
    assert!(out.is_empty());
}

fn error(format: Format, text: &str) -> String {
    read(format, text.as_bytes()).unwrap_err().to_string()
}

#[test]
fn bad_input_names_its_line() {
    assert!(error(
        Format::Ndjson,
        "{\"key\":\"a\",\"value\":1}\n\n{\"key\":\"b\"}\n"
    )
    .starts_with("line 3:"));
    assert!(error(
        Format::Ndjson,
        "{\"key\":\"a\",\"value\":1}\n{\"key\":\"a\",\"value\":2}\n"
    )
    .contains("line 2: key \"a\" appears twice"));
    assert!(error(Format::Ndjson, "{\"key\":\"\",\"value\":1}\n").starts_with("line 1:"));
    assert!(error(Format::Csv, "key,value\na,1\nb,{oops\n")
        .starts_with("line 3: the value is not JSON"));
    assert!(error(Format::Csv, "k,v\n").starts_with("line 1: the header"));
    assert!(error(Format::Csv, "key,value\n\"a\nb\",1\nc,1,2\n")
        .starts_with("line 4: expected 2 fields"));
    assert!(error(Format::Csv, "key,value\n\"a,1\n").contains("unterminated"));
    assert!(error(Format::Json, "{\"a\": 1,\n \"b\": }").starts_with("line 2:"));
    assert!(error(Format::Json, "[1]").contains("a JSON object of key: value"));
    let twice = error(Format::Json, "{\"a\": 1,\n \"a\": 2}");
    assert!(
        twice.starts_with("line 2:") && twice.contains("appears twice"),
        "{twice}"
    );
    assert!(error(Format::Json, "{\n\n \"\": 1}").starts_with("line 3:"));
    assert_eq!(
        read(Format::Json, &b"{\"a\": {\"b\": 1}}"[..]).unwrap()[0].value,
        json!({"b": 1})
    );
    let bad_time = "{\"key\":\"a\",\"value\":1,\"expires_at\":\"soon\"}\n";
    assert!(error(Format::Ndjson, bad_time).starts_with("line 1: expires_at \"soon\""));
    assert!(error(Format::Csv, "key,value,expires_at\na,1,tomorrow\n")
        .starts_with("line 2: expires_at"));
    let csv = read(
        Format::Csv,
        &b"key,value,expires_at\na,1,\nb,2,2030-03-17T17:46:40Z\n"[..],
    );
    let csv = csv.unwrap();
    assert_eq!(
        (csv[0].expires_at_us, csv[1].expires_at_us),
        (None, Some(AT))
    );
}
