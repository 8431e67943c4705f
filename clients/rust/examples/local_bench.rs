//! Reads per second from a local read store on one thread (scripts/
//! local_bench.sh pins it to one core): `get_raw`-style reads each in a
//! short transaction of its own (`with_raw`), and reads 1,000 at a time
//! in one transaction (`read`), and one key read over and over (its pages
//! in the CPU's caches), and every key through a cached handle
//! (`Namespace::cached`). Keys are `key-000000` .. in random order.
//!   cargo run --release -p syncdict-local --example local_bench -- DIR NS KEYS SECONDS

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, ns) = (&args[1], &args[2]);
    let keys: usize = args[3].parse().unwrap();
    let seconds: f64 = args[4].parse().unwrap();
    let store = syncdict_local::Store::open(dir).expect("the store opens");
    let geo = store
        .namespace(ns)
        .unwrap()
        .expect("the namespace is there");
    let names: Vec<String> = shuffled(keys).map(|i| format!("key-{i:06}")).collect();
    let budget = Duration::from_secs_f64(seconds);

    let (mut n, mut bytes, start) = (0usize, 0usize, Instant::now());
    while start.elapsed() < budget {
        for key in names.iter().take(10_000) {
            bytes += geo.with_raw(key, |v| v.map_or(0, <[u8]>::len)).unwrap();
        }
        n += 10_000;
    }
    let single = n as f64 / start.elapsed().as_secs_f64();

    let (mut m, start) = (0usize, Instant::now());
    while start.elapsed() < budget {
        for chunk in names.chunks(1000) {
            geo.read(|r| {
                for key in chunk {
                    bytes += r.get_raw(key).unwrap().map_or(0, <[u8]>::len);
                }
            })
            .unwrap();
        }
        m += names.len();
    }
    let batched = m as f64 / start.elapsed().as_secs_f64();
    // One key over and over: what a read costs when its pages are cached.
    let (mut h, start) = (0usize, Instant::now());
    while start.elapsed() < budget {
        for _ in 0..10_000 {
            bytes += geo
                .with_raw(&names[0], |v| v.map_or(0, <[u8]>::len))
                .unwrap();
        }
        h += 10_000;
    }
    let hot = h as f64 / start.elapsed().as_secs_f64();

    // Every key, in the shuffled order, through a cached handle (256 MiB):
    // a transaction renewed each read, the value from memory once read.
    let cached = store.namespace(ns).unwrap().unwrap().cached(256 << 20);
    let (mut c, start) = (0usize, Instant::now());
    while start.elapsed() < budget {
        for key in &names {
            bytes += cached.with_raw(key, |v| v.map_or(0, <[u8]>::len)).unwrap();
        }
        c += names.len();
    }
    let from_memory = c as f64 / start.elapsed().as_secs_f64();
    assert!(bytes > 0, "the keys were found");
    println!(
        "rust_get_per_s {single:.0} rust_batched_per_s {batched:.0} rust_one_key_per_s {hot:.0} rust_cached_per_s {from_memory:.0}"
    );
}

/// 0..n in a fixed pseudo-random order (a full-period LCG walk).
fn shuffled(n: usize) -> impl Iterator<Item = usize> {
    let mut x = 0usize;
    let m = n.next_power_of_two();
    std::iter::from_fn(move || loop {
        x = (x.wrapping_mul(5).wrapping_add(1)) % m;
        if x < n {
            return Some(x);
        }
    })
    .take(n)
}
