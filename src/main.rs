//! The `syncdict` binary: parse the command line, load settings, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use syncdict::auth::{commands, token_commands};
use syncdict::cli::{Cli, Command};
use syncdict::configuration::Settings;
use syncdict::domain::{Namespace, WriteOrigin};
use syncdict::startup::Application;
use syncdict::transfer::{self, Format, Remote, Source};
use syncdict::{call, db, telemetry};

/// A bad configuration exits with 2, any other failure with 1.
const CONFIG_ERROR: u8 = 2;

fn main() -> ExitCode {
    syncdict::memory::release_large_blocks();
    // Every TLS client and server (the edge, `call --url`, HTTPS) uses ring.
    syncdict::tls::install_default_provider();
    run().unwrap_or_else(|e| {
        eprintln!("syncdict: {e:#}");
        ExitCode::FAILURE
    })
}

/// Parses the command line and settings, then runs the command.
fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("syncdict: {e}");
            return Ok(ExitCode::from(CONFIG_ERROR));
        }
    };
    telemetry::init(&settings.log);
    execute(cli.command.unwrap_or(Command::Serve), settings)?;
    Ok(ExitCode::SUCCESS)
}

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
        },
        Some(url) => Source::Remote(Remote {
            url,
            credentials: user.map(call::credentials).transpose()?,
        }),
    })
}

/// Runs one command; what it prints on success goes to stdout.
fn execute(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::CheckConfig { render } => match render {
            Some(output) => {
                let bytes = syncdict::outputs::render_output(&settings, &output)?;
                std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
            }
            None => println!("{}", settings.to_masked_json()),
        },
        Command::Migrate => {
            db::migrate_now(&settings.database)?;
            println!("migrations applied to {}", settings.database.url);
        }
        Command::User { action } => println!("{}", commands::run(action, &settings)?),
        Command::Token { action } => {
            println!("{}", token_commands::run_token(action, &settings)?)
        }
        Command::Keys { action } => println!("{}", token_commands::run_keys(action)?),
        Command::Call {
            url,
            user,
            method,
            params,
        } => {
            let url = url.unwrap_or_else(|| call::default_url(&settings));
            let credentials = user.map(call::credentials).transpose()?;
            let params = call::parse_params(&params);
            let result = actix_web::rt::System::new().block_on(call::call(
                &url,
                credentials,
                &method,
                params,
            ))?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        Command::Export {
            namespace,
            format,
            at,
            url,
            user,
        } => {
            let source = source(&settings, url, user)?;
            let namespace = Namespace::parse(namespace)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            transfer::export(&source, &namespace, at, format, &mut out)?;
        }
        Command::Import {
            file,
            namespace,
            format,
            replace,
            create,
            dry_run,
            url,
            user,
        } => {
            let format = format
                .or_else(|| Format::of_path(&file))
                .context("name the format with --format json|ndjson|csv")?;
            let namespace = Namespace::parse(namespace)?;
            let author = user
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "local".into());
            let origin = WriteOrigin {
                author,
                address: "local".into(),
                method: "syncdict import".into(),
                comment: format!("import of {file}"),
            };
            let source = source(&settings, url, user)?;
            let request = transfer::ImportRequest {
                namespace: &namespace,
                format,
                replace,
                create,
                dry_run,
                origin,
            };
            let report = if file == "-" {
                transfer::import(&source, std::io::stdin().lock(), request)?
            } else {
                let input = std::fs::File::open(&file).with_context(|| file.clone())?;
                transfer::import(&source, std::io::BufReader::new(input), request)?
            };
            println!("{report}");
        }
        Command::Audit {
            since,
            limit,
            url,
            user,
        } => {
            let source = source(&settings, url, user)?;
            println!("{}", transfer::audit(&source, since, limit)?);
        }
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let mut settings = settings;
            syncdict::startup::open_files::prepare(&mut settings.server);
            let app = Application::build(settings).await?;
            app.run_until_stopped()
                .await
                .context("the HTTP server failed")
        })?,
    }
    Ok(())
}
