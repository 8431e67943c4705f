//! `syncdict token ...` and `syncdict keys ...`: tokens managed directly in
//! the database, the signing key on disk.

use std::io::Write;

use super::cli::{KeysAction, TokenAction};
use super::users::CommandError;
use crate::auth::tokens;
use crate::configuration::{HumanDuration, Settings};
use crate::db::tokens::{TokenInfo, TokenScope};
use crate::db::{self, DbError};
use crate::domain::{format_timestamp, now_us, Level, Scope, TokenName};
use crate::signing::Signer;

/// Runs one token command; `Ok` is what to print.
pub fn run_token(action: TokenAction, settings: &Settings) -> Result<String, CommandError> {
    let mut conn = db::connect(&settings.database)?;
    match action {
        TokenAction::Add {
            name,
            write,
            namespaces,
            expires,
        } => {
            let name = TokenName::parse(&name)?;
            let scopes = if namespaces.is_empty() {
                vec![Scope::All]
            } else {
                namespaces
                    .iter()
                    .map(|n| Scope::parse(n))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let level = if write { Level::Write } else { Level::Read };
            let now = now_us();
            let expires_at = match expires {
                None => None,
                Some(text) => {
                    let d = HumanDuration::parse(&text)
                        .map_err(|e| CommandError::Invalid(format!("--expires: {e}")))?;
                    Some(now.saturating_add(d.get().as_micros().min(i64::MAX as u128) as i64))
                }
            };
            let token = tokens::generate();
            let scope = TokenScope { scopes, level };
            let added = db::tokens::add(
                &mut conn,
                name.as_str(),
                &tokens::hash(&token),
                &scope,
                now,
                expires_at,
            )
            .map_err(DbError::from)?;
            if !added {
                return Err(CommandError::Invalid(format!(
                    "token {name} already exists (revoke it first)"
                )));
            }
            let until = expires_at.map_or("until revoked".to_string(), |t| {
                format!("until {}", format_timestamp(t))
            });
            eprintln!(
                "token {name} added ({}, {until}); it is shown once, keep it now:",
                scope_text(&scope)
            );
            Ok(token)
        }
        TokenAction::List => {
            let all = db::tokens::list(&mut conn).map_err(DbError::from)?;
            Ok(all.iter().map(list_line).collect::<Vec<_>>().join("\n"))
        }
        TokenAction::Revoke { name } => {
            let name = TokenName::parse(&name)?;
            match db::tokens::revoke(&mut conn, name.as_str()).map_err(DbError::from)? {
                true => Ok(format!("token {name} revoked")),
                false => Err(CommandError::Invalid(format!("no token {name}"))),
            }
        }
    }
}

fn scope_text(scope: &TokenScope) -> String {
    let names: Vec<&str> = scope.scopes.iter().map(Scope::as_str).collect();
    format!("{}={}", names.join(","), scope.level.label())
}

/// `name  scope  created  expires  last used`, tab-separated.
fn list_line(t: &TokenInfo) -> String {
    let time = |t: Option<i64>, none: &str| t.map_or(none.to_string(), format_timestamp);
    format!(
        "{}\t{}\tcreated {}\texpires {}\tlast used {}",
        t.name,
        t.grants.describe(),
        format_timestamp(t.created_at_us),
        time(t.expires_at_us, "never"),
        time(t.last_used_us, "never"),
    )
}

/// Runs one keys command; `Ok` is what to print.
pub fn run_keys(action: KeysAction) -> Result<String, CommandError> {
    match action {
        KeysAction::Generate { out } => {
            let (pem, public) =
                Signer::generate().map_err(|e| CommandError::Invalid(e.to_string()))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&out).map_err(|e| {
                CommandError::Invalid(format!("cannot create {}: {e}", out.display()))
            })?;
            file.write_all(pem.as_bytes())?;
            file.sync_all()?;
            eprintln!(
                "signing key written to {}; its public key, for the edges:",
                out.display()
            );
            Ok(format!("verify_keys = [\"{public}\"]"))
        }
        KeysAction::Public { key } => {
            let signer = Signer::load(&key).map_err(|e| CommandError::Invalid(e.to_string()))?;
            Ok(signer.public().to_string())
        }
    }
}
