//! The server side of the opening handshake: parse and validate a client's
//! upgrade request (RFC 6455 §4.2.1).

use super::accept::{WEBSOCKET_VERSION, is_valid_key};
use super::error::RequestError;
use super::extensions::ExtensionOffer;
use super::head::{HeadScanner, Scan, SyntaxError, header_slots};
use super::headers::{CONNECTION, HeaderName, Headers, UPGRADE, trim_ows};
use super::limits::HandshakeLimits;
use super::offers::{self, OfferError, Offers, read_offers};
use crate::frame::Decoded;

/// A valid WebSocket upgrade request, as the server application sees it
/// before it accepts or rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: String,
    target: String,
    http_minor: u8,
    host: String,
    origin: Option<String>,
    key: String,
    subprotocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Request {
    /// Validates a request whose HTTP framing was parsed elsewhere (for
    /// example by hyper): `method` and `target` from the request line,
    /// `http_minor` the minor version of HTTP/1.x, and every header.
    ///
    /// The rules of RFC 6455 §4.2.1, checked in this order so the first
    /// fault decides the answer: method `GET`; HTTP/1.1 or later; a target
    /// that names a resource; no body announced; one non-empty `Host`;
    /// `Upgrade` holding `websocket` and `Connection` holding `Upgrade`
    /// (comma-separated lists, any case, across repeated lines); one
    /// `Sec-WebSocket-Version: 13`; one `Sec-WebSocket-Key` that is base64
    /// of 16 bytes; at most one UTF-8 `Origin`; offered
    /// subprotocols that are tokens; `Sec-WebSocket-Extensions` in the §9.1
    /// grammar. Values are trimmed of surrounding whitespace.
    pub fn from_parts(method: &str, target: &str, http_minor: u8, headers: Headers) -> Result<Request, RequestError> {
        if method != "GET" {
            return Err(RequestError::Method(method.to_owned()));
        }
        if http_minor < 1 {
            return Err(RequestError::HttpVersion);
        }
        if target_path(target).is_none() {
            return Err(RequestError::InvalidTarget);
        }
        if announces_body(&headers) {
            return Err(RequestError::BodyNotAllowed);
        }
        let host = single(&headers, HeaderName::Host)?.ok_or(RequestError::MissingHeader(HeaderName::Host))?;
        let host = match core::str::from_utf8(host) {
            Ok(h) if !h.is_empty() => h.to_owned(),
            _ => return Err(RequestError::InvalidHeader(HeaderName::Host)),
        };
        if !headers.has_token(UPGRADE, "websocket") {
            return Err(RequestError::UpgradeNotWebSocket);
        }
        if !headers.has_token(CONNECTION, "upgrade") {
            return Err(RequestError::ConnectionNotUpgrade);
        }
        let version = single(&headers, HeaderName::SecWebSocketVersion)?
            .ok_or(RequestError::MissingHeader(HeaderName::SecWebSocketVersion))?;
        if version != WEBSOCKET_VERSION.as_bytes() {
            return Err(RequestError::UnsupportedVersion(String::from_utf8_lossy(version).into_owned()));
        }
        let key = single(&headers, HeaderName::SecWebSocketKey)?
            .ok_or(RequestError::MissingHeader(HeaderName::SecWebSocketKey))?;
        if !is_valid_key(key) {
            return Err(RequestError::InvalidKey);
        }
        // Base64 is ASCII, so the conversion is exact.
        let key = String::from_utf8_lossy(key).into_owned();
        let Offers { origin, subprotocols, extensions } = read_offers(&headers).map_err(|e| match e {
            OfferError::Duplicate(name) => RequestError::DuplicateHeader(name),
            OfferError::Invalid(name) => RequestError::InvalidHeader(name),
            OfferError::Extensions(e) => RequestError::InvalidExtensions(e),
        })?;
        Ok(Request {
            method: method.to_owned(),
            target: target.to_owned(),
            http_minor,
            host,
            origin,
            key,
            subprotocols,
            extensions,
            headers,
        })
    }

    /// The method: always `GET` in a valid request.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as sent: the path and query (`/chat?room=1`), or
    /// an absolute URI if the client sent one.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path: the target up to `?`, without the scheme and authority
    /// of an absolute URI (`http://example.com/chat?room=1` gives `/chat`,
    /// `http://example.com` gives `/`). Always starts with `/`.
    pub fn path(&self) -> &str {
        let path = target_path(&self.target).unwrap_or("/");
        path.split_once('?').map_or(path, |(p, _)| p)
    }

    /// The target after the first `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The minor version of HTTP/1.x: 1 for HTTP/1.1.
    pub fn http_minor_version(&self) -> u8 {
        self.http_minor
    }

    /// The `Host` header, trimmed.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The `Origin` header, if present (browsers always send it; `null` for
    /// opaque origins). Checking it is the application's job (§10.2).
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The `Sec-WebSocket-Key` header, trimmed.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The offered subprotocols, in the client's order of preference, from
    /// every `Sec-WebSocket-Protocol` line.
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The offered extensions with their parameters, in order, from every
    /// `Sec-WebSocket-Extensions` line. None is accepted unless the
    /// application chooses it.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Every header, in order.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

/// Whether the head announces a body: any `Transfer-Encoding`, or a
/// `Content-Length` other than 0 (RFC 9112 §6.3). An upgrade request has
/// none: what follows its head is the client's first frames, and a body
/// there would be read as frames that an intermediary took for HTTP.
fn announces_body(headers: &Headers) -> bool {
    headers.get("Transfer-Encoding").is_some() || headers.get_all("Content-Length").any(|value| trim_ows(value) != b"0")
}

/// The one value of a header that may appear at most once, trimmed.
fn single(headers: &Headers, name: HeaderName) -> Result<Option<&[u8]>, RequestError> {
    offers::single(headers, name).map_err(RequestError::DuplicateHeader)
}

/// The path and query of a request target, which must name a resource (RFC
/// 6455 §4.2.1: a Request-URI that is the /resource name/, or an absolute
/// HTTP/HTTPS URI containing it): origin-form (`/chat?room=1`) as it is;
/// absolute-form (RFC 9112 §3.2.2) from the `/` after its authority, `/`
/// when it has no path. `None` for any other form (`*`, an authority, a
/// relative path).
fn target_path(target: &str) -> Option<&str> {
    if target.starts_with('/') {
        return Some(target);
    }
    let (scheme, rest) = target.split_once("://")?;
    if !["http", "https", "ws", "wss"].iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return None;
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    match &rest[end..] {
        path if path.starts_with('/') => Some(path),
        // `http://host?q`: an empty path is `/` (RFC 9112 §3.2.2).
        _ => Some("/"),
    }
}

/// An incremental parser for the upgrade request, safe against input
/// split anywhere.
///
/// # Contract
/// Call [`RequestParser::parse`] with the whole input buffered so far, each
/// time the buffer grows (the same bytes, plus new ones). Each byte is
/// scanned once, whatever the split; httparse runs once, when the blank line
/// ending the head has arrived, so feeding a request one byte at a time costs
/// linear time (RUSTSEC-2023-0065 was the quadratic version of this). Limits
/// are enforced as soon as they are passed, without waiting for more input,
/// and so is the method: a byte that cannot be in it (a TLS client hello
/// sent to a plain listener starts with one) fails the parse at once, with
/// [`SyntaxError::Token`](super::SyntaxError::Token).
///
/// Errors are final: once `parse` fails, it returns the same error again.
#[derive(Debug, Clone, Default)]
pub struct RequestParser {
    limits: HandshakeLimits,
    scanner: HeadScanner,
    error: Option<RequestError>,
    httparse_calls: usize,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    pub fn new(limits: HandshakeLimits) -> RequestParser {
        RequestParser { limits, ..RequestParser::default() }
    }

    /// The limits in force.
    pub fn limits(&self) -> &HandshakeLimits {
        &self.limits
    }

    /// Parses and validates the request at the start of `buf`.
    ///
    /// - `Ok(Decoded::Complete((request, consumed)))`: the head is the first
    ///   `consumed` bytes; any bytes after it (frames a client pipelined) are
    ///   the caller's to keep and pass on.
    /// - `Ok(Decoded::Incomplete { needed })`: no blank line yet; call again
    ///   with at least `needed` more bytes. Not an error.
    /// - `Err(e)`: refuse with `e.write_response(..)` and stop reading.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Decoded<(Request, usize)>, RequestError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.parse_inner(buf);
        if let Err(e) = &result {
            self.error = Some(e.clone());
        }
        result
    }

    fn parse_inner(&mut self, buf: &[u8]) -> Result<Decoded<(Request, usize)>, RequestError> {
        let (len, lines) = match self.scanner.scan(buf, &self.limits) {
            Scan::Complete { len, lines } => (len, lines),
            Scan::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
            Scan::TooLarge => {
                return Err(RequestError::HeadTooLarge { limit: self.limits.max_head_bytes });
            }
            Scan::TooManyHeaders => {
                return Err(RequestError::TooManyHeaders { limit: self.limits.max_headers });
            }
            Scan::Invalid(e) => return Err(RequestError::Syntax(e)),
        };
        let head = buf.get(..len).ok_or(RequestError::Syntax(SyntaxError::Truncated))?;
        let mut slots = vec![httparse::EMPTY_HEADER; header_slots(lines, &self.limits)];
        let mut req = httparse::Request::new(&mut slots);
        self.httparse_calls += 1;
        match req.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == len => {}
            Ok(httparse::Status::Complete(_)) => return Err(RequestError::Syntax(SyntaxError::NewLine)),
            Ok(httparse::Status::Partial) => return Err(RequestError::Syntax(SyntaxError::Truncated)),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(RequestError::TooManyHeaders { limit: self.limits.max_headers });
            }
            Err(e) => return Err(RequestError::Syntax(SyntaxError::from_httparse(e))),
        }
        let headers: Headers = req.headers.iter().map(|h| (h.name, trim_ows(h.value))).collect();
        let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
            return Err(RequestError::Syntax(SyntaxError::Truncated));
        };
        let request = Request::from_parts(method, target, minor, headers)?;
        Ok(Decoded::Complete((request, len)))
    }

    /// How many times httparse has run: at most once per complete head,
    /// however the input was split. Exposed so tests can prove linearity.
    pub fn httparse_calls(&self) -> usize {
        self.httparse_calls
    }

    /// How many input bytes have been scanned for the end of the head: never
    /// more than were supplied, whatever the split.
    pub fn bytes_scanned(&self) -> usize {
        self.scanner.scanned()
    }
}
