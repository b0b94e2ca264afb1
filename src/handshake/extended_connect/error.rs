//! Extended CONNECT errors: a request a server refuses, a response a client
//! refuses.

use core::fmt;

use crate::handshake::{ExtensionParseError, HeaderName, Headers, Rejection};

/// A pseudo-header field of an extended CONNECT request (RFC 8441 §4,
/// RFC 9113 §8.3.1, RFC 9114 §4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PseudoHeader {
    /// `:method`.
    Method,
    /// `:protocol`.
    Protocol,
    /// `:scheme`.
    Scheme,
    /// `:authority`.
    Authority,
    /// `:path`.
    Path,
}

impl PseudoHeader {
    /// The field's name, with its colon.
    pub const fn as_str(self) -> &'static str {
        match self {
            PseudoHeader::Method => ":method",
            PseudoHeader::Protocol => ":protocol",
            PseudoHeader::Scheme => ":scheme",
            PseudoHeader::Authority => ":authority",
            PseudoHeader::Path => ":path",
        }
    }
}

impl fmt::Display for PseudoHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An extended CONNECT request a WebSocket server must refuse.
///
/// Each variant knows its answer: [`http_status`](Self::http_status) and
/// the whole refusal in [`rejection`](Self::rejection) (the status, the
/// fields to send, a short body). The stream is then finished or reset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectRequestError {
    /// `:method` is not `CONNECT`. 405 with `allow: CONNECT`.
    Method(String),
    /// A CONNECT without `:protocol`: a request for a tunnel (RFC 9113
    /// §8.5), not for a WebSocket. 400.
    MissingProtocol,
    /// `:protocol` names something else than `websocket`. 501.
    UnknownProtocol(String),
    /// A required pseudo-header is absent (`:scheme`, `:path`,
    /// `:authority`). 400.
    MissingPseudoHeader(PseudoHeader),
    /// A pseudo-header given twice. 400.
    DuplicatePseudoHeader(PseudoHeader),
    /// A pseudo-header a request may not carry (`:status`, an unknown
    /// one). 400.
    UnknownPseudoHeader(String),
    /// A pseudo-header with a bad value: `:scheme` neither `https` nor
    /// `http`, an empty `:path` or `:authority`, a value that is not UTF-8. 400.
    InvalidPseudoHeader(PseudoHeader),
    /// A required header is absent (`sec-websocket-version`). 400.
    MissingHeader(HeaderName),
    /// A header that must appear once appears more often. 400.
    DuplicateHeader(HeaderName),
    /// A header value is malformed (a subprotocol that is not a token, a
    /// non-UTF-8 `origin`). 400.
    InvalidHeader(HeaderName),
    /// `sec-websocket-version` is not `13`. 400 with
    /// `sec-websocket-version: 13` (RFC 6455 §4.4; not 426, which calls
    /// for an `Upgrade` field that HTTP/2 and HTTP/3 forbid).
    UnsupportedVersion(String),
    /// `sec-websocket-extensions` breaks the RFC 6455 §9.1 grammar. 400.
    InvalidExtensions(ExtensionParseError),
}

impl ConnectRequestError {
    /// The status to answer with: 400, 405 or 501.
    pub fn http_status(&self) -> u16 {
        match self {
            ConnectRequestError::Method(_) => 405,
            ConnectRequestError::UnknownProtocol(_) => 501,
            _ => 400,
        }
    }

    /// The refusal to send: the status, the fields it calls for (`allow:
    /// CONNECT` with 405, `sec-websocket-version: 13` for a wrong version,
    /// `content-type`) with lower-case names, and a short plain-text body
    /// that never echoes the peer's input.
    pub fn rejection(&self) -> Rejection {
        let mut rejection = Rejection::new(self.http_status());
        match self {
            ConnectRequestError::Method(_) => rejection = rejection.with_header("allow", "CONNECT"),
            ConnectRequestError::UnsupportedVersion(_) => {
                rejection = rejection.with_header("sec-websocket-version", crate::handshake::WEBSOCKET_VERSION);
            }
            _ => {}
        }
        let mut body = self.summary().to_owned();
        body.push('\n');
        rejection.with_header("content-type", "text/plain; charset=utf-8").with_body(body)
    }

