//! A gray release's automatic canary (`auto`): the percentages it widens
//! through, how long each step bakes, how many healthy members a step
//! needs, and how many unhealthy ones abort it. `decide` is the whole
//! rule, sans I/O: the center's tick passes the members' health and the
//! time, and carries out what it answers.

use std::time::Duration;

use serde_json::{json, Value};

use super::gray::ALL_BUCKETS;

/// Most steps a schedule has.
pub const MAX_STEPS: usize = 10;
/// The longest bake (a week).
pub const MAX_BAKE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A release's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auto {
    /// Percentages in hundredths, rising; the release starts at the first.
    pub steps: Vec<u32>,
    /// How long each step runs with no unhealthy member before the next.
    pub bake: Duration,
    /// Members that must hold the release and report healthy before a
    /// step ends.
    pub min_edges: u32,
    /// Unhealthy members tolerated; one more aborts the release.
    pub max_unhealthy: u32,
}

/// Why a schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAuto {
    #[error(r#"auto is {{"steps": [percentages], "bake": "10m", "min_edges": n, "max_unhealthy": n}}; unknown field {0:?}"#)]
    Field(String),
    #[error("auto.steps are 1 to {MAX_STEPS} rising percentages above 0 and at most 100")]
    Steps,
    #[error("auto.bake is a duration from 1s to 7d, such as \"10m\"")]
    Bake,
    #[error("auto.min_edges and auto.max_unhealthy are whole numbers from 0 to 100000")]
    Count,
}

impl Auto {
    /// From its JSON form; `bake` defaults to 10m, `min_edges` to 1,
    /// `max_unhealthy` to 0.
    pub fn from_json(value: &Value) -> Result<Auto, InvalidAuto> {
        let object = value
            .as_object()
            .ok_or_else(|| InvalidAuto::Field(String::new()))?;
        if let Some(k) = object
            .keys()
            .find(|k| !["steps", "bake", "min_edges", "max_unhealthy"].contains(&k.as_str()))
        {
            return Err(InvalidAuto::Field(k.chars().take(40).collect()));
        }
        let steps = object
            .get("steps")
            .and_then(Value::as_array)
            .ok_or(InvalidAuto::Steps)?;
        let steps: Vec<u32> = steps
            .iter()
            .map(|p| match p.as_f64() {
                Some(p) if p > 0.0 && p <= 100.0 => Ok((p * 100.0).round() as u32),
                _ => Err(InvalidAuto::Steps),
            })
            .collect::<Result<_, _>>()?;
        let rising = steps.windows(2).all(|w| w[0] < w[1]);
        if steps.is_empty() || steps.len() > MAX_STEPS || !rising || steps[0] == 0 {
            return Err(InvalidAuto::Steps);
        }
        let bake = match object.get("bake") {
            None => Duration::from_secs(600),
            Some(v) => v
                .as_str()
                .and_then(|t| humantime::parse_duration(t.trim()).ok())
                .filter(|d| *d >= Duration::from_secs(1) && *d <= MAX_BAKE)
                .ok_or(InvalidAuto::Bake)?,
        };
        let count = |name: &str, default: u32| match object.get(name) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| *n <= 100_000)
                .map(|n| n as u32)
                .ok_or(InvalidAuto::Count),
        };
        Ok(Auto {
            steps,
            bake,
            min_edges: count("min_edges", 1)?,
            max_unhealthy: count("max_unhealthy", 0)?,
        })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "steps": self.steps.iter().map(|b| f64::from(*b) / 100.0).collect::<Vec<_>>(),
            "bake": humantime::format_duration(self.bake).to_string(),
            "min_edges": self.min_edges,
            "max_unhealthy": self.max_unhealthy,
        })
    }

    /// The first step, in hundredths of a percent.
    pub fn first(&self) -> u32 {
        self.steps[0]
    }
}

/// What the center knows of a release's members when it ticks: those that
/// hold the release (named it in `Syncdict-Gray`) and reported on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberHealth {
    /// Members reporting healthy.
    pub healthy: u32,
    /// Members reporting unhealthy: their names and reasons.
    pub unhealthy: Vec<(String, String)>,
}

/// What a tick does with one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing yet.
    Wait(Waiting),
    /// Widen to this many hundredths of a percent.
    Widen(u32),
    /// The last step baked: merge it into the namespace.
    Promote,
    /// Too many members unhealthy: stop it, for this reason.
    Abort(String),
}

/// Why a tick leaves a release as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// Its step bakes until this time (µs).
    Baking(i64),
    /// Fewer members than `min_edges` hold it and report healthy.
    Members { healthy: u32, needed: u32 },
    /// Some members are unhealthy, within `max_unhealthy`.
    Unhealthy(u32),
    /// Its target is no longer a percentage (changed by hand).
    NotPercent,
}

impl Waiting {
    /// For people: the release's next step.
    pub fn describe(&self) -> String {
        match self {
            Waiting::Baking(until) => format!("baking until {}", super::format_timestamp(*until)),
            Waiting::Members { healthy, needed } => {
                format!("waiting for {needed} healthy members ({healthy} so far)")
            }
            Waiting::Unhealthy(n) => format!("holding: {n} members unhealthy"),
            Waiting::NotPercent => "paused: the target is not a percentage".to_string(),
        }
    }
}

/// The most member names an abort's reason lists.
const NAMED: usize = 5;

/// What to do with a release on schedule `auto`, at `at` (hundredths of a
/// percent; `None` if its target is not a percentage), whose target last
/// changed at `since_us`, with `members` as reported, at `now_us`:
/// abort at once past `max_unhealthy`; otherwise move on only after a
/// full bake with no unhealthy member and at least `min_edges` healthy
/// ones, to the next step above `at`, or promote after the last.
pub fn decide(
    auto: &Auto,
    at: Option<u32>,
    since_us: i64,
    members: &MemberHealth,
    now_us: i64,
) -> Decision {
    let unhealthy = members.unhealthy.len() as u32;
    if unhealthy > auto.max_unhealthy {
        let named: Vec<String> = members
            .unhealthy
            .iter()
            .take(NAMED)
            .map(|(name, why)| format!("{name}: {why}"))
            .collect();
        return Decision::Abort(format!(
            "{unhealthy} members unhealthy (at most {} allowed): {}",
            auto.max_unhealthy,
            named.join("; ")
        ));
    }
    let Some(at) = at else {
        return Decision::Wait(Waiting::NotPercent);
    };
    if unhealthy > 0 {
        return Decision::Wait(Waiting::Unhealthy(unhealthy));
    }
    let until = since_us.saturating_add(auto.bake.as_micros() as i64);
    if now_us < until {
        return Decision::Wait(Waiting::Baking(until));
    }
    if members.healthy < auto.min_edges {
        return Decision::Wait(Waiting::Members {
            healthy: members.healthy,
            needed: auto.min_edges,
        });
    }
    match auto.steps.iter().find(|s| **s > at) {
        Some(next) => Decision::Widen((*next).min(ALL_BUCKETS)),
        None => Decision::Promote,
    }
}

#[cfg(test)]
#[path = "gray_auto_tests.rs"]
mod tests;
