//! Many writers at once: revisions are unique, dense, and `records.changes`
//! never skips a committed write.

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::json;

use crate::helpers::TestApp;

const WRITERS: usize = 8;
const WRITES_EACH: usize = 40;

async fn concurrent_writers_are_never_missed(app: TestApp) {
    let app = Rc::new(app);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let app = app.clone();
            actix_web::rt::spawn(async move {
                let mut revisions = Vec::new();
                for i in 0..WRITES_EACH {
                    revisions.push(app.put(&format!("w{w}-{i:03}"), json!(i)).await);
                }
                revisions
            })
        })
        .collect();

    // A reader follows along with records.changes while the writers run.
    let reader = {
        let app = app.clone();
        actix_web::rt::spawn(async move {
            let (mut since, mut seen) = (0i64, BTreeSet::new());
            for _ in 0..10_000 {
                let delta = app.result("records.changes", json!([since])).await;
                for record in delta["upserts"].as_array().unwrap() {
                    seen.insert(record["key"].as_str().unwrap().to_string());
                }
                since = delta["revision"].as_i64().unwrap();
                if since as usize == WRITERS * WRITES_EACH {
                    break;
                }
            }
            seen
        })
    };

    let mut all = Vec::new();
    for writer in writers {
        all.extend(writer.await.unwrap());
    }
    all.sort_unstable();
    let expected: Vec<i64> = (1..=(WRITERS * WRITES_EACH) as i64).collect();
    assert_eq!(
        all, expected,
        "every write took its own revision, none skipped"
    );

    let seen = reader.await.unwrap();
    assert_eq!(
        seen.len(),
        WRITERS * WRITES_EACH,
        "the reader saw every committed write"
    );
}

crate::on_backends!(
    center:concurrent_writers_are_never_missed);
