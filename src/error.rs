//! Error types: peer faults with their close codes, the error that ends a
//! connection, misuse of the sending API and of the handshake answer.

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
    /// Compression was used where it is not allowed (RFC 7692 §6.1) (1002).
    Compression(CompressionViolation),
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
            ProtocolError::Compression(violation) => write!(f, "compression error: {violation}"),
            ProtocolError::InvalidCompressedData => f.write_str("a compressed message could not be inflated"),
        }
    }
}

/// Where a peer used compression that RFC 7692 §6.1 does not allow: only
/// the first frame of a data message may carry RSV1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompressionViolation {
    /// RSV1 was set on a control frame.
    Rsv1OnControlFrame,
    /// RSV1 was set on a continuation frame.
    Rsv1OnContinuation,
}

impl fmt::Display for CompressionViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompressionViolation::Rsv1OnControlFrame => "RSV1 set on a control frame",
            CompressionViolation::Rsv1OnContinuation => "RSV1 set on a continuation frame",
        })
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
    /// Our own compressor failed, a fault of this side and never expected:
    /// the send that met it returned [`SendError::Compressor`], and a close
    /// frame with 1011 (internal error) was queued.
    #[cfg(feature = "deflate")]
    Compressor(crate::deflate::CompressError),
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
            #[cfg(feature = "deflate")]
            Error::Compressor(error) => write!(f, "internal error: {error}"),
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
            #[cfg(feature = "deflate")]
            Error::Compressor(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a send or close command failed: not allowed now or with these
/// arguments (nothing was queued and the connection is unchanged), or,
/// with [`SendError::Compressor`] alone, an internal failure that ended
/// the connection. [`Connection::accept`](crate::Connection::accept) and
/// [`Connection::reject`](crate::Connection::reject) fail with
/// [`AnswerError`] instead.
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
    /// Not a misuse: our compressor failed (a broken backend state, never
    /// expected). Nothing of this send was queued. The compression
    /// context can no longer be trusted to match the peer's, so the
    /// connection has failed: a close frame with 1011 (internal error) is
    /// queued, and [`Error::Compressor`] is reported. Sends fail with
    /// [`SendError::Closed`] from now on.
    ///
    /// A variant of its own rather than an error type for internal faults:
    /// it is the only one, and it is met only while sending.
    #[cfg(feature = "deflate")]
    Compressor(crate::deflate::CompressError),
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
            #[cfg(feature = "deflate")]
            SendError::Compressor(error) => write!(f, "internal error: {error}"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "deflate")]
            SendError::Compressor(error) => Some(error),
            _ => None,
        }
    }
}

/// Why [`Connection::accept`](crate::Connection::accept) or
/// [`Connection::reject`](crate::Connection::reject) refused to answer: a
/// fault of the caller, never the peer's. Nothing was queued and the
/// connection is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerError {
    /// A client connection: only a server answers an upgrade request.
    NotServer,
    /// No upgrade request has been reported yet (wait for
    /// [`Event::Request`](crate::Event::Request)).
    NoRequestYet,
    /// The handshake is over: the request was answered already, the
    /// connection failed before an answer (a refused request, the handshake
    /// timeout, [`Error::InputBeforeOpen`]), or it was opened without one.
    HandshakeOver,
    /// The answer chose something the client did not offer, or carried a
    /// malformed header or status.
    Invalid(crate::handshake::UsageError),
    /// The permessage-deflate answer in the
    /// [`AcceptOptions`](crate::handshake::AcceptOptions) is malformed or
    /// allowed by none of the client's offers.
    #[cfg(feature = "deflate")]
    Deflate(crate::deflate::NegotiationError),
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::NotServer => f.write_str("only a server answers an upgrade request"),
            AnswerError::NoRequestYet => f.write_str("no upgrade request has arrived yet"),
            AnswerError::HandshakeOver => f.write_str("the opening handshake is over"),
            AnswerError::Invalid(error) => write!(f, "invalid handshake answer: {error}"),
            #[cfg(feature = "deflate")]
            AnswerError::Deflate(error) => write!(f, "invalid permessage-deflate answer: {error}"),
        }
    }
}

