//! Validated types and pure rules; imports neither actix nor diesel.

mod percent;
mod record;
mod record_key;
mod username;

pub use percent::percent_decode;
pub use record::{
    after_put, format_timestamp, net_change, now_us, NetChange, Record, StoredRecord,
};
pub use record_key::{InvalidKey, RecordKey, MAX_KEY_BYTES};
pub use username::{InvalidUsername, Username, MAX_USERNAME};
