//! Command line: `syncdict [--config FILE] [serve|migrate|check-config|call|export|import|audit|user|token|keys|secrets]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::transfer::Format;

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
    /// Print the effective settings, passwords masked, check that every
    /// output's template loads, and exit.
    CheckConfig {
        /// Print this output (its path, or its index from 0) rendered from
        /// the edge's snapshot instead of the settings.
        #[arg(long)]
        render: Option<String>,
    },
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
    /// Write a namespace to stdout as JSON ({key: value}), NDJSON or CSV.
    Export(ExportArgs),
    /// Load a file into a namespace as one change set: prints what it adds,
    /// changes and removes; refused whole on bad input or a schema violation.
    Import(ImportArgs),
    /// Print the audit log: one line per committed revision.
    Audit(AuditArgs),
    /// Manage the users that may call /RPC (writes need one with --write).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage bearer tokens (for edges and scripts; checked in microseconds).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage the key that signs namespace digests.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Secret namespaces: values sealed here with age, stored and served
    /// by centers as ciphertext, opened only with a granted identity.
    Secrets {
        #[command(subcommand)]
        action: SecretsAction,
    },
}

/// Where `secrets` commands call: a center's /RPC, as whom.
#[derive(Debug, Clone, clap::Args)]
pub struct CenterArgs {
    /// The center's /RPC; default this process's own from the settings.
    #[arg(long)]
    pub url: Option<String>,
    /// Basic credentials (password from SYNCDICT_PASSWORD or a prompt).
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SecretsAction {
    /// Make an age identity: written to FILE (mode 0600, refused if it
    /// exists); its recipient (age1...) is printed.
    Keygen {
        #[arg(long)]
        output: std::path::PathBuf,
    },
    /// Create a secret namespace with a new key, granted to each holder.
    Create {
        namespace: String,
        /// A holder's recipient (age1...); repeat for several.
        #[arg(long = "holder", required = true)]
        holders: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        center: CenterArgs,
    },
    /// Seal the value read from standard input (JSON, or else the text
    /// without its final newline, as a string) and store it under KEY.
    Put {
        namespace: String,
        key: String,
        #[command(flatten)]
        center: CenterArgs,
    },
    /// Print a value opened with your identity (a string as its text).
    Get {
        namespace: String,
        key: String,
        #[arg(long)]
        identity: std::path::PathBuf,
        #[command(flatten)]
        center: CenterArgs,
    },
    /// Grant the namespace's key to RECIPIENT (an edge or a holder).
    Grant {
        namespace: String,
        recipient: String,
        #[arg(long)]
        identity: std::path::PathBuf,
        #[command(flatten)]
        center: CenterArgs,
    },
    /// Take RECIPIENT's grant away: rotates the key and re-seals every
    /// value to it in one change set.
    Revoke {
        namespace: String,
        recipient: String,
        #[arg(long)]
        identity: std::path::PathBuf,
        #[command(flatten)]
        center: CenterArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Make a token and print it once (only its hash is kept): read on
    /// every namespace, or on those given with --namespace; --write also writes.
    Add {
        name: String,
        #[arg(long)]
        write: bool,
        /// A namespace it may use (repeat for several); default every one.
        #[arg(long = "namespace")]
        namespaces: Vec<String>,
        /// How long it is valid, e.g. 90d; default until revoked.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens: name, scope, created, expires, last used.
    List,
    /// Revoke a token: refused everywhere within server.revision_check_interval.
    Revoke { name: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum KeysAction {
    /// Make an ed25519 signing key: written to FILE (PKCS#8 PEM, mode
    /// 0600); its public key is printed, for the edges.
    Generate {
        /// Where to write the private key (refused if it exists).
        #[arg(long, default_value = "syncdict-signing.pem")]
        out: PathBuf,
    },
    /// Print the public key of a signing key file.
    Public {
        /// The private key (PKCS#8 PEM).
        #[arg(long, default_value = "syncdict-signing.pem")]
        key: PathBuf,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Add a user: read on every namespace (--write: read and write;
    /// --admin: read and write, and manage users, tokens and namespaces).
    Add {
        name: String,
        #[arg(long)]
        write: bool,
        #[arg(long)]
        admin: bool,
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
    /// Make a user an administrator (--off: no longer one).
    Admin {
        name: String,
        #[arg(long)]
        off: bool,
    },
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

/// `syncdict export`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    #[arg(long, default_value = "default")]
    pub namespace: String,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// The namespace as it was at this revision.
    #[arg(long)]
    pub at: Option<i64>,
    /// A center's /RPC instead of the local database.
    #[arg(long)]
    pub url: Option<String>,
    /// Basic credentials for --url (password from SYNCDICT_PASSWORD or a prompt).
    #[arg(long)]
    pub user: Option<String>,
}

/// `syncdict import`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The file (`-`: standard input).
    pub file: String,
    #[arg(long)]
    pub namespace: String,
    /// The file's format; default from its extension (.json, .ndjson/.jsonl, .csv).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also remove the namespace's keys the file lacks.
    #[arg(long)]
    pub replace: bool,
    /// Create the namespace if it does not exist.
    #[arg(long)]
    pub create: bool,
    /// Print what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
}

/// `syncdict audit`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Entries after this revision (oldest first); default the newest.
    #[arg(long)]
    pub since: Option<i64>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
}
