//! The edge's status page, rendered sans I/O from its `EdgeView`: facts,
//! the pull charts (`charts.rs`), upstreams, outputs, namespaces and a page
//! of records. `routes::page` serves it.

mod charts;

use maud::{html, Markup};
use serde::Deserialize;

use crate::domain::{format_timestamp, now_us, Namespace};
use crate::edge::opened::SecretStatus;
use crate::edge::shard::EntryRef;
use crate::edge::status::{EdgeView, StatusReport};
use charts::{chart, hour_chart, relative};

const PAGE_SIZE: usize = 25;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// Only keys containing this text.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: usize,
    /// The namespace shown (default: the first one pulled).
    #[serde(default)]
    pub ns: String,
    /// Only the live part, for the refresh script.
    #[serde(default)]
    pub partial: u8,
}

/// The namespace the page shows: `?ns=`, if the edge pulls it, else the
/// first one it pulls.
pub fn shown_namespace(edge: &EdgeView, query: &PageQuery) -> Namespace {
    let pulled = edge.store.namespaces();
    let first = pulled.first().cloned().unwrap_or_default();
    pulled
        .into_iter()
        .find(|ns| ns.as_str() == query.ns)
        .unwrap_or(first)
}

pub fn live(edge: &EdgeView, query: &PageQuery) -> Markup {
    let report = edge.report(now_us());
    let needle = query.q.to_lowercase();
    let stats = edge.store.stats();
    let shown = shown_namespace(edge, query);
    let secret = edge.store.secret_status(&shown);
    let entries = listed(edge, &shown, secret.is_some(), &needle);
    let pages = entries.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    let link = |p: usize| format!("/?ns={shown}&q={}&page={p}", url_escape(&query.q));
    html! {
        (banner(&report))
        section.facts { (facts(&report)) }
        section.chart {
            h2 { "Last pulls" }
            (chart(&report.pulls))
        }
        section.chart {
            h2 { "The last hour" span.count { " · pulls a minute, slowest per minute" } }
            (hour_chart(&report.last_hour))
        }
        (upstreams(&report))
        (crate::edge::outputs::page::section(&report.outputs))
        section.namespaces {
            h2 { "Namespaces" }
            nav.tabs {
                @for st in &stats {
                    a href=(format!("/?ns={}", st.namespace)) class=(if st.namespace == shown { "tab current" } else { "tab" }) {
                        strong { (st.namespace.as_str()) }
                        span.meta { (st.entries) " records · " (human_bytes(st.bytes))
                            @if let Some(b) = st.own_budget { " of " (human_bytes(b)) }
                            " · revision " (st.revision) }
                    }
                }
            }
        }
        section.records {
            h2 { "Records in " (shown.as_str()) " " span.count { (entries.len()) " of " (stats.iter().find(|s| s.namespace == shown).map_or(0, |s| s.entries)) } }
            @if let Some(status) = &secret { p.meta { (secret_line(status)) } }
            table {
                thead { tr { th { "key" } th { "value" } th { "revision" } th { "updated" } } }
                tbody {
                    @for entry in entries.iter().skip(page * PAGE_SIZE).take(PAGE_SIZE) {
                        tr {
                            td.key { (entry.key()) }
                            @if secret.is_some() {
                                td.value { span.meta { "sealed · " (human_bytes(entry.value().len() as u64)) } }
                            } @else {
                                td.value { code { (truncate(entry.value(), 160)) } }
                            }
                            td.num { (entry.revision()) }
                            td.time {
                                (format_timestamp(entry.updated_at_us()))
                                @if let Some(at) = entry.expires_at_us() { br; span.meta { "expires " (format_timestamp(at)) } }
                            }
                        }
                    }
                    @if entries.is_empty() { tr { td colspan="4" .empty { "no records" } } }
                }
            }
            nav.pager {
                @if page > 0 { a href=(link(page - 1)) { "← previous" } }
                span { "page " (page + 1) " of " (pages) }
                @if page + 1 < pages { a href=(link(page + 1)) { "next →" } }
            }
        }
    }
}

/// The entries of `shown` the page lists (keys matching `needle`): a
/// secret namespace's as sent, whose values it never shows.
fn listed(edge: &EdgeView, shown: &Namespace, secret: bool, needle: &str) -> Vec<EntryRef> {
    let entries = match secret {
        true => (edge.store.sent_table(shown)).map_or_else(Vec::new, |t| t.sorted(now_us())),
        false => edge.store.sorted(shown, now_us()),
    };
    let matches = |e: &EntryRef| needle.is_empty() || e.key().to_lowercase().contains(needle);
    entries.into_iter().filter(matches).collect()
}

