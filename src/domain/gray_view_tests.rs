use serde_json::json;

use super::*;
use crate::domain::RecordKey;

fn key(k: &str) -> RecordKey {
    RecordKey::parse(k).unwrap()
}

fn puts(pairs: &[(&str, Value)]) -> ChangeSet {
    ChangeSet {
        upserts: pairs.iter().map(|(k, v)| (key(k), v.clone())).collect(),
        ..ChangeSet::default()
    }
}

fn named(name: &str) -> Target {
    Target::Edges(vec![EdgeName::parse(name).unwrap()])
}

fn edge<'a>(name: &'a EdgeName, labels: &'a Labels) -> Edge<'a> {
    Edge {
        name: Some(name),
        labels,
    }
}

#[test]
fn an_edge_in_a_release_gets_its_values_once_and_keeps_them_over_the_main_line() {
    let me = EdgeName::parse("edge-1").unwrap();
    let none = Labels::default();
    let target = named("edge-1");
    let changes = puts(&[("a", json!(2))]);
    let releases = [Release {
        id: ReleaseId(1),
        active: true,
        target: &target,
        changes: &changes,
    }];
    let view = overlay(&releases, &[], edge(&me, &none));
    assert_eq!(view.releases, [ReleaseId(1)]);
    assert!(view.changed(&[]));
    // Joining: the gray value comes with the main line's own changes.
    let main = Delta {
        upserts: vec![("b".into(), json!(1))],
        deletes: vec![],
    };
    let joined = view.apply(main, &[], |_| None);
    assert_eq!(
        joined.upserts,
        [("b".into(), json!(1)), ("a".into(), json!(2))]
    );
    // Once held: a main-line change of `a` is not sent, others are.
    let main = Delta {
        upserts: vec![("a".into(), json!(9)), ("c".into(), json!(3))],
        deletes: vec!["a".into()],
    };
    let held = [ReleaseId(1)];
    let kept = overlay(&releases, &held, edge(&me, &none)).apply(main, &held, |_| None);
    assert_eq!(kept.upserts, [("c".into(), json!(3))]);
    assert!(kept.deletes.is_empty());
    // Another edge sees the main line only.
    let other = EdgeName::parse("edge-2").unwrap();
    let theirs = overlay(&releases, &[], edge(&other, &none));
    assert!(theirs.releases.is_empty() && !theirs.changed(&[]));
}

#[test]
fn leaving_a_release_brings_its_keys_back_to_the_main_line() {
    let me = EdgeName::parse("edge-1").unwrap();
    let none = Labels::default();
    let target = named("edge-1");
    let changes = ChangeSet {
        upserts: vec![(key("a"), json!(2)), (key("new"), json!("x"))],
        deletes: vec![key("old")],
        ..ChangeSet::default()
    };
    let aborted = [Release {
        id: ReleaseId(1),
        active: false,
        target: &target,
        changes: &changes,
    }];
    let held = [ReleaseId(1)];
    let view = overlay(&aborted, &held, edge(&me, &none));
    assert!(view.releases.is_empty() && view.changed(&held));
    assert_eq!(
        view.restore.iter().copied().collect::<Vec<_>>(),
        ["a", "new", "old"]
    );
    let main_line = |k: &str| match k {
        "a" => Some(json!(1)),
        "old" => Some(json!("kept")),
        _ => None,
    };
    let back = view.apply(Delta::default(), &held, main_line);
    assert_eq!(
        back.upserts,
        [("a".into(), json!(1)), ("old".into(), json!("kept"))]
    );
    assert_eq!(back.deletes, ["new"]);
    // A release the center does not know asks for a whole list.
    let unknown = overlay(&aborted, &[ReleaseId(7)], edge(&me, &none));
    assert!(unknown.unknown && unknown.changed(&[ReleaseId(7)]));
}

#[test]
fn the_newest_release_wins_a_key_and_leaving_it_falls_back_to_the_older() {
    let me = EdgeName::parse("edge-1").unwrap();
    let eu = Labels::parse("region=eu").unwrap();
    let by_label = Target::Labels(Labels::parse("region=eu").unwrap());
    let everyone = Target::Percent(crate::domain::ALL_BUCKETS);
    let older = puts(&[("a", json!("older")), ("b", json!("older"))]);
    let newer = puts(&[("a", json!("newer"))]);
    let both = [
        Release {
            id: ReleaseId(5),
            active: true,
            target: &everyone,
            changes: &newer,
        },
        Release {
            id: ReleaseId(3),
            active: true,
            target: &by_label,
            changes: &older,
        },
    ];
    let view = overlay(&both, &[], edge(&me, &eu));
    assert_eq!(view.releases, [ReleaseId(3), ReleaseId(5)]);
    assert_eq!(view.picks["a"], Pick::Put(&json!("newer")));
    assert_eq!(view.picks["b"], Pick::Put(&json!("older")));
    // The newer one aborted: `a` falls back to the older release's value,
    // which decides it, so nothing is restored from the main line.
    let aborted = [
        Release {
            active: false,
            ..both[0]
        },
        both[1],
    ];
    let held = [ReleaseId(3), ReleaseId(5)];
    let after = overlay(&aborted, &held, edge(&me, &eu));
    assert_eq!(after.releases, [ReleaseId(3)]);
    assert!(after.restore.is_empty());
    let part = after.apply(Delta::default(), &held, |_| Some(json!("main")));
    assert_eq!(
        part.upserts,
        [("a".into(), json!("older")), ("b".into(), json!("older"))]
    );
}
