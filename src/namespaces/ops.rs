//! What the `namespaces.*` methods do against the store: list, create,
//! delete, set a value schema.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::center::{db_failure, Center};
use crate::db::executor::{
    CreateNamespace, DeleteNamespace, FindNamespace, ListNamespaces, SetPolicy, SetSchema,
};
use crate::db::namespaces::{Deleted, NamespaceInfo, SchemaSet};
use crate::domain::{Force, Namespace, SecretKeys, ValueSchema, WriteOrigin};
use crate::rpc::{CallError, RawJson};

/// Longest namespace description, in characters.
pub const MAX_DESCRIPTION: usize = 1000;

#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    description: &'a str,
    records: i64,
    bytes: i64,
    revision: i64,
    schema: Option<Box<RawValue>>,
    /// Approving reviews a change needs before it is published.
    reviews_required: i64,
    /// A secret namespace's age recipient (`age1...`): values written to
    /// it are sealed to it (`secrets.*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<&'a str>,
    /// Who made the last change, and when (absent once the audit log no
    /// longer keeps it).
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_at: Option<String>,
}

impl<'a> Listed<'a> {
    /// `n` as listed, without who changed it last.
    fn of(n: &'a NamespaceInfo) -> Listed<'a> {
        Listed {
            name: &n.name,
            description: &n.description,
            records: n.records,
            bytes: n.bytes,
            revision: n.revision,
            schema: n
                .value_schema
                .as_ref()
                .and_then(|s| RawValue::from_string(s.clone()).ok()),
            reviews_required: n.reviews_required,
            recipient: n.recipient.as_deref(),
            changed_by: None,
            changed_at: None,
        }
    }
}

#[derive(Serialize)]
struct Removed {
    revision: i64,
    records: i64,
}

impl Center {
    pub(super) async fn namespaces(&self) -> Result<RawJson, CallError> {
        let all = self.ask(ListNamespaces).await?.map_err(db_failure)?;
        let listed: Vec<Listed> = all
            .iter()
            .map(|(n, changed)| Listed {
                changed_by: changed.as_ref().map(|c| c.0.as_str()),
                changed_at: changed
                    .as_ref()
                    .map(|c| crate::domain::format_timestamp(c.1)),
                ..Listed::of(n)
            })
            .collect();
        Ok(RawJson::of(&listed))
    }

    pub(super) async fn namespace(&self, ns: Namespace) -> Result<RawJson, CallError> {
        let found = self.ask(FindNamespace(ns.clone())).await?;
        let Some(n) = found.map_err(db_failure)? else {
            return Err(CallError::NoSuchNamespace(ns.to_string()));
        };
        Ok(RawJson::of(&Listed::of(&n)))
    }

    pub(super) async fn set_policy(
        &self,
        namespace: Namespace,
        reviews_required: i64,
    ) -> Result<RawJson, CallError> {
        let set = self
            .ask(SetPolicy {
                namespace: namespace.clone(),
                reviews_required,
            })
            .await?
            .map_err(db_failure)?;
        match set {
            true => Ok(RawJson::of(&true)),
            false => Err(CallError::NoSuchNamespace(namespace.to_string())),
        }
    }

    /// Creates a namespace (`namespaces.create`), or a secret one with
    /// `secret`'s key (`secrets.create`).
    pub(crate) async fn create_namespace(
        &self,
        namespace: Namespace,
        description: String,
        secret: Option<SecretKeys>,
        author: String,
    ) -> Result<RawJson, CallError> {
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(CallError::Invalid(format!(
                "\"description\" is longer than {MAX_DESCRIPTION} characters"
            )));
        }
        let created = self
            .ask(CreateNamespace {
                namespace: namespace.clone(),
                description,
                secret,
                author,
            })
            .await?
            .map_err(db_failure)?;
        match created {
            true => Ok(RawJson::of(&true)),
            false => Err(CallError::Exists(namespace.to_string())),
        }
    }

    pub(super) async fn delete_namespace(
        &self,
        namespace: Namespace,
        force: Force,
        origin: WriteOrigin,
    ) -> Result<RawJson, CallError> {
        if namespace.is_default() {
            return Err(CallError::Invalid(
                "the default namespace cannot be deleted".into(),
            ));
        }
        let deleted = self
            .ask(DeleteNamespace {
                namespace: namespace.clone(),
                force,
                origin,
            })
            .await?
            .map_err(db_failure)?;
        match deleted {
            Deleted::Done { records, revision } => {
                self.cache.note_write(revision);
                Ok(RawJson::of(&Removed { revision, records }))
            }
            Deleted::NotFound => Err(CallError::NoSuchNamespace(namespace.to_string())),
            Deleted::NotEmpty { records } => Err(CallError::NotEmpty {
                namespace: namespace.to_string(),
                records,
            }),
        }
    }

    pub(super) async fn set_schema(
        &self,
        namespace: Namespace,
        schema: Option<Value>,
        author: String,
    ) -> Result<RawJson, CallError> {
        let schema = match schema {
            None => None,
            Some(value) => {
                let compiled =
                    ValueSchema::compile(&value).map_err(|e| CallError::Invalid(e.to_string()))?;
                Some((value.to_string(), Arc::new(compiled)))
            }
        };
        let set = self
            .ask(SetSchema {
                namespace: namespace.clone(),
                schema,
                author,
            })
            .await?
            .map_err(db_failure)?;
        match set {
            SchemaSet::Done => Ok(RawJson::of(&true)),
            SchemaSet::NotFound => Err(CallError::NoSuchNamespace(namespace.to_string())),
            SchemaSet::Violations(v) => Err(CallError::Invalid(format!(
                "existing records of namespace {:?} violate the schema: {}",
                namespace.as_str(),
                v.join("; ")
            ))),
            SchemaSet::Secret => Err(CallError::Invalid(format!(
                "namespace {:?} is secret: its values are age ciphertexts, which a schema cannot check (the center never sees the plaintext)",
                namespace.as_str()
            ))),
        }
    }
}
