//! A release's members as the fleet view knows them: the edges pulling
//! its namespace that its target reaches, whether each holds the release
//! yet (named it in `Syncdict-Gray`), and the health each last reported.
//! What `gray.get` shows and what the automatic canary judges.

use serde::Serialize;

use crate::center::fleet_view::Judged;
use crate::domain::{EdgeName, EdgeState, Health, Labels, MemberHealth, ReleaseId, Target};

/// One member.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    /// Its data holds the release.
    pub holds: bool,
    /// `healthy`, `unhealthy`, or none (it does not report).
    pub health: Option<&'static str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// `current`, `lagging` or `silent`.
    pub state: &'static str,
}

/// The members of release `id` (on `namespace`, to `target`) among
/// `fleet`, sorted by name, and the health of those holding it: a
/// silent member's healthy report no longer counts, an unhealthy one does.
pub fn members(
    id: ReleaseId,
    target: &Target,
    namespace: &str,
    fleet: &[Judged],
) -> (Vec<Member>, MemberHealth) {
    let mut list: Vec<Member> = Vec::new();
    let mut health = MemberHealth::default();
    let mut named = std::collections::HashSet::new();
    let id_text = id.0.to_string();
    for j in fleet {
        let e = &j.edge;
        if !e.namespaces.split(',').any(|ns| ns == namespace) {
            continue;
        }
        let name = EdgeName::parse(&e.name).ok();
        let labels = Labels::parse(&e.labels).unwrap_or_default();
        if !target.reaches(id, name.as_ref(), &labels) || !named.insert(e.name.as_str()) {
            continue;
        }
        let holds = e.gray.split(',').any(|h| h == id_text);
        match (holds, e.health) {
            (true, Some(Health::Healthy)) if j.state != EdgeState::Silent => health.healthy += 1,
            (true, Some(Health::Unhealthy)) => health
                .unhealthy
                .push((e.name.clone(), e.health_reason.clone())),
            _ => {}
        }
        list.push(Member {
            name: e.name.clone(),
            holds,
            health: e.health.map(Health::label),
            reason: e.health_reason.clone(),
            state: j.state.label(),
        });
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    (list, health)
}