impl std::error::Error for AnswerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AnswerError::Invalid(error) => Some(error),
            #[cfg(feature = "deflate")]
            AnswerError::Deflate(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::close::MAX_CLOSE_REASON;
    use crate::frame::FrameError;
    use crate::rng::PredictableRandom;
    use crate::{Config, Connection, Event, Open, Role};

    /// A client frame, masked with the zero key (the payload is unchanged).
    fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![first];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(payload);
        frame
    }

    /// Feeds `wire` to an open connection and returns the error it failed
    /// with and the payload of every close frame it sent.
    fn fail(role: Role, deflate: bool, config: Config, wire: &[u8]) -> (Option<ProtocolError>, Vec<Vec<u8>>) {
        let mut open = Open::new();
        if deflate {
            open = open.with_extension(crate::handshake::ExtensionOffer::new("permessage-deflate"));
        }
        let now = Instant::now();
        let mut conn = Connection::open_with_random(role, open, config, PredictableRandom::new(3), now);
        conn.handle_input(now, wire);
        let error = std::iter::from_fn(|| conn.poll_event()).find_map(|e| match e {
            Event::Failed(Error::Protocol(error)) => Some(error),
            _ => None,
        });
        let out: Vec<u8> = std::iter::from_fn(|| conn.poll_transmit()).flat_map(|b| b.to_vec()).collect();
        (error, close_payloads(&out))
    }

    /// The payloads of the (unmasked, server-sent or masked client-sent)
    /// close frames in `out`.
    fn close_payloads(mut out: &[u8]) -> Vec<Vec<u8>> {
        let mut closes = Vec::new();
        while out.len() >= 2 {
            let masked = out[1] & 0x80 != 0;
            let (len, mut at) = match out[1] & 0x7f {
                126 => (u16::from_be_bytes([out[2], out[3]]) as usize, 4),
                127 => (u64::from_be_bytes(out[2..10].try_into().unwrap()) as usize, 10),
                len => (len as usize, 2),
            };
            let key = if masked {
                at += 4;
                out[at - 4..at].to_vec()
            } else {
                vec![0; 4]
            };
            let payload: Vec<u8> = out[at..at + len].iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
            if out[0] & 0x0f == 0x8 {
                closes.push(payload);
            }
            out = &out[at + len..];
        }
        closes
    }

    /// Each fault, the input that causes it and the connection it is fed
    /// to. The match is exhaustive: a new variant must get a case here.
    fn cases() -> Vec<(ProtocolError, Role, bool, Config, Vec<u8>)> {
        let small = Config::default().max_message_size(10).max_fragments(2);
        let errors = [
            ProtocolError::Frame(FrameError::ReservedBits { bits: 0b010 }),
            ProtocolError::Frame(FrameError::ReservedOpcode(3)),
            ProtocolError::Frame(FrameError::ControlFrameTooLong),
            ProtocolError::Frame(FrameError::FragmentedControlFrame),
            ProtocolError::Frame(FrameError::LengthMsbSet),
            ProtocolError::Frame(FrameError::NonMinimalLength),
            ProtocolError::Frame(FrameError::UnmaskedFrame),
            ProtocolError::Frame(FrameError::MaskedFrame),
            ProtocolError::Frame(FrameError::PayloadTooLarge { len: (1 << 63) - 1, max: 10 }),
            ProtocolError::InvalidUtf8,
            ProtocolError::MessageTooLarge { max: 10 },
            ProtocolError::TooManyFragments { max: 2 },
            ProtocolError::UnexpectedContinuation,
            ProtocolError::ExpectedContinuation(OpCode::Binary),
            ProtocolError::ClosePayloadTooShort,
            ProtocolError::InvalidCloseCode(1005),
            ProtocolError::Compression(CompressionViolation::Rsv1OnControlFrame),
            ProtocolError::Compression(CompressionViolation::Rsv1OnContinuation),
            ProtocolError::InvalidCompressedData,
        ];
        errors
            .into_iter()
            .map(|error| {
                let server = Role::Server;
                let (role, deflate, config, wire) = match &error {
                    ProtocolError::Frame(frame) => match frame {
                        FrameError::ReservedBits { .. } => (server, false, Config::default(), masked(0xa1, b"")),
                        FrameError::ReservedOpcode(_) => (server, false, Config::default(), masked(0x83, b"")),
                        FrameError::ControlFrameTooLong => (server, false, Config::default(), masked(0x89, &[0; 126])),
                        FrameError::FragmentedControlFrame => (server, false, Config::default(), masked(0x09, b"")),
                        FrameError::LengthMsbSet => {
                            let mut wire = vec![0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0];
                            wire.extend_from_slice(&[0; 4]);
                            (server, false, Config::default(), wire)
                        }
                        FrameError::NonMinimalLength => {
                            let wire = vec![0x82, 0xfe, 0, 5, 0, 0, 0, 0, 1, 2, 3, 4, 5];
                            (server, false, Config::default(), wire)
                        }
                        FrameError::UnmaskedFrame => (server, false, Config::default(), vec![0x81, 0x01, b'a']),
                        FrameError::MaskedFrame => (Role::Client, false, Config::default(), masked(0x81, b"a")),
                        FrameError::PayloadTooLarge { .. } => {
                            let mut wire = vec![0x82, 0xff];
                            wire.extend_from_slice(&((1u64 << 63) - 1).to_be_bytes());
                            wire.extend_from_slice(&[0; 4]);
                            (server, false, Config::default().max_frame_payload(10), wire)
                        }
                    },
                    ProtocolError::InvalidUtf8 => (server, false, Config::default(), masked(0x81, b"\xff")),
                    ProtocolError::MessageTooLarge { .. } => {
                        let wire = [masked(0x02, &[1; 8]), masked(0x80, &[2; 8])].concat();
                        (server, false, small.clone(), wire)
                    }
                    ProtocolError::TooManyFragments { .. } => {
                        let wire = [masked(0x02, b"a"), masked(0x00, b"b"), masked(0x80, b"c")].concat();
                        (server, false, small.clone(), wire)
                    }
                    ProtocolError::UnexpectedContinuation => (server, false, Config::default(), masked(0x80, b"")),
                    ProtocolError::ExpectedContinuation(_) => {
                        (server, false, Config::default(), [masked(0x01, b"a"), masked(0x82, b"b")].concat())
                    }
                    ProtocolError::ClosePayloadTooShort => (server, false, Config::default(), masked(0x88, &[3])),
                    ProtocolError::InvalidCloseCode(_) => {
                        (server, false, Config::default(), masked(0x88, &1005u16.to_be_bytes()))
                    }
                    ProtocolError::Compression(CompressionViolation::Rsv1OnControlFrame) => {
                        (server, true, Config::default(), masked(0xc9, b""))
                    }
                    ProtocolError::Compression(CompressionViolation::Rsv1OnContinuation) => {
                        (server, true, Config::default(), [masked(0x42, b"\x02"), masked(0xc0, b"\x00")].concat())
                    }
                    ProtocolError::InvalidCompressedData => (server, true, Config::default(), masked(0xc2, &[0xff; 8])),
                };
                (error, role, deflate, config, wire)
            })
            .collect()
    }

    /// Every fault's close frame fits a control frame (2 bytes of code and
    /// at most 123 of reason), carries the fault's code and its whole
    /// `Display` text: no reason needs cutting.
    #[test]
    fn every_fault_closes_with_a_frame_of_at_most_125_bytes() {
        for (error, role, deflate, config, wire) in cases() {
            if deflate && cfg!(not(feature = "deflate")) {
                continue;
            }
            let (failed, closes) = fail(role, deflate, config, &wire);
            assert_eq!(failed.as_ref(), Some(&error));
            assert_eq!(closes.len(), 1, "{error:?}");
            let close = &closes[0];
            assert!(close.len() <= 125, "{error:?}: {} bytes", close.len());
            assert_eq!(close[..2], error.close_code().0.to_be_bytes(), "{error:?}");
            assert_eq!(close[2..], *error.to_string().as_bytes(), "{error:?}");
        }
    }

    /// The longest text each fault can have (numbers at their largest)
    /// fits a close reason whole.
    #[test]
    fn fault_texts_fit_a_close_reason() {
        let longest = [
            ProtocolError::Frame(FrameError::ReservedBits { bits: 0b111 }),
            ProtocolError::Frame(FrameError::ReservedOpcode(0xff)),
            ProtocolError::Frame(FrameError::PayloadTooLarge { len: u64::MAX, max: u64::MAX }),
            ProtocolError::MessageTooLarge { max: u64::MAX },
            ProtocolError::TooManyFragments { max: usize::MAX },
            ProtocolError::ExpectedContinuation(OpCode::Continuation),
            ProtocolError::InvalidCloseCode(u16::MAX),
            ProtocolError::Compression(CompressionViolation::Rsv1OnContinuation),
        ];
        for error in longest.into_iter().chain(cases().into_iter().map(|case| case.0)) {
            let text = error.to_string();
            assert!(text.len() <= MAX_CLOSE_REASON, "{error:?}: {} bytes: {text}", text.len());
        }
    }
}
