//! The edge's health on the data it holds, reported with each pull
//! (`Syncdict-Health`) so a center's automatic canary can abort a gray
//! release that hurts its edges. After every applied change a task runs
//! `client.health_command` (killed after `client.health_timeout`); an
//! output whose `check_command` or `command` failed on that change also
//! makes the edge unhealthy. A result speaks only for the change it ran
//! on: while the command still runs on the newest one, nothing is
//! reported, and the center shows no health until the next report.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::outputs::{run, Statuses};
use crate::configuration::ClientSettings;
use crate::domain::HealthReport;

/// The change the health command last ran on, and what it found.
type Slot = Arc<Mutex<Option<(u64, HealthReport)>>>;

/// What the pulls read: the command's last result and the outputs'.
#[derive(Clone)]
pub struct HealthWatch {
    /// Applied changes, counted (`CacheActor`'s counter).
    changes: watch::Receiver<u64>,
    /// The change the command last ran on, and what it found.
    command: Option<Slot>,
    outputs: Statuses,
    /// Outputs that run commands (their failures count), by index.
    checked_outputs: Vec<usize>,
}

impl HealthWatch {
    /// Starts the command's task when `client.health_command` is set.
    pub fn start(
        c: &ClientSettings,
        changes: &watch::Sender<u64>,
        outputs: Statuses,
        checked_outputs: Vec<usize>,
    ) -> HealthWatch {
        let command = c.health_command.clone().map(|command| {
            let slot = Arc::new(Mutex::new(None));
            spawn(
                command,
                c.health_timeout.get(),
                changes.subscribe(),
                slot.clone(),
            );
            slot
        });
        HealthWatch {
            changes: changes.subscribe(),
            command,
            outputs,
            checked_outputs,
        }
    }

    /// The report for the data held now: unhealthy if an output's command
    /// failed on it or the health command did; healthy if the command
    /// passed on it (or, without one, every checked output passed on it);
    /// none while that is not known yet, or with nothing to check.
    pub fn report(&self) -> Option<HealthReport> {
        let now = *self.changes.borrow();
        let mut outputs_known = !self.checked_outputs.is_empty();
        {
            let statuses = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
            for s in self.checked_outputs.iter().filter_map(|i| statuses.get(*i)) {
                if s.change != now {
                    outputs_known = false;
                } else if s.failing {
                    let why = s.last_error.as_deref().unwrap_or("failed");
                    return Some(HealthReport::unhealthy(&format!(
                        "output {}: {why}",
                        s.path
                    )));
                }
            }
        }
        match &self.command {
            Some(slot) => match *slot.lock().unwrap_or_else(|p| p.into_inner()) {
                Some((change, report)) if change == now => Some(report),
                _ => None,
            },
            None => outputs_known.then(HealthReport::healthy),
        }
    }
}

/// Runs `command` after each change (a burst of changes is one run, on
/// the newest), keeping the result in `slot`.
fn spawn(command: String, timeout: Duration, mut changes: watch::Receiver<u64>, slot: Slot) {
    actix_web::rt::spawn(async move {
        loop {
            let change = *changes.borrow_and_update();
            if change > 0 {
                let report = match run(&command, timeout).await {
                    Ok(()) => HealthReport::healthy(),
                    Err(why) => {
                        tracing::warn!(error = %why, change, "health_command failed");
                        HealthReport::unhealthy(&format!("health_command: {why}"))
                    }
                };
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some((change, report));
            }
            if changes.changed().await.is_err() {
                break;
            }
        }
    });
}
