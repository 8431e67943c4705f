//! How the edge identifies itself to its upstreams: `client.token`,
//! `client.token_file` or `client.username`, or credentials in the URL.

use crate::configuration::{ClientSettings, UpstreamUrl};

/// Why `client.token_file` gave no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("client.token_file {}: {error}", .path.display())]
    Unreadable {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("client.token_file {}: empty", .0.display())]
    Empty(std::path::PathBuf),
}

/// How the edge identifies itself to its upstreams (credentials written
/// in an upstream's URL win for that upstream).
#[derive(Clone, Default)]
pub enum UpstreamAuth {
    #[default]
    None,
    Basic(String, Option<String>),
    Bearer(String),
}

impl UpstreamAuth {
    /// From `client.token`, `client.token_file` or `client.username`.
    pub fn from_settings(c: &ClientSettings) -> Result<UpstreamAuth, TokenFileError> {
        if let Some(token) = &c.token {
            return Ok(UpstreamAuth::Bearer(token.trim().to_string()));
        }
        if let Some(path) = &c.token_file {
            let text =
                std::fs::read_to_string(path).map_err(|error| TokenFileError::Unreadable {
                    path: path.clone(),
                    error,
                })?;
            let token = text.lines().next().unwrap_or("").trim().to_string();
            if token.is_empty() {
                return Err(TokenFileError::Empty(path.clone()));
            }
            return Ok(UpstreamAuth::Bearer(token));
        }
        Ok(match &c.username {
            Some(user) => UpstreamAuth::Basic(user.clone(), c.password.clone()),
            None => UpstreamAuth::None,
        })
    }

    pub fn is_some(&self) -> bool {
        !matches!(self, UpstreamAuth::None)
    }
}

/// `request` with the edge's credentials for `upstream` (credentials in
/// the upstream's URL win over the client's own).
pub(in crate::edge::actors) fn authorize(
    request: reqwest::RequestBuilder,
    upstream: &UpstreamUrl,
    auth: &UpstreamAuth,
) -> reqwest::RequestBuilder {
    match (upstream.credentials(), auth) {
        (Some((user, password)), _) => request.basic_auth(user, Some(password)),
        (None, UpstreamAuth::Basic(user, password)) => {
            request.basic_auth(user, password.as_deref())
        }
        (None, UpstreamAuth::Bearer(token)) => request.bearer_auth(token),
        (None, UpstreamAuth::None) => request,
    }
}
