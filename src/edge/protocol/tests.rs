use super::*;
use crate::edge::rows::parse_rows;

#[test]
fn reads_changes() {
    let body = br#"{"jsonrpc":"2.0","result":{"revision":7,"full":false,"upserts":[{"key":"a","value":{"x":1},"revision":7,"updated_at":"2026-11-24T15:00:48.579046Z"}],"deletes":["b"]},"id":1}"#;
    let pulled = parse_changes(body).unwrap();
    assert_eq!(pulled.revision, Some(7));
    let part = &pulled.parts[0];
    assert!(part.namespace.is_default());
    assert_eq!(part.upserts[0].value, r#"{"x":1}"#);
    assert!(part.upserts[0].updated_at_us > 0);
    assert_eq!(part.deletes, ["b"]);
}

#[test]
fn reads_namespaced_changes() {
    let body = br#"{"jsonrpc":"2.0","result":{"revision":9,"full":true,"namespaces":{"geo":{"upserts":[{"key":"fr","value":"France","revision":8,"updated_at":"2026-11-24T15:00:48Z"}],"deletes":[]},"default":{"upserts":[],"deletes":["x"]}}},"id":1}"#;
    let pulled = parse_changes(body).unwrap();
    let names: Vec<&str> = pulled.parts.iter().map(|p| p.namespace.as_str()).collect();
    assert_eq!(names, ["default", "geo"]);
    assert_eq!(pulled.parts[1].upserts[0].key, "fr");
    assert_eq!(pulled.deletes(), 1);
    let bad = br#"{"result":{"revision":1,"full":false,"namespaces":{"Bad Name":{"upserts":[],"deletes":[]}}}}"#;
    assert!(matches!(parse_changes(bad), Err(PullError::Malformed(_))));
    let both =
        br#"{"result":{"revision":1,"full":false,"upserts":[],"deletes":[],"namespaces":{}}}"#;
    assert!(matches!(parse_changes(both), Err(PullError::Malformed(_))));
    let default = Selection::Listed(vec![Namespace::default()]);
    assert_eq!(
        changes_request(3, &default, None),
        r#"{"id":1,"jsonrpc":"2.0","method":"records.changes","params":[3]}"#
    );
    let geo = Selection::parse(["geo"]).unwrap();
    assert!(changes_request(3, &geo, None).contains(r#""params":[3,["geo"]]"#));
    let held = Some(std::time::Duration::from_millis(2500));
    assert!(changes_request(3, &default, held).contains(r#""params":[3,null,2.5]"#));
    assert!(changes_request(3, &geo, held).contains(r#""params":[3,["geo"],2.5]"#));
    let every = changes_request(3, &Selection::Every, held);
    assert!(every.contains(r#""params":[3,["*"],2.5]"#), "{every}");
}

#[test]
fn reads_expiries_and_refuses_unreadable_ones() {
    let at = "2027-01-15T08:00:00Z";
    let changes = format!(
        r#"{{"result":{{"revision":2,"full":true,"upserts":[{{"key":"a","value":1,"revision":2,"updated_at":"{at}","expires_at":"{at}"}},{{"key":"b","value":2,"revision":1,"updated_at":"{at}"}}],"deletes":[]}}}}"#
    );
    let pulled = parse_changes(changes.as_bytes()).unwrap();
    let expiries: Vec<Option<i64>> = pulled.parts[0]
        .upserts
        .iter()
        .map(|i| i.expires_at_us)
        .collect();
    assert_eq!(expiries, [Some(1_800_000_000_000_000), None]);
    let bad = changes.replacen(
        &format!(r#""expires_at":"{at}""#),
        r#""expires_at":"soon""#,
        1,
    );
    assert!(
        matches!(parse_changes(bad.as_bytes()), Err(PullError::Malformed(m)) if m.contains("expires_at"))
    );
    let rows = format!(
        r#"{{"result":[{{"key":"a","value":1,"expires_at":"{at}"}},{{"key":"b","value":2}}]}}"#
    );
    let listed = parse_rows(rows.as_bytes(), "key", Some("value"), 0).unwrap();
    let expiries: Vec<Option<i64>> = listed.parts[0]
        .upserts
        .iter()
        .map(|i| i.expires_at_us)
        .collect();
    assert_eq!(
        expiries,
        [Some(1_800_000_000_000_000), None],
        "records.list rows too"
    );
    let bad = rows.replacen(at, "soon", 1);
    assert!(parse_rows(bad.as_bytes(), "key", Some("value"), 0).is_err());
}

#[test]
fn reads_rows_of_the_original_design() {
    let body = br#"{"result":[{"name":"a","rule":"deny"},{"name":"b","rule":"allow"}],"error":null,"id":1}"#;
    let whole = parse_rows(body, "name", None, 1234).unwrap();
    let rows = &whole.parts[0].upserts;
    assert_eq!(rows[0].value, r#"{"name":"a","rule":"deny"}"#);
    assert_eq!(rows[1].updated_at_us, 1234, "stamped with the time given");
    let one = parse_rows(body, "name", Some("rule"), 1234).unwrap();
    assert_eq!(one.parts[0].upserts[1].value, r#""allow""#);
    assert!(matches!(
        parse_rows(body, "id", None, 1234),
        Err(PullError::Malformed(_))
    ));
}

#[test]
fn errors_and_garbage_are_failures() {
    let err = parse_changes(
        br#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"database unavailable"},"id":1}"#,
    );
    assert!(matches!(err, Err(PullError::Rpc { code: -32001, .. })));
    for garbage in [
        &b"<html>"[..],
        b"{}",
        br#"{"result":{"revision":"x"}}"#,
        br#"{"result":5}"#,
    ] {
        assert!(
            matches!(parse_changes(garbage), Err(PullError::Malformed(_))),
            "{garbage:?}"
        );
    }
    assert!(parse_rows(br#"{"result":{"a":1}}"#, "name", None, 0).is_err());
}
