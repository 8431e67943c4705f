//! `syncdict export`, `import` and `audit`: on the local database, or on
//! a center with `--url` (`crate::transfer::Source`).

use anyhow::Context;

use super::cli::{AuditArgs, ExportArgs, ImportArgs};
use crate::configuration::Settings;
use crate::domain::{Namespace, WriteOrigin};
use crate::transfer::{self, Format, Remote, Source};

/// The local database, or `url` with credentials for `user`.
fn source(
    settings: &Settings,
    url: Option<String>,
    user: Option<String>,
) -> anyhow::Result<Source> {
    Ok(match url {
        None => Source::Local {
            database: settings.database.clone(),
            keep_history: settings.server.keep_history,
            outbox: settings.outbox(),
        },
        Some(url) => Source::Remote(Remote {
            url,
            credentials: user.map(crate::call::credentials).transpose()?,
        }),
    })
}

/// `syncdict export`: the namespace to stdout.
pub(super) fn export(args: ExportArgs, settings: &Settings) -> anyhow::Result<()> {
    let source = source(settings, args.url, args.user)?;
    let namespace = Namespace::parse(args.namespace)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    transfer::export(&source, &namespace, args.at, args.format, &mut out)?;
    Ok(())
}

/// `syncdict import`: a file into a namespace as one change set.
pub(super) fn import(args: ImportArgs, settings: &Settings) -> anyhow::Result<()> {
    let file = args.file;
    let format = args
        .format
        .or_else(|| Format::of_path(&file))
        .context("name the format with --format json|ndjson|csv")?;
    let namespace = Namespace::parse(args.namespace)?;
    let author = args
        .user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "local".into());
    let origin = WriteOrigin {
        author,
        address: "local".into(),
        method: "syncdict import".into(),
        comment: format!("import of {file}"),
    };
    let source = source(settings, args.url, args.user)?;
    let request = transfer::ImportRequest {
        namespace: &namespace,
        format,
        replace: args.replace,
        create: args.create,
        dry_run: args.dry_run,
        origin,
    };
    let report = if file == "-" {
        transfer::import(&source, std::io::stdin().lock(), request)?
    } else {
        let input = std::fs::File::open(&file).with_context(|| file.clone())?;
        transfer::import(&source, std::io::BufReader::new(input), request)?
    };
    println!("{report}");
    Ok(())
}

/// `syncdict audit`: one line per committed revision.
pub(super) fn audit(args: AuditArgs, settings: &Settings) -> anyhow::Result<()> {
    let source = source(settings, args.url, args.user)?;
    println!("{}", transfer::audit(&source, args.since, args.limit)?);
    Ok(())
}
