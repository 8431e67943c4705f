//! Queries on tokens, and the credentials counter: every change to users,
//! grants or tokens bumps `meta.credentials`, which centers read with the
//! revision and reload their token table (and forget remembered passwords)
//! when it moved.

use diesel::prelude::*;

use super::credentials::bump_credentials;
use super::records::{read_transaction, CREDENTIALS};
use super::schema::{meta, tokens};
use super::users::grants_of;
use super::{with_conn, AnyConnection};
use crate::domain::{Grants, Level, Scope};

/// A token as `syncdict token list` shows it (never its secret: only the
/// hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub grants: Grants,
    pub created_at_us: i64,
    pub expires_at_us: Option<i64>,
    pub last_used_us: Option<i64>,
}

/// A token as a center loads it: the hash of its secret and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub hash: String,
    pub info: TokenInfo,
}

/// What a new token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenScope {
    /// `[Scope::All]`, or the namespaces.
    pub scopes: Vec<Scope>,
    pub level: Level,
}

impl TokenScope {
    /// As stored: `*`, or names separated by spaces.
    fn stored(&self) -> String {
        self.scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

type Row = (String, String, bool, String, i64, Option<i64>, Option<i64>);

fn info_of(row: Row) -> TokenRow {
    let (name, hash, can_write, namespaces, created_at_us, expires_at_us, last_used_us) = row;
    let grants = grants_of(namespaces.split(' ').map(|ns| (ns, can_write)));
    TokenRow {
        hash,
        info: TokenInfo {
            name,
            grants,
            created_at_us,
            expires_at_us,
            last_used_us,
        },
    }
}

/// Adds a token; `false` if the name is taken.
pub fn add(
    conn: &mut AnyConnection,
    name: &str,
    hash: &str,
    scope: &TokenScope,
    now_us: i64,
    expires_at_us: Option<i64>,
) -> QueryResult<bool> {
    let taken = with_conn!(conn, |c| tokens::table
        .find(name)
        .select(tokens::name)
        .first::<String>(c)
        .optional())?
    .is_some();
    if taken {
        return Ok(false);
    }
    with_conn!(conn, |c| diesel::insert_into(tokens::table)
        .values((
            tokens::name.eq(name),
            tokens::token_hash.eq(hash),
            tokens::can_write.eq(scope.level == Level::Write),
            tokens::namespaces.eq(scope.stored()),
            tokens::created_at_us.eq(now_us),
            tokens::expires_at_us.eq(expires_at_us),
        ))
        .execute(c))?;
    bump_credentials(conn)?;
    Ok(true)
}

/// Revokes (deletes) a token; `false` if there was none.
pub fn revoke(conn: &mut AnyConnection, name: &str) -> QueryResult<bool> {
    let gone = with_conn!(conn, |c| diesel::delete(tokens::table.find(name))
        .execute(c))?;
    if gone > 0 {
        bump_credentials(conn)?;
    }
    Ok(gone > 0)
}

/// Every token, by name.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<TokenInfo>> {
    let mut all: Vec<TokenInfo> = load(conn)?.1.into_iter().map(|r| r.info).collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// Every token with the credentials counter they are consistent with.
pub fn load(conn: &mut AnyConnection) -> QueryResult<(i64, Vec<TokenRow>)> {
    read_transaction!(conn, |c| {
        let epoch: i64 = meta::table.find(CREDENTIALS).select(meta::value).first(c)?;
        let rows: Vec<Row> = tokens::table
            .select((
                tokens::name,
                tokens::token_hash,
                tokens::can_write,
                tokens::namespaces,
                tokens::created_at_us,
                tokens::expires_at_us,
                tokens::last_used_us,
            ))
            .load(c)?;
        Ok((epoch, rows.into_iter().map(info_of).collect()))
    })
}

/// Records when tokens were last used (never moving a time back); does not
/// count as a change of credentials.
pub fn touch(conn: &mut AnyConnection, used: &[(String, i64)]) -> QueryResult<()> {
    for (name, at_us) in used {
        with_conn!(conn, |c| diesel::update(
            tokens::table.find(name.as_str()).filter(
                tokens::last_used_us
                    .is_null()
                    .or(tokens::last_used_us.lt(*at_us))
            )
        )
        .set(tokens::last_used_us.eq(*at_us))
        .execute(c))?;
    }
    Ok(())
}
