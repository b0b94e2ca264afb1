//! The server's answer: a 101 that completes the handshake (RFC 6455
//! §4.2.2), or a rejection with any status.

use bytes::BufMut;

use super::accept::derive_accept;
use super::error::UsageError;
use super::extensions::ExtensionOffer;
use super::headers::{CONNECTION, SEC_ACCEPT, SEC_EXTENSIONS, SEC_PROTOCOL, UPGRADE, is_token, is_valid_header_value};
use super::request::Request;

/// What the server application accepts: at most one subprotocol, the
/// extensions it agreed to (with the parameters of its answer), and any
/// extra headers (`Set-Cookie`, `Server`, ...). The default accepts no
/// subprotocol and no extension.
///
/// ```
/// use wsproto::handshake::{AcceptOptions, ExtensionOffer};
///
/// let options = AcceptOptions::new()
///     .with_subprotocol("chat")
///     .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("server_no_context_takeover"))
///     .with_header("Server", "wsproto");
/// assert_eq!(options.subprotocol.as_deref(), Some("chat"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptOptions {
    /// The chosen subprotocol; must be one the client offered.
    pub subprotocol: Option<String>,
    /// The accepted extensions, in the order they apply; each must be one
    /// the client offered, by name.
    pub extensions: Vec<ExtensionOffer>,
    /// Extra headers for the 101 response.
    pub headers: Vec<(String, String)>,
}

impl AcceptOptions {
    /// No subprotocol, no extension, no extra header.
    pub fn new() -> AcceptOptions {
        AcceptOptions::default()
    }

    /// Chooses a subprotocol.
    pub fn with_subprotocol(mut self, protocol: impl Into<String>) -> AcceptOptions {
        self.subprotocol = Some(protocol.into());
        self
    }

    /// Accepts an extension.
    pub fn with_extension(mut self, extension: ExtensionOffer) -> AcceptOptions {
        self.extensions.push(extension);
        self
    }

