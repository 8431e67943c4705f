//! Rebuilds when a migration is added or changed: they are embedded in the
//! binary (`db/pool.rs`), and cargo does not watch them otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
