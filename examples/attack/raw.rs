//! Requests that do not finish: a body trickled and held, a body declared
//! huge. Each answers the status the server gave, if any.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http::{Failure, Target};

async fn connect(t: &Target, from: Ipv4Addr) -> Result<tokio::net::TcpStream, Failure> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.into(), 0))?;
    Ok(socket.connect(t.addr).await?)
}

/// The status line of whatever the server sends within `wait`.
async fn status(stream: &mut tokio::net::TcpStream, wait: Duration) -> Result<u16, Failure> {
    let mut head = vec![0u8; 64];
    let n = tokio::time::timeout(wait, stream.read(&mut head))
        .await
        .map_err(|_| Failure::Timeout)??;
    String::from_utf8_lossy(&head[..n])
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Failure::Malformed("no status".into()))
}

/// Promises 100 bytes, sends 10, then holds the connection for `hold`.
pub async fn trickle(t: &Target, from: Ipv4Addr, hold: Duration) -> Result<u16, Failure> {
    let mut stream = connect(t, from).await?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\"",
        t.path, t.host
    );
    stream.write_all(head.as_bytes()).await?;
    status(&mut stream, hold).await
}

/// Declares a `bytes`-long body with credentials and sends 64 KiB of it.
pub async fn declare_huge(
    t: &Target,
    from: Ipv4Addr,
    authorization: &str,
    bytes: u64,
) -> Result<u16, Failure> {
    let mut stream = connect(t, from).await?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: {authorization}\r\nContent-Length: {bytes}\r\n\r\n",
        t.path, t.host
    );
    stream.write_all(head.as_bytes()).await?;
    // The server may answer and close before taking it all.
    let _ = stream.write_all(&vec![b' '; 64 * 1024]).await;
    status(&mut stream, Duration::from_secs(10)).await
}
