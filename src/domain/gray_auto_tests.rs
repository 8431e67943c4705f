use serde_json::json;

use super::*;

const MIN: i64 = 60_000_000;

fn auto() -> Auto {
    Auto::from_json(&json!({"steps": [1, 10, 50, 100], "bake": "10m", "min_edges": 2})).unwrap()
}

fn healthy(n: u32) -> MemberHealth {
    MemberHealth {
        healthy: n,
        unhealthy: vec![],
    }
}

#[test]
fn parses_with_defaults_and_refuses_the_malformed() {
    let a = auto();
    assert_eq!(a.steps, vec![100, 1000, 5000, 10000]);
    assert_eq!(a.bake, Duration::from_secs(600));
    assert_eq!((a.min_edges, a.max_unhealthy), (2, 0));
    assert_eq!(Auto::from_json(&a.to_json()).unwrap(), a);
    let bare = Auto::from_json(&json!({"steps": [5]})).unwrap();
    assert_eq!((bare.min_edges, bare.max_unhealthy), (1, 0));
    for bad in [
        json!({"steps": []}),
        json!({"steps": [10, 5]}),
        json!({"steps": [0, 5]}),
        json!({"steps": [50, 101]}),
        json!({"steps": [1,2,3,4,5,6,7,8,9,10,11]}),
        json!({"steps": [1], "bake": "0s"}),
        json!({"steps": [1], "bake": "8d"}),
        json!({"steps": [1], "bake": 5}),
        json!({"steps": [1], "min_edges": -1}),
        json!({"steps": [1], "canary": true}),
        json!([1, 2]),
    ] {
        assert!(Auto::from_json(&bad).is_err(), "{bad}");
    }
}

#[test]
fn a_step_bakes_then_widens_then_promotes_at_the_last() {
    let a = auto();
    let t0 = 1_000 * MIN;
    let wait = decide(&a, Some(100), t0, &healthy(3), t0 + 9 * MIN);
    assert_eq!(wait, Decision::Wait(Waiting::Baking(t0 + 10 * MIN)));
    assert_eq!(
        decide(&a, Some(100), t0, &healthy(3), t0 + 10 * MIN),
        Decision::Widen(1000)
    );
    assert_eq!(
        decide(&a, Some(1000), t0, &healthy(3), t0 + 10 * MIN),
        Decision::Widen(5000)
    );
    // Widened by hand past a step: the schedule goes on from there.
    assert_eq!(
        decide(&a, Some(2500), t0, &healthy(3), t0 + 10 * MIN),
        Decision::Widen(5000)
    );
    assert_eq!(
        decide(&a, Some(10000), t0, &healthy(3), t0 + 10 * MIN),
        Decision::Promote
    );
}

#[test]
fn too_few_healthy_members_wait() {
    let waiting = decide(&auto(), Some(100), 0, &healthy(1), 11 * MIN);
    assert_eq!(
        waiting,
        Decision::Wait(Waiting::Members {
            healthy: 1,
            needed: 2
        })
    );
    assert!(matches!(waiting, Decision::Wait(w) if w.describe().contains("2 healthy members")));
}

#[test]
fn unhealthy_members_abort_past_the_limit_and_hold_within_it() {
    let sick = MemberHealth {
        healthy: 5,
        unhealthy: vec![("web-3".into(), "health_command: exit status: 1".into())],
    };
    let Decision::Abort(why) = decide(&auto(), Some(100), 0, &sick, 0) else {
        panic!("not aborted");
    };
    assert!(
        why.contains("web-3: health_command: exit status: 1"),
        "{why}"
    );
    assert!(
        why.starts_with("1 members unhealthy (at most 0 allowed)"),
        "{why}"
    );
    let tolerant = Auto {
        max_unhealthy: 1,
        ..auto()
    };
    let held = decide(&tolerant, Some(100), 0, &sick, 60 * MIN);
    assert_eq!(held, Decision::Wait(Waiting::Unhealthy(1)));
    // Aborting comes first, whatever the target.
    assert!(matches!(
        decide(&auto(), None, 0, &sick, 0),
        Decision::Abort(_)
    ));
    assert_eq!(
        decide(&auto(), None, 0, &healthy(9), 60 * MIN),
        Decision::Wait(Waiting::NotPercent)
    );
}
