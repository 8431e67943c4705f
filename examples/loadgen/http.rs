//! One HTTP/1.1 exchange per connection, from a chosen loopback source
//! address, written by hand on purpose: edges open a connection per pull,
//! and a generator that must open tens of thousands of them a minute on the
//! same two cores as the server has to spend as little CPU as it can (a
//! pooled HTTP client would neither reconnect nor stay this cheap).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The TLS config `https://` targets use (`--tls-ca`), set once at start.
pub static TLS: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();

/// A TLS client trusting only the PEM CA in `path`, with session
/// resumption (each simulated edge gets its own cache, `own_sessions`).
pub fn tls_trusting(path: &std::path::Path) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(path)? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Longest wait for one exchange.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request did not get a good answer.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("timed out")]
    Timeout,
    #[error("malformed reply: {0}")]
    Malformed(String),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("JSON-RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
}

/// A URL or credentials the generator cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(String);

/// Where a URL points.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
    /// `https://`: the TLS config (its session cache is shared by every
    /// clone of this target).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Target {
    /// `http://IP:PORT/path` (or `https://` with `--tls-ca`); the generator
    /// only speaks to loopback addresses.
    pub fn parse(url: &str) -> Result<Target, Usage> {
        let (rest, tls) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(rest), _) => (rest, None),
            (_, Some(rest)) => {
                let tls = TLS
                    .get()
                    .ok_or_else(|| Usage(format!("{url:?}: https:// needs --tls-ca")))?;
                (rest, Some(tls.clone()))
            }
            _ => return Err(Usage(format!("{url:?} is not an http:// URL"))),
        };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr: SocketAddr = host
            .parse()
            .map_err(|_| Usage(format!("{url:?}: the host must be IP:PORT")))?;
        if !addr.ip().is_loopback() {
            return Err(Usage(format!(
                "{url:?}: only loopback addresses are load-tested"
            )));
        }
        Ok(Target {
            addr,
            host: host.into(),
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            tls,
        })
    }

    /// The same target with a TLS session cache of its own (`resume`), or
    /// none (every connection a full handshake), as one edge has.
    pub fn own_sessions(&self, resume: bool) -> Target {
        let tls = self.tls.as_ref().map(|base| {
            let mut config = (**base).clone();
            config.resumption = match resume {
                true => rustls::client::Resumption::in_memory_sessions(4),
                false => rustls::client::Resumption::disabled(),
            };
            Arc::new(config)
        });
        Target {
            tls,
            ..self.clone()
        }
    }

    /// The same server at another path.
    pub fn at(&self, path: &str) -> Target {
        Target {
            path: path.into(),
            ..self.clone()
        }
    }
}

/// A reply: status, head (for headers) and body.
pub struct Reply {
    pub status: u16,
    head: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value, parsed.
    pub fn header<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name)
                .then(|| v.trim().parse().ok())?
        })
    }

    /// The `result` of a JSON-RPC reply with HTTP 200.
    pub fn result<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        #[derive(Deserialize)]
        struct Envelope<T> {
            result: Option<T>,
            error: Option<ErrorBody>,
        }
        #[derive(Deserialize)]
        struct ErrorBody {
            code: i64,
            message: String,
        }
        self.ok()?;
        let envelope: Envelope<T> =
            serde_json::from_slice(&self.body).map_err(|e| Failure::Malformed(e.to_string()))?;
        match (envelope.result, envelope.error) {
            (_, Some(e)) => Err(Failure::Rpc {
                code: e.code,
                message: e.message,
            }),
            (Some(result), None) => Ok(result),
            (None, None) => Err(Failure::Malformed("neither result nor error".into())),
        }
    }

    /// HTTP 200, or the failure.
    pub fn ok(&self) -> Result<(), Failure> {
        if self.status == 200 {
            return Ok(());
        }
        let shown = String::from_utf8_lossy(&self.body[..self.body.len().min(120)]).into_owned();
        Err(Failure::Status {
            status: self.status,
            body: shown,
        })
    }
}

/// The source address of simulated client `i`: spreading connections over
/// 127.0.0.0/8 keeps ephemeral ports plentiful at tens of thousands of
/// connections a minute.
pub fn source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, (i / 250 % 250) as u8, (i % 250 + 1) as u8)
}

