//! Handshake errors: a peer's faulty request (server side), a peer's faulty
//! response (client side), and misuse of this API by the application.

use core::fmt;

use super::extensions::ExtensionParseError;
use super::head::SyntaxError;
use super::headers::{HeaderName, Headers};
use super::response::Rejection;
use super::url::UrlError;

/// A client's upgrade request that a server must refuse (RFC 6455 §4.2.1).
///
/// Each variant knows its answer: [`RequestError::http_status`], and the
/// whole response in [`RequestError::rejection`] or written by
/// [`RequestError::write_response`]. The connection stops reading after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The head passed [`HandshakeLimits::max_head_bytes`](super::HandshakeLimits)
    /// before its blank line. 431.
    HeadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More header lines than [`HandshakeLimits::max_headers`](super::HandshakeLimits). 431.
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// The head is not HTTP/1.x syntax. 400.
    Syntax(SyntaxError),
    /// The method is not `GET` (§4.1). 405 with `Allow: GET`.
    Method(String),
    /// The version is HTTP/1.0; §4.1 requires HTTP/1.1 or later. 400.
    HttpVersion,
    /// The request target names no resource: neither a path (`/chat`) nor
    /// an absolute `http`, `https`, `ws` or `wss` URI (§4.2.1). 400.
    InvalidTarget,
    /// The request announces a body (any `Transfer-Encoding`, or a
    /// `Content-Length` other than 0). An upgrade request has none: the
    /// bytes after its head are WebSocket frames, and a body there could
    /// smuggle frames past an intermediary that read it as HTTP. 400.
    BodyNotAllowed,
    /// A required header is absent: `Host`, `Sec-WebSocket-Key` or
    /// `Sec-WebSocket-Version`. 400.
    MissingHeader(HeaderName),
    /// A header that must appear once appears more often. 400.
    DuplicateHeader(HeaderName),
    /// A header value is malformed (an empty or non-UTF-8 `Host`, a
    /// subprotocol that is not a token, ...). 400.
    InvalidHeader(HeaderName),
    /// `Upgrade` does not hold the token `websocket`. 400.
    UpgradeNotWebSocket,
    /// `Connection` does not hold the token `Upgrade`. 400.
    ConnectionNotUpgrade,
    /// `Sec-WebSocket-Key` is not base64 of 16 bytes. 400.
    InvalidKey,
    /// `Sec-WebSocket-Version` is not `13` (§4.4). 426 with
    /// `Sec-WebSocket-Version: 13`.
    UnsupportedVersion(String),
    /// `Sec-WebSocket-Extensions` breaks the §9.1 grammar. 400.
    InvalidExtensions(ExtensionParseError),
}

impl RequestError {
    /// The status to answer with: 400, 405, 426 or 431.
    pub fn http_status(&self) -> u16 {
        match self {
            RequestError::HeadTooLarge { .. } | RequestError::TooManyHeaders { .. } => 431,
            RequestError::Method(_) => 405,
            RequestError::UnsupportedVersion(_) => 426,
            _ => 400,
        }
    }

    /// The whole response to send: the status, the headers it calls for
    /// (`Allow: GET` with 405; `Sec-WebSocket-Version: 13` and `Upgrade:
    /// websocket` with 426) and a short plain-text body that never echoes
    /// the peer's input.
    pub fn rejection(&self) -> Rejection {
        let mut rejection = Rejection::new(self.http_status());
        match self {
            RequestError::Method(_) => rejection = rejection.with_header("Allow", "GET"),
            RequestError::UnsupportedVersion(_) => {
                rejection = rejection
                    .with_header("Sec-WebSocket-Version", "13")
                    .with_header("Upgrade", "websocket")
                    .with_header("Connection", "Upgrade, close");
            }
            _ => {}
        }
        let mut body = self.summary().to_owned();
        body.push('\n');
        rejection.with_header("Content-Type", "text/plain; charset=utf-8").with_body(body)
    }

    /// Appends [`RequestError::rejection`] to `out`, ready to send.
    pub fn write_response<B: bytes::BufMut + ?Sized>(&self, out: &mut B) {
        self.rejection().write_trusted(out);
    }

