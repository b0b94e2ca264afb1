//! The client side of the opening handshake: write the request (RFC 6455
//! §4.1) and validate the server's response.

use bytes::BufMut;

use super::accept::{derive_accept, generate_key};
use super::client_options::ClientOptions;
use super::error::{ResponseError, UsageError};
use super::extensions::ExtensionOffer;
use super::head::{HeadScanner, Scan, StartLine, SyntaxError, header_slots};
use super::headers::{
    CONNECTION, HOST, HeaderName, Headers, ORIGIN, SEC_ACCEPT, SEC_EXTENSIONS, SEC_KEY, SEC_PROTOCOL, SEC_VERSION,
    UPGRADE, is_token, trim_ows,
};
use super::response::write_headers;
use super::url::WsUrl;
use crate::frame::Decoded;
use crate::rng::RandomSource;

/// A successful 101 response, as validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    subprotocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

impl Response {
    /// The subprotocol the server chose: one we offered, or none.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The extensions the server accepted, with the parameters it answered,
    /// in order; each names one we offered. Checking the parameters is for
    /// each extension to do.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Every header of the response, in order.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

/// One client handshake: the request to send and the validator of its answer.
///
/// # Contract
/// 1. [`ClientHandshake::new`] checks the URL and options and draws the
///    16-byte nonce from the caller's [`RandomSource`].
/// 2. [`ClientHandshake::write_request`] appends the request bytes, to be
///    sent before anything else.
/// 3. [`ClientHandshake::parse_response`] is called with the whole input
///    buffered so far, each time it grows, until it returns `Complete` or an
///    error. Each byte is scanned once; httparse runs once per head.
///
/// ```
/// use wsproto::frame::Decoded;
/// use wsproto::handshake::{ClientHandshake, ClientOptions, derive_accept};
/// use wsproto::rng::PredictableRandom;
///
/// let mut client = ClientHandshake::new("ws://example.com/chat", ClientOptions::new(), &mut PredictableRandom::new(1))?;
/// let mut request = Vec::new();
/// client.write_request(&mut request);
/// assert!(request.starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
///
/// let mut answer = format!(
///     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///      Sec-WebSocket-Accept: {}\r\n\r\n",
///     derive_accept(client.key()),
/// )
/// .into_bytes();
/// answer.extend_from_slice(b"\x81\x00"); // a frame the server sent right after
/// let Decoded::Complete((response, used)) = client.parse_response(&answer)? else { panic!() };
/// assert_eq!(response.subprotocol(), None);
/// assert_eq!(&answer[used..], b"\x81\x00"); // left for the connection
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    url: WsUrl,
    key: String,
    options: ClientOptions,
    scanner: HeadScanner,
    error: Option<ResponseError>,
    httparse_calls: usize,
}

impl ClientHandshake {
    /// Parses `url` ([`WsUrl::parse`]) and prepares a handshake.
    pub fn new<R: RandomSource + ?Sized>(
        url: &str,
        options: ClientOptions,
        rng: &mut R,
    ) -> Result<ClientHandshake, UsageError> {
        ClientHandshake::from_url(WsUrl::parse(url)?, options, rng)
    }

    /// Prepares a handshake for a parsed URL. Fails, drawing no randomness,
    /// if [`ClientOptions::validate`] does.
    pub fn from_url<R: RandomSource + ?Sized>(
        url: WsUrl,
        options: ClientOptions,
        rng: &mut R,
    ) -> Result<ClientHandshake, UsageError> {
        options.validate()?;
        Ok(ClientHandshake {
            url,
            key: generate_key(rng),
            options,
            scanner: HeadScanner::new(StartLine::Response),
            error: None,
            httparse_calls: 0,
        })
    }

    /// The URL, to connect to its host and port.
    pub fn url(&self) -> &WsUrl {
        &self.url
    }

