//! One event POSTed to one webhook, signed as Standard Webhooks says.

use super::*;

impl Deliverer {
    /// POSTs `event` to `hook`, signed.
    pub(super) async fn send(&self, hook: &Hook, event: &EventRow) -> Sent {
        let url = &hook.settings.url;
        if let Some(ip) = literal_host(url).filter(|ip| !self.allow_private && !is_public(*ip)) {
            return Sent::Failed {
                status: None,
                why: format!("{ip} is not a public address (server.webhook_allow_private)"),
            };
        }
        let id = format!("evt_{}", event.id);
        let timestamp = now_us() / 1_000_000;
        let body = event.payload.as_bytes();
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature(&hook.key, &id, timestamp, body),
            )
            .body(event.payload.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Sent::Delivered(r.status().as_u16()),
            Ok(r) => Sent::Failed {
                status: Some(r.status().as_u16()),
                why: format!("answered {}", r.status()),
            },
            Err(e) => Sent::Failed {
                status: None,
                why: error_chain(&e),
            },
        }
    }
}

/// An error with its causes, for the delivery log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}