    fn summary(&self) -> &'static str {
        match self {
            RequestError::HeadTooLarge { .. } => "request head too large",
            RequestError::TooManyHeaders { .. } => "too many request headers",
            RequestError::Syntax(_) => "malformed HTTP request",
            RequestError::Method(_) => "WebSocket handshakes use GET",
            RequestError::HttpVersion => "WebSocket handshakes need HTTP/1.1",
            RequestError::InvalidTarget => "request target must be a path",
            RequestError::BodyNotAllowed => "WebSocket handshakes have no body",
            RequestError::MissingHeader(_) => "missing WebSocket handshake header",
            RequestError::DuplicateHeader(_) => "repeated WebSocket handshake header",
            RequestError::InvalidHeader(_) => "invalid WebSocket handshake header",
            RequestError::UpgradeNotWebSocket => "Upgrade header must include websocket",
            RequestError::ConnectionNotUpgrade => "Connection header must include Upgrade",
            RequestError::InvalidKey => "invalid Sec-WebSocket-Key",
            RequestError::UnsupportedVersion(_) => "unsupported Sec-WebSocket-Version; use 13",
            RequestError::InvalidExtensions(_) => "invalid Sec-WebSocket-Extensions",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::HeadTooLarge { limit } => write!(f, "request head exceeds {limit} bytes"),
            RequestError::TooManyHeaders { limit } => write!(f, "request has more than {limit} headers"),
            RequestError::Syntax(e) => write!(f, "malformed request: {e}"),
            RequestError::Method(m) => write!(f, "request method {m:?} is not GET"),
            RequestError::MissingHeader(h) => write!(f, "request lacks {h}"),
            RequestError::DuplicateHeader(h) => write!(f, "request repeats {h}"),
            RequestError::InvalidHeader(h) => write!(f, "request has an invalid {h}"),
            RequestError::UnsupportedVersion(v) => write!(f, "unsupported Sec-WebSocket-Version {v:?}"),
            RequestError::InvalidExtensions(e) => write!(f, "invalid Sec-WebSocket-Extensions: {e}"),
            _ => f.write_str(self.summary()),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::InvalidExtensions(e) => Some(e),
            _ => None,
        }
    }
}

/// A server's answer that fails the client's checks (RFC 6455 §4.1, the
/// client's steps 1 to 6 after sending). The client must fail the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The head passed [`HandshakeLimits::max_head_bytes`](super::HandshakeLimits).
    HeadTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More header lines than [`HandshakeLimits::max_headers`](super::HandshakeLimits).
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// The head is not HTTP/1.x syntax.
    Syntax(SyntaxError),
    /// The status is not 101: the server refused, redirected or is not a
    /// WebSocket server. Carries what it said.
    UnexpectedStatus {
        /// The status code.
        status: u16,
        /// The reason phrase (empty if absent or not UTF-8).
        reason: String,
        /// Every header of the response.
        headers: Headers,
        /// The length of the head; the body starts there in the input.
        head_len: usize,
        /// The body bytes present in the input when the head completed, cut
        /// at `Content-Length` and at
        /// [`HandshakeLimits::max_error_body`](super::HandshakeLimits).
        body: Vec<u8>,
    },
    /// A 101 over HTTP/1.0, which has no 101.
    HttpVersion,
    /// A required header is absent (`Sec-WebSocket-Accept`).
    MissingHeader(HeaderName),
    /// A header that must appear once appears more often.
    DuplicateHeader(HeaderName),
    /// `Upgrade` does not hold the token `websocket`.
    UpgradeNotWebSocket,
    /// `Connection` does not hold the token `Upgrade`.
    ConnectionNotUpgrade,
    /// `Sec-WebSocket-Accept` does not match our key.
    AcceptMismatch {
        /// The value derived from our key.
        expected: String,
        /// The value received (lossily decoded).
        received: String,
    },
    /// A `Sec-WebSocket-Protocol` that we did not offer.
    UnexpectedSubprotocol(String),
    /// A `Sec-WebSocket-Protocol` that is not exactly one token.
    InvalidSubprotocol,
    /// An extension in `Sec-WebSocket-Extensions` that we did not offer.
    UnexpectedExtension(String),
    /// `Sec-WebSocket-Extensions` breaks the §9.1 grammar.
    InvalidExtensions(ExtensionParseError),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::HeadTooLarge { limit } => write!(f, "response head exceeds {limit} bytes"),
            ResponseError::TooManyHeaders { limit } => write!(f, "response has more than {limit} headers"),
            ResponseError::Syntax(e) => write!(f, "malformed response: {e}"),
            ResponseError::UnexpectedStatus { status, reason, .. } => {
                write!(f, "server answered {status} {reason} instead of 101")
            }
            ResponseError::HttpVersion => f.write_str("101 response over HTTP/1.0"),
            ResponseError::MissingHeader(h) => write!(f, "response lacks {h}"),
            ResponseError::DuplicateHeader(h) => write!(f, "response repeats {h}"),
            ResponseError::UpgradeNotWebSocket => f.write_str("response Upgrade header lacks websocket"),
            ResponseError::ConnectionNotUpgrade => f.write_str("response Connection header lacks Upgrade"),
            ResponseError::AcceptMismatch { expected, received } => {
                write!(f, "Sec-WebSocket-Accept {received:?} does not match {expected:?}")
            }
            ResponseError::UnexpectedSubprotocol(p) => write!(f, "server chose subprotocol {p:?}, not offered"),
            ResponseError::InvalidSubprotocol => f.write_str("response Sec-WebSocket-Protocol is not one token"),
            ResponseError::UnexpectedExtension(e) => write!(f, "server accepted extension {e:?}, not offered"),
            ResponseError::InvalidExtensions(e) => write!(f, "invalid Sec-WebSocket-Extensions: {e}"),
        }
    }
}

