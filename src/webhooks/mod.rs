//! The webhooks resource, for administrators: `webhooks.list`, `.add`,
//! `.remove`, the delivery log (`.log`) and `.redeliver`. Delivery itself
//! is the center's (`center::webhooks`).

mod methods;

pub use methods::{Add, List, Log, Redeliver, Remove};
