//! Events: what a connection reports to the application.

use bytes::Bytes;

use crate::close::CloseCode;
use crate::error::Error;
use crate::text::Utf8Bytes;

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// Something that happened on a connection, from
/// [`Connection::poll_event`](crate::Connection::poll_event).
///
/// A connection's events always follow this order: (server) one
/// [`Event::Request`]; one [`Event::Open`] if the handshake succeeds; then
/// messages, pings and pongs; then at most one [`Event::Failed`]; and last,
/// exactly once, [`Event::Closed`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// (Server) An upgrade request arrived. Answer it with
    /// [`Connection::accept`](crate::Connection::accept) or
    /// [`Connection::reject`](crate::Connection::reject).
    Request(Box<crate::handshake::Request>),
    /// The handshake finished: the connection is open (`webSocketDidOpen`).
    Open(Open),
    /// A whole text message (`didReceiveMessage`).
    Text(Utf8Bytes),
    /// A whole binary message (`didReceiveMessage`).
    Binary(Bytes),
    /// In streaming mode ([`Config::streaming`](crate::Config::streaming)),
    /// the next piece of a message as it arrives. Pieces need not match the
    /// frames on the wire. A text message's pieces are valid UTF-8 together,
    /// but a piece may end in the middle of a character.
    Fragment {
        /// The message's kind.
        kind: MessageKind,
        /// The bytes of this piece.
        data: Bytes,
        /// Whether this piece ends the message.
        fin: bool,
    },
    /// The peer sent a ping; unless
    /// [`Config::auto_pong`](crate::Config::auto_pong) is off, the pong is
    /// already queued.
    Ping(Bytes),
    /// The peer sent a pong.
    Pong(Bytes),
    /// The connection failed (`didFailWithError`). Followed by
    /// [`Event::Closed`].
    Failed(Error),
    /// The connection is over (`didCloseWithCode:reason:wasClean`). Always
    /// the last event, emitted exactly once.
    Closed(Closed),
}

/// The handshake's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Open {
    /// The negotiated subprotocol, if any.
    pub subprotocol: Option<String>,
    /// The negotiated extensions, as they appeared in `Sec-WebSocket-Extensions`.
    pub extensions: Vec<crate::handshake::ExtensionOffer>,
    /// What carries the connection, which decides how it ends.
    pub transport: Transport,
}

/// What carries a WebSocket, which decides how the transport ends after the
/// close handshake
/// ([`Connection::should_close_transport`](crate::Connection::should_close_transport)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Transport {
    /// A connection of its own: an HTTP/1.1 connection upgraded (RFC 6455),
    /// or any byte stream the WebSocket has to itself. After the close
    /// handshake the server closes the transport first; the client waits
    /// for that (its EOF) up to
    /// [`Config::close_timeout`](crate::Config::close_timeout)
    /// (RFC 6455 §7.1.1).
    #[default]
    Upgraded,
    /// One stream of a multiplexed HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220)
    /// connection, opened by extended CONNECT. Once both close frames have
    /// passed, each side ends its half of the stream (END_STREAM, or a QUIC
    /// FIN) at once, the client as well: there is no TCP connection of the
    /// WebSocket's own to wait for (RFC 8441 §5). A stream reset is a
    /// failure: the driver reports it with
    /// [`Connection::handle_eof`](crate::Connection::handle_eof), which
    /// fails the connection ([`Error::UnexpectedEof`](crate::Error::UnexpectedEof),
    /// code 1006) unless the close handshake had already finished.
    ExtendedConnect,
}

impl Open {
    /// No subprotocol and no extension.
    pub fn new() -> Open {
        Open::default()
    }

    /// Sets the negotiated subprotocol.
    pub fn with_subprotocol(mut self, subprotocol: impl Into<String>) -> Open {
        self.subprotocol = Some(subprotocol.into());
        self
    }

    /// Adds a negotiated extension.
    pub fn with_extension(mut self, extension: crate::handshake::ExtensionOffer) -> Open {
        self.extensions.push(extension);
        self
    }

    /// Sets what carries the connection.
    pub fn with_transport(mut self, transport: Transport) -> Open {
        self.transport = transport;
        self
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// After a close handshake, the code in the peer's close frame
    /// ([`CloseCode::NO_STATUS`] if it had none). After a failure, always
    /// [`CloseCode::ABNORMAL`] (1006), whatever close frame we sent: the
    /// close handshake did not complete (RFC 6455 §7.1.5). The code we sent
    /// for a protocol error is [`ProtocolError::close_code`](crate::ProtocolError::close_code)
    /// of the error in the [`Event::Failed`](crate::Event::Failed) before.
    pub code: CloseCode,
    /// The close reason that goes with `code`.
    pub reason: String,
    /// Whether both sides sent and received a close frame.
    pub was_clean: bool,
}

/// An event from [`Connection::poll_event_ref`](crate::Connection::poll_event_ref):
/// whole messages are lent from the connection's buffers instead of handed
/// out as [`Bytes`] (no reference count, no copy); every other event is the
/// owned [`Event`].
///
/// The loan lasts until the next call on the connection; copy what must
/// outlive it.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventRef<'a> {
    /// A whole text message.
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// Any other event, as [`Connection::poll_event`](crate::Connection::poll_event)
    /// reports it (never [`Event::Text`] or [`Event::Binary`]).
    Other(Event),
}
