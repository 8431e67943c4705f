//! `tokens.*` for administrators: list, add (the token shown once, only
//! its hash kept) and revoke. Every center sees a change within
//! `server.revision_check_interval` (the credentials counter moves).

use serde::Serialize;

use crate::auth::tokens;
use crate::center::{db_failure, Center};
use crate::db::executor::{AddToken, ListTokens, RevokeToken};
use crate::db::tokens::TokenScope;
use crate::domain::{format_timestamp, now_us, Level, Scope, TokenName};
use crate::rpc::{CallError, RawJson};

#[derive(Serialize)]
struct Listed {
    name: String,
    /// `*` or namespace names.
    namespaces: Vec<String>,
    write: bool,
    created_at: String,
    expires_at: Option<String>,
    last_used: Option<String>,
}

impl Center {
    pub(super) async fn tokens_list(&self) -> Result<RawJson, CallError> {
        let all = self.ask(ListTokens).await?.map_err(db_failure)?;
        let listed: Vec<Listed> = all
            .into_iter()
            .map(|t| {
                let (scopes, write) = t.grants.scopes();
                Listed {
                    name: t.name,
                    namespaces: scopes,
                    write,
                    created_at: format_timestamp(t.created_at_us),
                    expires_at: t.expires_at_us.map(format_timestamp),
                    last_used: t.last_used_us.map(format_timestamp),
                }
            })
            .collect();
        Ok(RawJson::of(&listed))
    }

    pub(super) async fn tokens_add(
        &self,
        name: TokenName,
        level: Level,
        scopes: Vec<Scope>,
        expires_in: Option<std::time::Duration>,
    ) -> Result<RawJson, CallError> {
        let now = now_us();
        let expires_at_us = expires_in.map(|d| now.saturating_add(d.as_micros() as i64));
        let token = tokens::generate();
        let scopes = if scopes.is_empty() {
            vec![Scope::All]
        } else {
            scopes
        };
        let added = self
            .ask(AddToken {
                name: name.to_string(),
                hash: tokens::hash(&token),
                scope: TokenScope { scopes, level },
                now_us: now,
                expires_at_us,
            })
            .await?
            .map_err(db_failure)?;
        if !added {
            return Err(CallError::Invalid(format!(
                "token {name} already exists (revoke it first)"
            )));
        }
        self.credentials_changed();
        tracing::info!(token = %name, "token added");
        Ok(RawJson::of(&serde_json::json!({
            "name": name.as_str(),
            "token": token,
            "expires_at": expires_at_us.map(format_timestamp),
        })))
    }

    pub(super) async fn tokens_revoke(&self, name: TokenName) -> Result<RawJson, CallError> {
        let gone = self
            .ask(RevokeToken(name.to_string()))
            .await?
            .map_err(db_failure)?;
        if gone {
            self.credentials_changed();
            tracing::info!(token = %name, "token revoked");
        }
        Ok(RawJson::of(&gone))
    }
}
