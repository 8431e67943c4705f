//! Actors: the DB executor (center), and the scheduler, RPC client and cache (edge).

pub mod cache;
pub mod db_executor;
pub mod rpc_client;
pub mod scheduler;

pub use db_executor::DbExecutor;
