//! What the driver's echo servers (tokio_echo, hyper_upgrade) do with a
//! connection, so both behave as the std::net echo server does for the
//! interop tests and the Autobahn suite.

use std::fmt::Display;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use wsproto::handshake::{AcceptOptions, Rejection, Request};
use wsproto_tokio::{Message, WebSocket};

/// Accepts every upgrade request, choosing the first offered subprotocol
/// (a testee, not a policy).
pub fn answer(request: &Request) -> Result<AcceptOptions, Rejection> {
    let mut options = AcceptOptions::new();
    if let Some(first) = request.subprotocols().first() {
        options = options.with_subprotocol(first.clone());
    }
    Ok(options)
}

/// Echoes every text and binary message until the connection is over, then
/// logs how it ended (code, reason, cleanliness, subprotocol) to stderr,
/// prefixed with `peer`. Echoes are fed as messages arrive and flushed
/// when no more is waiting, so a burst goes back in one write.
pub async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut ws: WebSocket<S>, peer: &(dyn Display + Sync)) {
    loop {
        // `next` is cancel-safe: trying it without waiting loses nothing.
        let message = match ws.next().now_or_never() {
            Some(message) => message,
            None => {
                if let Err(e) = ws.flush().await {
                    eprintln!("{peer}: {e}");
                }
                ws.next().await
            }
        };
        match message {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                // Fails only once the connection is closing; the stream says why.
                let _ = ws.feed(message).await;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => eprintln!("{peer}: {e}"),
            None => break,
        }
    }
    if let Some(closed) = ws.closed() {
        eprintln!(
            "{peer}: closed: code {} reason {:?} clean {} subprotocol {:?}",
            closed.code,
            closed.reason,
            closed.was_clean,
            ws.connection().subprotocol()
        );
    }
}
