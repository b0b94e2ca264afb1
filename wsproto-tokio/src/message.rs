//! What the stream yields and the sink takes.

use std::sync::Arc;

use bytes::Bytes;
use wsproto::{CloseCode, MessageKind, PreparedMessage, Utf8Bytes};

/// A WebSocket message or control frame.
///
/// The stream yields `Text`, `Binary`, `Ping` and `Pong` (and `Fragment`
/// in the core's streaming mode); it never yields `Close`: a clean close
/// ends the stream, and [`WebSocket::closed`](crate::WebSocket::closed)
/// tells its code and reason. The sink takes every variant; `Close`
/// starts the close handshake.
///
/// Received payloads are split from the connection's input buffer, not
/// copied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A whole text message.
    Text(Utf8Bytes),
    /// A whole binary message.
    Binary(Bytes),
    /// A ping. One received is answered automatically (unless
    /// [`Config::auto_pong`](wsproto::Config::auto_pong) is off); the pong
    /// leaves with the next read or flush.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// A piece of a message: received in streaming mode
    /// ([`Config::streaming`](wsproto::Config::streaming)), or sent for a
    /// message produced piece by piece
    /// ([`Connection::send_fragment`](wsproto::Connection::send_fragment)).
    Fragment {
        /// The message's kind.
        kind: MessageKind,
        /// This piece.
        data: Bytes,
        /// Whether it ends the message.
        fin: bool,
    },
    /// (Sink only) Start the close handshake with this code and reason
    /// (at most 123 bytes).
    Close {
        /// The close code; must be valid on the wire.
        code: CloseCode,
        /// The reason.
        reason: String,
    },
    /// (Sink only) A message framed once, and compressed once where the
    /// connection's parameters allow it, for a broadcast: the same bytes go
    /// to every connection it is fed to
    /// ([`Connection::send_prepared`](wsproto::Connection::send_prepared)).
    Prepared(Arc<PreparedMessage>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Message {
        Message::Binary(data.into())
    }

    /// A prepared message, shared (see [`Message::Prepared`]).
    pub fn prepared(message: Arc<PreparedMessage>) -> Message {
        Message::Prepared(message)
    }

    /// A close with `code` and `reason`.
    pub fn close(code: CloseCode, reason: impl Into<String>) -> Message {
        Message::Close { code, reason: reason.into() }
    }
}
