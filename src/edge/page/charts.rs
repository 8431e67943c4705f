//! The status page's charts (the last pulls, the last hour) and relative
//! times.

use maud::{html, Markup};

use crate::edge::state::PullRecord;

/// Bars of the last pulls' latency; green ok, red failed, amber refused.
pub(super) fn chart(pulls: &[PullRecord]) -> Markup {
    let (w, h, gap) = (16.0, 60.0, 4.0);
    let max = pulls
        .iter()
        .map(|p| p.duration_ms)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = (pulls.len().max(1) as f64) * (w + gap);
    html! {
        @if pulls.is_empty() { p.empty { "no pulls yet" } }
        @else {
            svg width=(width) height=(h + 14.0) viewBox=(format!("0 0 {width} {}", h + 14.0)) role="img" aria-label="pull latency" {
                @for (i, p) in pulls.iter().enumerate() {
                    @let bar = ((p.duration_ms as f64 / max) * h).max(2.0);
                    rect x=(i as f64 * (w + gap)) y=(h - bar) width=(w) height=(bar) class=(p.outcome.label()) {
                        title { (p.at) ": " (p.outcome.label()) ", " (p.duration_ms) " ms" @if let Some(e) = &p.error { " (" (e) ")" } }
                    }
                }
                text x="0" y=(h + 12.0) class="axis" { "max " (max as u64) " ms" }
            }
        }
    }
}

/// `at` (RFC 3339) from `now_us`: "12 s ago", "3 min ago", "in 4 s".
pub(super) fn relative(now_us: i64, at: &str) -> String {
    let Some(at_us) = crate::domain::parse_rfc3339_us(at) else {
        return at.to_string();
    };
    let secs = (now_us - at_us) / 1_000_000;
    let span = |s: i64| match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    };
    if secs < 0 {
        format!("in {}", span(-secs))
    } else {
        format!("{} ago", span(secs))
    }
}

/// The last hour, a bar a minute: its height the slowest pull, red when a
/// pull failed, amber when one was refused, grey when none ran.
pub(super) fn hour_chart(minutes: &[crate::edge::hour::Minute]) -> Markup {
    let (w, h, gap) = (10.0, 50.0, 2.0);
    let max = minutes.iter().map(|m| m.max_ms).max().unwrap_or(1).max(1) as f64;
    let width = minutes.len().max(1) as f64 * (w + gap);
    html! {
        svg width=(width) height=(h + 14.0) viewBox=(format!("0 0 {width} {}", h + 14.0)) role="img" aria-label="pulls in the last hour" {
            @for (i, m) in minutes.iter().enumerate() {
                @let bar = if m.pulls() == 0 { 2.0 } else { ((m.max_ms as f64 / max) * h).max(3.0) };
                @let class = if m.failed > 0 { "failed" } else if m.refused > 0 { "refused" } else if m.ok > 0 { "ok" } else { "none" };
                rect x=(i as f64 * (w + gap)) y=(h - bar) width=(w) height=(bar) class=(class) {
                    title { (minutes.len() - 1 - i) " min ago: " (m.ok) " ok, " (m.failed) " failed, " (m.refused)
                        " refused; slowest " (m.max_ms) " ms" }
                }
            }
            text x="0" y=(h + 12.0) class="axis" { "60 min ago · max " (max as u64) " ms" }
            text x=(width) y=(h + 12.0) class="axis" text-anchor="end" { "now" }
        }
    }
}