impl std::error::Error for ResponseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResponseError::InvalidExtensions(e) => Some(e),
            _ => None,
        }
    }
}

/// The application asked for something the handshake cannot do: a fault in
/// the caller's code or configuration, never the peer's. Nothing is written
/// when a call fails with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// The URL cannot name a WebSocket endpoint.
    Url(UrlError),
    /// A server chose a subprotocol the client did not offer (§4.2.2).
    SubprotocolNotOffered(String),
    /// A server accepted an extension the client did not offer (§9.1).
    ExtensionNotOffered(String),
    /// A subprotocol name that is not a token (§4.1).
    InvalidSubprotocol(String),
    /// A subprotocol offered twice; §4.1 wants them unique.
    DuplicateSubprotocol(String),
    /// An extension whose name, parameter names or values are not tokens.
    InvalidExtension(String),
    /// A header name that is not a token.
    InvalidHeaderName(String),
    /// A header value with CR, LF or other control bytes, or surrounding
    /// whitespace. Holds the header name.
    InvalidHeaderValue(String),
    /// A header the handshake writes itself (`Upgrade`, `Sec-WebSocket-*`,
    /// `Content-Length`, ...), given as an extra header.
    ReservedHeader(String),
    /// A rejection status outside 200..=999 (1xx are not final answers, and
    /// 101 is acceptance).
    InvalidStatus(u16),
}

impl From<UrlError> for UsageError {
    fn from(e: UrlError) -> UsageError {
        UsageError::Url(e)
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Url(e) => write!(f, "invalid WebSocket URL: {e}"),
            UsageError::SubprotocolNotOffered(p) => write!(f, "subprotocol {p:?} was not offered by the client"),
            UsageError::ExtensionNotOffered(e) => write!(f, "extension {e:?} was not offered by the client"),
            UsageError::InvalidSubprotocol(p) => write!(f, "subprotocol {p:?} is not a token"),
            UsageError::DuplicateSubprotocol(p) => write!(f, "subprotocol {p:?} offered twice"),
            UsageError::InvalidExtension(e) => write!(f, "extension {e:?} has a name or parameter that is not a token"),
            UsageError::InvalidHeaderName(h) => write!(f, "header name {h:?} is not a token"),
            UsageError::InvalidHeaderValue(h) => write!(f, "header {h:?} has an invalid value"),
            UsageError::ReservedHeader(h) => write!(f, "header {h:?} is written by the handshake itself"),
            UsageError::InvalidStatus(s) => write!(f, "status {s} cannot reject a handshake"),
        }
    }
}

impl std::error::Error for UsageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UsageError::Url(e) => Some(e),
            _ => None,
        }
    }
}
