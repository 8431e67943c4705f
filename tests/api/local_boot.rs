//! The edge does not flush the local read store's commits, so a store
//! from before the machine restarted may be torn: it holds the boot it
//! was written in (`boot` in its meta database), and every reader refuses
//! it once the machine's boot id differs; the edge makes it anew (a unit
//! test of the writer).

use std::path::Path;

use serde_json::json;
use syncdict::edge::state::TickReport;

use crate::helpers::Scratch;
use crate::local_store::{edge_keeping, read_with, store_at};

/// Marks the store in `SYNCDICT_LOCAL_DIR` as written in another boot:
/// run by this test binary in a child process (LMDB refuses a second
/// open of one environment in a process, and the edge ran in this one).
#[test]
#[ignore = "run by mark_earlier_boot in a child process"]
fn earlier_boot_marker() {
    let Ok(dir) = std::env::var("SYNCDICT_LOCAL_DIR") else {
        return;
    };
    let env = lmdb::Environment::new()
        .set_max_dbs(8)
        .open(Path::new(&dir))
        .unwrap();
    let meta = env.open_db(Some("_syncdict")).unwrap();
    let mut txn = env.begin_rw_txn().unwrap();
    txn.put(meta, &"boot", &"an-earlier-boot", lmdb::WriteFlags::empty())
        .unwrap();
    lmdb::Transaction::commit(txn).unwrap();
}

fn mark_earlier_boot(dir: &Path) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("SYNCDICT_LOCAL_DIR", dir)
        .args(["--exact", "local_boot::earlier_boot_marker", "--ignored"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[actix_web::test]
async fn readers_refuse_a_store_written_before_the_machine_restarted() {
    let center = crate::helpers::TestApp::builder().center().spawn().await;
    let revision = center.put("a", json!(1)).await;
    let dir = Scratch::new();
    let local = dir.join("local");
    let mut edge = edge_keeping(&center, &local, syncdict::domain::Selection::Every).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(store_at(&local, revision).await["a"], json!(1));
    edge.stop().await;

    mark_earlier_boot(&local);
    for language in ["rust", "python", "node"] {
        if let Some(said) = read_with(language, &local, 0) {
            let error = said["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("before the machine restarted"),
                "{language}: {said}"
            );
        }
    }
}