    /// Our `Sec-WebSocket-Key`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The options this handshake was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The request headers in order, for clients that write HTTP themselves:
    /// `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`, then `Origin`, `Sec-WebSocket-Protocol` and
    /// `Sec-WebSocket-Extensions` when set, then the extra headers.
    pub fn request_headers(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (HOST.to_owned(), self.url.host_header()),
            (UPGRADE.to_owned(), "websocket".to_owned()),
            (CONNECTION.to_owned(), "Upgrade".to_owned()),
            (SEC_KEY.to_owned(), self.key.clone()),
            (SEC_VERSION.to_owned(), "13".to_owned()),
        ];
        if let Some(origin) = &self.options.origin {
            out.push((ORIGIN.to_owned(), origin.clone()));
        }
        if !self.options.subprotocols.is_empty() {
            out.push((SEC_PROTOCOL.to_owned(), self.options.subprotocols.join(", ")));
        }
        if !self.options.extensions.is_empty() {
            out.push((SEC_EXTENSIONS.to_owned(), ExtensionOffer::format_list(&self.options.extensions)));
        }
        out.extend(self.options.headers.iter().cloned());
        out
    }

    /// Appends the request (`GET <resource> HTTP/1.1`, the
    /// [`request_headers`](ClientHandshake::request_headers), a blank line).
    pub fn write_request<B: BufMut + ?Sized>(&self, out: &mut B) {
        out.put_slice(b"GET ");
        out.put_slice(self.url.resource().as_bytes());
        out.put_slice(b" HTTP/1.1\r\n");
        let headers = self.request_headers();
        write_headers(out, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        out.put_slice(b"\r\n");
    }

    /// Parses and validates the response at the start of `buf`, the whole
    /// input so far.
    ///
    /// - `Ok(Decoded::Complete((response, consumed)))`: the head is the first
    ///   `consumed` bytes; the rest is WebSocket data for the connection.
    /// - `Ok(Decoded::Incomplete { needed })`: call again with more input.
    /// - `Err(e)`: fail the connection. Errors are final: later calls return
    ///   the same error. Input that does not start with `HTTP/1.` (a TLS
    ///   alert from a server that wanted `wss`, say) fails as soon as its
    ///   first wrong byte arrives, with
    ///   [`SyntaxError::Version`](super::SyntaxError::Version). A non-101 status is
    ///   [`ResponseError::UnexpectedStatus`] with the body bytes present in
    ///   this call's `buf`.
    pub fn parse_response(&mut self, buf: &[u8]) -> Result<Decoded<(Response, usize)>, ResponseError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.parse_inner(buf);
        if let Err(e) = &result {
            self.error = Some(e.clone());
        }
        result
    }

    fn parse_inner(&mut self, buf: &[u8]) -> Result<Decoded<(Response, usize)>, ResponseError> {
        let limits = self.options.limits;
        let (len, lines) = match self.scanner.scan(buf, &limits) {
            Scan::Complete { len, lines } => (len, lines),
            Scan::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
            Scan::TooLarge => {
                return Err(ResponseError::HeadTooLarge { limit: limits.max_head_bytes });
            }
            Scan::TooManyHeaders => {
                return Err(ResponseError::TooManyHeaders { limit: limits.max_headers });
            }
            Scan::Invalid(e) => return Err(ResponseError::Syntax(e)),
        };
        let head = buf.get(..len).ok_or(ResponseError::Syntax(SyntaxError::Truncated))?;
        let mut slots = vec![httparse::EMPTY_HEADER; header_slots(lines, &limits)];
        let mut res = httparse::Response::new(&mut slots);
        self.httparse_calls += 1;
        match res.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == len => {}
            Ok(httparse::Status::Complete(_)) => return Err(ResponseError::Syntax(SyntaxError::NewLine)),
            Ok(httparse::Status::Partial) => return Err(ResponseError::Syntax(SyntaxError::Truncated)),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ResponseError::TooManyHeaders { limit: limits.max_headers });
            }
            Err(e) => return Err(ResponseError::Syntax(SyntaxError::from_httparse(e))),
        }
        let headers: Headers = res.headers.iter().map(|h| (h.name, trim_ows(h.value))).collect();
        let (Some(minor), Some(status)) = (res.version, res.code) else {
            return Err(ResponseError::Syntax(SyntaxError::Truncated));
        };
        if status != 101 {
            let rest = buf.get(len..).unwrap_or_default();
            let declared =
                headers.get_str("Content-Length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(usize::MAX);
            let keep = rest.len().min(declared).min(limits.max_error_body);
            return Err(ResponseError::UnexpectedStatus {
                status,
                reason: res.reason.unwrap_or_default().to_owned(),
                headers,
                head_len: len,
                body: rest[..keep].to_vec(),
            });
        }
        if minor < 1 {
            return Err(ResponseError::HttpVersion);
        }
        let response = self.validate_headers(headers)?;
        Ok(Decoded::Complete((response, len)))
    }

    /// Validates the headers of a 101 response whose HTTP framing was parsed
    /// elsewhere (RFC 6455 §4.1, the client's checks): `Upgrade` holds
    /// `websocket` and `Connection` holds `Upgrade` (any case); one
    /// `Sec-WebSocket-Accept` equal to [`derive_accept`] of our key; at most
    /// one `Sec-WebSocket-Protocol`, one token that we offered (exact match);
    /// `Sec-WebSocket-Extensions` in the §9.1 grammar, naming only extensions
    /// we offered (any case). The caller has checked the status is 101.
    pub fn validate_headers(&self, headers: Headers) -> Result<Response, ResponseError> {
        if !headers.has_token(UPGRADE, "websocket") {
            return Err(ResponseError::UpgradeNotWebSocket);
        }
        if !headers.has_token(CONNECTION, "upgrade") {
            return Err(ResponseError::ConnectionNotUpgrade);
        }
        if headers.count(SEC_ACCEPT) > 1 {
            return Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketAccept));
        }
        let accept = headers.get(SEC_ACCEPT).ok_or(ResponseError::MissingHeader(HeaderName::SecWebSocketAccept))?;
        let expected = derive_accept(&self.key);
        if trim_ows(accept) != expected.as_bytes() {
            let received = String::from_utf8_lossy(accept).into_owned();
            return Err(ResponseError::AcceptMismatch { expected, received });
        }
        let (subprotocol, extensions) = check_answer(&headers, &self.options).map_err(|fault| match fault {
            AnswerFault::DuplicateSubprotocol => ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol),
            AnswerFault::InvalidSubprotocol => ResponseError::InvalidSubprotocol,
            AnswerFault::UnexpectedSubprotocol(p) => ResponseError::UnexpectedSubprotocol(p),
            AnswerFault::InvalidExtensions(e) => ResponseError::InvalidExtensions(e),
            AnswerFault::UnexpectedExtension(e) => ResponseError::UnexpectedExtension(e),
        })?;
        Ok(Response { subprotocol, extensions, headers })
    }

    /// How many times httparse has run: at most once per complete head.
    pub fn httparse_calls(&self) -> usize {
        self.httparse_calls
    }

    /// How many input bytes have been scanned for the end of the head.
    pub fn bytes_scanned(&self) -> usize {
        self.scanner.scanned()
    }
}