/// What the page says of a secret namespace.
fn secret_line(status: &SecretStatus) -> String {
    match status {
        SecretStatus::Opened { unopened: 0 } => {
            "Secret: opened with this edge's key, values never shown here.".into()
        }
        SecretStatus::Opened { unopened } => {
            format!("Secret: opened; {unopened} values did not open and are not served.")
        }
        SecretStatus::Closed(why) => format!("Not served ({why})."),
    }
}

/// Each upstream: its last success and error, and whether it cools down.
fn upstreams(report: &StatusReport) -> Markup {
    html! {
        section.upstreams {
            h2 { "Upstreams" }
            table {
                thead { tr { th { "upstream" } th { "last success" } th { "last error" } th { "state" } } }
                tbody {
                    @for u in &report.upstream_health {
                        tr {
                            td { code { (u.url) } }
                            td.time { @match &u.last_success { Some(at) => { time datetime=(at) title=(at) { (relative(now_us(), at)) } }, None => "never" } }
                            td { @match (&u.last_error, &u.last_error_at) {
                                (Some(e), Some(at)) => { time datetime=(at) title=(at) { (relative(now_us(), at)) } ": " (e) }
                                _ => "none",
                            } }
                            td { @if u.cooling_down { "cooling down (tried last)" } @else { "ready" } " · " (u.failures) " failures" }
                        }
                    }
                }
            }
        }
    }
}

fn banner(r: &StatusReport) -> Markup {
    html! {
        @for url in &r.cleartext_credentials {
            div.banner.warn {
                strong { "Credentials in clear. " }
                "This edge sends its credentials to " code { (url) }
                " over plain HTTP: anyone on the path can read them. Use an https:// upstream."
            }
        }
        @if r.stale {
            div.banner.bad {
                strong { "Data is stale. " }
                @match r.data_age_seconds {
                    Some(age) => { "Last successful pull " (age) " s ago. " }
                    None => { "No data has been pulled yet. " }
                }
                @if let Some(e) = &r.last_error { "Last error: " (e) }
            }
        } @else if r.consecutive_failures > 0 || r.last_error.is_some() {
            div.banner.warn {
                strong { "Upstream trouble. " }
                "Serving the last good data (" (r.data_age_seconds.unwrap_or(0)) " s old). "
                @if let Some(e) = &r.last_error { (e) }
            }
        }
    }
}

fn facts(r: &StatusReport) -> Markup {
    let used_pct = if r.bytes_capacity == 0 {
        0.0
    } else {
        r.bytes_used as f64 * 100.0 / r.bytes_capacity as f64
    };
    let fact = |name: &str, value: String| html! { div.fact { span.name { (name) } span.value { (value) } } };
    let now = now_us();
    // "12 s ago" (or "in 3 s"), the exact time on hover.
    let when = |name: &str, v: &Option<String>| match v {
        Some(at) => html! { div.fact { span.name { (name) }
        span.value { time datetime=(at) title=(at) { (relative(now, at)) } } } },
        None => fact(name, "—".into()),
    };
    html! {
        (fact("roles", r.roles.iter().map(|role| role.label()).collect::<Vec<_>>().join(" + ")))
        (fact("name", r.name.clone()))
        (fact("mode", r.mode.label().to_string()))
        (fact("upstream in use", r.upstream_in_use.clone().unwrap_or_else(|| r.upstreams.join(", "))))
        (fact("interval", format!("{} ms", r.interval_ms)))
        (fact("revision", r.revision.to_string()))
        (fact("entries", r.entries.to_string()))
        (fact("data age", r.data_age_seconds.map_or("never pulled".into(), |a| format!("{a} s"))))
        (when("last success", &r.last_success))
        (when("last attempt", &r.last_attempt))
        (when("next pull", &r.next_pull))
        (fact("failures in a row", r.consecutive_failures.to_string()))
        (fact("skipped ticks", r.skipped_ticks.to_string()))
        @if let Some(held) = r.held_pulls { (fact("held pulls", held.label().to_string())) }
        (fact("shrink-guard refusals", r.shrink_guard_refusals.to_string()))
        (fact("overflow refusals", r.overflow_refusals.to_string()))
        (fact("revision refusals", r.revision_refusals.to_string()))
        (fact("signed digest refusals", r.digest_refusals.to_string()))
        (fact("restarts from 0", r.restarts.to_string()))
        (fact("evictions", r.evictions.to_string()))
        div.fact.wide {
            span.name { "cache" }
            span.value { (human_bytes(r.bytes_used)) " of " (human_bytes(r.bytes_capacity)) " (" (format!("{used_pct:.2}")) "%)" }
            meter.bar min="0" max="100" value=(format!("{:.1}", used_pct.min(100.0))) {}
        }
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
