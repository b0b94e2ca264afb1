//! `Sec-WebSocket-Extensions` values (RFC 6455 §9.1): parse and format.
//!
//! ```text
//! extension-list = 1#extension
//! extension      = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//!     ; a quoted-string value, once unescaped, must be a token
//! ```
//!
//! This module only knows the syntax. Which extensions and parameters are
//! acceptable is the business of each extension (permessage-deflate builds
//! on [`ExtensionOffer`]) and of the application.

use core::fmt;

use super::headers::{is_ows, is_tchar, is_token};

/// One element of a `Sec-WebSocket-Extensions` list: an extension name with
/// its parameters, as a client offers it or a server accepts it.
///
/// ```
/// use wsproto::handshake::ExtensionOffer;
///
/// let offers = ExtensionOffer::parse_list(b"permessage-deflate; client_max_window_bits, foo; a=\"1\"")?;
/// assert_eq!(offers[0].name, "permessage-deflate");
/// assert_eq!(offers[0].param("client_max_window_bits"), Some(None));
/// assert_eq!(offers[1].param("a"), Some(Some("1")));
/// assert_eq!(offers[1].to_string(), "foo; a=1");
/// # Ok::<(), wsproto::handshake::ExtensionParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// The parameters in order: a name and an optional value, unquoted.
    /// Names may repeat; whether that is allowed is for the extension to say.
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An extension with no parameters.
    pub fn new(name: impl Into<String>) -> ExtensionOffer {
        ExtensionOffer { name: name.into(), params: Vec::new() }
    }

    /// Adds a parameter without a value (`; name`).
    pub fn with_flag(mut self, name: impl Into<String>) -> ExtensionOffer {
        self.params.push((name.into(), None));
        self
    }

    /// Adds a parameter with a value (`; name=value`).
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> ExtensionOffer {
        self.params.push((name.into(), Some(value.into())));
        self
    }

    /// The first parameter called `name` (ASCII case-insensitive): `None` if
    /// absent, `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_deref())
    }

    /// Whether this element can be written on the wire: the name, every
    /// parameter name and every value are tokens. The handshake writers
    /// refuse elements for which this is false.
    pub fn is_valid(&self) -> bool {
        is_token(self.name.as_bytes())
            && self
                .params
                .iter()
                .all(|(n, v)| is_token(n.as_bytes()) && v.as_ref().is_none_or(|v| is_token(v.as_bytes())))
    }

    /// Whether `self` and `other` name the same extension (ASCII
    /// case-insensitive).
    pub fn same_name(&self, other: &str) -> bool {
        self.name.eq_ignore_ascii_case(other)
    }

    /// Parses one header value into its elements, appending them to `out`.
    /// Empty list elements (`a, , b`) are skipped (RFC 9110 §5.6.1). On error
    /// `out` may hold the elements before the fault.
    pub fn parse_into(value: &[u8], out: &mut Vec<ExtensionOffer>) -> Result<(), ExtensionParseError> {
        Parser { input: value, pos: 0 }.list(out)
    }

    /// Parses one header value into its elements.
    pub fn parse_list(value: &[u8]) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
        let mut out = Vec::new();
        ExtensionOffer::parse_into(value, &mut out)?;
        Ok(out)
    }

    /// Formats a list as one header value: elements joined by `", "`.
    pub fn format_list(list: &[ExtensionOffer]) -> String {
        let mut out = String::new();
        for (i, ext) in list.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&ext.to_string());
        }
        out
    }
}

/// Writes `name; p; q=v`. Values that are tokens are written bare; any other
/// value (which [`ExtensionOffer::is_valid`] refuses) is written as a quoted
/// string with `"` and `\` escaped and control bytes dropped, so the output
/// never breaks a header line.
impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            match value {
                None => {}
                Some(v) if is_token(v.as_bytes()) => write!(f, "={v}")?,
                Some(v) => {
                    f.write_str("=\"")?;
                    for c in v.chars().filter(|c| !c.is_control()) {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
            }
        }
        Ok(())
    }
}

/// A `Sec-WebSocket-Extensions` value that breaks the §9.1 grammar.
/// `at` is the byte offset of the fault in the header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionParseError {
    /// A token (extension name, parameter name or value) was expected.
    ExpectedToken {
        /// Byte offset in the value.
        at: usize,
    },
    /// A byte that cannot follow here (after an element or a parameter, only
    /// `;`, `,` or the end may come).
    UnexpectedByte {
        /// Byte offset in the value.
        at: usize,
        /// The byte found.
        byte: u8,
    },
    /// A quoted string without its closing quote, or with a byte a quoted
    /// string cannot hold.
    BadQuotedString {
        /// Byte offset of the fault in the value.
        at: usize,
    },
    /// A quoted value whose unquoted content is not a token (§9.1).
    QuotedValueNotToken {
        /// Byte offset of the opening quote.
        at: usize,
    },
}

impl fmt::Display for ExtensionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtensionParseError::ExpectedToken { at } => write!(f, "expected a token at byte {at}"),
            ExtensionParseError::UnexpectedByte { at, byte } => {
                write!(f, "unexpected byte {byte:#04x} at byte {at}")
            }
            ExtensionParseError::BadQuotedString { at } => write!(f, "malformed quoted string at byte {at}"),
            ExtensionParseError::QuotedValueNotToken { at } => {
                write!(f, "quoted value at byte {at} is not a token once unquoted")
            }
        }
    }
}

impl std::error::Error for ExtensionParseError {}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Result<String, ExtensionParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        match self.input.get(start..self.pos) {
            // Tokens are ASCII, so this never fails.
            Some(t) if !t.is_empty() => Ok(String::from_utf8_lossy(t).into_owned()),
            _ => Err(ExtensionParseError::ExpectedToken { at: start }),
        }
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, positioned
    /// on the opening quote; returns the unescaped content, which must be a token.
    fn quoted_token(&mut self) -> Result<String, ExtensionParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut content = Vec::new();
        loop {
            let at = self.pos;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || (b >= 0x20 && b != 0x7F) => content.push(b),
                        _ => return Err(ExtensionParseError::BadQuotedString { at: self.pos }),
                    }
                }
                Some(b) if b == b'\t' || (b >= 0x20 && b != 0x7F) => content.push(b),
                _ => return Err(ExtensionParseError::BadQuotedString { at }),
            }
            self.pos += 1;
        }
        if !is_token(&content) {
            return Err(ExtensionParseError::QuotedValueNotToken { at: open });
        }
        Ok(String::from_utf8_lossy(&content).into_owned())
    }

    fn list(&mut self, out: &mut Vec<ExtensionOffer>) -> Result<(), ExtensionParseError> {
        loop {
            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            let mut ext = ExtensionOffer::new(self.token()?);
            loop {
                self.skip_ows();
                match self.peek() {
                    None => {
                        out.push(ext);
                        return Ok(());
                    }
                    Some(b',') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b';') => {
                        self.pos += 1;
                        self.skip_ows();
                        let name = self.token()?;
                        self.skip_ows();
                        let value = if self.peek() == Some(b'=') {
                            self.pos += 1;
                            self.skip_ows();
                            Some(if self.peek() == Some(b'"') { self.quoted_token()? } else { self.token()? })
                        } else {
                            None
                        };
                        ext.params.push((name, value));
                    }
                    Some(byte) => return Err(ExtensionParseError::UnexpectedByte { at: self.pos, byte }),
                }
            }
            out.push(ext);
        }
    }
}
