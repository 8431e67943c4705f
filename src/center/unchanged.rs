//! The reply to a pull that is already current, in the original form:
//! made once per revision and shared, as every current edge asks for it.

use std::sync::Mutex;

use crate::rpc::RawJson;

/// The original `records.changes` reply that changes nothing, at the last
/// revision it was asked at. Each pull of a current edge would otherwise
/// serialize and allocate the same bytes; a clone shares them (and their
/// XML-RPC form, made once too).
#[derive(Default)]
pub(super) struct Unchanged(Mutex<Option<(i64, RawJson)>>);

impl Unchanged {
    /// `{"revision":…,"full":false,"upserts":[],"deletes":[]}` at `revision`.
    pub(super) fn original(&self, revision: i64) -> RawJson {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some((at, json)) if *at == revision => json.clone(),
            _ => {
                let json = RawJson::from_trusted(format!(
                    r#"{{"revision":{revision},"full":false,"upserts":[],"deletes":[]}}"#
                ));
                *last = Some((revision, json.clone()));
                json
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_is_made_once_per_revision_and_reads_as_json() {
        let unchanged = Unchanged::default();
        let first = unchanged.original(7);
        let value: serde_json::Value = serde_json::from_str(first.as_str()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"revision": 7, "full": false, "upserts": [], "deletes": []})
        );
        assert!(std::ptr::eq(first.as_str(), unchanged.original(7).as_str()));
        let next = unchanged.original(8);
        assert!(next.as_str().contains(r#""revision":8"#));
    }
}
