//! The local read store's writer: growth, the boot guard, the encoding.

use super::*;

#[test]
fn a_record_is_its_expiry_then_its_json() {
    let mut out = Vec::new();
    encode(Some(1_700_000_000_000_000), r#"{"a":1}"#, &mut out);
    assert_eq!(&out[..8], &1_700_000_000_000_000i64.to_be_bytes());
    assert_eq!(&out[8..], br#"{"a":1}"#);
    encode(None, "1", &mut out);
    assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 0, b'1']);
}

#[test]
fn a_write_that_does_not_fit_grows_the_map() {
    use crate::edge::protocol::{Item, Part, Pulled};
    let dir = tempfile::tempdir().unwrap();
    let ns = Namespace::default();
    let mut local =
        LocalStore::open_mapped(dir.path(), std::slice::from_ref(&ns), 1 << 20, 0o600).unwrap();
    let item = |i: usize| Item {
        key: format!("key-{i:06}"),
        value: format!("\"{}\"", "x".repeat(100)),
        revision: 1,
        updated_at_us: 0,
        expires_at_us: None,
    };
    let store = EdgeStore::new(64 << 20);
    let pulled = Pulled {
        revision: Some(1),
        full: true,
        parts: vec![Part::of(
            ns.clone(),
            (0..20_000).map(item).collect(),
            vec![],
        )],
        gray: None,
    };
    store.apply(&pulled, None).unwrap();
    let written = local.write(&store).unwrap();
    assert_eq!(written.put, 20_000);
    let map_size = local.map_size().unwrap();
    assert!(map_size >= 4 << 20, "grown: {map_size}");
    let db = local.namespaces[0].1;
    let txn = local.env.begin_ro_txn().unwrap();
    let stored = txn.get(db, &"key-019999").unwrap();
    assert_eq!(&stored[8..], format!("\"{}\"", "x".repeat(100)).as_bytes());
    // Nothing changed: nothing written.
    drop(txn);
    assert_eq!(local.write(&store).unwrap(), Written::default());
}

#[test]
fn a_store_written_before_the_machine_restarted_is_made_anew() {
    let dir = tempfile::tempdir().unwrap();
    let ns = Namespace::default();
    let open = || LocalStore::open_mapped(dir.path(), std::slice::from_ref(&ns), 1 << 20, 0o600);
    let local = open().unwrap();
    let db = local.namespaces[0].1;
    let mut txn = local.env.begin_rw_txn().unwrap();
    txn.put(db, &"k", &"v", WriteFlags::empty()).unwrap();
    txn.commit().unwrap();
    drop(local);
    // Reopened in the same boot: kept.
    let local = open().unwrap();
    assert_eq!(
        local.env.begin_ro_txn().unwrap().get(db, &"k"),
        Ok(&b"v"[..])
    );
    let mut txn = local.env.begin_rw_txn().unwrap();
    txn.put(local.meta, &BOOT, &"an-earlier-boot", WriteFlags::empty())
        .unwrap();
    txn.commit().unwrap();
    drop(local);
    // Written in another boot: made anew, and marked with this one.
    let local = open().unwrap();
    let txn = local.env.begin_ro_txn().unwrap();
    assert_eq!(
        txn.get(local.namespaces[0].1, &"k"),
        Err(lmdb::Error::NotFound)
    );
    assert_eq!(txn.get(local.meta, &BOOT), Ok(boot_id().as_bytes()));
}

#[test]
fn maps_are_whole_pages() {
    assert_eq!(page_rounded(1), 4096);
    assert_eq!(page_rounded(8192), 8192);
}
