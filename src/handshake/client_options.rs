//! What a client offers in its upgrade request, and the checks on it.

use super::error::UsageError;
use super::extensions::ExtensionOffer;
use super::headers::{
    CONNECTION, HOST, ORIGIN, SEC_EXTENSIONS, SEC_KEY, SEC_PROTOCOL, SEC_VERSION, UPGRADE, is_token,
    is_valid_header_value,
};
use super::limits::HandshakeLimits;
use super::response::check_extra_headers;

/// What a client offers and sends besides the required headers.
///
/// ```
/// use wsproto::handshake::{ClientOptions, ExtensionOffer};
///
/// let options = ClientOptions::new()
///     .with_subprotocol("chat")
///     .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"))
///     .with_origin("https://example.com");
/// assert_eq!(options.subprotocols, ["chat"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Subprotocols, most preferred first; unique tokens.
    pub subprotocols: Vec<String>,
    /// Extension offers, in order of preference.
    pub extensions: Vec<ExtensionOffer>,
    /// The `Origin` header, if any (browsers always send one).
    pub origin: Option<String>,
    /// Extra headers (`Authorization`, `Cookie`, `User-Agent`, ...).
    pub headers: Vec<(String, String)>,
    /// Limits on the server's response.
    pub limits: HandshakeLimits,
}

impl ClientOptions {
    /// No subprotocol, extension, origin or extra header; default limits.
    pub fn new() -> ClientOptions {
        ClientOptions::default()
    }

    /// Offers a subprotocol (after those already offered).
    pub fn with_subprotocol(mut self, protocol: impl Into<String>) -> ClientOptions {
        self.subprotocols.push(protocol.into());
        self
    }

    /// Offers an extension (after those already offered).
    pub fn with_extension(mut self, extension: ExtensionOffer) -> ClientOptions {
        self.extensions.push(extension);
        self
    }

    /// Sets the `Origin` header.
    pub fn with_origin(mut self, origin: impl Into<String>) -> ClientOptions {
        self.origin = Some(origin.into());
        self
    }

    /// Adds a header to the request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> ClientOptions {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the limits on the response.
    pub fn with_limits(mut self, limits: HandshakeLimits) -> ClientOptions {
        self.limits = limits;
        self
    }

    /// Checks the options: subprotocols are unique tokens, extension offers
    /// are valid, the origin and extra headers are well-formed, and no extra
    /// header is one the handshake writes itself (`Host`, `Upgrade`,
    /// `Connection`, `Origin`, `Sec-WebSocket-*`, `Content-Length`,
    /// `Transfer-Encoding`). [`ClientHandshake::new`](super::ClientHandshake::new) calls it.
    pub fn validate(&self) -> Result<(), UsageError> {
        for (i, p) in self.subprotocols.iter().enumerate() {
            if !is_token(p.as_bytes()) {
                return Err(UsageError::InvalidSubprotocol(p.clone()));
            }
            if self.subprotocols[..i].contains(p) {
                return Err(UsageError::DuplicateSubprotocol(p.clone()));
            }
        }
        if let Some(ext) = self.extensions.iter().find(|e| !e.is_valid()) {
            return Err(UsageError::InvalidExtension(ext.name.clone()));
        }
        if let Some(origin) = &self.origin
            && !is_valid_header_value(origin.as_bytes())
        {
            return Err(UsageError::InvalidHeaderValue(ORIGIN.to_owned()));
        }
        check_extra_headers(&self.headers, REQUEST_RESERVED)
    }
}

/// Headers of the request that the application may not set itself.
const REQUEST_RESERVED: &[&str] = &[
    HOST,
    UPGRADE,
    CONNECTION,
    ORIGIN,
    SEC_KEY,
    SEC_VERSION,
    SEC_PROTOCOL,
    SEC_EXTENSIONS,
    "Content-Length",
    "Transfer-Encoding",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::ClientHandshake;
    use crate::rng::PredictableRandom;

    #[test]
    fn options_are_checked() {
        let mut rng = PredictableRandom::new(3);
        let bad = |o: ClientOptions| ClientHandshake::new("ws://h/", o, &mut PredictableRandom::new(3)).unwrap_err();
        assert_eq!(bad(ClientOptions::new().with_subprotocol("a b")), UsageError::InvalidSubprotocol("a b".into()));
        assert_eq!(
            bad(ClientOptions::new().with_subprotocol("a").with_subprotocol("a")),
            UsageError::DuplicateSubprotocol("a".into())
        );
        assert_eq!(bad(ClientOptions::new().with_header("host", "x")), UsageError::ReservedHeader("host".into()));
        assert_eq!(bad(ClientOptions::new().with_origin("a\r\nb")), UsageError::InvalidHeaderValue("Origin".into()));
        let ok = ClientHandshake::new("ws://h", ClientOptions::new(), &mut rng).unwrap();
        assert_eq!(ok.request_headers().len(), 5);
    }
}
