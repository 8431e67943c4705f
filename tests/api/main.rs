//! The integration suite: the real application on port 0, spoken to over HTTP.

// Without the mysql/postgres features the server-backend tests compile out.
#![cfg_attr(not(any(feature = "mysql", feature = "postgres")), allow(dead_code))]

mod auth;
mod browser;
mod changes;
mod cli;
mod concurrency;
mod discovery;
mod edge;
mod edge_helpers;
mod failover;
mod failure;
mod helpers;
mod lua;
mod metrics;
mod operations;
mod processes;
mod protocol;
mod proxy;
mod records;
mod rpc4django;
mod scale_out;
mod xmlrpc;
