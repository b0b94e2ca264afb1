//! The server side: validate an extended CONNECT request, answer it.

use super::WEBSOCKET_PROTOCOL;
use super::error::{ConnectRequestError, PseudoHeader};
use crate::config::Config;
use crate::error::AnswerError;
use crate::event::{Open, Transport};
use crate::handshake::headers::{SEC_EXTENSIONS, SEC_PROTOCOL, SEC_VERSION, trim_ows};
use crate::handshake::offers::{OfferError, Offers, read_offers};
use crate::handshake::response::{check_choice, check_extra_headers};
use crate::handshake::{AcceptOptions, ExtensionOffer, HeaderName, Headers, WEBSOCKET_VERSION};

/// A valid WebSocket request over HTTP/2 or HTTP/3, as the server
/// application sees it before it accepts or refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    scheme: String,
    authority: String,
    target: String,
    origin: Option<String>,
    subprotocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    headers: Headers,
}

/// What the server sends to accept, and what the connection opens with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectAccepted {
    /// The status: always 200.
    pub status: u16,
    /// The response's fields after `:status`, lower-case: the chosen
    /// `sec-websocket-protocol` and `sec-websocket-extensions`, then the
    /// extra headers of the [`AcceptOptions`].
    pub fields: Vec<(String, String)>,
    /// The negotiation, for [`Connection::open`](crate::Connection::open),
    /// with [`Transport::ExtendedConnect`].
    pub open: Open,
}

/// The pseudo-headers of a request, each at most once.
#[derive(Default)]
struct Pseudo {
    method: Option<String>,
    protocol: Option<String>,
    scheme: Option<String>,
    authority: Option<String>,
    path: Option<String>,
}

impl Pseudo {
    fn set(&mut self, name: &str, value: &[u8]) -> Result<(), ConnectRequestError> {
        let (which, slot) = match name {
            ":method" => (PseudoHeader::Method, &mut self.method),
            ":protocol" => (PseudoHeader::Protocol, &mut self.protocol),
            ":scheme" => (PseudoHeader::Scheme, &mut self.scheme),
            ":authority" => (PseudoHeader::Authority, &mut self.authority),
            ":path" => (PseudoHeader::Path, &mut self.path),
            _ => return Err(ConnectRequestError::UnknownPseudoHeader(name.to_owned())),
        };
        if slot.is_some() {
            return Err(ConnectRequestError::DuplicatePseudoHeader(which));
        }
        let value =
            core::str::from_utf8(trim_ows(value)).map_err(|_| ConnectRequestError::InvalidPseudoHeader(which))?;
        *slot = Some(value.to_owned());
        Ok(())
    }
}