    /// Adds a header to the response.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> AcceptOptions {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Headers of the 101 that the application may not set itself.
const ACCEPT_RESERVED: &[&str] =
    &[UPGRADE, CONNECTION, SEC_ACCEPT, SEC_PROTOCOL, SEC_EXTENSIONS, "Content-Length", "Transfer-Encoding"];

/// The headers a 101 answer to `request` carries, in order: `Upgrade`,
/// `Connection`, `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` and
/// `Sec-WebSocket-Extensions` when chosen, then the extra headers.
///
/// For servers that write HTTP themselves (hyper): set these on your 101.
/// Fails, with nothing returned, if `options` chooses a subprotocol or an
/// extension the client did not offer, or holds a header that is malformed
/// or one of those written here.
pub fn accept_headers(request: &Request, options: &AcceptOptions) -> Result<Vec<(String, String)>, UsageError> {
    let mut out = vec![
        (UPGRADE.to_owned(), "websocket".to_owned()),
        (CONNECTION.to_owned(), "Upgrade".to_owned()),
        (SEC_ACCEPT.to_owned(), derive_accept(request.key())),
    ];
    check_choice(request.subprotocols(), request.extensions(), options)?;
    if let Some(protocol) = &options.subprotocol {
        out.push((SEC_PROTOCOL.to_owned(), protocol.clone()));
    }
    if !options.extensions.is_empty() {
        out.push((SEC_EXTENSIONS.to_owned(), ExtensionOffer::format_list(&options.extensions)));
    }
    check_extra_headers(&options.headers, ACCEPT_RESERVED)?;
    out.extend(options.headers.iter().cloned());
    Ok(out)
}

/// Checks the server's choice against the client's offers: the subprotocol
/// is one of `subprotocols`, each extension is valid and named among
/// `extensions` (any case). Shared by the HTTP/1.1 and extended CONNECT
/// answers.
pub(crate) fn check_choice(
    subprotocols: &[String],
    extensions: &[ExtensionOffer],
    options: &AcceptOptions,
) -> Result<(), UsageError> {
    if let Some(protocol) = &options.subprotocol
        && !subprotocols.iter().any(|p| p == protocol)
    {
        return Err(UsageError::SubprotocolNotOffered(protocol.clone()));
    }
    for ext in &options.extensions {
        if !ext.is_valid() {
            return Err(UsageError::InvalidExtension(ext.name.clone()));
        }
        if !extensions.iter().any(|offer| offer.same_name(&ext.name)) {
            return Err(UsageError::ExtensionNotOffered(ext.name.clone()));
        }
    }
    Ok(())
}

/// Appends the 101 response accepting `request` to `out`.
///
/// # Contract
/// On success, `out` holds the whole head (status line, [`accept_headers`],
/// blank line) and the connection speaks WebSocket from the next byte on. On
/// error nothing is written: the application chose something the client did
/// not offer, or gave a bad header.
pub fn write_accept_response<B: BufMut + ?Sized>(
    request: &Request,
    options: &AcceptOptions,
    out: &mut B,
) -> Result<(), UsageError> {
    let headers = accept_headers(request, options)?;
    out.put_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
    write_headers(out, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    out.put_slice(b"\r\n");
    Ok(())
}

/// A refusal: any final status but 101, headers and a body.
///
/// [`Rejection::write`] adds `Content-Length` and, unless a `Connection`
/// header is given, `Connection: close`: after a refused handshake the
/// server closes the connection.
///
/// ```
/// use wsproto::handshake::Rejection;
///
/// let mut out = Vec::new();
/// Rejection::new(403).with_header("X-Reason", "origin").with_body("forbidden").write(&mut out)?;
/// assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
/// assert!(out.ends_with(b"Content-Length: 9\r\n\r\nforbidden"));
/// # Ok::<(), wsproto::handshake::UsageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// The status code: 200..=999, any but 1xx.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Headers of a rejection that the application may not set itself.
const REJECT_RESERVED: &[&str] = &["Content-Length", "Transfer-Encoding"];

impl Rejection {
    /// A rejection with `status`, no header and an empty body.
    pub fn new(status: u16) -> Rejection {
        Rejection { status, headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Rejection {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Rejection {
        self.body = body.into();
        self
    }

    /// Appends the response to `out`. Nothing is written on error: a status
    /// outside 200..=999, or a malformed or reserved header.
    pub fn write<B: BufMut + ?Sized>(&self, out: &mut B) -> Result<(), UsageError> {
        if !(200..=999).contains(&self.status) {
            return Err(UsageError::InvalidStatus(self.status));
        }
        check_extra_headers(&self.headers, REJECT_RESERVED)?;
        self.write_trusted(out);
        Ok(())
    }

    /// Writes without checking: for rejections this module built.
    pub(crate) fn write_trusted<B: BufMut + ?Sized>(&self, out: &mut B) {
        out.put_slice(format!("HTTP/1.1 {} {}\r\n", self.status, reason_phrase(self.status)).as_bytes());
        write_headers(out, self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if !self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(CONNECTION)) {
            out.put_slice(b"Connection: close\r\n");
        }
        out.put_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.put_slice(&self.body);
    }
}

/// Checks extra headers given by the application: token names, values
/// without control bytes, none of `reserved` (any case).
pub(crate) fn check_extra_headers(headers: &[(String, String)], reserved: &[&str]) -> Result<(), UsageError> {
    for (name, value) in headers {
        if !is_token(name.as_bytes()) {
            return Err(UsageError::InvalidHeaderName(name.clone()));
        }
        if !is_valid_header_value(value.as_bytes()) {
            return Err(UsageError::InvalidHeaderValue(name.clone()));
        }
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(UsageError::ReservedHeader(name.clone()));
        }
    }
    Ok(())
}

pub(crate) fn write_headers<'a, B: BufMut + ?Sized>(out: &mut B, headers: impl Iterator<Item = (&'a str, &'a str)>) {
    for (name, value) in headers {
        out.put_slice(name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
}

/// The standard reason phrase, or an empty one (allowed by RFC 9112 §4).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
