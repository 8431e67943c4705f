//! The `syncdict` binary: parse the command line, load settings, run.

use std::process::ExitCode;

use clap::Parser;
use syncdict::cli::{Cli, Command};
use syncdict::configuration::Settings;
use syncdict::startup::Application;
use syncdict::{call, db, telemetry, user_admin};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("syncdict: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!("{}", settings.to_masked_json());
            ExitCode::SUCCESS
        }
        Command::Migrate => match db::migrate_now(&settings.database) {
            Ok(()) => {
                println!("migrations applied to {}", settings.database.url);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("syncdict: {e}");
                ExitCode::FAILURE
            }
        },
        Command::User { action } => match user_admin::run(action, &settings) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("syncdict: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Call {
            url,
            user,
            method,
            params,
        } => {
            let url = url.unwrap_or_else(|| call::default_url(&settings));
            let credentials = match user.map(call::credentials).transpose() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("syncdict: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let params = call::parse_params(&params);
            let result = actix_web::rt::System::new().block_on(call::call(
                &url,
                credentials,
                &method,
                params,
            ));
            match result {
                Ok(value) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&value).unwrap_or_default()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("syncdict: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve => {
            let served = actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings).await?;
                app.run_until_stopped().await.map_err(anyhow::Error::from)
            });
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("syncdict: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
