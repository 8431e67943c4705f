use std::collections::HashMap;
use std::time::Duration;

use super::*;
use crate::domain::{DigestReport, EdgeName};

fn options(max_edges: usize) -> FleetOptions {
    FleetOptions {
        window: Duration::from_secs(3600),
        silent: Duration::from_secs(60),
        lag: Duration::from_secs(30),
        max_edges,
    }
}

fn hello(name: &str) -> EdgeHello {
    EdgeHello {
        name: Some(EdgeName::parse(name).unwrap()),
        version: crate::domain::ShortText::printable(b"syncdict/1"),
        digest: Some(DigestReport::Verified),
        labels: Default::default(),
        releases: Vec::new(),
        health: None,
    }
}

fn pull<'a>(
    hello: &'a EdgeHello,
    ns: &'a [Namespace],
    since: i64,
    served: i64,
    at_s: i64,
) -> Pull<'a> {
    Pull {
        hello,
        address: Some("10.0.0.1".parse().unwrap()),
        namespaces: ns,
        since: Some(since),
        served,
        hold_us: 0,
        at_us: at_s * 1_000_000,
    }
}

#[test]
fn an_edge_holds_what_it_was_served_if_it_applied_the_reply_before() {
    let fleet = Fleet::new(options(10));
    let ns = [Namespace::default_namespace()];
    let h = hello("a");
    fleet.record(pull(&h, &ns, 0, 5, 1));
    assert_eq!(fleet.snapshot()[0].revision, 5);
    // Asks from 5: it applied 5; now served 9.
    fleet.record(pull(&h, &ns, 5, 9, 2));
    let seen = &fleet.snapshot()[0];
    assert_eq!((seen.revision, seen.in_step), (9, true));
    // Asks from 5 again: it refused 9, so it holds 5.
    fleet.record(pull(&h, &ns, 5, 9, 3));
    let seen = &fleet.snapshot()[0];
    assert_eq!((seen.revision, seen.in_step), (5, false));
    assert_eq!(
        (seen.first_seen_us, seen.last_pull_us),
        (1_000_000, 3_000_000)
    );
    assert_eq!(seen.namespaces, "default");
    let two = [
        Namespace::parse("a").unwrap(),
        Namespace::parse("b").unwrap(),
    ];
    fleet.record(pull(&h, &two, 5, 9, 4));
    assert_eq!(fleet.snapshot()[0].namespaces, "a,b");
    fleet.record(pull(&h, &two[..1], 9, 9, 5));
    assert_eq!(fleet.snapshot()[0].namespaces, "a");
}

/// A fleet of at most `max` edges that saw edges e0, e1, ... pull once
/// each, a second apart.
fn with_edges(max: usize, pulled: i64) -> Fleet {
    let fleet = Fleet::new(options(max));
    let ns = [Namespace::default_namespace()];
    for i in 0..pulled {
        fleet.record(pull(&hello(&format!("e{i}")), &ns, 0, 1, i));
    }
    fleet
}

#[test]
fn memory_is_bounded_and_the_oldest_go_first() {
    let fleet = with_edges(100, 1000);
    let names: Vec<String> = fleet.snapshot().into_iter().map(|e| e.name).collect();
    assert!(names.len() <= 100, "{}", names.len());
    assert!(names.contains(&"e999".to_string()));
    assert!(!names.contains(&"e0".to_string()));
    assert!(fleet.evicted.load(Ordering::Relaxed) >= 900);
}

#[test]
fn compacting_keeps_every_edge_as_it_was() {
    let fleet = with_edges(100, 50);
    let ns = [Namespace::default_namespace()];
    let dirty_before = fleet.take_dirty(60 * 1_000_000);
    fleet.record(pull(&hello("e7"), &ns, 7, 9, 61));
    let mut before = fleet.snapshot();
    fleet.compact();
    let mut after = fleet.snapshot();
    before.sort_by(|a, b| a.name.cmp(&b.name));
    after.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!((before.len(), dirty_before.len()), (50, 50));
    assert_eq!(after, before);
    // What the flush still owes is owed after it too: e7 alone.
    let owed: Vec<String> = fleet
        .take_dirty(61 * 1_000_000)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(owed, ["e7"]);
}

#[test]
fn dirty_rows_are_taken_once_and_the_window_forgets() {
    let fleet = Fleet::new(options(10));
    let ns = [Namespace::default_namespace()];
    let (a, b) = (hello("a"), hello("b"));
    fleet.record(pull(&a, &ns, 0, 1, 10));
    fleet.record(pull(&b, &ns, 0, 1, 3000));
    assert_eq!(fleet.take_dirty(3000 * 1_000_000).len(), 2);
    assert!(fleet.take_dirty(3000 * 1_000_000).is_empty());
    // a pulled more than the window (1 h) before: forgotten.
    fleet.record(pull(&b, &ns, 1, 2, 4001));
    let dirty = fleet.take_dirty(3611 * 1_000_000 + 10_000_000);
    assert_eq!(dirty.len(), 1);
    assert_eq!(fleet.snapshot().len(), 1);
    fleet.flush_failed();
    assert_eq!(
        fleet.take_dirty(4001 * 1_000_000),
        dirty,
        "taken again after a failed flush"
    );
    // Pulling on unchanged: written again once its written pull is
    // fleet_silent / 2 (30 s) old, not at every flush.
    fleet.record(pull(&b, &ns, 2, 2, 4020));
    assert!(fleet.take_dirty(4020 * 1_000_000).is_empty());
    fleet.record(pull(&b, &ns, 2, 2, 4031));
    assert_eq!(fleet.take_dirty(4031 * 1_000_000).len(), 1);
}

