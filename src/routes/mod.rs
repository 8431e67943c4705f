//! HTTP endpoints, one file each.

pub mod rpc;
