//! The automatic canary: every `server.gray_check_interval` a center
//! judges each active release that carries `auto` (`domain::decide`) from
//! its members' health in the fleet view of every center on the database,
//! and widens, aborts or promotes it. Each step names the version it was
//! judged at, so when several centers tick at once one step is taken and
//! the others find the release moved and leave it. Time is an input:
//! tests call `tick` with the time they want.

use std::time::Duration;

use actix_web::rt::task::JoinHandle;

use super::members::members;
use super::write::promote;
use crate::center::{db_failure, Center, GrayStep, StepBy};
use crate::db::executor::{CurrentReleases, MoveRelease};
use crate::db::gray_releases::{ReleaseRow, Stop};
use crate::domain::{
    decide, Auto, Decision, MemberHealth, Promotion, ReleaseId, ReleaseState, Target, WriteOrigin,
};
use crate::rpc::method::RpcMethod;
use crate::rpc::CallError;

/// The actor a schedule's steps are recorded under.
pub const ACTOR: &str = "auto";

/// What the schedule of `row` calls for at `now_us` given its members'
/// `health`, if it is active and has one.
pub fn decision(
    row: &ReleaseRow,
    target: Option<&Target>,
    health: &MemberHealth,
    now_us: i64,
) -> Option<Decision> {
    if row.state != ReleaseState::Active.as_str() {
        return None;
    }
    let auto = serde_json::from_str(row.auto.as_deref()?).ok()?;
    let auto = Auto::from_json(&auto).ok()?;
    let at = match target {
        Some(Target::Percent(p)) => Some(*p),
        _ => None,
    };
    Some(decide(&auto, at, row.updated_at_us, health, now_us))
}

/// What a decision means, for people.
pub fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Wait(why) => why.describe(),
        Decision::Widen(to) => format!("widens to {}% at the next check", percent(*to)),
        Decision::Promote => "promotes at the next check".to_string(),
        Decision::Abort(why) => format!("aborts at the next check: {why}"),
    }
}

fn percent(buckets: u32) -> f64 {
    f64::from(buckets) / 100.0
}

/// One check of every scheduled release at `now_us`; answers what was
/// done to each (waits included). A release whose step fails is logged
/// and the others are still judged.
pub async fn tick(center: &Center, now_us: i64) -> Result<Vec<(ReleaseId, Decision)>, CallError> {
    let rows = center
        .ask(CurrentReleases(i64::MAX))
        .await?
        .map_err(db_failure)?;
    let scheduled: Vec<ReleaseRow> = rows.into_iter().filter(|r| r.auto.is_some()).collect();
    if scheduled.is_empty() {
        return Ok(Vec::new());
    }
    let fleet = match center.fleet() {
        Some(_) => center.judge_fleet(now_us).await?.0,
        None => Vec::new(),
    };
    let mut done = Vec::new();
    for row in scheduled {
        let target = serde_json::from_str(&row.target)
            .ok()
            .and_then(|t| Target::from_json(&t).ok());
        let health = match &target {
            Some(t) => members(ReleaseId(row.id), t, &row.namespace, &fleet).1,
            None => MemberHealth::default(),
        };
        let Some(decided) = decision(&row, target.as_ref(), &health, now_us) else {
            continue;
        };
        let id = ReleaseId(row.id);
        if let Err(e) = carry_out(center, row, &decided, now_us).await {
            tracing::warn!(release = %id, error = %e, "gray release schedule step not taken");
        }
        done.push((id, decided));
    }
    Ok(done)
}

/// Takes the step `decided` on `row`.
async fn carry_out(
    center: &Center,
    row: ReleaseRow,
    decided: &Decision,
    now_us: i64,
) -> Result<(), CallError> {
    let at = (ReleaseId(row.id), row.version, now_us);
    match decided {
        Decision::Wait(_) => Ok(()),
        Decision::Widen(to) => {
            let target = Target::Percent(*to).to_json().to_string();
            let why = format!(
                "baked with no unhealthy member: widened to {}%",
                percent(*to)
            );
            let step = scheduled(at, ("retargeted", ReleaseState::Active), Some(target), why);
            take(center, step, GrayStep::Retargeted).await
        }
        Decision::Abort(why) => {
            let step = scheduled(at, ("aborted", ReleaseState::Aborted), None, why.clone());
            take(center, step, GrayStep::Aborted).await
        }
        Decision::Promote => promote_last(center, row, now_us).await,
    }
}

/// A step of the schedule on release `id` as judged at `version`, at
/// `now_us`: refused if the release moved meanwhile.
fn scheduled(
    (id, version, now_us): (ReleaseId, i64, i64),
    (action, state): (&'static str, ReleaseState),
    target: Option<String>,
    reason: String,
) -> MoveRelease {
    MoveRelease {
        id,
        actor: ACTOR.to_string(),
        action,
        target,
        state,
        reason,
        revision: None,
        expect_version: Some(version),
        now_us,
    }
}

/// Stores `step` (a `kind` of step), unless another center (or someone)
/// moved the release first.
async fn take(center: &Center, step: MoveRelease, kind: GrayStep) -> Result<(), CallError> {
    let (id, reason) = (step.id, step.reason.clone());
    match center.ask(step).await?.map_err(db_failure)? {
        Ok(_) => {
            tracing::info!(release = %id, step = ?kind, reason = %reason, "gray release schedule step");
            center.gray_changed(kind, StepBy::Schedule);
            Ok(())
        }
        // Another center took this step (or someone changed it) first.
        Err(Stop::Moved | Stop::Ended(_)) => Ok(()),
        Err(_) => Err(CallError::NoSuchRelease(id)),
    }
}

/// Promotes a release whose last step baked; one that can no longer be
/// promoted (a key it touches changed on the main line) is aborted, saying
/// why, so its edges go back to the main line.
async fn promote_last(center: &Center, row: ReleaseRow, now_us: i64) -> Result<(), CallError> {
    let at = (ReleaseId(row.id), row.version, now_us);
    let origin = WriteOrigin {
        author: ACTOR.to_string(),
        address: String::new(),
        method: <super::Promote as RpcMethod<Center>>::SPEC.name.to_string(),
        comment: row.comment.clone(),
    };
    let promotion = Promotion {
        release: at.0,
        by: ACTOR.to_string(),
    };
    match promote(center, row, origin, (promotion, StepBy::Schedule)).await {
        Ok(applied) => {
            tracing::info!(release = %at.0, revision = ?applied.revision, "gray release promoted by its schedule");
            Ok(())
        }
        Err(e @ CallError::ReleaseKeysChanged { .. }) => {
            let why = format!("could not be promoted: {e}");
            let step = scheduled(at, ("aborted", ReleaseState::Aborted), None, why);
            take(center, step, GrayStep::Aborted).await
        }
        Err(CallError::ReleaseEnded { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Checks the schedules every `every`.
pub fn spawn(center: Center, every: Duration) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = tick(&center, crate::domain::now_us()).await {
                tracing::debug!(error = %e, "gray release schedules not checked");
            }
        }
    })
}
