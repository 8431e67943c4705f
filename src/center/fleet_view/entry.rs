//! An edge as the fleet keeps it in memory: what every pull changes
//! inline, its texts boxed; the hash that tells when the texts change.

use std::net::IpAddr;

use crate::domain::{DigestReport, EdgeHello, EdgeSeen, Health, Namespace};

/// An edge in memory. What every pull reads or writes is inline (a
/// bucket of the map is 72 bytes, so 10,000 edges take 0.7 MB and a pull
/// touches one or two cache lines); the texts are behind a box, read only
/// when they change and by the flush.
pub(super) struct Entry {
    /// The revision its last reply carried, to tell on the next pull
    /// whether it applied it.
    pub(super) served: i64,
    pub(super) revision: i64,
    pub(super) last_pull_us: i64,
    /// Its last pull as the flush last took it (0: never).
    pub(super) written_pull_us: i64,
    pub(super) hold_us: i64,
    /// A hash of its version and namespaces as last written to `texts`.
    pub(super) shape: u64,
    pub(super) in_step: bool,
    pub(super) digest: Option<DigestReport>,
    pub(super) health: Option<Health>,
    /// Its state changed since the flush last took it.
    pub(super) dirty: bool,
    pub(super) texts: Box<Texts>,
}

/// An edge's texts, as its row shows them.
pub(super) struct Texts {
    pub(super) name: String,
    pub(super) address: String,
    pub(super) version: String,
    pub(super) namespaces: String,
    pub(super) labels: String,
    pub(super) health_reason: String,
    /// The gray releases it holds, comma-separated.
    pub(super) gray: String,
    pub(super) first_seen_us: i64,
}

impl Entry {
    pub(super) fn new(name: &str, address: Option<IpAddr>, at_us: i64) -> Entry {
        Entry {
            served: 0,
            revision: 0,
            last_pull_us: at_us,
            written_pull_us: 0,
            hold_us: 0,
            shape: 0,
            in_step: true,
            digest: None,
            health: None,
            dirty: true,
            texts: Box::new(Texts {
                name: name.to_string(),
                address: address.map(|a| a.to_string()).unwrap_or_default(),
                version: String::new(),
                namespaces: String::new(),
                labels: String::new(),
                health_reason: String::new(),
                gray: String::new(),
                first_seen_us: at_us,
            }),
        }
    }

    /// The same entry in new allocations (`Fleet::compact`).
    pub(super) fn compacted(&self) -> Entry {
        let t = &self.texts;
        Entry {
            texts: Box::new(Texts {
                name: t.name.clone(),
                address: t.address.clone(),
                version: t.version.clone(),
                namespaces: t.namespaces.clone(),
                labels: t.labels.clone(),
                health_reason: t.health_reason.clone(),
                gray: t.gray.clone(),
                first_seen_us: t.first_seen_us,
            }),
            digest: self.digest,
            ..*self
        }
    }

    /// Its row.
    pub(super) fn seen(&self) -> EdgeSeen {
        let t = &self.texts;
        EdgeSeen {
            name: t.name.clone(),
            address: t.address.clone(),
            version: t.version.clone(),
            namespaces: t.namespaces.clone(),
            labels: t.labels.clone(),
            revision: self.revision,
            in_step: self.in_step,
            digest: self.digest,
            health: self.health,
            health_reason: t.health_reason.clone(),
            gray: t.gray.clone(),
            hold_us: self.hold_us,
            first_seen_us: t.first_seen_us,
            last_pull_us: self.last_pull_us,
        }
    }
}

/// FNV-1a of the version, the namespaces, the labels, the health's reason
/// and the releases held (not keyed: a collision only leaves an edge's own
/// texts shown as they were).
pub(super) fn shape(hello: &EdgeHello, namespaces: &[Namespace]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(hello.version.as_str().as_bytes());
    for ns in namespaces {
        eat(ns.as_str().as_bytes());
    }
    eat(hello.labels.as_str().as_bytes());
    eat(hello
        .health
        .as_ref()
        .map_or(&[][..], |r| r.reason.as_str().as_bytes()));
    for id in &hello.releases {
        eat(&id.0.to_le_bytes());
    }
    h | 1
}

/// The releases an edge holds as its row shows them: ids, comma-separated.
pub(super) fn gray_ids(hello: &EdgeHello) -> String {
    let ids: Vec<String> = hello.releases.iter().map(|id| id.0.to_string()).collect();
    ids.join(",")
}

/// Namespaces as stored: comma-separated, in the order given (sorted by
/// the binding).
pub(super) fn join(namespaces: &[Namespace]) -> String {
    let mut out = String::new();
    for (i, ns) in namespaces.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(ns.as_str());
    }
    out
}
