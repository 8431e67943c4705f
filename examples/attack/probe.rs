//! What an attack did to the target: its resident memory (sampled every
//! 20 ms: before, and the peak), the CPU it used, and how a normal client
//! reading `/api/cache/key-0001` every 20 ms fared meanwhile.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::http::{exchange, source, Target};
use super::support::rss_kib;

pub struct Probe {
    pid: u32,
    cpu_before: u64,
    rss_before_kib: u64,
    peak: Rc<RefCell<u64>>,
    normal: Rc<RefCell<(u64, u64, Vec<u64>)>>,
    stop: Rc<std::cell::Cell<bool>>,
}

pub struct Report {
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
    pub cpu_ms: u64,
    pub normal_ok: u64,
    pub normal_failed: u64,
    pub normal_p99_ms: f64,
}

/// User + system CPU of `pid` in clock ticks (10 ms on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Counts one normal read: its latency in µs, or `None` if it failed.
fn record(normal: &RefCell<(u64, u64, Vec<u64>)>, micros: Option<u64>) {
    let mut n = normal.borrow_mut();
    match micros {
        Some(us) => {
            n.0 += 1;
            n.2.push(us);
        }
        None => n.1 += 1,
    }
}

impl Probe {
    pub fn start(pid: u32, center: &Target) -> Probe {
        let probe = Probe {
            pid,
            cpu_before: cpu_ticks(pid),
            rss_before_kib: rss_kib(pid),
            peak: Rc::default(),
            normal: Rc::default(),
            stop: Rc::default(),
        };
        let (peak, stop) = (probe.peak.clone(), probe.stop.clone());
        tokio::task::spawn_local(async move {
            while !stop.get() {
                let now = rss_kib(pid);
                peak.replace_with(|p| (*p).max(now));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let (normal, stop) = (probe.normal.clone(), probe.stop.clone());
        let key = center.at("/api/cache/key-0001");
        tokio::task::spawn_local(async move {
            while !stop.get() {
                let started = Instant::now();
                let ok = matches!(exchange(&key, source(7000), None, None).await, Ok(r) if r.status == 200);
                record(&normal, ok.then(|| started.elapsed().as_micros() as u64));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        probe
    }

    pub async fn finish(self) -> Report {
        self.stop.set(true);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (ok, failed, mut micros) = self.normal.borrow().clone();
        micros.sort_unstable();
        let p99 = match micros.len() {
            0 => f64::NAN,
            n => micros[((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1] as f64 / 1000.0,
        };
        let peak = *self.peak.borrow();
        Report {
            rss_before_kib: self.rss_before_kib,
            rss_peak_kib: peak.max(self.rss_before_kib),
            cpu_ms: (cpu_ticks(self.pid) - self.cpu_before) * 10,
            normal_ok: ok,
            normal_failed: failed,
            normal_p99_ms: p99,
        }
    }
}
