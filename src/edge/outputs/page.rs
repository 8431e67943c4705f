//! The outputs' section of the edge's page.

use maud::{html, Markup};

use super::OutputStatus;

/// One row per output: its file, how it is kept, and what went wrong last.
pub fn section(outputs: &[OutputStatus]) -> Markup {
    html! {
        @if !outputs.is_empty() {
            section.outputs {
                h2 { "Outputs" }
                table {
                    thead { tr { th { "file" } th { "format" } th { "revision" } th { "written" } th { "unchanged" } th { "failed" } th { "last written" } th { "last error" } } }
                    tbody {
                        @for o in outputs {
                            tr {
                                td { code { (o.path) } }
                                td { (o.format) }
                                td { (o.revision) }
                                td { (o.writes) }
                                td { (o.unchanged) }
                                td { (o.render_failures + o.check_failures + o.command_failures) }
                                td { (o.last_written.as_deref().unwrap_or("—")) }
                                td.error { (o.last_error.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
    }
}
