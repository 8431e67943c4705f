//! Command line: `syncdict [--config FILE] [serve|migrate|check-config|call|user]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "syncdict",
    version,
    about = "Central reference data over JSON-RPC, pulled by edges"
)]
pub struct Cli {
    /// A TOML file read after Settings.toml and before SYNCDICT__SECTION__KEY variables.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective settings, passwords masked, and exit.
    CheckConfig,
    /// Call a JSON-RPC method and print its result as JSON.
    ///
    /// Each PARAM is JSON, or a string if it is not valid JSON:
    /// `syncdict call records.put greeting '"hello"'`.
    Call {
        /// The endpoint; default this process's own /RPC from the settings.
        #[arg(long)]
        url: Option<String>,
        /// Send Basic credentials as this user; the password comes from
        /// SYNCDICT_PASSWORD or a prompt.
        #[arg(long)]
        user: Option<String>,
        /// The method, e.g. records.list.
        method: String,
        /// Positional params: JSON values (anything else is a string).
        params: Vec<String>,
    },
    /// Manage the users that may call /RPC (writes need one with --write).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Add a user: read on every namespace (--write: read and write).
    Add {
        name: String,
        #[arg(long)]
        write: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's password.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user.
    Remove { name: String },
    /// Give a user read (--write: read and write) on a namespace, or on
    /// every namespace with --namespace '*'; replaces its grant there.
    Grant {
        name: String,
        #[arg(long)]
        namespace: String,
        #[arg(long)]
        write: bool,
    },
    /// Take a user's grant on a namespace (or '*') away.
    Revoke {
        name: String,
        #[arg(long)]
        namespace: String,
    },
    /// List users and their permissions.
    List,
}
