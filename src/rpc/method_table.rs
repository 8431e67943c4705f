//! The one table of methods: name, params (the required ones first),
//! result, protocols, permission and help. Introspection, the OpenRPC
//! document, the method browser and `bind` all read it.

use super::registry::{Method, MethodInfo, Offered::*, Permission::*, Ty};

const NS: (&str, Ty) = ("namespace", Ty::String);

#[rustfmt::skip]
pub fn info(method: Method) -> &'static MethodInfo {
    match method {
        Method::RecordsList => &MethodInfo { name: "records.list", params: &[NS], required: 0, returns: Ty::Array, offered: Both, permission: Read,
            help: "Returns every record of namespace (default: default) as {key, value, revision, updated_at[, expires_at]}, ordered by key. \
                   A signing center adds the namespace's signed digest as a Syncdict-Signature header." },
        Method::RecordsGet => &MethodInfo { name: "records.get", params: &[("key", Ty::String), NS], required: 1, returns: Ty::Struct, offered: Both, permission: Read,
            help: "Returns the record stored under key in namespace; an error (-32002) if there is none." },
        Method::RecordsPut => &MethodInfo { name: "records.put", params: &[("key", Ty::String), ("value", Ty::Any), NS, ("expires_in", Ty::Double), ("expires_at", Ty::String)], required: 2, returns: Ty::Int, offered: Both, permission: Write,
            help: "Stores any JSON value under key (1 to 255 bytes of UTF-8) in namespace and returns the new revision. \
                   A value that violates the namespace's schema is refused (-32602). With expires_in (seconds) or \
                   expires_at (RFC 3339), the center deletes the record at that time as an ordinary change (author \
                   expired); without, it never expires." },
        Method::RecordsDelete => &MethodInfo { name: "records.delete", params: &[("key", Ty::String), NS], required: 1, returns: Ty::Boolean, offered: Both, permission: Write,
            help: "Deletes the record under key in namespace; returns true if it existed, false otherwise." },
        Method::RecordsChanges => &MethodInfo { name: "records.changes", params: &[("since", Ty::Int), ("namespaces", Ty::Array), ("wait", Ty::Double)], required: 1, returns: Ty::Struct, offered: Both, permission: Read,
            help: "Returns the net change after revision since. Without namespaces: {revision, full, upserts, deletes} \
                   for the default namespace, deletes as keys. With a list of namespaces: {revision, full, namespaces: \
                   {name: {upserts, deletes}}}; a list of only * stands for every namespace the caller may read, as they are now. full is true (upserts then hold every record) when since is 0, older \
                   than the kept tombstones, or ahead of the store. With wait (seconds, held at most server.max_hold), \
                   a request that would change nothing in those namespaces is held until a change arrives or wait passes." },
        Method::RecordsApply => &MethodInfo { name: "records.apply", params: &[("changes", Ty::Struct), NS, ("if_revision", Ty::Int), ("comment", Ty::String)], required: 1, returns: Ty::Struct, offered: Both, permission: Write,
            help: "Commits {upserts: {key: value, ...}, deletes: [key, ...]} in namespace at one revision, or nothing; \
                   expires_in: {key: seconds} or expires_at: {key: time} give upserted keys an expiry. \
                   With if_revision, refused (-32009) if the namespace changed after it. Returns {revision, upserts, \
                   deletes}; revision is null when nothing changed. comment (at most 1000 characters) lands in the audit log." },
        Method::RecordsHistory => &MethodInfo { name: "records.history", params: &[("key", Ty::String), NS, ("limit", Ty::Int)], required: 1, returns: Ty::Array, offered: Both, permission: Read,
            help: "The writes of key in namespace, newest first (limit, default 100, at most 1000): {revision, value, \
                   deleted, author, at}." },
        Method::RecordsAt => &MethodInfo { name: "records.at", params: &[("revision", Ty::Int), NS], required: 1, returns: Ty::Struct, offered: Both, permission: Read,
            help: "The namespace as it was at revision: {revision, records: [{key, value}]}; -32010 if the revision is \
                   older than server.history_retention keeps." },
        Method::RecordsSearch => &MethodInfo { name: "records.search", params: &[NS, ("prefix", Ty::String), ("contains", Ty::String), ("after", Ty::String), ("limit", Ty::Int)], required: 0, returns: Ty::Struct, offered: Both, permission: Read,
            help: "One page of namespace's records in key order: keys starting with prefix and/or containing contains \
                   (case-insensitive), after the key after, at most limit (default 100, at most 1000). Returns {namespace, \
                   revision (its last change), total (its records), records, next (the after of the next page, or null)}. \
                   A substring search reads at most 100,000 keys per call, then answers with next where it stopped." },
        Method::NamespacesList => &MethodInfo { name: "namespaces.list", params: &[], required: 0, returns: Ty::Array, offered: Both, permission: Read,
            help: "Every namespace: {name, description, records, bytes, revision (its last change), schema (or null)}." },
        Method::NamespacesCreate => &MethodInfo { name: "namespaces.create", params: &[("name", Ty::String), ("description", Ty::String)], required: 1, returns: Ty::Boolean, offered: Both, permission: WriteAll,
            help: "Creates a namespace: a-z, 0-9, '.', '_', '-', at most 64, starting with a letter or digit. -32012 if it exists." },
        Method::NamespacesDelete => &MethodInfo { name: "namespaces.delete", params: &[("name", Ty::String), ("force", Ty::Boolean)], required: 1, returns: Ty::Struct, offered: Both, permission: WriteAll,
            help: "Deletes a namespace with its history; refused (-32011) while it has records unless force is true. \
                   default cannot be deleted. Returns {revision, records}." },
        Method::NamespacesSetSchema => &MethodInfo { name: "namespaces.set_schema", params: &[("name", Ty::String), ("schema", Ty::Any)], required: 2, returns: Ty::Boolean, offered: Both, permission: Write,
            help: "Sets the namespace's JSON Schema (draft 2020-12) for values, or clears it with null. Refused \
                   (-32602) if it is not a valid schema or existing records violate it (the first few are listed)." },
        Method::NamespacesRollback => &MethodInfo { name: "namespaces.rollback", params: &[("namespace", Ty::String), ("revision", Ty::Int), ("if_revision", Ty::Int), ("dry_run", Ty::Boolean)], required: 2, returns: Ty::Struct, offered: Both, permission: Write,
            help: "Makes the namespace equal to its state at revision, as one new revision: returns {revision, upserts, \
                   deletes}. Any revision within server.history_retention. With if_revision, refused (-32009) if the \
                   namespace changed after it; with dry_run, commits nothing and returns the change set it would: \
                   {dry_run: true, upserts: {key: value}, deletes: [key], expires_at: {key: time}}." },
        Method::NamespacesTimeline => &MethodInfo { name: "namespaces.timeline", params: &[("namespace", Ty::String), ("before", Ty::Int), ("limit", Ty::Int)], required: 1, returns: Ty::Array, offered: Both, permission: Read,
            help: "The namespace's change sets before revision before (default: all), newest first, at most limit \
                   (default 100, at most 1000): {revision, at, author, address, method, namespace, keys, comment}." },
        Method::TokensList => &MethodInfo { name: "tokens.list", params: &[], required: 0, returns: Ty::Array, offered: Both, permission: Admin,
            help: "Every token (administrators): {name, namespaces, write, created_at, expires_at, last_used}; never the token itself." },
        Method::TokensAdd => &MethodInfo { name: "tokens.add", params: &[("name", Ty::String), ("write", Ty::Boolean), ("namespaces", Ty::Array), ("expires_in", Ty::Double)], required: 1, returns: Ty::Struct, offered: Both, permission: Admin,
            help: "Makes a token (administrators): read on namespaces (default every one), write too with write, valid for \
                   expires_in seconds (default until revoked). Returns {name, token, expires_at}: the token is shown this \
                   once (only its hash is kept)." },
        Method::TokensRevoke => &MethodInfo { name: "tokens.revoke", params: &[("name", Ty::String)], required: 1, returns: Ty::Boolean, offered: Both, permission: Admin,
            help: "Revokes a token (administrators), on every center within server.revision_check_interval; true if it existed." },
        Method::UsersList => &MethodInfo { name: "users.list", params: &[], required: 0, returns: Ty::Array, offered: Both, permission: Admin,
            help: "Every user (administrators): {name, admin, grants: {namespace or *: read or write}, created_at}." },
        Method::UsersAdd => &MethodInfo { name: "users.add", params: &[("name", Ty::String), ("password", Ty::String), ("write", Ty::Boolean), ("admin", Ty::Boolean)], required: 2, returns: Ty::Boolean, offered: Both, permission: Admin,
            help: "Adds a user (administrators) reading every namespace, writing too with write; admin makes it an \
                   administrator (who also writes). The password needs at least 8 characters." },
        Method::UsersUpdate => &MethodInfo { name: "users.update", params: &[("name", Ty::String), ("password", Ty::String), ("admin", Ty::Boolean), ("grants", Ty::Struct)], required: 1, returns: Ty::Boolean, offered: Both, permission: Admin,
            help: "Changes a user (administrators): a new password (its console sessions end), whether it is an \
                   administrator, and grants {namespace or *: read, write, or null to revoke}. An administrator \
                   cannot demote itself. false if there is no such user." },
        Method::UsersRemove => &MethodInfo { name: "users.remove", params: &[("name", Ty::String)], required: 1, returns: Ty::Boolean, offered: Both, permission: Admin,
            help: "Removes a user with its grants and console sessions (administrators; not oneself); false if there was none." },
        Method::FleetList => &MethodInfo { name: "fleet.list", params: &[("state", Ty::String), ("limit", Ty::Int), ("offset", Ty::Int)], required: 0, returns: Ty::Struct, offered: Both, permission: Admin,
            help: "The edges that pulled from the centers on this database within server.fleet_window (administrators): \
                   {totals: {current, lagging, silent}, count, edges: [{name, address, version, namespaces, revision, newest, \
                   lag_revisions, lag_seconds, digest, in_step, state, first_seen, last_pull}]}, lagging first, then silent, \
                   then current; only state if given; limit (default 100, at most 1000) from offset." },
        Method::AuditList => &MethodInfo { name: "audit.list", params: &[("since_revision", Ty::Int), ("limit", Ty::Int)], required: 0, returns: Ty::Array, offered: Both, permission: ReadAll,
            help: "One entry per committed revision after since_revision (oldest first; without it the newest), at \
                   most limit (default 100, at most 1000): {revision, at, author, address, method, namespace, keys, comment}." },
        Method::TestRpcMyRpc => &MethodInfo { name: "testrpc.MyRPC", params: &[], required: 0, returns: Ty::Array, offered: Both, permission: Read,
            help: "The records.list rows, each also under the original model's field names \
                   (name and value), for clients of the original rpc4django center." },
        Method::ListMethods => &MethodInfo { name: "system.listMethods", params: &[], required: 0, returns: Ty::Array, offered: Both, permission: Read,
            help: "Returns the names of all methods." },
        Method::MethodHelp => &MethodInfo { name: "system.methodHelp", params: &[("name", Ty::String)], required: 1, returns: Ty::String, offered: Both, permission: Read,
            help: "Returns the help text of the named method." },
        Method::MethodSignature => &MethodInfo { name: "system.methodSignature", params: &[("name", Ty::String)], required: 1, returns: Ty::Array, offered: Both, permission: Read,
            help: "Returns the signatures of the named method: [[return type, param types...], ...], one per number of params." },
        Method::Multicall => &MethodInfo { name: "system.multicall", params: &[("calls", Ty::Array)], required: 1, returns: Ty::Array, offered: XmlOnly, permission: Read,
            help: "XML-RPC only: runs each {methodName, params} in order, each judged on its own; returns \
                   [result] or a fault struct per call." },
        Method::Discover => &MethodInfo { name: "rpc.discover", params: &[], required: 0, returns: Ty::Struct, offered: JsonOnly, permission: Read,
            help: "JSON-RPC only: returns the OpenRPC 1.3 document describing these methods." },
    }
}
