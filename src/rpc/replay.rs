//! Replies replayed. A request whose one call is to a `REPLAYABLE` method
//! (its reply depends only on who calls, the request's bytes and the
//! data's revision: the pulls) is answered once the usual way, and its
//! reply kept in a `ReplyMemo` under the `Stamp` it was answered at. The
//! same bytes from the same principal at the same stamp get the same
//! bytes back without decode, bind, authorize or run; what the call did
//! besides answering (its fleet note, `PullNote`, and its metrics) is
//! redone by whoever replays it. A new stamp (any write, a change to
//! credentials) empties the memo.

use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;

use super::body::Body;
use super::method::Method;
use super::registry::Protocol;
use super::{Answer, Vouch};
use crate::domain::{Namespace, Principal};

/// What a pull noted of itself in the fleet view, for a replay to note
/// the same (`Caller::noted`).
#[derive(Debug, Clone)]
pub struct PullNote {
    pub namespaces: Vec<Namespace>,
    pub since: Option<i64>,
    pub served: i64,
    pub hold: Duration,
}

/// What a kept reply was answered at: the data's revision and the
/// credentials counter (grants and tokens). Replies at another stamp are
/// never replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub revision: i64,
    pub credentials: i64,
}

/// A request's bytes and who sent them: what a reply is kept under.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    pub protocol: Protocol,
    pub principal: Option<&'a Principal>,
    pub body: &'a [u8],
}

impl Asked<'_> {
    fn is(&self, entry: &Entry) -> bool {
        self.protocol == entry.protocol
            && self.principal == entry.principal.as_ref()
            && self.body == &*entry.request
    }
}

/// A reply found for a request: its answer, the method to count it under
/// and the pull to note again.
pub struct Replayed {
    pub answer: Answer,
    pub method: Method,
    pub note: Option<Arc<PullNote>>,
}

struct Entry {
    protocol: Protocol,
    principal: Option<Principal>,
    request: Box<[u8]>,
    reply: Bytes,
    vouches: Vec<Vouch>,
    method: Method,
    note: Option<Arc<PullNote>>,
}

/// Most replies kept at one stamp: one slot each, found by the request's
/// hash (a request whose slot is taken by another is not kept).
const MAX_ENTRIES: usize = 256;
/// Most bytes of requests and replies kept at one stamp.
const MAX_BYTES: usize = 8 << 20;
/// Largest request body kept (pulls are well under it).
const MAX_REQUEST: usize = 1024;
/// Largest reply kept (one copy of it: the memo holds it in one piece).
const MAX_REPLY: usize = 1 << 20;

struct Kept {
    stamp: Option<Stamp>,
    slots: Box<[Option<Entry>]>,
    bytes: usize,
}

impl Kept {
    fn at(stamp: Option<Stamp>) -> Kept {
        Kept {
            stamp,
            slots: (0..MAX_ENTRIES).map(|_| None).collect(),
            bytes: 0,
        }
    }
}

/// The replies of replayable requests at the current stamp, bounded in
/// entries and bytes: past the bytes, nothing more is kept until the
/// stamp moves.
pub struct ReplyMemo {
    kept: RwLock<Kept>,
    /// This process's secret start for the slot hash, so no one can choose
    /// requests that fall in one slot.
    seed: u64,
}

impl Default for ReplyMemo {
    fn default() -> ReplyMemo {
        ReplyMemo {
            kept: RwLock::new(Kept::at(None)),
            seed: std::hash::RandomState::new().hash_one(0u8) | 1,
        }
    }
}

impl ReplyMemo {
    /// The slot of `asked`: a multiply-rotate hash over its 8-byte words
    /// (the request is compared whole in its slot anyway; SipHash cost as
    /// much as the rest of a replay).
    fn slot(&self, asked: &Asked) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mix = |h: u64, word: u64| (h ^ word).wrapping_mul(K).rotate_left(29);
        let mut h = mix(self.seed, asked.body.len() as u64);
        let mut words = asked.body.chunks_exact(8);
        for word in &mut words {
            h = mix(h, u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let mut last = [0u8; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        h = mix(h, u64::from_le_bytes(last));
        let (who, name) = match asked.principal {
            None => (0, ""),
            Some(Principal::User(user)) => (1, user.as_str()),
            Some(Principal::Token(token)) => (2, token.as_str()),
        };
        for byte in name.bytes() {
            h = mix(h, u64::from(byte));
        }
        h = mix(h, who << 1 | matches!(asked.protocol, Protocol::Xml) as u64);
        (h >> 32) as usize % MAX_ENTRIES
    }

    /// The reply kept for `asked` at `stamp`, if any.
    pub fn find(&self, stamp: Stamp, asked: Asked) -> Option<Replayed> {
        let kept = self.kept.read().unwrap_or_else(|p| p.into_inner());
        if kept.stamp != Some(stamp) {
            return None;
        }
        let entry = kept.slots[self.slot(&asked)].as_ref()?;
        if !asked.is(entry) {
            return None;
        }
        Some(Replayed {
            answer: Answer::plain(Some(Body::from(entry.reply.clone())), entry.vouches.clone()),
            method: entry.method,
            note: entry.note.clone(),
        })
    }

    /// Keeps `answer` for `asked` at `stamp` (the stamp taken before the
    /// call ran, so the reply is at least that new), if it is a replayable
    /// call's and fits. Answers whether it was kept.
    pub fn keep(
        &self,
        stamp: Stamp,
        asked: Asked,
        answer: &Answer,
        note: Option<PullNote>,
    ) -> bool {
        let (Some(method), Some(body), None, None) =
            (answer.replay, &answer.body, &answer.refusal, &answer.later)
        else {
            return false;
        };
        if asked.body.len() > MAX_REQUEST || body.len() > MAX_REPLY {
            return false;
        }
        let slot = self.slot(&asked);
        let mut kept = self.kept.write().unwrap_or_else(|p| p.into_inner());
        if kept.stamp != Some(stamp) {
            *kept = Kept::at(Some(stamp));
        }
        let size = asked.body.len() + body.len();
        if kept.slots[slot].is_some() || kept.bytes + size > MAX_BYTES {
            return false;
        }
        let entry = Entry {
            protocol: asked.protocol,
            principal: asked.principal.cloned(),
            request: asked.body.into(),
            reply: Bytes::from(body.to_vec()),
            vouches: answer.vouches.clone(),
            method,
            note: note.map(Arc::new),
        };
        kept.slots[slot] = Some(entry);
        kept.bytes += size;
        true
    }
}

#[cfg(test)]
mod tests;
