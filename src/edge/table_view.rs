//! Each worker's last table look-up. Nearly every `/api/cache` read asks
//! for the same namespace's table as the read before it, and the full
//! look-up (moka's hash and read log, then the keyring's map for a secret
//! namespace) cost about 1,000 instructions of a read's 23,000
//! (BENCHMARKS.md). The answer is kept per thread under the store's and
//! the keyring's change counters as they were before it was looked up:
//! every change to what `EdgeStore::table` answers moves one of them
//! after it is made, so a kept answer is never served past a change. The
//! table is kept as a `Weak`: a worker never holds an old table alive.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::table::Table;
use crate::domain::Namespace;

/// Which store, and the change counters it and its keyring had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Generation {
    pub store: u64,
    pub changes: u64,
    pub keyring: u64,
}

struct Seen {
    at: Generation,
    namespace: Namespace,
    table: Option<Weak<Table>>,
}

thread_local! {
    static LAST: RefCell<Option<Seen>> = const { RefCell::new(None) };
}

/// `namespace`'s table at `at`: this thread's last answer if it was for
/// the same namespace at the same generation (and its table still lives),
/// else `look_up()`'s, kept for the next read.
pub(super) fn table(
    at: Generation,
    namespace: &Namespace,
    look_up: impl FnOnce() -> Option<Arc<Table>>,
) -> Option<Arc<Table>> {
    let kept = LAST.with_borrow(|last| match last {
        Some(seen) if seen.at == at && seen.namespace == *namespace => match &seen.table {
            None => Some(None),
            Some(weak) => weak.upgrade().map(Some),
        },
        _ => None,
    });
    if let Some(answer) = kept {
        return answer;
    }
    let found = look_up();
    LAST.with_borrow_mut(|last| {
        *last = Some(Seen {
            at,
            namespace: namespace.clone(),
            table: found.as_ref().map(Arc::downgrade),
        })
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(changes: u64) -> Generation {
        Generation {
            store: 7,
            changes,
            keyring: 0,
        }
    }

    #[test]
    fn a_kept_answer_is_served_only_at_its_generation_and_namespace() {
        let ns = Namespace::default();
        let first = Arc::new(Table::empty());
        let found = table(at(1), &ns, || Some(first.clone())).expect("looked up");
        assert!(Arc::ptr_eq(&found, &first));
        let kept = table(at(1), &ns, || panic!("looked up again")).expect("kept");
        assert!(Arc::ptr_eq(&kept, &first));
        let second = Arc::new(Table::empty());
        let moved = table(at(2), &ns, || Some(second.clone())).expect("looked up");
        assert!(Arc::ptr_eq(&moved, &second), "a new generation looks up");
        let other = Namespace::parse("other").expect("a name");
        assert!(table(at(2), &other, || None).is_none());
        assert!(table(at(2), &other, || panic!("absent is kept")).is_none());
        let keyring = Generation {
            keyring: 1,
            ..at(2)
        };
        assert!(table(keyring, &other, || Some(first.clone())).is_some());
    }

    #[test]
    fn a_dropped_table_is_looked_up_again() {
        let ns = Namespace::default();
        let gone = Arc::new(Table::empty());
        table(at(9), &ns, || Some(gone.clone()));
        drop(gone);
        let again = Arc::new(Table::empty());
        let found = table(at(9), &ns, || Some(again.clone())).expect("looked up");
        assert!(Arc::ptr_eq(&found, &again));
    }
}
