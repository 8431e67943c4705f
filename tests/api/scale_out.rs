//! Several centers on one database: they answer alike, continue each
//! other's `records.changes`, notice each other's writes, and migrate a
//! fresh database together without tripping over each other.

use std::time::Duration;

use serde_json::json;
use syncdict::configuration::HumanDuration;

use crate::helpers::{eventually, keys, Backend, TestApp, TestDb};

/// Two centers on one fresh database of `backend`.
pub async fn two_centers(backend: Backend) -> Option<(TestApp, TestApp, TestDb)> {
    let db = TestDb::create(backend)?;
    let center = || {
        TestApp::builder()
            .center()
            .database(db.url.clone(), None)
            .with(|s| s.server.revision_check_interval = HumanDuration(CHECK_INTERVAL))
            .spawn()
    };
    let a = center().await;
    let b = center().await;
    Some((a, b, db))
}

/// `server.revision_check_interval` of the centers here.
const CHECK_INTERVAL: Duration = Duration::from_millis(300);

async fn centers_share_revisions_and_changes(backend: Backend) {
    let Some((a, b, _db)) = two_centers(backend).await else {
        return;
    };
    // Writes through either center take one store-wide sequence.
    let mut revisions = Vec::new();
    for (i, center) in [&a, &b, &a, &b].into_iter().enumerate() {
        revisions.push(center.put(&format!("k{i}"), json!(i)).await);
    }
    assert_eq!(revisions, vec![1, 2, 3, 4]);
    assert_eq!(a.result("records.delete", json!(["k1"])).await, json!(true));

    // Identical answers, whichever center is asked.
    let list_a = a.result("records.list", json!([])).await;
    let list_b = b.result("records.list", json!([])).await;
    assert_eq!(list_a, list_b);
    assert_eq!(keys(&list_a), ["k0", "k2", "k3"]);
    for since in [0, 1, 2, 4, 5] {
        assert_eq!(
            a.result("records.changes", json!([since])).await,
            b.result("records.changes", json!([since])).await,
            "changes({since})"
        );
    }

    // An edge that followed A continues on B from where it was.
    let at = a.result("records.changes", json!([0])).await["revision"]
        .as_i64()
        .unwrap();
    b.put("k4", json!("via b")).await;
    let delta = b.result("records.changes", json!([at])).await;
    assert_eq!(delta["full"], false);
    assert_eq!(keys(&delta["upserts"]), ["k4"]);
    assert_eq!(delta["revision"], at + 1);
}

async fn a_write_through_one_center_reaches_the_others_cache(backend: Backend) {
    let Some((a, b, _db)) = two_centers(backend).await else {
        return;
    };
    a.put("rule", json!(1)).await;
    // A's list and revision are cached now.
    let cached = a.result("records.list", json!([])).await;
    assert_eq!(a.result("records.list", json!([])).await, cached);
    let revision = b.put("rule", json!(2)).await;
    // A re-checks the revision once its trust (CHECK_INTERVAL) runs out;
    // `ReadCache`'s unit tests drive that bound with a given clock, so here
    // a generous limit only proves that it happens.
    eventually(Duration::from_secs(10), "A sees B's write", async || {
        let list = a.result("records.list", json!([])).await;
        let current = a.result("records.changes", json!([revision])).await;
        list[0]["value"] == json!(2) && current["revision"] == revision
    })
    .await;
}

crate::on_backends!(
    centers_share_revisions_and_changes,
    a_write_through_one_center_reaches_the_others_cache
);
/// Migrations need a server backend: SQLite has one file and one process.
#[cfg(any(feature = "mysql", feature = "postgres"))]
mod migrations {
    use syncdict::configuration::DatabaseSettings;

    use crate::helpers::{Backend, TestDb};

    /// Centers starting together on a database nobody migrated yet: each one
    /// migrates under the lock, none fails.
    async fn centers_migrate_one_fresh_database_together(backend: Backend) {
        let Some(db) = TestDb::create_bare(backend) else {
            return;
        };
        let settings = DatabaseSettings {
            url: db.url.clone(),
            ..Default::default()
        };
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let started: Vec<_> = (0..6)
                .map(|_| s.spawn(|| syncdict::db::migrate_now(&settings)))
                .collect();
            started.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for outcome in outcomes {
            outcome.expect("every center migrates");
        }
        crate::helpers::add_test_users(&db.url);
    }

    crate::on_backends!(server: centers_migrate_one_fresh_database_together);
}
