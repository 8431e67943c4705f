//! Gray releases' targets: which edges a release reaches. By name, by
//! labels (all must match), or by a sticky percentage: an edge's bucket is
//! a hash of its name and the release's id onto 0..10,000 (hundredths of a
//! percent), the same on every center, after every restart and in every
//! version (BLAKE3, no per-process key), so widening a release keeps every
//! edge that was in, and releases spread independently of each other.

use super::{EdgeName, Labels};

/// Hundredths of a percent: 0 (none) to 10,000 (every edge).
pub const ALL_BUCKETS: u32 = 10_000;

/// A gray release's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReleaseId(pub i64);

/// Which edges a release reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// These edges, by `client.name`.
    Edges(Vec<EdgeName>),
    /// Edges with every one of these labels.
    Labels(Labels),
    /// Edges whose bucket is below this many hundredths of a percent.
    Percent(u32),
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTarget {
    #[error("a percentage is a number from 0 to 100")]
    Percent,
}

impl Target {
    /// `percent` (0 to 100, two decimals kept) as a target.
    pub fn percent(percent: f64) -> Result<Target, InvalidTarget> {
        if !(0.0..=100.0).contains(&percent) {
            return Err(InvalidTarget::Percent);
        }
        Ok(Target::Percent((percent * 100.0).round() as u32))
    }

    /// Whether the edge named `name`, with `labels`, is in release
    /// `release` (an edge without a name is in none).
    pub fn reaches(&self, release: ReleaseId, name: Option<&EdgeName>, labels: &Labels) -> bool {
        let Some(name) = name else {
            return false;
        };
        match self {
            Target::Edges(names) => names.contains(name),
            Target::Labels(wanted) => wanted.pairs().all(|(k, v)| labels.get(k) == Some(v)),
            Target::Percent(buckets) => bucket(name.as_str(), release) < *buckets,
        }
    }
}

/// The bucket of edge `name` in release `release`: 0..`ALL_BUCKETS`.
pub fn bucket(name: &str, release: ReleaseId) -> u32 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"syncdict gray bucket\0");
    hasher.update(&release.0.to_le_bytes());
    hasher.update(name.as_bytes());
    let hash = hasher.finalize();
    let head = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
    (head % u64::from(ALL_BUCKETS)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(i: usize) -> EdgeName {
        EdgeName::parse(&format!("edge-{i:05}")).unwrap()
    }

    #[test]
    fn percentages_are_sticky_and_widen_without_losing_anyone() {
        let release = ReleaseId(42);
        let none = Labels::default();
        let at = |p: f64| {
            let target = Target::percent(p).unwrap();
            (0..10_000)
                .filter(|i| target.reaches(release, Some(&name(*i)), &none))
                .collect::<Vec<_>>()
        };
        let ten = at(10.0);
        assert!(
            (850..=1150).contains(&ten.len()),
            "10% of 10,000: {}",
            ten.len()
        );
        let quarter = at(25.0);
        assert!(
            ten.iter().all(|i| quarter.contains(i)),
            "widening keeps everyone in"
        );
        assert_eq!(at(10.0), ten, "the same set every time");
        assert_eq!(at(0.0).len(), 0);
        assert_eq!(at(100.0).len(), 10_000);
        // Another release draws another tenth.
        let other = Target::percent(10.0).unwrap();
        let theirs: Vec<usize> = (0..10_000)
            .filter(|i| other.reaches(ReleaseId(43), Some(&name(*i)), &none))
            .collect();
        assert_ne!(theirs, ten);
        assert_eq!(
            bucket("edge-00001", ReleaseId(42)),
            bucket("edge-00001", ReleaseId(42))
        );
    }

    #[test]
    fn names_and_labels_reach_their_edges() {
        let eu = Labels::parse("region=eu,tier=web").unwrap();
        let us = Labels::parse("region=us,tier=web").unwrap();
        let target = Target::Labels(Labels::parse("region=eu").unwrap());
        assert!(target.reaches(ReleaseId(1), Some(&name(1)), &eu));
        assert!(!target.reaches(ReleaseId(1), Some(&name(1)), &us));
        assert!(
            !target.reaches(ReleaseId(1), None, &eu),
            "an unnamed client is in no release"
        );
        let named = Target::Edges(vec![name(7)]);
        assert!(named.reaches(ReleaseId(1), Some(&name(7)), &us));
        assert!(!named.reaches(ReleaseId(1), Some(&name(8)), &us));
        assert_eq!(Target::percent(12.345).unwrap(), Target::Percent(1235));
        assert!(Target::percent(100.5).is_err() && Target::percent(-1.0).is_err());
    }
}