/// One exchange on a fresh connection from `from`: `GET` when `body` is
/// `None`, else `POST` of JSON; `authorization` is a header value.
pub async fn exchange(
    t: &Target,
    from: Ipv4Addr,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Result<Reply, Failure> {
    exchange_typed(t, from, "application/json", authorization, body).await
}

/// `exchange` with the body's Content-Type given.
pub async fn exchange_typed(
    t: &Target,
    from: Ipv4Addr,
    content_type: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Result<Reply, Failure> {
    let attempt = async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(from.into(), 0))?;
        let stream = socket.connect(t.addr).await?;
        let method = if body.is_some() { "POST" } else { "GET" };
        let body = body.unwrap_or("");
        let mut request = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            t.path,
            t.host,
            body.len()
        );
        if let Some(value) = authorization {
            request.push_str(&format!("Authorization: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        let reply = match &t.tls {
            None => talk(stream, &request).await?,
            Some(config) => {
                let name = rustls::pki_types::ServerName::IpAddress(t.addr.ip().into());
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                talk(connector.connect(name, stream).await?, &request).await?
            }
        };
        parse(reply)
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .map_err(|_| Failure::Timeout)?
}

/// Writes the request and reads until the server closes (a TLS peer that
/// closes without close_notify after a whole reply is not an error here).
async fn talk(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    request: &str,
) -> std::io::Result<Vec<u8>> {
    stream.write_all(request.as_bytes()).await?;
    let mut reply = Vec::with_capacity(1024);
    match stream.read_to_end(&mut reply).await {
        Ok(_) => Ok(reply),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !reply.is_empty() => Ok(reply),
        Err(e) => Err(e),
    }
}

fn parse(mut reply: Vec<u8>) -> Result<Reply, Failure> {
    let malformed = |what: &str| Failure::Malformed(what.into());
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| malformed("no HTTP head"))?;
    let body = reply.split_off(end + 4);
    let head = String::from_utf8(reply).map_err(|_| malformed("head is not text"))?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| malformed("no status"))?;
    Ok(Reply { status, head, body })
}

/// The `Authorization` value for Basic credentials `user:password`, as
/// reqwest writes it.
pub fn basic(user_pass: &str) -> Result<String, Usage> {
    let bad = |why: String| Usage(format!("credentials: {why}"));
    let (user, password) = user_pass
        .split_once(':')
        .ok_or_else(|| bad("write them as USER:PASSWORD".into()))?;
    // Building a reqwest client needs a TLS provider, even for http://.
    syncdict::tls::install_default_provider();
    let request = reqwest::Client::new()
        .get("http://127.0.0.1/")
        .basic_auth(user, Some(password))
        .build()
        .map_err(|e| bad(e.to_string()))?;
    request.headers()[reqwest::header::AUTHORIZATION]
        .to_str()
        .map(String::from)
        .map_err(|e| bad(e.to_string()))
}

/// A JSON-RPC 2.0 request body.
pub fn rpc_body(method: &str, params: serde_json::Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_and_credentials() {
        let raw = b"HTTP/1.1 200 OK\r\nX-Data-Revision: 7\r\n\r\n{\"jsonrpc\":\"2.0\",\"result\":{\"revision\":42},\"id\":1}".to_vec();
        let reply = parse(raw).unwrap();
        assert_eq!(reply.header::<i64>("x-data-revision"), Some(7));
        #[derive(Deserialize)]
        struct Changes {
            revision: i64,
        }
        assert_eq!(reply.result::<Changes>().unwrap().revision, 42);
        let error = parse(
            b"HTTP/1.1 200 OK\r\n\r\n{\"error\":{\"code\":-32001,\"message\":\"down\"}}".to_vec(),
        )
        .unwrap();
        assert!(matches!(
            error.result::<Changes>(),
            Err(Failure::Rpc { code: -32001, .. })
        ));
        assert!(parse(b"garbage".to_vec()).is_err());
        assert_eq!(
            basic("bench:bench-password").unwrap(),
            "Basic YmVuY2g6YmVuY2gtcGFzc3dvcmQ="
        );
        assert!(
            Target::parse("http://10.0.0.1:80/RPC").is_err(),
            "loopback only"
        );
        assert_eq!(Target::parse("http://127.0.0.1:8080").unwrap().path, "/");
    }
}
