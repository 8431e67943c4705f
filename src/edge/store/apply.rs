//! Applying a pull to the store: each namespace's part whole or refused
//! whole, its signature and budget checked first.

use super::*;

impl EdgeStore {
    /// Applies a pull, namespace by namespace: each part is applied whole
    /// (guards in `Table::after`, then its budget) or refused whole, and a
    /// refused part leaves the other namespaces to be applied. Returns the
    /// first refusal, if any. Parts for namespaces this store does not hold
    /// are ignored.
    pub fn apply(&self, pulled: &Pulled, max_shrink: Option<u8>) -> Result<(), ApplyError> {
        let mut first_refusal = None;
        let mut digest_failed = false;
        let joined = self.follow_every(pulled);
        for part in &pulled.parts {
            let held = self
                .held_list()
                .iter()
                .find(|(ns, _)| *ns == part.namespace)
                .map(|(_, b)| *b);
            let Some(budget) = held else {
                continue;
            };
            if joined.contains(&part.namespace) && !pulled.full {
                // Joined in a delta: its part may lack what was written
                // before it was seen. Left without a table, it makes the
                // store's revision 0, so the next pull is a full one.
                continue;
            }
            let current = self
                .sent_table(&part.namespace)
                .unwrap_or_else(|| Arc::new(Table::empty()));
            let step = Step {
                revision: pulled.revision,
                full: pulled.full,
                max_shrink,
                digests: !self.verify_keys.is_empty(),
            };
            let outcome = current
                .after(part, &step)
                .and_then(|next| self.check_signature(part, pulled.full, next))
                .and_then(|next| self.check_budget(&part.namespace, budget, next));
            match outcome {
                Ok(next) => {
                    self.opened.follow(part, &step, &next);
                    self.tables.insert(part.namespace.clone(), Arc::new(next))
                }
                Err(e) => {
                    digest_failed |= matches!(e, ApplyError::Digest { .. });
                    first_refusal.get_or_insert(e);
                }
            }
        }
        self.changed();
        self.tables.run_pending_tasks();
        self.digest_failed.store(digest_failed, Ordering::Relaxed);
        match (first_refusal, &pulled.gray) {
            (Some(refused), _) => Err(refused),
            (None, Some(gray)) => {
                // Only a reply applied whole changes the view it holds.
                *self.gray.write().unwrap_or_else(|p| p.into_inner()) = gray.clone();
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// The gray releases its data holds.
    pub fn held_releases(&self) -> Vec<ReleaseId> {
        self.gray.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// With `["*"]`: the namespaces of a `records.changes` reply are the
    /// ones there are now. Those new here join (their budget of their own,
    /// or the shared one); those missing are dropped with their data.
    /// Answers the ones that joined.
    fn follow_every(&self, pulled: &Pulled) -> Vec<Namespace> {
        let Some(own) = &self.every else {
            return Vec::new();
        };
        if pulled.revision.is_none() {
            return Vec::new();
        }
        let mut held = self.namespaces.write().unwrap_or_else(|p| p.into_inner());
        let there = |ns: &Namespace| pulled.parts.iter().any(|p| p.namespace == *ns);
        for (gone, _) in held.iter().filter(|(ns, _)| !there(ns)) {
            self.tables.invalidate(gone);
            self.opened.forget(gone);
        }
        held.retain(|(ns, _)| there(ns));
        self.changed();
        let mut joined = Vec::new();
        for part in &pulled.parts {
            if held.iter().all(|(ns, _)| *ns != part.namespace) {
                let budget = own
                    .iter()
                    .find(|(ns, _)| *ns == part.namespace)
                    .map(|(_, b)| *b);
                held.push((part.namespace.clone(), budget));
                joined.push(part.namespace.clone());
            }
        }
        held.sort_by(|a, b| a.0.cmp(&b.0));
        joined
    }

    /// The outcome of the last digest check, as the edge reports it.
    pub fn digest_report(&self) -> DigestReport {
        if self.verify_keys.is_empty() {
            DigestReport::Unchecked
        } else if self.digest_failed.load(Ordering::Relaxed) {
            DigestReport::Failed
        } else {
            DigestReport::Verified
        }
    }

    /// `next` if its digest matches the center's signature (with
    /// `client.verify_keys`; a part that changes nothing is not checked).
    fn check_signature(&self, part: &Part, full: bool, next: Table) -> Result<Table, ApplyError> {
        if self.verify_keys.is_empty() || (!full && part.is_empty()) {
            return Ok(next);
        }
        signing::verify(
            &self.verify_keys,
            (part.namespace.as_str(), &self.name),
            next.digest(),
            part.signed.as_ref(),
        )
        .map_err(|e| ApplyError::Digest {
            namespace: part.namespace.to_string(),
            why: e.to_string(),
        })?;
        Ok(next)
    }

    /// `next` if it fits its namespace's budget.
    fn check_budget(
        &self,
        namespace: &Namespace,
        own: Option<u64>,
        next: Table,
    ) -> Result<Table, ApplyError> {
        let capacity = match own {
            Some(own) => own,
            None => {
                let others: u64 = self
                    .held_list()
                    .iter()
                    .filter(|(ns, b)| b.is_none() && ns != namespace)
                    .filter_map(|(ns, _)| self.sent_table(ns).map(|t| t.bytes()))
                    .sum();
                self.shared.saturating_sub(others)
            }
        };
        if next.bytes() > capacity {
            return Err(ApplyError::Overflow {
                namespace: namespace.to_string(),
                needed: next.bytes(),
                capacity,
            });
        }
        Ok(next)
    }
}
