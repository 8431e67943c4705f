use serde_json::json;

use super::*;

#[test]
fn a_value_opens_only_where_it_was_sealed() {
    let key = generate();
    let sealed = serde_json::Value::from(seal(&key.recipient(), "s", "db", &json!({"pw": "x"})));
    assert!(check_sealed(&sealed).is_ok());
    assert_eq!(open(&key, "s", "db", &sealed).unwrap(), json!({"pw": "x"}));
    let moved = open(&key, "s", "other", &sealed).unwrap_err();
    assert!(matches!(moved, OpenError::Moved { .. }), "{moved}");
    assert!(matches!(
        open(&key, "t", "db", &sealed),
        Err(OpenError::Moved { .. })
    ));
    let stranger = generate();
    assert!(matches!(
        open(&stranger, "s", "db", &sealed),
        Err(OpenError::NoKey(_))
    ));
}

#[test]
fn plaintext_and_garbage_are_not_sealed() {
    assert_eq!(check_sealed(&json!("hunter2")), Err(NotSealed::NotArmored));
    assert_eq!(check_sealed(&json!({"a": 1})), Err(NotSealed::NotArmored));
    let garbage = format!("{ARMOR_BEGIN}\nAAAA\n-----END AGE ENCRYPTED FILE-----\n");
    assert!(matches!(
        check_sealed(&json!(garbage)),
        Err(NotSealed::Malformed(_))
    ));
}

#[test]
fn a_wrapped_key_opens_for_its_holder_and_namespace_only() {
    let (holder, ns_key) = (generate(), generate());
    let wrapped = wrap(&holder.recipient(), "s", &ns_key);
    let opened = unwrap(&holder, "s", &ns_key.recipient(), &wrapped).unwrap();
    assert_eq!(opened.recipient(), ns_key.recipient());
    assert!(matches!(
        unwrap(&holder, "t", &ns_key.recipient(), &wrapped),
        Err(OpenError::Moved { .. })
    ));
    let rotated = generate();
    assert_eq!(
        unwrap(&holder, "s", &rotated.recipient(), &wrapped).unwrap_err(),
        OpenError::Stale
    );
    assert!(unwrap(&generate(), "s", &ns_key.recipient(), &wrapped).is_err());
}

#[test]
fn keys_read_as_age_keygen_writes_them() {
    let key = generate();
    let file = format!(
        "# created: now\n# public key: {}\n{}\n",
        key.recipient(),
        key.secret_text()
    );
    assert_eq!(read_identity(&file).unwrap().recipient(), key.recipient());
    assert_eq!(
        read_identity("# nothing\n").unwrap_err(),
        KeyError::NoIdentity
    );
    let r: Recipient = key.recipient().to_string().parse().unwrap();
    assert_eq!(r, key.recipient());
    assert!("age1nope".parse::<Recipient>().is_err());
    assert!(!format!("{key:?}").contains("SECRET"));
}
