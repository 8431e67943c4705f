//! The edge's actors: `Scheduler` (when to pull) drives `RpcClient` (fetch
//! from an upstream) and `CacheActor` (apply to the store, write the snapshot).

pub mod cache;
pub mod keys;
pub mod rpc_client;
pub mod scheduler;
