//! What the `secrets.*` methods do against the store.

use serde_json::json;

use crate::center::{db_failure, Center};
use crate::db::executor::{GrantKey, ReadKeys};
use crate::db::secrets::{Granted, Keys};
use crate::domain::{
    format_timestamp, now_us, ChangeSet, Namespace, Passage, SecretKeys, WrappedKey, Write,
    WriteKind, WriteOrigin,
};
use crate::rpc::{CallError, RawJson};

fn not_secret(ns: &Namespace) -> CallError {
    CallError::Invalid(format!(
        "namespace {:?} is not secret (secrets.create makes one)",
        ns.as_str()
    ))
}

impl Center {
    /// The namespace's recipient and grants (all, or `only` one's).
    pub(super) async fn secret_keys(
        &self,
        namespace: Namespace,
        only: Option<String>,
    ) -> Result<RawJson, CallError> {
        let keys = self
            .ask(ReadKeys(namespace.clone()))
            .await?
            .map_err(db_failure)?;
        let row = match keys {
            Keys::Secret(row) => row,
            Keys::NotSecret => {
                return Ok(RawJson::of(&json!({"recipient": null, "grants": []})));
            }
            Keys::NotFound => return Err(CallError::NoSuchNamespace(namespace.to_string())),
        };
        let grants: Vec<_> = row
            .grants
            .iter()
            .filter(|g| only.as_ref().is_none_or(|r| *r == g.recipient))
            .map(|g| {
                json!({"recipient": g.recipient, "wrapped": g.wrapped,
                    "granted_by": g.granted_by, "granted_at": format_timestamp(g.granted_at_us)})
            })
            .collect();
        Ok(RawJson::of(
            &json!({"recipient": row.recipient, "grants": grants}),
        ))
    }

    pub(super) async fn grant_secret(
        &self,
        namespace: Namespace,
        of: String,
        key: WrappedKey,
        by: String,
    ) -> Result<RawJson, CallError> {
        let granted = self
            .ask(GrantKey {
                namespace: namespace.clone(),
                of,
                key,
                by,
                now_us: now_us(),
            })
            .await?
            .map_err(db_failure)?;
        match granted {
            Granted::Done => Ok(RawJson::of(&true)),
            Granted::NotFound => Err(CallError::NoSuchNamespace(namespace.to_string())),
            Granted::NotSecret => Err(not_secret(&namespace)),
            Granted::Rotated(current) => Err(CallError::Invalid(format!(
                "the key was wrapped from an older key of namespace {:?}: its key is now {current}; unwrap it again",
                namespace.as_str()
            ))),
            Granted::Full(n) => Err(CallError::Invalid(format!(
                "namespace {:?} has {n} grants, the most it keeps",
                namespace.as_str()
            ))),
        }
    }

    /// Re-seals the whole namespace to a new key in one change set.
    pub(super) async fn rotate_secret(
        &self,
        namespace: Namespace,
        keys: SecretKeys,
        changes: ChangeSet,
        if_revision: i64,
        origin: WriteOrigin,
    ) -> Result<RawJson, CallError> {
        let applied = self
            .commit(Write {
                namespace,
                changes,
                if_revision: Some(if_revision),
                origin,
                passage: Passage::Rekey(Box::new(keys)),
                kind: WriteKind::Change,
            })
            .await?;
        Ok(RawJson::of(&applied))
    }
}
