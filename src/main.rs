//! The `syncdict` binary: parse the command line, load settings, run.

use std::process::ExitCode;

use clap::Parser;
use syncdict::commands::cli::{Cli, Command};
use syncdict::commands::execute;
use syncdict::configuration::Settings;
use syncdict::telemetry;

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
    let loaded = Settings::load(cli.config.as_deref())
        .and_then(|s| syncdict::edge::outputs::check_templates(&s.output).map(|()| s));
    let settings = match loaded {
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
