//! A hostile upstream for an edge: every pull gets the same bad answer.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Declares a 400 MB reply.
    Huge,
    /// Sends an endless reply with no length.
    Endless,
    /// A negative revision, then an empty full dataset, in turns.
    Revision,
    /// Redirects the POST elsewhere.
    Redirect,
}

pub async fn serve(port: u16, mode: Mode) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let mut turn = 0u64;
    loop {
        let (mut stream, _) = listener.accept().await?;
        turn += 1;
        tokio::task::spawn_local(async move {
            let mut request = vec![0u8; 64 * 1024];
            let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut request)).await;
            let _ = answer(&mut stream, mode, turn).await;
        });
    }
}

async fn answer(stream: &mut tokio::net::TcpStream, mode: Mode, turn: u64) -> std::io::Result<()> {
    let json = |body: String| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    match mode {
        Mode::Huge => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 419430400\r\n\r\n")
                .await?;
            stream_spaces(stream).await
        }
        Mode::Endless => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
                .await?;
            stream_spaces(stream).await
        }
        Mode::Revision => {
            let result = if turn.is_multiple_of(2) {
                r#"{"revision":-5,"full":true,"upserts":[],"deletes":[]}"#
            } else {
                r#"{"revision":999999,"full":true,"upserts":[],"deletes":[]}"#
            };
            let body = format!(r#"{{"jsonrpc":"2.0","result":{result},"id":1}}"#);
            stream.write_all(json(body).as_bytes()).await
        }
        Mode::Redirect => {
            stream
                .write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n")
                .await
        }
    }
}

/// Spaces until the client goes away (at most 1 GiB).
async fn stream_spaces(stream: &mut tokio::net::TcpStream) -> std::io::Result<()> {
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..16 * 1024 {
        stream.write_all(&chunk).await?;
    }
    Ok(())
}
