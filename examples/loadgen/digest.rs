//! What signed digests cost, on this machine: one LtHash update (a key
//! taken out or put in; a write pays two per key it changes, an edge two
//! per key a delta touches) and one signature check (an edge pays one per
//! namespace a pull changes).

use std::time::Instant;

use syncdict::signing::{verify, LtHash, Signer};

/// Times `count` LtHash updates of ~100-byte values and `count` signature
/// checks; prints `lthash_us_per_update U verify_us V`.
pub fn costs(count: usize) -> anyhow::Result<()> {
    anyhow::ensure!(count > 0, "--count must be positive");
    let value = format!(
        "{{\"rule\":\"allow\",\"list\":[\"10.0.0.1\",\"host.example\"],\"pad\":\"{}\"}}",
        "x".repeat(40)
    );
    let mut digest = LtHash::empty();
    let started = Instant::now();
    for i in 0..count {
        digest.insert("default", &format!("key-{i:06}"), &value, None);
    }
    let update_us = started.elapsed().as_secs_f64() * 1e6 / count as f64;
    let (pem, public) = Signer::generate()?;
    let signer = Signer::new(ed25519_dalek::pkcs8::DecodePrivateKey::from_pkcs8_pem(
        &pem,
    )?);
    let signed = signer.sign("default", 7, &digest.checksum());
    let keys = [public];
    let started = Instant::now();
    for _ in 0..count {
        verify(&keys, ("default", ""), &digest, Some(&signed))?;
    }
    let verify_us = started.elapsed().as_secs_f64() * 1e6 / count as f64;
    println!("lthash_us_per_update {update_us:.2} verify_us {verify_us:.1}");
    Ok(())
}
