//! The HTTP body of a held call (`rpc::LaterBody`). Its head (200, the
//! Content-Type) goes out when the call is held, its body when the call
//! ends, chunked, as the length is not known before. Meanwhile the
//! connection holds this stream and the call's own future, nothing of the
//! request: actix-web's request, its headers and the handler are gone.
//! The request counts as in flight, and is timed, until the body is out.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::web::Bytes;
use futures_util::Stream;

use crate::metrics::InFlight;
use crate::rpc::{body::Body, LaterBody};

/// A held call's reply body, then its pieces.
pub struct LaterStream {
    body: Option<Pin<Box<dyn Future<Output = Body>>>>,
    pieces: std::vec::IntoIter<Bytes>,
    /// Counted as answered (200) when the body is ready.
    request: Option<(InFlight, Instant)>,
}

impl LaterStream {
    pub fn new(body: LaterBody, in_flight: InFlight, started: Instant) -> LaterStream {
        LaterStream {
            body: Some(body.into_future()),
            pieces: Vec::new().into_iter(),
            request: Some((in_flight, started)),
        }
    }
}

impl Stream for LaterStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(body) = &mut this.body {
            let Poll::Ready(body) = body.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            this.body = None;
            this.pieces = body.into_chunks().into_iter();
            if let Some((in_flight, started)) = this.request.take() {
                in_flight.answered(200, started);
            }
        }
        Poll::Ready(this.pieces.next().map(Ok))
    }
}
