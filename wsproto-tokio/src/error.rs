//! The driver's error: what can go wrong around a connection, by culprit.

use std::fmt;
use std::io;

use wsproto::handshake::UsageError;
use wsproto::{AnswerError, SendError};

/// Why a driver call failed.
///
/// The culprits are kept apart: the transport ([`Error::Io`]), the peer or
/// the clock ([`Error::Connection`], the core's own error: a refused
/// handshake, a protocol violation, a timeout), and the caller (a bad URL,
/// a send the protocol does not allow now).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (connect, read, write). The connection is over.
    Io(io::Error),
    /// (Client) The URL or the client options cannot make a handshake.
    Url(UsageError),
    /// (Client) A `wss://` URL given to [`connect`](crate::connect) in a
    /// build without the feature `rustls`: enable it, or open a TLS stream
    /// and use [`client`](crate::client) over it.
    TlsRequired,
    /// (Client) The TCP connection (and for `wss://` the TLS handshake) was
    /// not established within the handshake timeout ([`Config::handshake_timeout`](wsproto::Config::handshake_timeout)).
    ConnectTimeout,
    /// The connection failed, as the core reported it: the server refused
    /// the upgrade ([`wsproto::Error::Response`], with the status), a bad
    /// upgrade request, a protocol violation (the close frame with its code
    /// was sent), a keepalive, handshake or close timeout, the transport
    /// ending without a close handshake.
    Connection(wsproto::Error),
    /// (Server) The request callback rejected the upgrade; the response
    /// with this status was sent and the transport closed.
    Rejected {
        /// The status sent.
        status: u16,
    },
    /// The connection is over (closed cleanly, or aborted): nothing more
    /// can be sent. A failure is reported as [`Error::Connection`] instead.
    Closed,
    /// A send the protocol does not allow with these arguments (a control
    /// payload over 125 bytes, an invalid close code, a fragment of the
    /// wrong kind, the output limit); nothing was queued.
    Send(SendError),
    /// (Server) The request callback's answer was invalid (a subprotocol
    /// the client did not offer, a malformed header).
    Answer(AnswerError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "transport error: {e}"),
            Error::Url(e) => write!(f, "cannot connect: {e}"),
            Error::TlsRequired => f.write_str(
                "wss:// needs TLS: enable the rustls feature of wsproto-tokio, or use wsproto_tokio::client",
            ),
            Error::ConnectTimeout => f.write_str("connecting (TCP, TLS) timed out"),
            Error::Connection(e) => write!(f, "{e}"),
            Error::Rejected { status } => write!(f, "the upgrade request was rejected with {status}"),
            Error::Closed => f.write_str("the connection is closed"),
            Error::Send(e) => write!(f, "not sent: {e}"),
            Error::Answer(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Url(e) => Some(e),
            Error::Connection(e) => Some(e),
            Error::Send(e) => Some(e),
            Error::Answer(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}
