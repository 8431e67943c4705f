//! syncdict: reference data kept in one SQL database and served over JSON-RPC.
//!
//! Layout (see ARCHITECTURE.md for the flows):
//! - `configuration`: `Settings` from `Settings.toml`, `--config` and env vars.
//! - `startup`: `Application::build(Settings)`, used by `main` and the tests.
//! - `routes`: HTTP endpoints; `rpc`: the sans-I/O JSON-RPC core.
//! - `center`: executes record calls, with the read cache in front.
//! - `actors`: the DB executor; `db`: diesel (nowhere else); `domain`: pure types.

pub mod auth;
pub mod call;
pub mod center;
pub mod cli;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod edge;
pub mod metrics;
pub mod routes;
pub mod rpc;
pub mod startup;
pub mod telemetry;
