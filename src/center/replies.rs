//! The center's reply memo (`rpc::replay`): kept replies are stamped with
//! the trusted revision (`ReadCache::fresh_revision`, so one is replayed
//! no longer than the read cache would serve its data) and the
//! credentials counter, and the memo stands aside while gray releases are
//! in use (an edge's view then depends on who it says it is).

use std::time::{Duration, Instant};

use super::Center;
use crate::domain::EdgeHello;
use crate::rpc::replay::{Asked, Replayed, Stamp};
use crate::rpc::{Answer, Caller, Executor};

impl Center {
    /// The stamp a reply to `caller` answered at `now` is kept under, or
    /// `None` when none may be kept or replayed: the revision's trust
    /// expired, or the reply may be a gray release's view (`viewed`: a
    /// caller that says who it is, while releases may be in use or it
    /// holds one).
    pub fn reply_stamp(&self, now: Instant, caller: &Caller) -> Option<Stamp> {
        let viewed = |h: &EdgeHello| self.gray.in_use() || !h.releases.is_empty();
        if caller.hello.as_deref().is_some_and(viewed) {
            return None;
        }
        Some(Stamp {
            revision: self.cache.fresh_revision(now)?,
            credentials: self.credentials.seen(),
        })
    }

    /// The kept reply to `asked` at `stamp`, its pull noted again in the
    /// fleet view and counted in the metrics as the call it replays.
    pub fn replay(&self, stamp: Stamp, asked: Asked, caller: &Caller) -> Option<Answer> {
        let Replayed {
            answer,
            method,
            note,
        } = self.replies.find(stamp, asked)?;
        if let Some(note) = note {
            self.note_again(caller, &note);
        }
        // Counted as taking no time: a replay takes well under the
        // smallest bucket, and reading the clock twice cost a tenth of it.
        // The request's own time is in `syncdict_rpc_request_duration_seconds`.
        self.observe(asked.protocol, Some(method), None, Duration::ZERO);
        self.metrics().observe_replay();
        Some(answer)
    }

    /// Keeps `answer` to `asked` if it may be replayed at `stamp` (taken
    /// before the call ran), with the pull it noted.
    pub fn keep_reply(&self, stamp: Stamp, asked: Asked, caller: &Caller, answer: &Answer) {
        if self.reply_stamp(Instant::now(), caller) != Some(stamp) {
            // Something moved while the call ran (a write, a grant, a gray
            // release made here): its reply may not be the stamp's.
            return;
        }
        let note = caller.noted.get().cloned();
        self.replies.keep(stamp, asked, answer, note);
    }
}
