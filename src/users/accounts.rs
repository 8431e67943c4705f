//! `users.*` for administrators: list, add, update (password, admin,
//! grants) and remove. Passwords are hashed on the password pool. An
//! administrator cannot demote or remove itself (so the last one cannot
//! lock everyone out by mistake); the command line can.

use serde::Serialize;
use std::collections::BTreeMap;

use super::Secret;
use crate::auth::password::MIN_PASSWORD;
use crate::center::{db_failure, Center};
use crate::db::executor::{AddUser, ListUsers, RemoveUser, UpdateUser};
use crate::domain::{format_timestamp, now_us, Admin, Level, Principal, Role, Scope, Username};
use crate::rpc::{CallError, Caller, RawJson};

#[derive(Serialize)]
struct Listed {
    name: String,
    admin: bool,
    /// `*` or a namespace: `read` or `write`.
    grants: BTreeMap<String, &'static str>,
    created_at: String,
}

/// What `users.update` changes.
pub struct Update {
    pub password: Option<Secret>,
    pub admin: Option<Admin>,
    pub grants: Vec<(Scope, Option<Level>)>,
}

fn is_self(caller: &Caller, name: &Username) -> bool {
    matches!(&caller.principal, Some(Principal::User(me)) if me == name)
}

impl Center {
    pub(super) async fn users_list(&self) -> Result<RawJson, CallError> {
        let all = self.ask(ListUsers).await?.map_err(db_failure)?;
        let listed: Vec<Listed> = all
            .into_iter()
            .map(|u| Listed {
                admin: u.grants.is_admin(),
                grants: u.grants.levels(),
                name: u.username,
                created_at: format_timestamp(u.created_at_us),
            })
            .collect();
        Ok(RawJson::of(&listed))
    }

    async fn hash(&self, password: Secret) -> Result<String, CallError> {
        if password.0.chars().count() < MIN_PASSWORD {
            return Err(CallError::Invalid(format!(
                "a password needs at least {MIN_PASSWORD} characters"
            )));
        }
        match self.passwords.hash(password.0).await {
            Ok(Some(hash)) => Ok(hash),
            Ok(None) => Err(CallError::Internal),
            Err(_) => Err(CallError::Busy),
        }
    }

    pub(super) async fn users_add(
        &self,
        name: Username,
        password: Secret,
        role: Role,
    ) -> Result<RawJson, CallError> {
        let hash = self.hash(password).await?;
        let added = self
            .ask(AddUser {
                name: name.clone(),
                hash,
                role,
                now_us: now_us(),
            })
            .await?
            .map_err(db_failure)?;
        if !added {
            return Err(CallError::Invalid(format!("user {name} already exists")));
        }
        self.credentials_changed();
        tracing::info!(user = %name, role = ?role, "user added");
        Ok(RawJson::of(&true))
    }

    pub(super) async fn users_update(
        &self,
        caller: &Caller,
        name: Username,
        update: Update,
    ) -> Result<RawJson, CallError> {
        if update.admin == Some(Admin::No) && is_self(caller, &name) {
            return Err(CallError::Invalid(
                "an administrator cannot demote itself: ask another one".into(),
            ));
        }
        let hash = match update.password {
            Some(password) => Some(self.hash(password).await?),
            None => None,
        };
        let found = self
            .ask(UpdateUser {
                name: name.clone(),
                hash,
                admin: update.admin,
                grants: update.grants,
            })
            .await?
            .map_err(db_failure)?;
        if found {
            self.credentials_changed();
            tracing::info!(user = %name, "user updated");
        }
        Ok(RawJson::of(&found))
    }

    pub(super) async fn users_remove(
        &self,
        caller: &Caller,
        name: Username,
    ) -> Result<RawJson, CallError> {
        if is_self(caller, &name) {
            return Err(CallError::Invalid(
                "an administrator cannot remove itself: ask another one".into(),
            ));
        }
        let gone = self
            .ask(RemoveUser(name.clone()))
            .await?
            .map_err(db_failure)?;
        if gone {
            self.credentials_changed();
            tracing::info!(user = %name, "user removed");
        }
        Ok(RawJson::of(&gone))
    }
}
