//! HTTP endpoints, one file each.

pub mod access;
pub mod cache_api;
mod later;
pub mod method_browser;
pub mod metrics;
pub mod origin;
pub mod page;
pub mod page_style;
pub mod rpc;
pub mod rpc_routes;
pub mod service;
pub mod status;
