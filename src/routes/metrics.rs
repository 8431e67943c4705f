//! `GET /metrics`: the Prometheus text exposition of whatever roles run here.

use actix_web::{web, HttpResponse};

use crate::domain::now_us;
use crate::edge::status::EdgeView;
use crate::metrics::Exposition;
use crate::routes::rpc::RpcState;
use crate::tls::server::TlsStats;

/// Process start, for `process_start_time_seconds`.
pub struct Started {
    pub at_us: i64,
}

pub async fn metrics(
    started: web::Data<Started>,
    rpc: Option<web::Data<RpcState>>,
    edge: Option<web::Data<EdgeView>>,
    tls: Option<web::Data<TlsStats>>,
) -> HttpResponse {
    let now = now_us();
    let mut out = Exposition::default();
    out.single(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since the Unix epoch, in seconds.",
        started.at_us / 1_000_000,
    );
    if let Some(rss) = resident_bytes() {
        out.single(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            rss,
        );
    }
    if let Some(rpc) = rpc {
        rpc.center.render_metrics(&mut out);
    }
    if let Some(edge) = edge {
        edge.render_metrics(&mut out, now);
    }
    if let Some(tls) = tls {
        tls.render(&mut out);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out.finish())
}

/// RSS from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}
