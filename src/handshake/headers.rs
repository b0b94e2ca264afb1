//! Header lists and the RFC 9110 helpers the handshake rules need:
//! case-insensitive names, comma-separated token lists, optional whitespace.

use core::fmt;

pub(crate) const HOST: &str = HeaderName::Host.as_str();
pub(crate) const UPGRADE: &str = HeaderName::Upgrade.as_str();
pub(crate) const CONNECTION: &str = HeaderName::Connection.as_str();
pub(crate) const ORIGIN: &str = HeaderName::Origin.as_str();
pub(crate) const SEC_KEY: &str = HeaderName::SecWebSocketKey.as_str();
pub(crate) const SEC_ACCEPT: &str = HeaderName::SecWebSocketAccept.as_str();
pub(crate) const SEC_VERSION: &str = HeaderName::SecWebSocketVersion.as_str();
pub(crate) const SEC_PROTOCOL: &str = HeaderName::SecWebSocketProtocol.as_str();
pub(crate) const SEC_EXTENSIONS: &str = HeaderName::SecWebSocketExtensions.as_str();

/// A header that the opening handshake checks, as named in the
/// handshake errors ([`RequestError`](super::RequestError),
/// [`ResponseError`](super::ResponseError)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Host`.
    Host,
    /// `Upgrade`.
    Upgrade,
    /// `Connection`.
    Connection,
    /// `Origin`.
    Origin,
    /// `Sec-WebSocket-Key`.
    SecWebSocketKey,
    /// `Sec-WebSocket-Accept`.
    SecWebSocketAccept,
    /// `Sec-WebSocket-Version`.
    SecWebSocketVersion,
    /// `Sec-WebSocket-Protocol`.
    SecWebSocketProtocol,
    /// `Sec-WebSocket-Extensions`.
    SecWebSocketExtensions,
}

impl HeaderName {
    /// The name as RFC 6455 spells it (names compare case-insensitively).
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::Host => "Host",
            HeaderName::Upgrade => "Upgrade",
            HeaderName::Connection => "Connection",
            HeaderName::Origin => "Origin",
            HeaderName::SecWebSocketKey => "Sec-WebSocket-Key",
            HeaderName::SecWebSocketAccept => "Sec-WebSocket-Accept",
            HeaderName::SecWebSocketVersion => "Sec-WebSocket-Version",
            HeaderName::SecWebSocketProtocol => "Sec-WebSocket-Protocol",
            HeaderName::SecWebSocketExtensions => "Sec-WebSocket-Extensions",
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header fields of a request or response, in the order received.
///
/// Names compare ASCII case-insensitively; a name may repeat. Values are
/// bytes (HTTP allows `obs-text`), with leading and trailing whitespace
/// removed by the parsers in this module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers {
    entries: Vec<(String, Vec<u8>)>,
}

impl Headers {
    /// An empty list.
    pub const fn new() -> Headers {
        Headers { entries: Vec::new() }
    }

    /// Appends a field. Nothing is checked: this type holds what a peer or a
    /// caller supplied; the validators decide what is acceptable.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.entries.push((name.into(), value.into()));
    }

    /// The number of fields, repeats included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every field as `(name, value)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The value of the first field called `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// The value of the first field called `name`, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The values of every field called `name` (any case), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.entries.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// How many fields are called `name` (any case).
    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    /// Whether some field called `name` holds `token` (ASCII case-insensitive)
    /// as an element of its comma-separated list; lists split over repeated
    /// fields count as one list (RFC 9110 §5.3).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name).any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// The elements of the comma-separated list formed by every field called
    /// `name`, optional whitespace trimmed, empty elements skipped (RFC 9110
    /// §5.6.1). Quoted strings are not understood: a list of tokens, not
    /// `Sec-WebSocket-Extensions`.
    pub fn list<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).flat_map(split_list)
    }
}

impl<N: Into<String>, V: Into<Vec<u8>>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Headers {
        Headers { entries: iter.into_iter().map(|(n, v)| (n.into(), v.into())).collect() }
    }
}

/// Splits a comma-separated header value into its elements, each with
/// optional whitespace (space, tab) trimmed; empty elements are skipped, as
/// RFC 9110 §5.6.1 asks of recipients. Quoted strings are not understood:
/// use it for lists of tokens, not for `Sec-WebSocket-Extensions`.
pub(crate) fn split_list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows).filter(|item| !item.is_empty())
}

/// `value` without leading and trailing spaces and tabs.
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|&b| !is_ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether `b` is a `tchar` (RFC 9110 §5.6.2).
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// Whether `s` is a non-empty `token` (RFC 9110 §5.6.2): the syntax of header
/// names, subprotocol names and extension names and parameters.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `value` may be written as a header value: visible ASCII, spaces,
/// tabs and `obs-text` (bytes 0x80 and up), with no surrounding whitespace.
/// CR, LF, NUL and other control bytes are refused, so a value can never
/// inject a header line.
pub(crate) fn is_valid_header_value(value: &[u8]) -> bool {
    value.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7F)) && trim_ows(value).len() == value.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_span_repeated_fields_and_ignore_case() {
        let headers: Headers =
            [("connection", "keep-alive, Upgrade"), ("X", "a"), ("CONNECTION", " , close ,")].into_iter().collect();
        assert!(headers.has_token("Connection", "upgrade"));
        assert!(headers.has_token("connection", "CLOSE"));
        assert!(!headers.has_token("connection", "keep"));
        let items: Vec<&[u8]> = headers.list("Connection").collect();
        assert_eq!(items, [&b"keep-alive"[..], b"Upgrade", b"close"]);
        assert_eq!(headers.count("x"), 1);
        assert_eq!(headers.get_str("X"), Some("a"));
    }

    #[test]
    fn trimming_and_tokens() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        assert!(is_token(b"permessage-deflate"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a=b"));
        assert!(is_valid_header_value(b"text/plain; charset=utf-8"));
        assert!(is_valid_header_value("caf\u{e9}".as_bytes()));
        assert!(!is_valid_header_value(b"a\r\nInjected: 1"));
        assert!(!is_valid_header_value(b" padded"));
    }
}
