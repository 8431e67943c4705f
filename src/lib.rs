//! syncdict: reference data kept in one SQL database, served over JSON-RPC
//! and XML-RPC by centers, pulled into local caches by edges.
//!
//! Layout (ARCHITECTURE.md has the flows and the invariants):
//! - `startup`: `Application::build(Settings)`, used by `main` and the tests;
//!   the route table.
//! - `methods`: the one table of RPC methods. Each is declared once in the
//!   folder of its resource: `records`, `namespaces`, `history`, `users`
//!   (users and tokens), `changes` (change requests), `gray` (gray
//!   releases), `fleet`, `webhooks`.
//! - `center`: the center role's engine: the DB executor's address, the
//!   read cache, held pulls, credentials, the fleet view, upkeep.
//! - `edge`: the edge role: its actors, store, snapshot, status.
//! - `outputs`: files an edge renders from its data (`[[output]]`).
//! - `routes`: HTTP endpoints, one file each.
//! - `rpc`: the protocol core, sans I/O (JSON-RPC, XML-RPC, methods, refusals).
//! - `db`: diesel (nowhere else) and the DB executor actor.
//! - `auth`: passwords, Basic credentials, the failure limit, `syncdict user`.
//! - `metrics`: Prometheus text, sans I/O. `domain`: validated types, pure rules.
//! - `configuration`, `cli`, `call` (`syncdict call`), `telemetry` (logs),
//!   `memory` (how freed memory goes back to the system).

pub mod auth;
pub mod call;
pub mod center;
pub mod changes;
pub mod commands;
pub mod configuration;
pub mod console;
pub mod db;
pub mod domain;
pub mod edge;
pub mod fleet;
pub mod gray;
pub mod history;
pub mod memory;
pub mod methods;
pub mod metrics;
pub mod namespaces;
pub mod records;
pub mod routes;
pub mod rpc;
pub mod sealing;
pub mod secrets;
pub mod signing;
pub mod startup;
pub mod telemetry;
pub mod tls;
pub mod transfer;
pub mod users;
pub mod webhooks;
