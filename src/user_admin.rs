//! `syncdict user ...`: managing users directly in the database.

use std::io::BufRead;

use crate::auth::{parse_username, password};
use crate::cli::UserAction;
use crate::configuration::Settings;
use crate::db::{self, users};
use crate::domain::{format_timestamp, now_us};

/// Runs one user command; `Err` is the message to print.
pub fn run(action: UserAction, settings: &Settings) -> Result<String, String> {
    let mut conn = db::connect(&settings.database).map_err(|e| e.to_string())?;
    let failed = |e: diesel::result::Error| format!("database error: {e}");
    match action {
        UserAction::Add {
            name,
            write,
            password_stdin,
        } => {
            let name = parse_username(&name)?;
            let hash = password::hash(&read_password(password_stdin)?)?;
            match users::add(&mut conn, &name, &hash, write, now_us()).map_err(failed)? {
                true => Ok(format!(
                    "user {name} added ({})",
                    if write { "read, write" } else { "read" }
                )),
                false => Err(format!(
                    "user {name} already exists (use `syncdict user passwd`)"
                )),
            }
        }
        UserAction::Passwd {
            name,
            password_stdin,
        } => {
            let hash = password::hash(&read_password(password_stdin)?)?;
            match users::set_password(&mut conn, &name, &hash).map_err(failed)? {
                true => Ok(format!("password of {name} changed")),
                false => Err(format!("no user {name}")),
            }
        }
        UserAction::Remove { name } => match users::remove(&mut conn, &name).map_err(failed)? {
            true => Ok(format!("user {name} removed")),
            false => Err(format!("no user {name}")),
        },
        UserAction::List => {
            let all = users::list(&mut conn).map_err(failed)?;
            Ok(all
                .iter()
                .map(|u| {
                    let perms = if u.can_write { "read,write" } else { "read" };
                    format!(
                        "{}\t{perms}\t{}",
                        u.username,
                        format_timestamp(u.created_at_us)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}

/// A new password: the first line of stdin, or typed twice at a prompt.
fn read_password(from_stdin: bool) -> Result<String, String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ".into());
        }
        first
    };
    if password.len() < 8 {
        return Err("a password needs at least 8 characters".into());
    }
    Ok(password)
}
