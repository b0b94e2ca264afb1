//! Error types: peer faults with their close codes, the error that ends a
//! connection, and API misuse.

use core::fmt;

use crate::close::CloseCode;
use crate::frame::{FrameError, OpCode};

/// The peer broke RFC 6455 (or a limit) in what it sent after the handshake.
/// Each variant knows the close code to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame header was invalid or over the frame limit.
    Frame(FrameError),
    /// A text message, or a close reason, was not UTF-8 (1007).
    InvalidUtf8,
    /// A message grew past [`Config::max_message_size`](crate::Config::max_message_size) (1009).
    MessageTooLarge {
        /// The configured limit.
        max: u64,
    },
    /// A message was split into more than [`Config::max_fragments`](crate::Config::max_fragments) frames (1009).
    TooManyFragments {
        /// The configured limit.
        max: usize,
    },
    /// A continuation frame arrived with no fragmented message in progress (1002).
    UnexpectedContinuation,
    /// A new text or binary frame arrived while a fragmented message was
    /// still in progress (1002).
    ExpectedContinuation(OpCode),
    /// A close frame carried a one-byte payload (1002).
    ClosePayloadTooShort,
    /// A close frame carried a code that may not appear on the wire (1002).
    InvalidCloseCode(u16),
    /// Compression was used where it is not allowed: RSV1 on a continuation
    /// or control frame (RFC 7692 §6.1) (1002).
    Compression(&'static str),
    /// A compressed message could not be inflated (1007).
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code this fault is answered with.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::Frame(error) => error.close_code(),
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            ProtocolError::MessageTooLarge { .. } | ProtocolError::TooManyFragments { .. } => {
                CloseCode::MESSAGE_TOO_BIG
            }
            ProtocolError::UnexpectedContinuation
            | ProtocolError::ExpectedContinuation(_)
            | ProtocolError::ClosePayloadTooShort
            | ProtocolError::InvalidCloseCode(_)
            | ProtocolError::Compression(_) => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl From<FrameError> for ProtocolError {
    fn from(error: FrameError) -> Self {
        ProtocolError::Frame(error)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Frame(error) => write!(f, "bad frame: {error}"),
            ProtocolError::InvalidUtf8 => f.write_str("invalid UTF-8 in a text message or close reason"),
            ProtocolError::MessageTooLarge { max } => write!(f, "message exceeds the limit of {max} bytes"),
            ProtocolError::TooManyFragments { max } => write!(f, "message split into more than {max} frames"),
            ProtocolError::UnexpectedContinuation => f.write_str("continuation frame with no message in progress"),
            ProtocolError::ExpectedContinuation(op) => {
                write!(f, "{op:?} frame while a fragmented message is in progress")
            }
            ProtocolError::ClosePayloadTooShort => f.write_str("close frame with a one-byte payload"),
            ProtocolError::InvalidCloseCode(code) => write!(f, "close code {code} is not allowed on the wire"),
            ProtocolError::Compression(what) => write!(f, "compression error: {what}"),
            ProtocolError::InvalidCompressedData => f.write_str("a compressed message could not be inflated"),
        }
    }
}

impl std::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtocolError::Frame(error) => Some(error),
            _ => None,
        }
    }
}

