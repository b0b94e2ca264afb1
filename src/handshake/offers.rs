//! What a client's opening request offers, read the same way for an
//! HTTP/1.1 upgrade (RFC 6455 §4.2.1) and an extended CONNECT (RFC 8441 §5,
//! RFC 9220): the origin, the subprotocols and the extensions.

use super::extensions::{ExtensionOffer, ExtensionParseError};
use super::headers::{HeaderName, Headers, SEC_EXTENSIONS, SEC_PROTOCOL, is_token, trim_ows};

/// The request's offers.
pub(crate) struct Offers {
    pub(crate) origin: Option<String>,
    pub(crate) subprotocols: Vec<String>,
    pub(crate) extensions: Vec<ExtensionOffer>,
}

/// Why the offers could not be read; each request type maps it to its own
/// error.
pub(crate) enum OfferError {
    /// A header that may appear once appears more than once.
    Duplicate(HeaderName),
    /// A header's value is malformed.
    Invalid(HeaderName),
    /// `Sec-WebSocket-Extensions` does not parse.
    Extensions(ExtensionParseError),
}

/// The one value of a header that may appear at most once, trimmed;
/// `Err(name)` when it appears more than once.
pub(crate) fn single(headers: &Headers, name: HeaderName) -> Result<Option<&[u8]>, HeaderName> {
    let mut values = headers.get_all(name.as_str());
    let first = values.next().map(trim_ows);
    if values.next().is_some() {
        return Err(name);
    }
    Ok(first)
}

/// Reads the origin (at most one, UTF-8), the subprotocols (tokens, in
/// order) and the extension offers (in order) of a request's headers.
pub(crate) fn read_offers(headers: &Headers) -> Result<Offers, OfferError> {
    let origin = match single(headers, HeaderName::Origin).map_err(OfferError::Duplicate)? {
        None => None,
        Some(o) => Some(core::str::from_utf8(o).map_err(|_| OfferError::Invalid(HeaderName::Origin))?.to_owned()),
    };
    let mut subprotocols = Vec::new();
    for item in headers.list(SEC_PROTOCOL) {
        if !is_token(item) {
            return Err(OfferError::Invalid(HeaderName::SecWebSocketProtocol));
        }
        subprotocols.push(String::from_utf8_lossy(item).into_owned());
    }
    let mut extensions = Vec::new();
    for value in headers.get_all(SEC_EXTENSIONS) {
        ExtensionOffer::parse_into(value, &mut extensions).map_err(OfferError::Extensions)?;
    }
    Ok(Offers { origin, subprotocols, extensions })
}
