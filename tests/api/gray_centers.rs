//! Gray releases with several centers on one database: a percentage
//! release reaches the same edges through every center, and a release
//! made through one center wakes the held pulls of another.

use std::time::Duration;

use serde_json::{json, Value};

use crate::gray_views::pull_reporting;
use crate::helpers::{eventually, Backend, TestApp, WRITER};
use crate::scale_out::two_centers;

async fn geo_release(center: &TestApp, target: Value) -> i64 {
    center.result("namespaces.create", json!(["geo"])).await;
    center.result("records.put", json!(["a", 1, "geo"])).await;
    let params = json!(["geo", {"upserts": {"a": 2}}, target]);
    let (_, created) = center.call_as(Some(WRITER), "gray.create", params).await;
    created["result"]["id"].as_i64().expect("created")
}

async fn every_center_draws_the_same_edges(backend: Backend) {
    let Some((a, b, _db)) = two_centers(backend).await else {
        return;
    };
    let id = geo_release(&a, json!({"percent": 30})).await;
    // The other center knows of it once it reads its releases again
    // (within server.revision_check_interval).
    let mut names = (0..).map(|i| format!("probe-{i}"));
    let inside = loop {
        let name = names.next().unwrap();
        if pull_reporting(&a, (Some(&name), &[]), 0, None).await["gray"] == json!([id]) {
            break name;
        }
    };
    let knows =
        async || pull_reporting(&b, (Some(&inside), &[]), 0, None).await["gray"] == json!([id]);
    eventually(Duration::from_secs(30), "the other center reads it", knows).await;
    let mut inside = 0;
    for i in 0..120 {
        let name = format!("host-{i}.example");
        let via_a = pull_reporting(&a, (Some(&name), &[]), 0, None).await;
        let via_b = pull_reporting(&b, (Some(&name), &[]), 0, None).await;
        assert_eq!(via_a["gray"], via_b["gray"], "{name}");
        if via_a.get("gray") == Some(&json!([id])) {
            inside += 1;
        }
    }
    // 30% of 120 is 36; the draw is a hash, so only roughly.
    assert!((20..=52).contains(&inside), "{inside} of 120 inside");
}

async fn a_release_through_one_center_wakes_held_pulls_on_another(backend: Backend) {
    let Some((a, b, _db)) = two_centers(backend).await else {
        return;
    };
    // Held at b, released through a: b reads its releases again within
    // server.revision_check_interval while it holds pulls, and wakes them.
    crate::gray_views::held_pull_wakes_for_a_release(&b, &a).await;
}

crate::on_backends!(
    every_center_draws_the_same_edges,
    a_release_through_one_center_wakes_held_pulls_on_another,
);