impl ConnectRequest {
    /// Validates a request from its fields, pseudo-headers included, as
    /// the HTTP/2 or HTTP/3 stack decoded them. Names compare
    /// case-insensitively (pseudo-headers are lower-case on the wire);
    /// values are trimmed of surrounding whitespace.
    ///
    /// The rules of RFC 8441 §4–5 and RFC 9220, checked in this order so the
    /// first fault decides the answer: each pseudo-header at most once, none
    /// unknown; `:method` `CONNECT`; `:protocol` present and `websocket`
    /// (any case); `:scheme` `https` or `http`; `:path` and `:authority`
    /// present and not empty; one `sec-websocket-version: 13`; at most one
    /// UTF-8 `origin`; offered subprotocols that are tokens;
    /// `sec-websocket-extensions` in the RFC 6455 §9.1 grammar. There is no
    /// key: a `sec-websocket-key` is ignored (RFC 8441 §5), as are
    /// `upgrade` and `connection`, which the HTTP/2 and HTTP/3 stacks
    /// refuse themselves.
    pub fn from_fields<N, V>(fields: impl IntoIterator<Item = (N, V)>) -> Result<ConnectRequest, ConnectRequestError>
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let mut pseudo = Pseudo::default();
        let mut headers = Headers::new();
        for (name, value) in fields {
            let (name, value) = (name.as_ref(), value.as_ref());
            if name.starts_with(':') {
                pseudo.set(&name.to_ascii_lowercase(), value)?;
            } else {
                headers.push(name, trim_ows(value));
            }
        }
        let method = pseudo.method.ok_or(ConnectRequestError::MissingPseudoHeader(PseudoHeader::Method))?;
        if method != "CONNECT" {
            return Err(ConnectRequestError::Method(method));
        }
        let protocol = pseudo.protocol.ok_or(ConnectRequestError::MissingProtocol)?;
        if !protocol.eq_ignore_ascii_case(WEBSOCKET_PROTOCOL) {
            return Err(ConnectRequestError::UnknownProtocol(protocol));
        }
        let scheme = pseudo.scheme.ok_or(ConnectRequestError::MissingPseudoHeader(PseudoHeader::Scheme))?;
        if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
            return Err(ConnectRequestError::InvalidPseudoHeader(PseudoHeader::Scheme));
        }
        let target = non_empty(pseudo.path, PseudoHeader::Path)?;
        let authority = non_empty(pseudo.authority, PseudoHeader::Authority)?;
        let version = single(&headers, HeaderName::SecWebSocketVersion)?
            .ok_or(ConnectRequestError::MissingHeader(HeaderName::SecWebSocketVersion))?;
        if version != WEBSOCKET_VERSION.as_bytes() {
            return Err(ConnectRequestError::UnsupportedVersion(String::from_utf8_lossy(version).into_owned()));
        }
        let Offers { origin, subprotocols, extensions } = read_offers(&headers).map_err(|e| match e {
            OfferError::Duplicate(name) => ConnectRequestError::DuplicateHeader(name),
            OfferError::Invalid(name) => ConnectRequestError::InvalidHeader(name),
            OfferError::Extensions(e) => ConnectRequestError::InvalidExtensions(e),
        })?;
        Ok(ConnectRequest {
            scheme: scheme.to_ascii_lowercase(),
            authority,
            target,
            origin,
            subprotocols,
            extensions,
            headers,
        })
    }

    /// `https` or `http`, lower-case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `:authority`: the host, and the port if given (HTTP/1.1's `Host`).
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `:path` as sent: the path and query (`/chat?room=1`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The target up to `?`.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The target after the first `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The `origin` field, if present (browsers always send it). Checking
    /// it is the application's job (RFC 6455 §10.2).
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The offered subprotocols, in the client's order of preference.
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The offered extensions with their parameters, in order.
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Every regular (not pseudo) field, in order, values trimmed.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Accepts: the `200`'s fields and the [`Open`] to start the
    /// connection with ([`Transport::ExtendedConnect`]).
    ///
    /// With [`Config::deflate`] set, a `permessage-deflate` offer is
    /// answered here ([`DeflateConfig::accept`]) unless `options` already
    /// carry an answer; an answer given in `options` is checked against the
    /// offers. Give the connection the same `config`.
    ///
    /// Fails if `options` choose a subprotocol or an extension the client
    /// did not offer, hold a malformed header, or one this answer writes
    /// itself or that HTTP/2 and HTTP/3 forbid (`sec-websocket-*`,
    /// `connection`, `upgrade`, `keep-alive`, `transfer-encoding`,
    /// `content-length`).
    ///
    /// [`DeflateConfig::accept`]: crate::deflate::DeflateConfig::accept
    pub fn accept(
        &self,
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut options: AcceptOptions,
        #[cfg_attr(not(feature = "deflate"), allow(unused_variables))] config: &Config,
    ) -> Result<ConnectAccepted, AnswerError> {
        #[cfg(feature = "deflate")]
        answer_deflate(&self.extensions, &mut options, config).map_err(AnswerError::Deflate)?;
        check_choice(&self.subprotocols, &self.extensions, &options).map_err(AnswerError::Invalid)?;
        check_extra_headers(&options.headers, ACCEPT_RESERVED).map_err(AnswerError::Invalid)?;
        let mut fields = Vec::new();
        if let Some(protocol) = &options.subprotocol {
            fields.push((SEC_PROTOCOL.to_ascii_lowercase(), protocol.clone()));
        }
        if !options.extensions.is_empty() {
            fields.push((SEC_EXTENSIONS.to_ascii_lowercase(), ExtensionOffer::format_list(&options.extensions)));
        }
        fields.extend(options.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())));
        let open = Open {
            subprotocol: options.subprotocol,
            extensions: options.extensions,
            transport: Transport::ExtendedConnect,
        };
        Ok(ConnectAccepted { status: 200, fields, open })
    }
}

/// Headers of the answer that the application may not set itself.
const ACCEPT_RESERVED: &[&str] = &[
    SEC_PROTOCOL,
    SEC_EXTENSIONS,
    SEC_VERSION,
    "Sec-WebSocket-Accept",
    "Connection",
    "Upgrade",
    "Keep-Alive",
    "Proxy-Connection",
    "Transfer-Encoding",
    "Content-Length",
];

/// The server's permessage-deflate answer, shared by both handshakes: an
/// answer already in `options` is checked against `offers`; otherwise
/// [`Config::deflate`] chooses among them and its answer is added to
/// `options`. The parameters in force, if compression was agreed.
#[cfg(feature = "deflate")]
pub(crate) fn answer_deflate(
    offers: &[ExtensionOffer],
    options: &mut AcceptOptions,
    config: &Config,
) -> Result<Option<crate::deflate::DeflateParams>, crate::deflate::NegotiationError> {
    use crate::deflate::{EXTENSION_NAME, check_response};
    if options.extensions.iter().any(|e| e.same_name(EXTENSION_NAME)) {
        check_response(offers, &options.extensions)
    } else if let Some(agreement) = config.deflate.as_ref().and_then(|c| c.accept(offers)) {
        options.extensions.push(agreement.response);
        Ok(Some(agreement.params))
    } else {
        Ok(None)
    }
}

fn non_empty(value: Option<String>, which: PseudoHeader) -> Result<String, ConnectRequestError> {
    match value {
        None => Err(ConnectRequestError::MissingPseudoHeader(which)),
        Some(v) if v.is_empty() => Err(ConnectRequestError::InvalidPseudoHeader(which)),
        Some(v) => Ok(v),
    }
}

/// The one value of a header that may appear at most once.
fn single(headers: &Headers, name: HeaderName) -> Result<Option<&[u8]>, ConnectRequestError> {
    crate::handshake::offers::single(headers, name).map_err(ConnectRequestError::DuplicateHeader)
}
