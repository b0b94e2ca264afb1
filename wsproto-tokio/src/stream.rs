//! `Stream` and `Sink` of [`Message`]s for [`WebSocket`].

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use wsproto::{CloseCode, Event, SendError, State};

use crate::socket::{Half, WebSocket};
use crate::{Error, Message};

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    /// The next received message. `None` once the connection is over and
    /// the transport shut down; a failure comes out once as
    /// [`Error::Connection`] (or [`Error::Io`]) just before. Cancel-safe.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            let event = match ready!(this.poll_event(cx)) {
                Ok(Some(event)) => event,
                Ok(None) => {
                    this.done = true;
                    return Poll::Ready(this.failure.as_deref().cloned().map(|e| Err(Error::Connection(e))));
                }
                Err(e) => {
                    while let Some(event) = this.conn.poll_event() {
                        this.record(event);
                    }
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
            };
            // Matched here, not through `record`: a message is moved once.
            let message = match event {
                Event::Text(text) => Message::Text(text),
                Event::Binary(data) => Message::Binary(data),
                Event::Ping(data) => Message::Ping(data),
                Event::Pong(data) => Message::Pong(data),
                Event::Fragment { kind, data, fin } => Message::Fragment { kind, data, fin },
                // `Open` and `Request` belong to the handshake, already over.
                other => {
                    this.record(other);
                    continue;
                }
            };
            return Poll::Ready(Some(Ok(message)));
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// The error for a send refused by the connection.
    fn send_error(&self, error: SendError) -> Error {
        match (error, &self.failure) {
            (SendError::Closed, Some(failure)) => Error::Connection((**failure).clone()),
            (SendError::Closed, None) => Error::Closed,
            (error, _) => Error::Send(error),
        }
    }

    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_write_out(cx, Half::Sink).map_err(Error::Io)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    /// Ready while at most the write buffer limit is queued; writes what it
    /// can first. Fails once the connection is over.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.state() != State::Open {
            return Poll::Ready(Err(this.send_error(SendError::Closed)));
        }
        if this.conn.buffered_amount() <= this.write_limit {
            return Poll::Ready(Ok(()));
        }
        match this.poll_output(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ if this.conn.buffered_amount() <= this.write_limit => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }

    /// Queues `message` in the connection; nothing is written until
    /// `poll_flush` (or the limit makes `poll_ready` write).
    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        let this = self.get_mut();
        let conn = &mut this.conn;
        let sent = match message {
            Message::Text(text) => conn.send_text(text),
            Message::Binary(data) => conn.send_binary(data),
            Message::Ping(data) => conn.ping(data),
            Message::Pong(data) => conn.pong(data),
            Message::Fragment { kind, data, fin } => conn.send_fragment(kind, data, fin),
            Message::Close { code, reason } => conn.close(crate::now(), code, &reason),
            Message::Prepared(message) => conn.send_prepared(&message),
        };
        sent.map_err(|e| this.send_error(e))
    }

    /// Writes everything queued (one vectored write when the transport
    /// takes it all) and flushes the transport.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_output(cx)
    }

    /// Starts the close handshake with 1000 (if it is not under way) and
    /// writes the close frame. The peer's answer is read by the stream,
    /// which ends when the handshake is over.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.state() == State::Open {
            let _ = this.conn.close(crate::now(), CloseCode::NORMAL, "");
        }
        this.poll_output(cx)
    }
}
