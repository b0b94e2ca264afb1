//! The client side: build an extended CONNECT request, check the answer.

use super::WEBSOCKET_PROTOCOL;
use super::error::ConnectResponseError;
use crate::config::Config;
use crate::event::{Open, Transport};
use crate::handshake::client::{AnswerFault, check_answer};
use crate::handshake::headers::{ORIGIN, SEC_EXTENSIONS, SEC_PROTOCOL, SEC_VERSION, trim_ows};
use crate::handshake::{ClientOptions, ExtensionOffer, HeaderName, Headers, UsageError, WEBSOCKET_VERSION, WsUrl};

/// A prepared WebSocket request over HTTP/2 or HTTP/3: its fields, and the
/// check of the server's answer.
///
/// # Contract
/// Send [`request_fields`](Self::request_fields) as the request's header
/// section on a new stream, only once the server's SETTINGS carried
/// `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` (RFC 8441 §3) and without ending
/// the stream. Give the answer's status and fields to
/// [`check_response`](Self::check_response); on success open the connection
/// with [`Connection::open`](crate::Connection::open) and the same
/// [`Config`], as [`Role::Client`](crate::Role::Client), and carry its
/// frames in DATA frames of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectClient {
    url: WsUrl,
    options: ClientOptions,
}

impl ConnectClient {
    /// Prepares a request for `url` (`wss://` asks for `:scheme https`,
    /// `ws://` for `http`). With [`Config::deflate`] set, its offers are
    /// added to `options` unless they already offer `permessage-deflate`.
    ///
    /// Fails, with nothing prepared, on a bad URL or options that
    /// [`ClientOptions::validate`] refuses.
    pub fn new(url: &str, options: ClientOptions, config: &Config) -> Result<ConnectClient, UsageError> {
        let url = WsUrl::parse(url)?;
        #[cfg(feature = "deflate")]
        let options = crate::connection::with_deflate_offers(options.clone(), config).unwrap_or(options);
        #[cfg(not(feature = "deflate"))]
        let _ = config;
        options.validate()?;
        Ok(ConnectClient { url, options })
    }

    /// The URL asked for.
    pub fn url(&self) -> &WsUrl {
        &self.url
    }

    /// What is offered, deflate offers included.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The request's fields in order, lower-case: `:method CONNECT`,
    /// `:protocol websocket`, `:scheme`, `:authority`, `:path`, then
    /// `sec-websocket-version: 13`, `origin`, `sec-websocket-protocol`,
    /// `sec-websocket-extensions` when set, then the extra headers.
    pub fn request_fields(&self) -> Vec<(String, String)> {
        let scheme = if self.url.is_secure() { "https" } else { "http" };
        let mut out = vec![
            (":method".to_owned(), "CONNECT".to_owned()),
            (":protocol".to_owned(), WEBSOCKET_PROTOCOL.to_owned()),
            (":scheme".to_owned(), scheme.to_owned()),
            (":authority".to_owned(), self.url.host_header()),
            (":path".to_owned(), self.url.resource().to_owned()),
            (SEC_VERSION.to_ascii_lowercase(), WEBSOCKET_VERSION.to_owned()),
        ];
        if let Some(origin) = &self.options.origin {
            out.push((ORIGIN.to_ascii_lowercase(), origin.clone()));
        }
        if !self.options.subprotocols.is_empty() {
            out.push((SEC_PROTOCOL.to_ascii_lowercase(), self.options.subprotocols.join(", ")));
        }
        if !self.options.extensions.is_empty() {
            out.push((SEC_EXTENSIONS.to_ascii_lowercase(), ExtensionOffer::format_list(&self.options.extensions)));
        }
        out.extend(self.options.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())));
        out
    }

    /// Checks the server's answer: `status` and its fields (pseudo-header
    /// fields, if given, are skipped). A 2xx status accepts (RFC 8441 §5);
    /// then at most one `sec-websocket-protocol`, one token that we
    /// offered; `sec-websocket-extensions` in the §9.1 grammar naming only
    /// extensions we offered, and a permessage-deflate answer that one of
    /// our offers allows. Returns the [`Open`] for
    /// [`Connection::open`](crate::Connection::open), with
    /// [`Transport::ExtendedConnect`].
    pub fn check_response<N, V>(
        &self,
        status: u16,
        fields: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Open, ConnectResponseError>
    where
        N: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let headers: Headers = fields
            .into_iter()
            .filter(|(n, _)| !n.as_ref().starts_with(':'))
            .map(|(n, v)| (n.as_ref().to_owned(), trim_ows(v.as_ref()).to_vec()))
            .collect();
        if !(200..300).contains(&status) {
            return Err(ConnectResponseError::Refused { status, headers });
        }
        let (subprotocol, extensions) = check_answer(&headers, &self.options).map_err(|fault| match fault {
            AnswerFault::DuplicateSubprotocol => {
                ConnectResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol)
            }
            AnswerFault::InvalidSubprotocol => ConnectResponseError::InvalidSubprotocol,
            AnswerFault::UnexpectedSubprotocol(p) => ConnectResponseError::UnexpectedSubprotocol(p),
            AnswerFault::InvalidExtensions(e) => ConnectResponseError::InvalidExtensions(e),
            AnswerFault::UnexpectedExtension(e) => ConnectResponseError::UnexpectedExtension(e),
        })?;
        #[cfg(feature = "deflate")]
        crate::deflate::check_response(&self.options.extensions, &extensions).map_err(ConnectResponseError::Deflate)?;
        Ok(Open { subprotocol, extensions, transport: Transport::ExtendedConnect })
    }
}
