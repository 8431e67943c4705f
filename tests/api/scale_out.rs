//! Several centers on one database: they answer alike, continue each
//! other's `records.changes`, notice each other's writes, and migrate a
//! fresh database together without tripping over each other.

use std::time::{Duration, Instant};

use serde_json::json;
use syncdict::configuration::{DatabaseSettings, HumanDuration};

use crate::helpers::{keys, spawn_with, test_settings, Backend, TestApp, TestDb};

/// Two centers on one fresh database of `backend`.
async fn two_centers(backend: Backend) -> Option<(TestApp, TestApp, TestDb)> {
    let db = TestDb::create(backend)?;
    let mut settings = test_settings(db.url.clone());
    settings.server.revision_check_interval = HumanDuration(Duration::from_millis(300));
    let a = spawn_with(settings.clone()).await;
    let b = spawn_with(settings).await;
    Some((a, b, db))
}

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
    let started = Instant::now();
    loop {
        let list = a.result("records.list", json!([])).await;
        let current = a.result("records.changes", json!([revision])).await;
        if list[0]["value"] == json!(2) && current["revision"] == revision {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "A still serves its cached list: {list}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // Within revision_check_interval (300 ms here), well inside one edge interval.
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

/// Centers starting together on a database nobody migrated yet: each one
/// migrates under the lock, none fails.
fn centers_migrate_one_fresh_database_together(backend: Backend) {
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

macro_rules! on_backends {
    ($($name:ident),*) => {
        mod sqlite {
            $( #[actix_web::test] async fn $name() { super::$name(crate::helpers::Backend::Sqlite).await } )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $( #[actix_web::test] async fn $name() { super::$name(crate::helpers::Backend::Mysql).await } )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $( #[actix_web::test] async fn $name() { super::$name(crate::helpers::Backend::Postgres).await } )*
        }
    };
}
on_backends!(
    centers_share_revisions_and_changes,
    a_write_through_one_center_reaches_the_others_cache
);

#[cfg(feature = "mysql")]
#[test]
fn mysql_centers_migrate_one_fresh_database_together() {
    centers_migrate_one_fresh_database_together(Backend::Mysql);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_centers_migrate_one_fresh_database_together() {
    centers_migrate_one_fresh_database_together(Backend::Postgres);
}
