//! The `syncdict` binary: parse the command line, load settings, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use syncdict::auth::commands;
use syncdict::cli::{Cli, Command};
use syncdict::configuration::Settings;
use syncdict::startup::Application;
use syncdict::{call, db, telemetry};

/// A bad configuration exits with 2, any other failure with 1.
const CONFIG_ERROR: u8 = 2;

fn main() -> ExitCode {
    syncdict::memory::release_large_blocks();
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

/// Runs one command; what it prints on success goes to stdout.
fn execute(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::CheckConfig => println!("{}", settings.to_masked_json()),
        Command::Migrate => {
            db::migrate_now(&settings.database)?;
            println!("migrations applied to {}", settings.database.url);
        }
        Command::User { action } => println!("{}", commands::run(action, &settings)?),
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
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).await?;
            app.run_until_stopped()
                .await
                .context("the HTTP server failed")
        })?,
    }
    Ok(())
}
