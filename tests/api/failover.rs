//! Several upstreams: the edge fails over in order, leaves a failed one
//! alone for `client.upstream_cooldown`, then goes back to it.

use std::time::{Duration, Instant};

use serde_json::json;
use syncdict::configuration::HumanDuration;
use syncdict::edge::state::TickReport;

use crate::edge_helpers::{method_edge, Script, Upstream};

fn hits(upstream: &Upstream) -> u64 {
    *upstream.hits.lock().unwrap()
}

#[actix_web::test]
async fn the_edge_fails_over_and_returns_to_its_first_upstream() {
    let rows = |v: i64| Upstream::rows(json!([{"name": "k", "v": v}]));
    let first = Upstream::start(rows(1)).await;
    let second = Upstream::start(rows(2)).await;
    let upstreams = vec![first.url.clone(), second.url.clone()];
    let edge = method_edge(&first)
        .upstreams(upstreams)
        .with(|s| s.client.upstream_cooldown = HumanDuration(Duration::from_secs(30)))
        .spawn()
        .await;
    let value = async || edge.json("/api/cache/k").await["v"].clone();

    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(
        (value().await, hits(&first), hits(&second)),
        (json!(1), 1, 0)
    );

    // The first goes down: the same pull is served by the second.
    first.set(Script::Reply(500, "down".into()));
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(
        (value().await, hits(&first), hits(&second)),
        (json!(2), 2, 1)
    );
    assert_eq!(edge.status().await["upstream_in_use"], second.url);
    let health = edge.status().await["upstream_health"].clone();
    assert_eq!(health[0]["cooling_down"], true, "{health}");
    assert!(
        health[0]["last_error"].as_str().unwrap().contains("500"),
        "{health}"
    );
    assert_eq!(health[1]["cooling_down"], false);

    // While it cools down, the first is not asked at all.
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!((hits(&first), hits(&second)), (2, 2));

    // Back after the cooldown (a tick as of 31 s later): preferred again.
    first.set(rows(3));
    let later = Instant::now() + Duration::from_secs(31);
    assert_eq!(edge.tick_at(later).await, TickReport::Applied);
    assert_eq!(
        (value().await, hits(&first), hits(&second)),
        (json!(3), 3, 2)
    );
    assert_eq!(edge.status().await["upstream_in_use"], first.url);

    // Both down: the pull fails, naming each, and the data stays.
    first.set(Script::Reply(500, "down".into()));
    second.set(Script::Reply(503, "down too".into()));
    let TickReport::Failed(e) = edge.tick_at(later).await else {
        panic!("both upstreams failed")
    };
    let e = e.to_string();
    assert!(e.contains(&first.url) && e.contains(&second.url), "{e}");
    assert_eq!(value().await, json!(3));

    // Both cooling down: still both tried (soonest back first), none skipped.
    second.set(rows(4));
    let both_cooling = later + Duration::from_secs(1);
    assert_eq!(edge.tick_at(both_cooling).await, TickReport::Applied);
    assert_eq!(value().await, json!(4));
}
