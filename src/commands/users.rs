//! `syncdict user ...`: managing users directly in the database.

use std::io::BufRead;

use super::cli::UserAction;
use crate::auth::password::{self, MIN_PASSWORD};
use crate::configuration::Settings;
use crate::db::{self, users, AnyConnection, ConnectError, DbError};
use crate::domain::{
    format_timestamp, now_us, Admin, InvalidNamespace, InvalidUsername, Level, Role, RoleFlags,
    Scope, Username,
};

/// Why a user command did nothing; printed as is.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Username(#[from] InvalidUsername),
    #[error(transparent)]
    Namespace(#[from] InvalidNamespace),
    #[error("user {0} has no grant on {1}")]
    NoGrant(Username, String),
    #[error("user {0} already exists (use `syncdict user passwd`)")]
    Exists(Username),
    #[error("no user {0}")]
    NoSuchUser(Username),
    #[error("cannot read the password: {0}")]
    Read(#[from] std::io::Error),
    #[error("cannot ask for a password without a terminal ({0}): give it on standard input with --password-stdin")]
    NoTerminal(std::io::Error),
    #[error("the passwords differ")]
    Mismatch,
    #[error("a password needs at least {MIN_PASSWORD} characters")]
    TooShort,
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("{0}")]
    Invalid(String),
}

/// Runs one user command; `Ok` is the message to print.
pub fn run(action: UserAction, settings: &Settings) -> Result<String, CommandError> {
    let mut conn = db::connect(&settings.database)?;
    let conn = &mut conn;
    match action {
        UserAction::Add {
            name,
            write,
            admin,
            password_stdin,
        } => add(conn, &name, RoleFlags { write, admin }, password_stdin),
        UserAction::Admin { name, off } => {
            let name = Username::parse(&name)?;
            match users::set_admin(conn, &name, Admin::from(!off)).map_err(DbError::from)? {
                true if off => Ok(format!("user {name} is no longer an administrator")),
                true => Ok(format!("user {name} is an administrator")),
                false => Err(CommandError::NoSuchUser(name)),
            }
        }
        UserAction::Passwd {
            name,
            password_stdin,
        } => {
            let name = Username::parse(&name)?;
            let hash = password::hash(&read_password(password_stdin)?)?;
            match users::set_password(conn, &name, &hash).map_err(DbError::from)? {
                true => Ok(format!("password of {name} changed")),
                false => Err(CommandError::NoSuchUser(name)),
            }
        }
        UserAction::Remove { name } => {
            let name = Username::parse(&name)?;
            match users::remove(conn, &name).map_err(DbError::from)? {
                true => Ok(format!("user {name} removed")),
                false => Err(CommandError::NoSuchUser(name)),
            }
        }
        UserAction::Grant {
            name,
            namespace,
            write,
        } => grant(conn, &name, &namespace, level(write)),
        UserAction::Revoke { name, namespace } => revoke(conn, &name, &namespace),
        UserAction::List => list(conn),
    }
}

/// `syncdict user add`.
fn add(
    conn: &mut AnyConnection,
    name: &str,
    flags: RoleFlags,
    password_stdin: bool,
) -> Result<String, CommandError> {
    let name = Username::parse(name)?;
    let hash = password::hash(&read_password(password_stdin)?)?;
    let role = Role::from(flags);
    let added = users::add(conn, &name, &hash, role, now_us()).map_err(DbError::from)?;
    let level = role.level().label();
    match added {
        true if flags.admin => Ok(format!("user {name} added (admin, *={level})")),
        true => Ok(format!("user {name} added (*={level})")),
        false => Err(CommandError::Exists(name)),
    }
}

/// `syncdict user grant`.
fn grant(
    conn: &mut AnyConnection,
    name: &str,
    namespace: &str,
    level: Level,
) -> Result<String, CommandError> {
    let name = Username::parse(name)?;
    let scope = Scope::parse(namespace)?;
    match users::grant(conn, &name, &scope, level).map_err(DbError::from)? {
        true => Ok(format!(
            "user {name} granted {} on {}",
            level.label(),
            scope.as_str()
        )),
        false => Err(CommandError::NoSuchUser(name)),
    }
}

/// `syncdict user revoke`.
fn revoke(conn: &mut AnyConnection, name: &str, namespace: &str) -> Result<String, CommandError> {
    let name = Username::parse(name)?;
    let scope = Scope::parse(namespace)?;
    match users::revoke(conn, &name, &scope).map_err(DbError::from)? {
        true => Ok(format!(
            "user {name} no longer has a grant on {}",
            scope.as_str()
        )),
        false => Err(CommandError::NoGrant(name, scope.as_str().to_string())),
    }
}

/// `syncdict user list`: one line per user.
fn list(conn: &mut AnyConnection) -> Result<String, CommandError> {
    let all = users::list(conn).map_err(DbError::from)?;
    Ok(all
        .iter()
        .map(|u| {
            format!(
                "{}\t{}\t{}",
                u.username,
                u.grants.describe(),
                format_timestamp(u.created_at_us)
            )
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

fn level(write: bool) -> Level {
    if write {
        Level::Write
    } else {
        Level::Read
    }
}

/// A new password: the first line of stdin, or typed twice at a prompt.
fn read_password(from_stdin: bool) -> Result<String, CommandError> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let prompt = |text| rpassword::prompt_password(text).map_err(CommandError::NoTerminal);
        let first = prompt("Password: ")?;
        let again = prompt("Again: ")?;
        if first != again {
            return Err(CommandError::Mismatch);
        }
        first
    };
    if password.chars().count() < MIN_PASSWORD {
        return Err(CommandError::TooShort);
    }
    Ok(password)
}
