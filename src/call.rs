//! `syncdict call`: a small JSON-RPC client for any endpoint.

use serde_json::{json, Value};

use crate::configuration::Settings;

/// Why a call printed no result.
#[derive(Debug, thiserror::Error)]
pub enum CallFailure {
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url}: HTTP {status}: {body}")]
    Http {
        url: String,
        status: u16,
        body: String,
    },
    #[error("JSON-RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("{url}: the reply is not a JSON-RPC response")]
    Malformed { url: String },
    #[error("cannot ask for a password without a terminal ({0}); set SYNCDICT_PASSWORD instead")]
    Prompt(#[from] std::io::Error),
}

/// This process's own /RPC, from the settings.
pub fn default_url(settings: &Settings) -> String {
    settings.server.local_rpc_url(settings.server.port)
}

/// Each param as JSON; one that is not valid JSON is taken as a string, so
/// `records.put greeting '"hello"'` works (quote a string that looks like
/// JSON, such as `'"123"'`).
pub fn parse_params(params: &[String]) -> Vec<Value> {
    params
        .iter()
        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.clone())))
        .collect()
}

/// `(user, password)`, the password from `SYNCDICT_PASSWORD` or a prompt.
pub fn credentials(user: String) -> Result<(String, String), CallFailure> {
    let password = match std::env::var("SYNCDICT_PASSWORD") {
        Ok(p) => p,
        Err(_) => rpassword::prompt_password(format!("Password for {user}: "))?,
    };
    Ok((user, password))
}

/// Calls `method` at `url` (with Basic credentials if given) and returns its result.
pub async fn call(
    url: &str,
    credentials: Option<(String, String)>,
    method: &str,
    params: Vec<Value>,
) -> Result<Value, CallFailure> {
    let transport = |e: reqwest::Error| CallFailure::Transport {
        url: url.to_string(),
        message: e.to_string(),
    };
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some((user, password)) = credentials {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(transport)?;
    if status != 200 && !text.trim_start().starts_with('{') {
        return Err(CallFailure::Http {
            url: url.to_string(),
            status,
            body: text.chars().take(300).collect(),
        });
    }
    let mut reply: Value = serde_json::from_str(&text).map_err(|_| CallFailure::Malformed {
        url: url.to_string(),
    })?;
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        return Err(CallFailure::Rpc {
            code: error["code"].as_i64().unwrap_or(0),
            message: error["message"].as_str().unwrap_or("").to_string(),
        });
    }
    reply
        .get_mut("result")
        .map(Value::take)
        .ok_or(CallFailure::Malformed {
            url: url.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn params_are_json_or_else_strings() {
        let args: Vec<String> = ["greeting", "\"hello\"", "12", "{\"a\":[1]}", "\"123\""]
            .map(String::from)
            .into();
        assert_eq!(
            super::parse_params(&args),
            vec![
                json!("greeting"),
                json!("hello"),
                json!(12),
                json!({"a": [1]}),
                json!("123")
            ]
        );
    }
}
