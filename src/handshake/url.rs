//! `ws://` and `wss://` URLs (RFC 6455 §3), as a client needs them for the
//! request line, the `Host` header and the address to connect to.

use core::fmt;
use core::str::FromStr;

/// A parsed WebSocket URL.
///
/// ```
/// use wsproto::handshake::WsUrl;
///
/// let url: WsUrl = "ws://[::1]:9001/chat?room=1".parse()?;
/// assert_eq!((url.host(), url.port(), url.is_secure()), ("::1", 9001, false));
/// assert_eq!(url.host_header(), "[::1]:9001");
/// assert_eq!(url.resource(), "/chat?room=1");
///
/// let url = WsUrl::parse("wss://Example.com")?;
/// assert_eq!((url.host_header().as_str(), url.port(), url.resource()), ("example.com", 443, "/"));
/// # Ok::<(), wsproto::handshake::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WsUrl {
    secure: bool,
    host: String,
    ipv6: bool,
    port: u16,
    resource: String,
}

/// A URL that cannot name a WebSocket endpoint. API misuse by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// No `scheme://` prefix.
    MissingScheme,
    /// A scheme other than `ws` or `wss` (RFC 6455 §3).
    UnsupportedScheme(String),
    /// A `#fragment`: RFC 6455 §3 forbids fragments in WebSocket URIs.
    Fragment,
    /// A `user:password@` part, which has no meaning for WebSocket and
    /// would leak credentials into logs.
    UserInfo,
    /// No host.
    MissingHost,
    /// A host with characters a host cannot hold, or a malformed IPv6 literal.
    InvalidHost,
    /// A port that is not a number from 1 to 65535.
    InvalidPort,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::MissingScheme => f.write_str("URL has no scheme"),
            UrlError::UnsupportedScheme(s) => write!(f, "URL scheme {s:?} is not ws or wss"),
            UrlError::Fragment => f.write_str("WebSocket URLs cannot have a fragment"),
            UrlError::UserInfo => f.write_str("WebSocket URLs cannot carry user information"),
            UrlError::MissingHost => f.write_str("URL has no host"),
            UrlError::InvalidHost => f.write_str("URL host is invalid"),
            UrlError::InvalidPort => f.write_str("URL port is invalid"),
        }
    }
}

impl std::error::Error for UrlError {}

impl WsUrl {
    /// Parses a `ws://` or `wss://` URL.
    ///
    /// The scheme and host are case-insensitive and stored in lower case. The
    /// port defaults to 80 (`ws`) or 443 (`wss`); an empty port (`ws://h:/`)
    /// means the default. An empty path becomes `/`. Bytes that cannot appear
    /// in a request target (spaces, controls, non-ASCII, `"<>\^`{|}`) are
    /// percent-encoded in the path and query; existing `%XX` are kept as is.
    /// Hosts are taken literally: no IDNA, no percent-decoding.
    pub fn parse(url: &str) -> Result<WsUrl, UrlError> {
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::MissingScheme)?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(UrlError::UnsupportedScheme(scheme.to_owned()));
        };
        if rest.contains('#') {
            return Err(UrlError::Fragment);
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, ipv6, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (literal, after) = bracketed.split_once(']').ok_or(UrlError::InvalidHost)?;
            if literal.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(UrlError::InvalidHost);
            }
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or(UrlError::InvalidHost)?),
            };
            (literal.to_ascii_lowercase(), true, port)
        } else {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if host.is_empty() {
                return Err(UrlError::MissingHost);
            }
            if !host.bytes().all(is_reg_name_byte) {
                return Err(UrlError::InvalidHost);
            }
            (host.to_ascii_lowercase(), false, port)
        };
        let default_port = if secure { 443 } else { 80 };
        let port = match port {
            None | Some("") => default_port,
            Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(UrlError::InvalidPort),
                Ok(n) => n,
            },
            Some(_) => return Err(UrlError::InvalidPort),
        };
        let mut resource = String::with_capacity(target.len() + 1);
        if !target.starts_with('/') {
            resource.push('/');
        }
        for &b in target.as_bytes() {
            if needs_encoding(b) {
                resource.push('%');
                resource.push(char::from(HEX[usize::from(b >> 4)]));
                resource.push(char::from(HEX[usize::from(b & 0xF)]));
            } else {
                resource.push(char::from(b));
            }
        }
        Ok(WsUrl { secure, host, ipv6, port, resource })
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to, lower-cased; an IPv6 literal without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to: explicit, or 80 / 443 by scheme.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The value of the `Host` header: the host (IPv6 in brackets), with
    /// `:port` only when the port is not the scheme's default.
    pub fn host_header(&self) -> String {
        let mut out = if self.ipv6 { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port != if self.secure { 443 } else { 80 } {
            out.push(':');
            out.push_str(&self.port.to_string());
        }
        out
    }

    /// The request target: the path and the query, e.g. `/chat?room=1`;
    /// never empty.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The path alone, without the query.
    pub fn path(&self) -> &str {
        self.resource.split_once('?').map_or(&self.resource, |(p, _)| p)
    }

    /// The query after `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.resource.split_once('?').map(|(_, q)| q)
    }
}

impl FromStr for WsUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<WsUrl, UrlError> {
        WsUrl::parse(s)
    }
}

/// Writes the URL back, normalised: `ws://host[:port]/resource`.
impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}{}", self.host_header(), self.resource)
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `reg-name = *( unreserved / pct-encoded / sub-delims )` (RFC 3986 §3.2.2).
fn is_reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b)
}

/// Bytes that are not allowed as they are in a request target.
fn needs_encoding(b: u8) -> bool {
    b <= b' ' || b >= 0x7F || b"\"<>\\^`{|}".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_what_a_request_line_cannot_hold() {
        let url = WsUrl::parse("ws://h/a b/é?q=\"x\"").unwrap();
        assert_eq!(url.resource(), "/a%20b/%C3%A9?q=%22x%22");
        assert_eq!(url.path(), "/a%20b/%C3%A9");
        assert_eq!(url.query(), Some("q=%22x%22"));
        assert_eq!(url.to_string(), "ws://h/a%20b/%C3%A9?q=%22x%22");
    }
}
