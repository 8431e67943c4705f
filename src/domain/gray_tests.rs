use super::*;

fn name(i: usize) -> EdgeName {
    EdgeName::parse(&format!("edge-{i:05}")).unwrap()
}

#[test]
fn percentages_are_sticky_and_widen_without_losing_anyone() {
    let release = ReleaseId(42);
    let none = Labels::default();
    let at = |p: f64| {
        let target = Target::percent(p).unwrap();
        (0..10_000)
            .filter(|i| target.reaches(release, Some(&name(*i)), &none))
            .collect::<Vec<_>>()
    };
    let ten = at(10.0);
    assert!(
        (850..=1150).contains(&ten.len()),
        "10% of 10,000: {}",
        ten.len()
    );
    let quarter = at(25.0);
    assert!(
        ten.iter().all(|i| quarter.contains(i)),
        "widening keeps everyone in"
    );
    assert_eq!(at(10.0), ten, "the same set every time");
    assert_eq!(at(0.0).len(), 0);
    assert_eq!(at(100.0).len(), 10_000);
    // Another release draws another tenth.
    let other = Target::percent(10.0).unwrap();
    let theirs: Vec<usize> = (0..10_000)
        .filter(|i| other.reaches(ReleaseId(43), Some(&name(*i)), &none))
        .collect();
    assert_ne!(theirs, ten);
    assert_eq!(
        bucket("edge-00001", ReleaseId(42)),
        bucket("edge-00001", ReleaseId(42))
    );
}

#[test]
fn targets_read_and_write_their_json_form() {
    for text in [
        r#"{"edges":["a","b.c"]}"#,
        r#"{"labels":{"region":"eu","tier":"web"}}"#,
        r#"{"percent":12.5}"#,
    ] {
        let value: Value = serde_json::from_str(text).unwrap();
        let target = Target::from_json(&value).unwrap();
        assert_eq!(target.to_json(), value, "{text}");
    }
    let refused = |text: &str| Target::from_json(&serde_json::from_str(text).unwrap()).unwrap_err();
    assert_eq!(refused(r#"{"percent":101}"#), InvalidTarget::Percent);
    assert_eq!(refused(r#"{"edges":[]}"#), InvalidTarget::EdgeCount);
    assert_eq!(
        refused(r#"{"edges":["a b"]}"#),
        InvalidTarget::Edge("a b".into())
    );
    assert_eq!(refused(r#"{"labels":{}}"#), InvalidTarget::Labels);
    assert_eq!(refused(r#"{"labels":{"k":1}}"#), InvalidTarget::Labels);
    assert_eq!(
        refused(r#"{"percent":1,"edges":["a"]}"#),
        InvalidTarget::Shape
    );
    assert_eq!(refused(r#"["a"]"#), InvalidTarget::Shape);
    let many: Vec<String> = (0..=MAX_TARGET_EDGES).map(|i| format!("e{i}")).collect();
    assert_eq!(
        Target::from_json(&json!({ "edges": many })).unwrap_err(),
        InvalidTarget::EdgeCount
    );
    assert_eq!(ReleaseState::parse("aborted"), Some(ReleaseState::Aborted));
    assert_eq!(ReleaseState::parse("x"), None);
}

#[test]
fn names_and_labels_reach_their_edges() {
    let eu = Labels::parse("region=eu,tier=web").unwrap();
    let us = Labels::parse("region=us,tier=web").unwrap();
    let target = Target::Labels(Labels::parse("region=eu").unwrap());
    assert!(target.reaches(ReleaseId(1), Some(&name(1)), &eu));
    assert!(!target.reaches(ReleaseId(1), Some(&name(1)), &us));
    assert!(
        !target.reaches(ReleaseId(1), None, &eu),
        "an unnamed client is in no release"
    );
    let named = Target::Edges(vec![name(7)]);
    assert!(named.reaches(ReleaseId(1), Some(&name(7)), &us));
    assert!(!named.reaches(ReleaseId(1), Some(&name(8)), &us));
    assert_eq!(Target::percent(12.345).unwrap(), Target::Percent(1235));
    assert!(Target::percent(100.5).is_err() && Target::percent(-1.0).is_err());
}

#[test]
fn an_edge_lists_its_releases_in_a_bounded_header() {
    assert_eq!(held_releases(Some(b"5, 3,5")), [ReleaseId(3), ReleaseId(5)]);
    assert_eq!(held_releases(None), []);
    assert_eq!(held_releases(Some(b"\xff")), []);
    assert_eq!(
        held_releases(Some(b"2,x,4")),
        [ReleaseId(2)],
        "read up to what is unreadable"
    );
    let many: String = (1..=100)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        held_releases(Some(many.as_bytes())).len(),
        MAX_HELD_RELEASES
    );
}

#[test]
fn buckets_are_the_blake3_draw_they_always_were() {
    // The draw every center and every release made so far: a label, the
    // id (little-endian) and the name, hashed; the first 8 bytes mod 10,000.
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"syncdict gray bucket\0");
    hasher.update(&7i64.to_le_bytes());
    hasher.update(b"web-01.example");
    let head = u64::from_le_bytes(hasher.finalize().as_bytes()[..8].try_into().unwrap());
    assert_eq!(
        bucket("web-01.example", ReleaseId(7)),
        (head % 10_000) as u32
    );
    let long = "a".repeat(64);
    assert!(bucket(&long, ReleaseId(1)) < ALL_BUCKETS);
}
