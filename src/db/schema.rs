//! Table definitions, the same on every backend.

diesel::table! {
    records (namespace, key) {
        namespace -> Text,
        key -> Text,
        value -> Text,
        revision -> BigInt,
        updated_at_us -> BigInt,
        deleted -> Bool,
        born -> BigInt,
        gone -> BigInt,
        expires_at_us -> Nullable<BigInt>,
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
        created_at_us -> BigInt,
        admin -> Bool,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        username -> Text,
        csrf -> Text,
        created_at_us -> BigInt,
        seen_at_us -> BigInt,
    }
}

diesel::table! {
    grants (username, namespace) {
        username -> Text,
        namespace -> Text,
        can_write -> Bool,
    }
}

diesel::table! {
    namespaces (name) {
        name -> Text,
        description -> Text,
        value_schema -> Nullable<Text>,
        revision -> BigInt,
        live_records -> BigInt,
        live_bytes -> BigInt,
        created_at_us -> BigInt,
        digest -> Nullable<Binary>,
        reviews_required -> BigInt,
        recipient -> Nullable<Text>,
    }
}

diesel::table! {
    secret_grants (namespace, recipient) {
        namespace -> Text,
        recipient -> Text,
        wrapped -> Text,
        granted_by -> Text,
        granted_at_us -> BigInt,
    }
}

diesel::table! {
    tokens (name) {
        name -> Text,
        token_hash -> Text,
        can_write -> Bool,
        namespaces -> Text,
        created_at_us -> BigInt,
        expires_at_us -> Nullable<BigInt>,
        last_used_us -> Nullable<BigInt>,
    }
}

diesel::table! {
    history (namespace, record_key, revision) {
        namespace -> Text,
        record_key -> Text,
        revision -> BigInt,
        value -> Nullable<Text>,
        author -> Text,
        at_us -> BigInt,
        expires_at_us -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit (revision) {
        revision -> BigInt,
        at_us -> BigInt,
        author -> Text,
        address -> Text,
        method -> Text,
        namespace -> Text,
        keys_changed -> BigInt,
        comment -> Text,
        review -> Nullable<Text>,
    }
}

diesel::table! {
    change_requests (id) {
        id -> BigInt,
        namespace -> Text,
        author -> Text,
        base_revision -> BigInt,
        changes -> Text,
        comment -> Text,
        state -> Text,
        created_at_us -> BigInt,
        closed_at_us -> Nullable<BigInt>,
        closed_by -> Nullable<Text>,
        revision -> Nullable<BigInt>,
    }
}

diesel::table! {
    change_reviews (request_id, reviewer) {
        request_id -> BigInt,
        reviewer -> Text,
        verdict -> Text,
        comment -> Text,
        at_us -> BigInt,
    }
}

diesel::table! {
    fleet_edges (name, address) {
        name -> Text,
        address -> Text,
        version -> Text,
        namespaces -> Text,
        revision -> BigInt,
        in_step -> Bool,
        digest -> Text,
        hold_us -> BigInt,
        first_seen_us -> BigInt,
        last_pull_us -> BigInt,
        labels -> Text,
        health -> Text,
        health_reason -> Text,
        gray -> Text,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        kind -> Text,
        namespace -> Text,
        payload -> Text,
        at_us -> BigInt,
    }
}

diesel::table! {
    webhook_cursors (webhook) {
        webhook -> Text,
        last_event -> BigInt,
        owner -> Text,
        lease_until_us -> BigInt,
        attempts -> BigInt,
        next_attempt_us -> BigInt,
        failing_since_us -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_deliveries (webhook, event_id, attempt) {
        webhook -> Text,
        event_id -> BigInt,
        attempt -> BigInt,
        at_us -> BigInt,
        outcome -> Text,
        status -> Nullable<BigInt>,
        error -> Text,
    }
}

diesel::table! {
    webhooks (name) {
        name -> Text,
        url -> Text,
        secret -> Text,
        events -> Text,
        namespaces -> Text,
        created_by -> Text,
        created_at_us -> BigInt,
    }
}

diesel::table! {
    gray_releases (id) {
        id -> BigInt,
        namespace -> Text,
        author -> Text,
        base_revision -> BigInt,
        changes -> Text,
        target -> Text,
        comment -> Text,
        state -> Text,
        version -> BigInt,
        created_at_us -> BigInt,
        updated_at_us -> BigInt,
        closed_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        revision -> Nullable<BigInt>,
        auto -> Nullable<Text>,
        request_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    gray_steps (release_id, seq) {
        release_id -> BigInt,
        seq -> BigInt,
        at_us -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        reason -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    records,
    meta,
    namespaces,
    history,
    audit,
    grants,
    users,
    tokens,
    console_sessions,
    fleet_edges,
    change_requests,
    change_reviews,
    gray_releases,
    gray_steps,
    webhook_events,
    webhook_cursors,
    webhook_deliveries,
    webhooks,
    secret_grants
);
