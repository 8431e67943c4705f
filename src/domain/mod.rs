//! Validated types and pure rules; imports neither actix nor diesel.

mod change_set;
mod event;
mod expiry;
mod fleet;
mod grants;
mod gray;
mod gray_auto;
pub mod gray_view;
mod health;
mod host;
mod labels;
mod namespace;
mod percent;
mod principal;
mod record;
mod record_key;
mod review;
mod secret;
mod selection;
mod username;
mod value_schema;

pub use change_set::{
    Applied, ChangeSet, Force, History, Outbox, Pace, Write, WriteKind, WriteOrigin,
};
pub use event::{payload, Event, EventData, EventKind, KeyChange, MAX_CHANGES_BYTES};
pub use expiry::{parse_rfc3339_us, Expiry, InvalidExpiry, MAX_EXPIRES_IN};
pub use fleet::{
    DigestReport, EdgeHello, EdgeName, EdgeSeen, EdgeState, InvalidEdgeName, ShortText,
    DIGEST_HEADER, EDGE_HEADER,
};
pub use grants::{Admin, Grants, Level, Role, RoleFlags, Scope};
pub use gray::{
    bucket, held_ids, held_releases, InvalidTarget, ReleaseId, ReleaseState, Target, ALL_BUCKETS,
    GRAY_HEADER, MAX_ACTIVE_RELEASES, MAX_HELD_RELEASES, MAX_TARGET_EDGES,
};
pub use gray_auto::{decide, Auto, Decision, InvalidAuto, MemberHealth, Waiting};
pub use health::{Health, HealthReport, HEALTH_HEADER};
pub use host::{hostname, is_loopback};
pub use labels::{InvalidLabels, Labels, LABELS_HEADER, MAX_LABELS};
pub use namespace::{InvalidNamespace, Namespace, MAX_NAMESPACE};
pub use percent::percent_decode;
pub use principal::{Principal, TokenName};
pub use record::{
    after_put, format_timestamp, net_change, now_us, NetChange, Record, RecordSearch, StoredRecord,
};
pub use record_key::{InvalidKey, RecordKey, MAX_KEY_BYTES};
pub use review::{
    Passage, Promotion, Publication, RequestId, RequestState, Verdict, MAX_OPEN_REQUESTS,
    MAX_REVIEWS_REQUIRED,
};
pub use secret::{SecretKeys, WrappedKey, MAX_SECRET_GRANTS};
pub use selection::{InvalidSelection, Selection, EVERY};
pub use username::{InvalidUsername, Username, MAX_USERNAME};
pub use value_schema::{InvalidSchema, ValueSchema, MAX_VIOLATIONS};
