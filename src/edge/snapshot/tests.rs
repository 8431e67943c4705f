use super::*;

fn sample() -> Vec<u8> {
    let items = [
        ("default", "a", r#"{"x":[1,"\n"]}"#, 3, 10, None),
        ("default", "é\"", "null", 4, 11, None),
        (
            "geo",
            "fr",
            "\"France\"",
            2,
            12,
            Some(1_800_000_000_000_000),
        ),
    ];
    encode(
        4,
        99,
        (&Signatures::new(), &[ReleaseId(7)]),
        items.into_iter(),
    )
}

#[test]
fn round_trips() {
    let snapshot = decode(&sample()).unwrap();
    assert_eq!(snapshot.revision, 4);
    assert_eq!(snapshot.saved_us, 99);
    let default = &snapshot.parts[0];
    assert!(default.namespace.is_default());
    assert_eq!(default.upserts[0].value, r#"{"x":[1,"\n"]}"#);
    assert_eq!(default.upserts[1].key, "é\"");
    assert_eq!(snapshot.parts[1].namespace.as_str(), "geo");
    assert_eq!(default.upserts[0].expires_at_us, None);
    assert_eq!(
        snapshot.parts[1].upserts[0].expires_at_us,
        Some(1_800_000_000_000_000),
        "an expiry is kept"
    );
    assert_eq!(snapshot.entries(), 3);
    assert_eq!(snapshot.gray, [ReleaseId(7)], "the releases held are kept");
}

/// A file written before namespaces loads into `default`.
#[test]
fn version_1_files_load_as_default() {
    let body = "[\"a\",1,3,10]\n[\"b\",\"x\",4,11]\n";
    let file = format!(
        "{MAGIC_V1} revision=4 entries=2 saved_us=9 body_len={} fnv64={:016x}\n{body}",
        body.len(),
        fnv64(body.as_bytes())
    );
    let snapshot = decode(file.as_bytes()).unwrap();
    assert_eq!(snapshot.parts.len(), 1);
    assert!(snapshot.parts[0].namespace.is_default());
    assert_eq!(snapshot.parts[0].upserts[1].value, "\"x\"");
}

#[test]
fn corruption_and_truncation_are_refused() {
    let good = sample();
    for cut in [0, 5, good.len() / 2, good.len() - 1] {
        assert!(decode(&good[..cut]).is_err(), "truncated at {cut}");
    }
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x01;
    assert_eq!(
        decode(&flipped).unwrap_err().to_string(),
        "checksum mismatch"
    );
    assert!(decode(b"hello\nworld").is_err());
}

#[test]
fn writes_replace_the_file_whole() {
    let path = std::env::temp_dir().join(format!("snap-{}-{}", std::process::id(), line!()));
    write_atomically(&path, |f| f.write_all(b"one")).unwrap();
    let rows = [
        ("default", "a", "1", 1, 2, None),
        ("default", "b", "[2]", 3, 4, None),
    ];
    let signed = Signatures::from([(
        "default".to_string(),
        Signed {
            revision: 3,
            key: "0011223344556677".into(),
            sig: "ab".repeat(64),
            view: None,
        },
    )]);
    write(&path, 3, 5, (&signed, &[]), || rows.iter().copied()).unwrap();
    let read = std::fs::read(&path).unwrap();
    assert_eq!(
        read,
        encode(3, 5, (&signed, &[]), rows.iter().copied()),
        "streamed = in memory"
    );
    let back = decode(&read).unwrap();
    assert_eq!(back.entries(), 2);
    assert_eq!(
        back.parts[0].signed.as_ref(),
        signed.get("default"),
        "signature kept"
    );
    std::fs::remove_file(path).unwrap();
}

/// The file holds every record: only its owner may read it, and the
/// temporary file is never a name an attacker could guess or plant.
#[test]
fn snapshots_are_private_and_leave_no_temporary_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("snapdir-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("edge.snapshot");
    // A symlink at the name the old code used is not followed.
    let decoy = dir.join("decoy");
    let planted = dir.join(format!(".edge.snapshot.tmp{}", std::process::id()));
    std::os::unix::fs::symlink(&decoy, &planted).unwrap();
    let rows = [("default", "a", "1", 1, 2, None)];
    write(&path, 1, 5, (&Signatures::new(), &[]), || {
        rows.iter().copied()
    })
    .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert!(
        !decoy.exists(),
        "the planted symlink was not written through"
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "the snapshot and the planted link only: {names:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