    fn summary(&self) -> &'static str {
        match self {
            ConnectRequestError::Method(_) => "WebSockets over HTTP/2 and HTTP/3 use CONNECT",
            ConnectRequestError::MissingProtocol => "CONNECT without :protocol websocket",
            ConnectRequestError::UnknownProtocol(_) => "unsupported :protocol; use websocket",
            ConnectRequestError::MissingPseudoHeader(_) => "missing pseudo-header",
            ConnectRequestError::DuplicatePseudoHeader(_) => "repeated pseudo-header",
            ConnectRequestError::UnknownPseudoHeader(_) => "unknown pseudo-header",
            ConnectRequestError::InvalidPseudoHeader(_) => "invalid pseudo-header",
            ConnectRequestError::MissingHeader(_) => "missing WebSocket handshake header",
            ConnectRequestError::DuplicateHeader(_) => "repeated WebSocket handshake header",
            ConnectRequestError::InvalidHeader(_) => "invalid WebSocket handshake header",
            ConnectRequestError::UnsupportedVersion(_) => "unsupported sec-websocket-version; use 13",
            ConnectRequestError::InvalidExtensions(_) => "invalid sec-websocket-extensions",
        }
    }
}

impl fmt::Display for ConnectRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectRequestError::Method(m) => write!(f, "request method {m:?} is not CONNECT"),
            ConnectRequestError::UnknownProtocol(p) => write!(f, ":protocol {p:?} is not websocket"),
            ConnectRequestError::MissingPseudoHeader(h) => write!(f, "request lacks {h}"),
            ConnectRequestError::DuplicatePseudoHeader(h) => write!(f, "request repeats {h}"),
            ConnectRequestError::UnknownPseudoHeader(h) => write!(f, "request has the unknown pseudo-header {h:?}"),
            ConnectRequestError::InvalidPseudoHeader(h) => write!(f, "request has an invalid {h}"),
            ConnectRequestError::MissingHeader(h) => write!(f, "request lacks {h}"),
            ConnectRequestError::DuplicateHeader(h) => write!(f, "request repeats {h}"),
            ConnectRequestError::InvalidHeader(h) => write!(f, "request has an invalid {h}"),
            ConnectRequestError::UnsupportedVersion(v) => write!(f, "unsupported Sec-WebSocket-Version {v:?}"),
            ConnectRequestError::InvalidExtensions(e) => write!(f, "invalid Sec-WebSocket-Extensions: {e}"),
            ConnectRequestError::MissingProtocol => f.write_str(self.summary()),
        }
    }
}

impl std::error::Error for ConnectRequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectRequestError::InvalidExtensions(e) => Some(e),
            _ => None,
        }
    }
}

/// A server's answer to an extended CONNECT that fails the client's
/// checks. The client must fail the WebSocket and reset or finish the
/// stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectResponseError {
    /// The status is not 2xx: the server refused (RFC 8441 §5). Carries
    /// the status and every field of the answer.
    Refused {
        /// The status code.
        status: u16,
        /// The answer's fields.
        headers: Headers,
    },
    /// A header that must appear once appears more often.
    DuplicateHeader(HeaderName),
    /// A `sec-websocket-protocol` that is not exactly one token.
    InvalidSubprotocol,
    /// A `sec-websocket-protocol` that we did not offer.
    UnexpectedSubprotocol(String),
    /// An extension in `sec-websocket-extensions` that we did not offer.
    UnexpectedExtension(String),
    /// `sec-websocket-extensions` breaks the RFC 6455 §9.1 grammar.
    InvalidExtensions(ExtensionParseError),
    /// The permessage-deflate answer is malformed or allowed by none of our
    /// offers (RFC 7692 §7.1).
    #[cfg(feature = "deflate")]
    Deflate(crate::deflate::NegotiationError),
}

impl fmt::Display for ConnectResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectResponseError::Refused { status, .. } => write!(f, "server answered {status} instead of 2xx"),
            ConnectResponseError::DuplicateHeader(h) => write!(f, "response repeats {h}"),
            ConnectResponseError::InvalidSubprotocol => f.write_str("response Sec-WebSocket-Protocol is not one token"),
            ConnectResponseError::UnexpectedSubprotocol(p) => {
                write!(f, "server chose subprotocol {p:?}, not offered")
            }
            ConnectResponseError::UnexpectedExtension(e) => write!(f, "server accepted extension {e:?}, not offered"),
            ConnectResponseError::InvalidExtensions(e) => write!(f, "invalid Sec-WebSocket-Extensions: {e}"),
            #[cfg(feature = "deflate")]
            ConnectResponseError::Deflate(e) => write!(f, "permessage-deflate negotiation failed: {e}"),
        }
    }
}

impl std::error::Error for ConnectResponseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectResponseError::InvalidExtensions(e) => Some(e),
            #[cfg(feature = "deflate")]
            ConnectResponseError::Deflate(e) => Some(e),
            _ => None,
        }
    }
}
