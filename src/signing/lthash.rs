//! `LtHash`: a homomorphic set hash (Bellare and Micciancio's LtHash, with
//! the parameters of Facebook's "Securing Update Propagation with
//! Homomorphic Hashing", 2019): each element is hashed with the BLAKE3 XOF
//! to 2,048 bytes, read as 1,024 little-endian 16-bit lanes, and the set's
//! hash is the lane-wise sum (mod 2^16) of its elements' hashes. Adding or
//! removing an element is one hash and one vector add or subtract, so the
//! digest of a namespace follows every write at the cost of the keys it
//! changes, whatever the namespace's size; and the same set gives the same
//! digest whatever order it was built in. Unlike a sum of ordinary hashes
//! (which falls to a generalized-birthday attack), finding a different set
//! with the same LtHash is as hard as a lattice problem (SIS) at these
//! parameters.
//!
//! The elements are `(namespace, key, value[, expires_at])` tuples, each
//! field length-prefixed, the value as the exact JSON text the center
//! stores and sends. A record that expires adds a 0xFF byte (never found in
//! UTF-8 JSON text) and its expiry (µs since the epoch, 8 bytes little-
//! endian) after the value, so an expiry is covered by the signature and
//! records without one hash as they did before expiries existed.

/// Lanes of 16 bits.
pub const LANES: usize = 1024;
/// Bytes of a digest.
pub const BYTES: usize = LANES * 2;

/// BLAKE3's key-derivation context for elements: hashes made for anything
/// else never collide with these.
const CONTEXT: &str = "syncdict 2026-12-01 lthash16 element v1";

/// The digest of a set of `(namespace, key, value)` tuples.
#[derive(Clone, PartialEq, Eq)]
pub struct LtHash(Box<[u16; LANES]>);

impl std::fmt::Debug for LtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LtHash({})", super::hex(&self.checksum()[..8]))
    }
}

impl Default for LtHash {
    fn default() -> Self {
        LtHash::empty()
    }
}

impl LtHash {
    /// The digest of the empty set (every lane 0).
    pub fn empty() -> LtHash {
        LtHash(Box::new([0; LANES]))
    }

    /// From its 2,048 stored bytes; `None` for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<LtHash> {
        if bytes.len() != BYTES {
            return None;
        }
        let mut lanes = Box::new([0u16; LANES]);
        for (lane, pair) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *lane = u16::from_le_bytes([pair[0], pair[1]]);
        }
        Some(LtHash(lanes))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|l| l.to_le_bytes()).collect()
    }

    /// The element's 2,048 bytes of XOF output.
    fn element(namespace: &str, key: &str, value: &str, expires_at_us: Option<i64>) -> [u8; BYTES] {
        let mut hasher = blake3::Hasher::new_derive_key(CONTEXT);
        hasher.update(&(namespace.len() as u64).to_le_bytes());
        hasher.update(namespace.as_bytes());
        hasher.update(&(key.len() as u64).to_le_bytes());
        hasher.update(key.as_bytes());
        hasher.update(value.as_bytes());
        if let Some(at) = expires_at_us {
            hasher.update(&[0xFF]);
            hasher.update(&at.to_le_bytes());
        }
        let mut out = [0u8; BYTES];
        hasher.finalize_xof().fill(&mut out);
        out
    }

    /// Adds one tuple to the set.
    pub fn insert(&mut self, namespace: &str, key: &str, value: &str, expires_at_us: Option<i64>) {
        let element = Self::element(namespace, key, value, expires_at_us);
        for (lane, pair) in self.0.iter_mut().zip(element.chunks_exact(2)) {
            *lane = lane.wrapping_add(u16::from_le_bytes([pair[0], pair[1]]));
        }
    }

    /// Takes one tuple out of the set (it must have been added).
    pub fn remove(&mut self, namespace: &str, key: &str, value: &str, expires_at_us: Option<i64>) {
        let element = Self::element(namespace, key, value, expires_at_us);
        for (lane, pair) in self.0.iter_mut().zip(element.chunks_exact(2)) {
            *lane = lane.wrapping_sub(u16::from_le_bytes([pair[0], pair[1]]));
        }
    }

    /// A 32-byte BLAKE3 hash of the digest: what is signed and shown.
    pub fn checksum(&self) -> [u8; 32] {
        *blake3::hash(&self.to_bytes()).as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_free_and_incremental() {
        let mut a = LtHash::empty();
        a.insert("ns", "k1", "1", None);
        a.insert("ns", "k2", "\"two\"", None);
        let mut b = LtHash::empty();
        b.insert("ns", "k2", "\"two\"", None);
        b.insert("ns", "k1", "1", None);
        assert_eq!(a, b, "same set, any order");
        b.remove("ns", "k1", "1", None);
        b.insert("ns", "k1", "2", None);
        assert_ne!(a, b, "a changed value changes it");
        b.remove("ns", "k1", "2", None);
        b.insert("ns", "k1", "1", None);
        assert_eq!(a, b, "and changing it back restores it");
        assert_eq!(LtHash::from_bytes(&a.to_bytes()), Some(a.clone()));
        assert!(LtHash::from_bytes(&[0; 10]).is_none());
        b.remove("ns", "k1", "1", None);
        b.remove("ns", "k2", "\"two\"", None);
        assert_eq!(
            b,
            LtHash::empty(),
            "removing everything leaves the empty set"
        );
    }

    #[test]
    fn fields_are_framed() {
        let mut a = LtHash::empty();
        a.insert("ns", "ab", "c", None);
        let mut b = LtHash::empty();
        b.insert("ns", "a", "bc", None);
        assert_ne!(a, b);
        let mut c = LtHash::empty();
        c.insert("nsa", "b", "c", None);
        let mut d = LtHash::empty();
        d.insert("ns", "ab", "c", None);
        assert_ne!(c, d);
    }

    #[test]
    fn an_expiry_is_part_of_the_element() {
        let mut plain = LtHash::empty();
        plain.insert("ns", "k", "1", None);
        let mut expiring = LtHash::empty();
        expiring.insert("ns", "k", "1", Some(1_800_000_000_000_000));
        assert_ne!(plain, expiring);
        let mut later = LtHash::empty();
        later.insert("ns", "k", "1", Some(1_800_000_000_000_001));
        assert_ne!(expiring, later, "moving an expiry changes the digest");
        expiring.remove("ns", "k", "1", Some(1_800_000_000_000_000));
        assert_eq!(expiring, LtHash::empty());
    }
}