/// What ended a connection abnormally; reported once, as
/// [`Event::Failed`](crate::Event::Failed), just before
/// [`Event::Closed`](crate::Event::Closed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated the protocol; we sent a close frame with
    /// [`ProtocolError::close_code`] and read no further.
    Protocol(ProtocolError),
    /// (Server) The upgrade request was refused: malformed, not WebSocket,
    /// over the limits. The matching HTTP error response was queued.
    Request(crate::handshake::RequestError),
    /// (Client) The server's response refused the upgrade (a status other
    /// than 101, carried in the error) or failed the RFC 6455 checks.
    Response(crate::handshake::ResponseError),
    /// The opening handshake did not finish within
    /// [`Config::handshake_timeout`](crate::Config::handshake_timeout).
    HandshakeTimeout,
    /// Keepalive: nothing arrived within
    /// [`Config::pong_timeout`](crate::Config::pong_timeout) of a ping.
    KeepaliveTimeout,
    /// The peer did not answer our close frame within
    /// [`Config::close_timeout`](crate::Config::close_timeout).
    CloseTimeout,
    /// The transport ended before the close handshake.
    UnexpectedEof,
    /// (Server) More than `limit` bytes arrived after the upgrade request
    /// while it waited for [`accept`](crate::Connection::accept) or
    /// [`reject`](crate::Connection::reject): a client must wait for the
    /// response before sending frames (RFC 6455 §4.1), so at most one
    /// frame of the largest size allowed is kept. Nothing was sent.
    InputBeforeOpen {
        /// The most bytes kept: one frame header and the frame limit.
        limit: u64,
    },
    /// (Client) The server's permessage-deflate answer broke RFC 7692 §7.1
    /// or matched none of our offers.
    #[cfg(feature = "deflate")]
    Deflate(crate::deflate::NegotiationError),
    /// The app handed in more input than
    /// [`Config::input_limit`](crate::Config::input_limit) while events went
    /// unpolled; the connection closed with 1011 rather than hold more.
    InputOverflow {
        /// The most undecoded input held.
        limit: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(error) => write!(f, "protocol error: {error}"),
            Error::Request(error) => write!(f, "bad upgrade request: {error}"),
            Error::Response(error) => write!(f, "upgrade failed: {error}"),
            Error::HandshakeTimeout => f.write_str("the opening handshake timed out"),
            Error::KeepaliveTimeout => f.write_str("keepalive timeout: the peer stopped answering"),
            Error::CloseTimeout => f.write_str("the peer did not answer our close frame in time"),
            Error::UnexpectedEof => f.write_str("the transport closed without a close handshake"),
            Error::InputBeforeOpen { limit } => {
                write!(f, "more than {limit} bytes arrived before the upgrade request was answered")
            }
            #[cfg(feature = "deflate")]
            Error::Deflate(error) => write!(f, "permessage-deflate negotiation failed: {error}"),
            Error::InputOverflow { limit } => write!(f, "more than {limit} bytes of input held unpolled"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Protocol(error) => Some(error),
            Error::Request(error) => Some(error),
            Error::Response(error) => Some(error),
            #[cfg(feature = "deflate")]
            Error::Deflate(error) => Some(error),
            _ => None,
        }
    }
}

/// A command that is not allowed now or with these arguments. Nothing was
/// queued and the connection is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is not open yet (handshake in progress).
    NotOpen,
    /// A close frame has been sent or the connection has ended: no more data
    /// may be sent (RFC 6455 §5.5.1).
    Closed,
    /// A whole message was sent while a fragmented one is in progress, or a
    /// fragment of the other kind.
    FragmentInProgress,
    /// A control frame payload (ping, pong) over 125 bytes.
    ControlPayloadTooLong(usize),
    /// A close reason over 123 bytes.
    CloseReasonTooLong(usize),
    /// A close code that may not be sent (1005, 1006, 1015 and unassigned ranges).
    InvalidCloseCode(CloseCode),
    /// Queuing this would pass [`Config::max_output_buffer`](crate::Config::max_output_buffer).
    OutputFull {
        /// Bytes already queued.
        queued: usize,
        /// Bytes this send needed.
        needed: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Not valid in this state (for example `accept` on a client, or twice).
    InvalidState(&'static str),
    /// The handshake answer chose something the client did not offer, or
    /// carried a malformed header.
    Handshake(crate::handshake::UsageError),
    /// The permessage-deflate answer in the
    /// [`AcceptOptions`](crate::handshake::AcceptOptions) is malformed or
    /// allowed by none of the client's offers.
    #[cfg(feature = "deflate")]
    Deflate(crate::deflate::NegotiationError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotOpen => f.write_str("the connection is not open yet"),
            SendError::Closed => f.write_str("the connection is closing or closed"),
            SendError::FragmentInProgress => f.write_str("a fragmented message of another kind is in progress"),
            SendError::ControlPayloadTooLong(len) => write!(f, "control payload of {len} bytes exceeds 125"),
            SendError::CloseReasonTooLong(len) => write!(f, "close reason of {len} bytes exceeds 123"),
            SendError::InvalidCloseCode(code) => write!(f, "close code {code} may not be sent"),
            SendError::OutputFull { queued, needed, limit } => {
                write!(f, "output queue full: {queued} queued + {needed} needed > {limit}")
            }
            SendError::InvalidState(what) => write!(f, "not allowed now: {what}"),
            SendError::Handshake(error) => write!(f, "invalid handshake answer: {error}"),
            #[cfg(feature = "deflate")]
            SendError::Deflate(error) => write!(f, "invalid permessage-deflate answer: {error}"),
        }
    }
}

impl std::error::Error for SendError {}
