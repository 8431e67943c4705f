//! `records.changes` with `["*"]`: the namespaces it stands for, found
//! when the call runs (and again each time a held one wakes).
//!
//! The names are read with the revision in one snapshot and cached at that
//! revision, so a center re-reads them once per revision, not per pull. A
//! namespace made since shows with the next revision (its first record);
//! a deleted one is gone from the next reply (its delete is a revision).

use std::time::Instant;

use super::{db_failure, Center};
use crate::db::executor::NamespaceNames;
use crate::domain::{Namespace, Selection};
use crate::rpc::{CallError, Caller};

impl Center {
    /// The namespaces a `records.changes` names: `None` for the original
    /// form, the list as given, or for `["*"]` every namespace the caller
    /// may read now.
    pub(super) async fn resolve(
        &self,
        asked: &Option<Selection>,
        caller: &Caller,
    ) -> Result<Option<Vec<Namespace>>, CallError> {
        match asked {
            None => Ok(None),
            Some(Selection::Listed(names)) => Ok(Some(names.clone())),
            Some(Selection::Every) => {
                let names = self.every_namespace().await?;
                let readable =
                    |ns: &&Namespace| !caller.reads_need_user || caller.grants.may_read(ns);
                Ok(Some(names.iter().filter(readable).cloned().collect()))
            }
        }
    }

    /// Every namespace's name at the fresh known revision.
    async fn every_namespace(&self) -> Result<std::sync::Arc<[Namespace]>, CallError> {
        if let Some(names) = self.cache.fresh_names(Instant::now()) {
            return Ok(names);
        }
        self.fresh_known().await?;
        if let Some(names) = self.cache.fresh_names(Instant::now()) {
            return Ok(names);
        }
        let (revision, names) = self.ask(NamespaceNames).await?.map_err(db_failure)?;
        let names: std::sync::Arc<[Namespace]> = names.into();
        self.cache
            .store_names(revision, names.clone(), Instant::now());
        Ok(names)
    }
}
