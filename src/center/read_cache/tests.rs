use super::*;

fn snapshot(revision: i64) -> ListSnapshot {
    ListSnapshot::new(revision, RawJson::from_trusted("[]"))
}

fn ns() -> Namespace {
    Namespace::default()
}

fn at(since: i64) -> DeltaKey {
    (since, None)
}

fn changed(json: RawJson) -> ChangesReply {
    ChangesReply {
        json,
        changed: true,
        revision: 0,
    }
}

#[test]
fn waiters_are_told_of_each_newer_revision_only() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let mut waiter = cache.subscribe();
    cache.note_write(5);
    assert!(waiter.has_changed().unwrap());
    assert_eq!(*waiter.borrow_and_update(), 5);
    cache.confirm_revision(4, Instant::now());
    cache.store_list(ns(), snapshot(5), Instant::now());
    assert!(!waiter.has_changed().unwrap(), "nothing newer than 5");
    cache.confirm_revision(6, Instant::now());
    assert_eq!(*waiter.borrow_and_update(), 6);
}

#[test]
fn a_local_write_invalidates_the_list() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let t = Instant::now();
    assert!(cache.fresh_list(&ns(), t).is_none());
    cache.store_list(ns(), snapshot(3), t);
    assert_eq!(cache.fresh_list(&ns(), t).unwrap().revision, 3);
    cache.note_write(4);
    assert!(cache.fresh_list(&ns(), t).is_none());
    assert_eq!(cache.fresh_revision(t), Some(4));
}

#[test]
fn a_stale_list_is_not_stored() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let t = Instant::now();
    cache.note_write(5);
    cache.store_list(ns(), snapshot(4), t);
    assert!(cache.fresh_list(&ns(), t).is_none());
    cache.store_list(ns(), snapshot(5), t);
    assert!(cache.fresh_list(&ns(), t).is_some());
}

#[test]
fn deltas_serve_only_their_revision() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let t = Instant::now();
    cache.confirm_revision(7, t);
    cache.store_delta(at(5), 7, changed(RawJson::from_trusted("{}")));
    assert!(cache.fresh_delta(&at(5), t).is_some());
    assert!(cache.fresh_delta(&at(6), t).is_none());
    cache.note_write(8);
    assert!(
        cache.fresh_delta(&at(5), t).is_none(),
        "a newer write makes it stale"
    );
    cache.store_delta(at(5), 7, changed(RawJson::from_trusted("{}")));
    assert!(
        cache.fresh_delta(&at(5), t).is_none(),
        "computed before the newest write"
    );
}

/// What bounds how long a write through another center goes unseen:
/// the cache is trusted for the check interval, then not until the
/// revision is confirmed again.
#[test]
fn trust_expires_after_the_check_interval() {
    let interval = Duration::from_secs(1);
    let cache = ReadCache::new(interval);
    let t0 = Instant::now();
    cache.store_list(ns(), snapshot(1), t0);
    let just_before = t0 + interval - Duration::from_millis(1);
    assert_eq!(cache.fresh_list(&ns(), just_before).unwrap().revision, 1);
    assert!(cache.fresh_list(&ns(), t0 + interval).is_none());
    assert!(cache.fresh_revision(t0 + interval).is_none());
    // Another center wrote revision 2: the next confirmation finds it.
    cache.confirm_revision(2, t0 + interval);
    assert_eq!(cache.fresh_revision(t0 + interval), Some(2));
    assert!(
        cache.fresh_list(&ns(), t0 + interval).is_none(),
        "the list is at 1"
    );
    let zero = ReadCache::new(Duration::ZERO);
    zero.store_list(ns(), snapshot(1), t0);
    assert!(zero.fresh_list(&ns(), t0).is_none(), "0s trusts nothing");
}

/// Many different `since` values with large replies keep the cache
/// within its byte budget; a reply close to the whole dataset is not kept.
#[test]
fn deltas_are_bounded_in_bytes() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let t = Instant::now();
    cache.confirm_revision(1000, t);
    let reply = |bytes: usize| RawJson::from_trusted("x".repeat(bytes));
    cache.store_delta(at(1), 1000, changed(reply(MAX_DELTA_BYTES + 1)));
    assert!(cache.fresh_delta(&at(1), t).is_none(), "too large to keep");
    for since in 2..200 {
        cache.store_delta(at(since), 1000, changed(reply(MAX_DELTA_BYTES)));
    }
    let kept = (2..200)
        .filter(|s| cache.fresh_delta(&at(*s), t).is_some())
        .count();
    assert_eq!(kept, DELTA_BUDGET_BYTES / MAX_DELTA_BYTES);
    let d = cache.deltas.read().unwrap();
    assert!(d.bytes <= DELTA_BUDGET_BYTES, "{}", d.bytes);
}