/// Why a server's choice of subprotocol or extensions fails the client's
/// checks; each handshake turns it into its own error.
pub(crate) enum AnswerFault {
    DuplicateSubprotocol,
    InvalidSubprotocol,
    UnexpectedSubprotocol(String),
    InvalidExtensions(super::extensions::ExtensionParseError),
    UnexpectedExtension(String),
}

/// The server's choice in `headers`, checked against what `options`
/// offered, shared by the HTTP/1.1 and extended CONNECT handshakes: at most
/// one `Sec-WebSocket-Protocol`, one token that we offered (exact match);
/// `Sec-WebSocket-Extensions` in the §9.1 grammar, naming only extensions
/// we offered (any case).
pub(crate) fn check_answer(
    headers: &Headers,
    options: &ClientOptions,
) -> Result<(Option<String>, Vec<ExtensionOffer>), AnswerFault> {
    let subprotocol = match headers.count(SEC_PROTOCOL) {
        0 => None,
        1 => {
            let mut items = headers.list(SEC_PROTOCOL);
            let protocol = match (items.next(), items.next()) {
                (Some(p), None) if is_token(p) => String::from_utf8_lossy(p).into_owned(),
                _ => return Err(AnswerFault::InvalidSubprotocol),
            };
            if !options.subprotocols.contains(&protocol) {
                return Err(AnswerFault::UnexpectedSubprotocol(protocol));
            }
            Some(protocol)
        }
        _ => return Err(AnswerFault::DuplicateSubprotocol),
    };
    let mut extensions = Vec::new();
    for value in headers.get_all(SEC_EXTENSIONS) {
        ExtensionOffer::parse_into(value, &mut extensions).map_err(AnswerFault::InvalidExtensions)?;
    }
    if let Some(ext) = extensions.iter().find(|e| !options.extensions.iter().any(|o| o.same_name(&e.name))) {
        return Err(AnswerFault::UnexpectedExtension(ext.name.clone()));
    }
    Ok((subprotocol, extensions))
}
