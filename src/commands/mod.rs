//! The command line: `cli.rs` declares it (clap), `execute` runs one
//! command. `serve` starts the application; the others act on the local
//! database (`users.rs`, `tokens.rs`) or on a center (`call`, and
//! `transfer.rs`: export, import and audit, locally or with `--url`).

pub mod cli;
mod secrets;
pub mod tokens;
mod transfer;
pub mod users;

use anyhow::Context;

use crate::configuration::Settings;
use crate::startup::Application;
use crate::{call, db};
use cli::Command;

/// Runs one command; what it prints on success goes to stdout.
pub fn execute(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::CheckConfig { render } => match render {
            Some(output) => {
                let bytes = crate::edge::outputs::render_output(&settings, &output)?;
                std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
            }
            None => println!("{}", settings.to_masked_json()),
        },
        Command::Migrate => {
            db::migrate_now(&settings.database)?;
            println!("migrations applied to {}", settings.database.url);
        }
        Command::User { action } => println!("{}", users::run(action, &settings)?),
        Command::Token { action } => println!("{}", tokens::run_token(action, &settings)?),
        Command::Keys { action } => println!("{}", tokens::run_keys(action)?),
        Command::Secrets { action } => secrets::run(action, &settings)?,
        Command::Call {
            url,
            user,
            method,
            params,
        } => {
            let url = url.unwrap_or_else(|| call::default_url(&settings));
            let credentials = user.map(call::credentials).transpose()?;
            let params = call::parse_params(&params);
            let asked = call::call(&url, credentials, &method, params);
            let result = actix_web::rt::System::new().block_on(asked)?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        Command::Export(args) => transfer::export(args, &settings)?,
        Command::Import(args) => transfer::import(args, &settings)?,
        Command::Audit(args) => transfer::audit(args, &settings)?,
        Command::Serve => serve(settings)?,
    }
    Ok(())
}

/// `syncdict serve`: the application until SIGTERM or SIGINT.
fn serve(mut settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        crate::startup::open_files::prepare(&mut settings.server);
        let app = Application::build(settings).await?;
        app.run(stop_signal())
            .await
            .context("the HTTP server failed")
    })
}

/// The first SIGTERM or SIGINT: the only place signals become the
/// application's shutdown.
async fn stop_signal() {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            futures_util::future::select(Box::pin(term.recv()), Box::pin(int.recv())).await;
        }
        _ => std::future::pending().await,
    }
}