fn seen(name: &str, namespaces: &str, revision: i64, last_pull_s: i64) -> EdgeSeen {
    EdgeSeen {
        name: name.into(),
        address: "10.0.0.1".into(),
        version: String::new(),
        namespaces: namespaces.into(),
        labels: String::new(),
        revision,
        in_step: true,
        digest: None,
        health: None,
        health_reason: String::new(),
        gray: String::new(),
        hold_us: 0,
        first_seen_us: 0,
        last_pull_us: last_pull_s * 1_000_000,
    }
}

#[test]
fn judged_by_pulls_and_the_age_of_what_is_missing() {
    let newest = HashMap::from([("a".to_string(), 10), ("b".to_string(), 20)]);
    let edges = vec![
        seen("current", "a", 10, 95),
        seen("recent-change", "a", 8, 95),
        seen("old-change", "b", 12, 95),
        seen("unknown-when", "a,b", 3, 95),
        seen("silent", "a", 10, 30),
        EdgeSeen {
            hold_us: 30 * 1_000_000,
            ..seen("held", "a", 10, 30)
        },
        seen("other-namespace", "c", 0, 95),
    ];
    let wanted = lookups(&edges, &newest);
    assert_eq!(
        wanted,
        vec![("a".into(), 8), ("a,b".into(), 3), ("b".into(), 12)]
    );
    let facts = FleetFacts {
        newest,
        first_missed: HashMap::from([
            (("a".to_string(), 8), 90_000_000),
            (("b".to_string(), 12), 10_000_000),
        ]),
    };
    let mut failed = seen("failed", "a", 10, 95);
    failed.digest = Some(DigestReport::Failed);
    let mut all = edges;
    all.push(failed);
    let (judged, totals) = judge(all, &facts, &options(10), 100_000_000);
    let state = |name: &str| judged.iter().find(|j| j.edge.name == name).unwrap().clone();
    assert_eq!(state("current").state, EdgeState::Current);
    let recent = state("recent-change");
    assert_eq!(
        (recent.state, recent.lag_revisions, recent.lag_seconds),
        (EdgeState::Current, 2, Some(10.0))
    );
    let old = state("old-change");
    assert_eq!(
        (old.state, old.lag_revisions, old.lag_seconds),
        (EdgeState::Lagging, 8, Some(90.0))
    );
    let unknown = state("unknown-when");
    assert_eq!(
        (unknown.state, unknown.lag_revisions, unknown.lag_seconds),
        (EdgeState::Lagging, 17, None)
    );
    assert_eq!(state("silent").state, EdgeState::Silent);
    assert_eq!(
        state("held").state,
        EdgeState::Current,
        "a held pull may be quiet that long"
    );
    assert_eq!(state("other-namespace").state, EdgeState::Current);
    assert_eq!(state("failed").state, EdgeState::Lagging);
    assert_eq!(
        totals,
        Totals {
            current: 4,
            lagging: 3,
            silent: 1
        }
    );
    assert_eq!(judged[0].state, EdgeState::Lagging);
    assert_eq!(judged.last().unwrap().state, EdgeState::Current);
}

#[test]
fn merging_keeps_the_latest_pull_and_the_first_sighting() {
    let mut stored = seen("a", "x", 1, 50);
    stored.first_seen_us = 5;
    let mut memory = seen("a", "x", 7, 60);
    memory.first_seen_us = 40;
    let other = seen("b", "x", 1, 10);
    let mut merged = merge(vec![stored, other.clone()], vec![memory]);
    merged.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(merged.len(), 2);
    assert_eq!((merged[0].revision, merged[0].first_seen_us), (7, 5));
    assert_eq!(merged[1], other);
}

#[test]
fn health_and_releases_held_are_kept_and_mark_the_edge_changed() {
    use crate::domain::{Health, HealthReport, ReleaseId};
    let fleet = Fleet::new(options(10));
    let ns = [Namespace::default()];
    let mut a = hello("edge-a");
    fleet.record(pull(&a, &ns, 0, 1, 100));
    let first = fleet.take_dirty(100 * 1_000_000);
    assert_eq!((first[0].health, first[0].gray.as_str()), (None, ""));
    a.releases = vec![ReleaseId(3), ReleaseId(7)];
    a.health = Some(HealthReport::healthy());
    fleet.record(pull(&a, &ns, 1, 1, 101));
    let healthy = fleet.take_dirty(101 * 1_000_000);
    assert_eq!(healthy.len(), 1);
    assert_eq!(
        (healthy[0].health, healthy[0].gray.as_str()),
        (Some(Health::Healthy), "3,7")
    );
    a.health = Some(HealthReport::unhealthy("exit status: 2"));
    fleet.record(pull(&a, &ns, 1, 1, 102));
    let sick = fleet.take_dirty(102 * 1_000_000);
    assert_eq!(sick[0].health, Some(Health::Unhealthy));
    assert_eq!(sick[0].health_reason, "exit status: 2");
    fleet.record(pull(&a, &ns, 1, 1, 103));
    assert!(fleet.take_dirty(103 * 1_000_000).is_empty());
}
