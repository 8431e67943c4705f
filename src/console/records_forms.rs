//! The forms of a namespace's page: the JSON editor with the staged
//! change set, import and export, the schema, and the delete.

use maud::{html, Markup};
use serde_json::Value;

use crate::center::ConsoleUser;
use crate::domain::Namespace;

pub(super) fn editor(user: &ConsoleUser, ns: &Namespace, found: &Value, info: &Value) -> Markup {
    let reviewed = info["reviews_required"].as_i64().unwrap_or(0) > 0;
    html! {
        section.card #editor-card {
            h2 { "Edit" }
            p.hint { "Edits are staged here, checked against the namespace's schema, and published together as one change set." }
            div.row { button.secondary type="button" #new-record { "New record" } }
            form #editor hidden {
                label for="edit-key" { "Key" }
                input #edit-key type="text" maxlength="255" required autocomplete="off";
                label for="edit-value" { "Value (JSON)" }
                textarea #edit-value rows="10" spellcheck="false" required {}
                div #edit-errors role="alert" aria-live="assertive" {}
                div.row {
                    button.primary type="submit" #stage { "Stage" }
                    button.secondary type="button" #cancel-edit { "Cancel" }
                }
            }
        }
        section.card #staged-card hidden {
            h2 { "Staged changes " span.count #staged-count {} }
            div #staged {}
            form #publish method="post" action=(format!("/console/ns/{ns}/publish")) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="changes" #publish-changes;
                input type="hidden" name="if_revision" #publish-base value=(found["revision"]);
                label for="comment" { "Comment (kept in the audit log)" }
                input #comment type="text" name="comment" maxlength="1000" placeholder="What and why";
                div.row {
                    button.primary type="submit" #publish-button hidden[reviewed] data-verb="Publish" { "Publish" }
                    button class=(if reviewed { "primary" } else { "secondary" }) type="submit" name="step" value="propose" #propose-button { "Propose for review" }
                    @if !reviewed { button.secondary type="submit" name="step" value="gray" #gray-button { "Release to some edges first" } }
                    button.secondary type="button" #discard { "Discard all" }
                }
            }
        }
    }
}

pub(super) fn transfer_card(user: &ConsoleUser, ns: &Namespace, may_write: bool) -> Markup {
    html! {
        details.card #transfer-card {
            summary { h2 { "Import and export" } }
            form.inline method="get" action=(format!("/console/ns/{ns}/export")) {
                label for="export-at" { "Download, as it is now or at a revision" }
                div.row {
                    input #export-at type="text" name="at" inputmode="numeric" placeholder="revision (empty: now)";
                    button.secondary type="submit" name="format" value="json" { "JSON" }
                    button.secondary type="submit" name="format" value="ndjson" { "NDJSON" }
                    button.secondary type="submit" name="format" value="csv" { "CSV" }
                }
            }
            @if may_write {
                form.stack #import method="post" action=(format!("/console/ns/{ns}/import")) {
                    input type="hidden" name="csrf" value=(user.csrf);
                    label for="import-file" { "Upload a file (JSON object, NDJSON lines {key, value}, or CSV key,value) or paste it below" }
                    input #import-file type="file" accept=".json,.ndjson,.jsonl,.csv";
                    textarea #import-data name="data" rows="6" spellcheck="false" required {}
                    label for="import-format" { "Format" }
                    select #import-format name="format" {
                        option value="json" { "JSON" } option value="ndjson" { "NDJSON" } option value="csv" { "CSV" }
                    }
                    label.check { input type="checkbox" name="replace"; " Replace: remove the keys the file lacks" }
                    button.primary type="submit" { "Dry run" }
                }
            }
        }
    }
}

pub(super) fn schema_form(user: &ConsoleUser, ns: &Namespace, info: &Value) -> Markup {
    let current = match &info["schema"] {
        Value::Null => String::new(),
        s => serde_json::to_string_pretty(s).unwrap_or_default(),
    };
    html! {
        details.card #schema-card {
            summary { h2 { "Schema" } span.meta { @if current.is_empty() { "none" } @else { "set" } } }
            form.stack method="post" action=(format!("/console/ns/{ns}/schema")) {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="schema" { "JSON Schema (draft 2020-12) every value must match; empty to clear" }
                textarea #schema name="schema" rows="8" spellcheck="false" { (current) }
                button.primary type="submit" { "Save schema" }
            }
        }
    }
}

pub(super) fn delete_form(user: &ConsoleUser, ns: &Namespace) -> Markup {
    html! {
        details.card.danger-zone {
            summary { h2 { "Delete this namespace" } }
            form.stack method="post" action=(format!("/console/ns/{ns}/delete")) {
                input type="hidden" name="csrf" value=(user.csrf);
                p { "Deletes the namespace with its history. Edges pulling it get an error." }
                label for="confirm" { "Type " code { (ns.as_str()) } " to confirm" }
                input #confirm type="text" name="confirm" autocomplete="off" required;
                label.check { input type="checkbox" name="force"; " Delete its records too" }
                button.danger type="submit" { "Delete namespace" }
            }
        }
    }
}

/// A secret namespace's key: its recipient and who holds it (never a
/// value: they are sealed in this browser before they are sent).
pub(super) fn secret_card(keys: &Value) -> Markup {
    let empty = Vec::new();
    let grants = keys["grants"].as_array().unwrap_or(&empty);
    html! {
        section.card #secret {
            h2 { "Secret" }
            p.hint { "Values are sealed in this browser to the namespace's recipient before they are sent: the center stores and shows only ciphertext. Holders and edges granted the key open them (syncdict secrets get, client.identity_file)." }
            p { "Recipient " code #recipient { (keys["recipient"].as_str().unwrap_or("")) } }
            div.scroll {
                table.list #grants {
                    thead { tr { th { "Granted to" } th { "By" } th { "When" } } }
                    tbody {
                        @for g in grants {
                            tr { td { code { (g["recipient"].as_str().unwrap_or("")) } } td { (g["granted_by"].as_str().unwrap_or("")) } td.time { (g["granted_at"].as_str().unwrap_or("")) } }
                        }
                    }
                }
            }
        }
    }
}
