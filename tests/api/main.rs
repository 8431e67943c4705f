//! The integration suite: the real application on port 0, spoken to over HTTP.

mod app;
mod auth;
mod browser;
#[cfg(any(feature = "mysql", feature = "postgres"))]
mod center_failover;
mod changes;
mod cli;
mod codebase;
mod concurrency;
mod console;
mod console_browser;
mod discovery;
mod edge;
mod edge_helpers;
mod edge_namespaces;
mod expiry;
mod failover;
#[cfg(any(feature = "mysql", feature = "postgres"))]
mod failure;
mod fleet;
mod held;
mod helpers;
mod hostile_upstream;
mod lua;
mod metrics;
mod namespaces;
mod nginx;
mod operations;
mod outputs;
mod processes;
mod protocol;
#[cfg(any(feature = "mysql", feature = "postgres"))]
mod proxy;
mod read_access;
mod records;
mod rpc4django;
mod scale_out;
mod search;
mod signed;
mod signed_lists;
mod slow_clients;
mod tls;
mod tokens;
mod transfer;
mod upgrade;
mod xmlrpc;
