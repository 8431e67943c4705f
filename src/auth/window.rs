//! `Windowed<K>`: failures counted per key over a sliding window, in O(1)
//! per look-up whatever the number of keys.
//!
//! Two generations of fixed windows, the current and the one before; a
//! key's count is its current failures plus its previous ones weighted by
//! how much of the previous window still lies within `window` of now (the
//! usual sliding-window estimate). At each window's end the current map
//! becomes the previous one and the old previous one is dropped whole, so
//! nothing is ever scanned. Each generation holds at most `max_keys` keys;
//! keys past that (a flood of distinct addresses or names) share one
//! overflow slot, so they are limited together rather than not at all.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// One key's state in one generation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slot {
    pub failures: u32,
    /// While the key is slowed: the earliest time its next check may run.
    pub next_check: Option<Instant>,
}

pub struct Windowed<K> {
    window: Duration,
    max_keys: usize,
    started: Instant,
    current: HashMap<K, Slot>,
    previous: HashMap<K, Slot>,
    /// Stands for every key that found the current generation full.
    overflow: Slot,
}

impl<K: Hash + Eq + Clone> Windowed<K> {
    pub fn new(window: Duration, max_keys: usize, now: Instant) -> Windowed<K> {
        Windowed {
            window,
            max_keys,
            started: now,
            current: HashMap::new(),
            previous: HashMap::new(),
            overflow: Slot::default(),
        }
    }

    /// Moves to the window holding `now` (dropping what is older).
    fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < self.window {
            return;
        }
        if elapsed < 2 * self.window {
            self.previous = std::mem::take(&mut self.current);
            self.started += self.window;
        } else {
            self.previous.clear();
            self.current.clear();
            self.started = now;
        }
        self.overflow = Slot::default();
    }

    /// Failures of `key` within the last `window` (estimated), and the
    /// earliest time its next check may run if it is slowed.
    pub fn get(&mut self, key: &K, now: Instant) -> (u32, Option<Instant>) {
        self.advance(now);
        let into =
            now.saturating_duration_since(self.started).as_secs_f64() / self.window.as_secs_f64();
        let previous = self.previous.get(key).copied().unwrap_or_default();
        let current = match self.current.get(key) {
            Some(slot) => *slot,
            None if self.current.len() >= self.max_keys => self.overflow,
            None => Slot {
                failures: 0,
                next_check: previous.next_check,
            },
        };
        let weighted = f64::from(previous.failures) * (1.0 - into).max(0.0);
        let failures = current.failures.saturating_add(weighted.ceil() as u32);
        (failures, current.next_check)
    }

    /// The current generation's slot of `key` (the overflow slot when the
    /// generation is full), for a change.
    pub fn slot(&mut self, key: &K, now: Instant) -> &mut Slot {
        self.advance(now);
        if !self.current.contains_key(key) && self.current.len() >= self.max_keys {
            return &mut self.overflow;
        }
        let carried = self.previous.get(key).and_then(|s| s.next_check);
        self.current.entry(key.clone()).or_insert(Slot {
            failures: 0,
            next_check: carried,
        })
    }

    /// Forgets `key`'s failures (a success), in both generations.
    pub fn clear(&mut self, key: &K) {
        self.current.remove(key);
        self.previous.remove(key);
    }

    /// Keys held now, both generations (for tests of the bound).
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn failures_slide_out_of_the_window() {
        let t0 = Instant::now();
        let mut w = Windowed::new(MINUTE, 100, t0);
        for _ in 0..10 {
            w.slot(&"a", t0).failures += 1;
        }
        assert_eq!(w.get(&"a", t0 + MINUTE / 2).0, 10);
        // A quarter into the next window, three quarters of the last remain.
        let (n, _) = w.get(&"a", t0 + MINUTE + MINUTE / 4);
        assert_eq!(n, 8, "ceil(10 * 0.75)");
        assert_eq!(w.get(&"a", t0 + 2 * MINUTE).0, 0);
        assert_eq!(w.get(&"a", t0 + 10 * MINUTE).0, 0, "a long pause");
    }

    #[test]
    fn a_full_generation_sends_new_keys_to_one_shared_slot() {
        let t0 = Instant::now();
        let mut w = Windowed::new(MINUTE, 3, t0);
        for k in 0..10u32 {
            w.slot(&k, t0).failures += 1;
        }
        assert_eq!(w.len(), 3);
        assert_eq!(w.get(&0, t0).0, 1, "a key held keeps its own count");
        assert_eq!(w.get(&99, t0).0, 7, "the seven past the bound share one");
        assert_eq!(w.get(&99, t0 + 3 * MINUTE).0, 0, "until the window ends");
    }

    #[test]
    fn clear_forgets_both_generations_and_a_slowdown_carries_over() {
        let t0 = Instant::now();
        let mut w = Windowed::new(MINUTE, 10, t0);
        let slot = w.slot(&"a", t0);
        slot.failures = 5;
        slot.next_check = Some(t0 + MINUTE + Duration::from_secs(5));
        let later = t0 + MINUTE + Duration::from_secs(1);
        assert_eq!(w.get(&"a", later).1, slot_next(t0));
        assert_eq!(w.slot(&"a", later).next_check, slot_next(t0));
        w.clear(&"a");
        assert_eq!(w.get(&"a", later), (0, None));
    }

    fn slot_next(t0: Instant) -> Option<Instant> {
        Some(t0 + MINUTE + Duration::from_secs(5))
    }
}
