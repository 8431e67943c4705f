use super::protocol_of;
use actix_web::http::header::HeaderValue;

#[test]
fn only_json_types_pass() {
    let check = |v: &str| protocol_of(Some(&HeaderValue::from_str(v).unwrap())).is_ok();
    assert!(check("application/json"));
    assert!(check("Application/JSON; charset=UTF-8"));
    assert!(check("application/json-rpc"));
    assert!(check("text/xml") && check("application/xml; charset=utf-8"));
    for refused in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
        "application/jsonx",
        "text/html",
    ] {
        assert!(!check(refused), "{refused}");
    }
    assert!(protocol_of(None).is_err());
}
