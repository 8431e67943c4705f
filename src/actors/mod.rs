//! Actors: the DB executor (a `SyncArbiter` pool of threads owning connections).

pub mod db_executor;

pub use db_executor::DbExecutor;
