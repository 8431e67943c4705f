//! Table definitions, the same on every backend.

diesel::table! {
    records (key) {
        key -> Text,
        value -> Text,
        revision -> BigInt,
        updated_at_us -> BigInt,
        deleted -> Bool,
        born -> BigInt,
        gone -> BigInt,
    }
}

diesel::table! {
    meta (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    users (username) {
        username -> Text,
        password_hash -> Text,
        can_write -> Bool,
        created_at_us -> BigInt,
    }
}
