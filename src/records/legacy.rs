//! `testrpc.MyRPC` rows: `records.list` under the original model's field
//! names as well.

use serde::Serialize;

use crate::rpc::RawJson;

/// `records.list` rows for clients of the original design (OpenResty edges
/// storing `row.name -> row.value`): each row also carries `name`, the key
/// under the original model's field name.
pub(super) fn rows(list: &RawJson) -> RawJson {
    #[derive(serde::Deserialize, Serialize)]
    struct Row<'a> {
        #[serde(borrow)]
        key: std::borrow::Cow<'a, str>,
        #[serde(borrow)]
        value: &'a serde_json::value::RawValue,
        revision: i64,
        #[serde(borrow)]
        updated_at: std::borrow::Cow<'a, str>,
    }
    #[derive(Serialize)]
    struct LegacyRow<'a> {
        name: std::borrow::Cow<'a, str>,
        #[serde(flatten)]
        row: Row<'a>,
    }
    match serde_json::from_str::<Vec<Row<'_>>>(list.as_str()) {
        Ok(rows) => RawJson::of(
            &rows
                .into_iter()
                .map(|row| LegacyRow {
                    name: row.key.clone(),
                    row,
                })
                .collect::<Vec<_>>(),
        ),
        Err(e) => {
            tracing::error!(error = ?e.to_string(), "cached records.list is not readable");
            list.clone()
        }
    }
}
