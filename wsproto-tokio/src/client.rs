//! Client connections: TCP from a URL, or the caller's stream (TLS).

use std::future::poll_fn;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wsproto::handshake::{ClientHandshake, ClientOptions, Request, WsUrl};
use wsproto::{Config, Connection, Event};

use crate::socket::Half;
use crate::{Error, MaybeTlsStream, WebSocket};

/// Connects to `url` over TCP, or TLS over TCP for `wss://`, with the
/// default options and [`Config`], and completes the opening handshake.
///
/// Fails with [`Error::Connection`] if the server refuses the upgrade
/// (`wsproto::Error::Response`, which carries the status), with
/// [`Error::Url`] for a URL that names no WebSocket endpoint, with
/// [`Error::Io`] if TCP or TLS fails (a certificate that does not verify
/// is an [`io::ErrorKind::InvalidData`](std::io::ErrorKind::InvalidData)
/// error whose source is rustls's), and with [`Error::TlsRequired`] for
/// `wss://` when the crate is built without its feature `rustls` (or use
/// [`client`] over a TLS stream of your own).
pub async fn connect(url: &str) -> Result<WebSocket<MaybeTlsStream>, Error> {
    connect_with(url, ClientOptions::new(), Config::default()).await
}

/// As [`connect`], with handshake options (subprotocols, headers) and a
/// connection [`Config`]. The URL is parsed once, for the TCP connection,
/// the TLS server name and the request. The TCP connect and the TLS
/// handshake are bounded by [`Config::handshake_timeout`] as the
/// WebSocket handshake is ([`Error::ConnectTimeout`]); Nagle's delay is off.
///
/// `wss://` (feature `rustls`) verifies the server's certificate against
/// the Mozilla root certificates (the `webpki-roots` crate) and offers ALPN
/// `http/1.1`; `connect_with_tls` (same feature) takes a rustls
/// configuration of your own (other roots, a client certificate).
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
    config: Config,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    connect_choosing(url, options, config, TlsChoice::Default).await
}

/// As [`connect_with`], with `tls` as the rustls configuration of a
/// `wss://` URL (ignored for `ws://`): for roots other than the Mozilla
/// ones, a client certificate, or ALPN of your own. Leave its ALPN empty or
/// include `http/1.1`: the upgrade is an HTTP/1.1 request.
#[cfg(feature = "rustls")]
pub async fn connect_with_tls(
    url: &str,
    options: ClientOptions,
    config: Config,
    tls: std::sync::Arc<rustls::ClientConfig>,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    connect_choosing(url, options, config, TlsChoice::Given(tls)).await
}

/// [`connect_with`] with the TLS configuration `tls` for a `wss://` URL.
async fn connect_choosing(
    url: &str,
    options: ClientOptions,
    config: Config,
    tls: TlsChoice,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    let url = WsUrl::parse(url).map_err(|e| Error::Url(e.into()))?;
    let stream = open(&url, &config, tls).await?;
    client_url(stream, url, options, config).await
}

/// The TLS configuration for a `wss://` URL.
enum TlsChoice {
    /// The crate's (`transport::tls::default_config`).
    Default,
    /// The caller's.
    #[cfg(feature = "rustls")]
    Given(std::sync::Arc<rustls::ClientConfig>),
}

/// Opens the transport `url` names, within the handshake timeout: TCP, and
/// TLS over it for `wss://`.
async fn open(url: &WsUrl, config: &Config, tls: TlsChoice) -> Result<MaybeTlsStream, Error> {
    if url.is_secure() && !cfg!(feature = "rustls") {
        return Err(Error::TlsRequired);
    }
    let opening = async {
        let tcp = TcpStream::connect((url.host(), url.port())).await?;
        tcp.set_nodelay(true)?;
        #[cfg(feature = "rustls")]
        if url.is_secure() {
            let tls = match tls {
                TlsChoice::Default => crate::transport::tls::default_config(),
                TlsChoice::Given(tls) => tls,
            };
            return crate::transport::tls::connect(tcp, url.host(), tls).await;
        }
        #[cfg(not(feature = "rustls"))]
        let TlsChoice::Default = tls;
        Ok(MaybeTlsStream::Plain(tcp))
    };
    match config.handshake_timeout {
        Some(limit) => tokio::time::timeout(limit, opening).await.map_err(|_| Error::ConnectTimeout)?,
        None => opening.await,
    }
}

/// The opening handshake for `url` over a stream the caller opened (a TLS
/// stream for `wss://`, a proxy tunnel): the stream must already reach
/// the URL's host.
pub async fn client<S>(stream: S, url: &str, options: ClientOptions, config: Config) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let url = WsUrl::parse(url).map_err(|e| Error::Url(e.into()))?;
    client_url(stream, url, options, config).await
}

async fn client_url<S>(stream: S, url: WsUrl, options: ClientOptions, config: Config) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut rng = crate::rng::SecureRng::new();
    let handshake = ClientHandshake::from_url(url, options, &mut rng).map_err(Error::Url)?;
    // Boxed while the handshake runs, and built in a block, as in `accept_after`.
    let mut ws = Box::new(WebSocket::new(stream, Connection::client(handshake, config, rng, crate::now())));
    poll_fn(|cx| ws.poll_opening(cx, |_, _| {})).await?;
    Ok(*ws)
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Drives the opening handshake until `Open`, handing a server's
    /// `Request` to `on_request` (which answers it on the connection). Fails
    /// with the connection's failure, or [`Error::Closed`] when it ended
    /// without one (a rejection, an abort), once the transport is shut down.
    pub(crate) fn poll_opening(
        &mut self,
        cx: &mut Context<'_>,
        mut on_request: impl FnMut(&mut Connection, &Request),
    ) -> Poll<Result<(), Error>> {
        loop {
            if self.opened {
                // Open, once its output (a server's 101) is written.
                let written = ready!(self.poll_write_out(cx, Half::Stream));
                if written.is_ok() {
                    self.release_after_handshake();
                }
                return Poll::Ready(written.map_err(Error::Io));
            }
            let event = match ready!(self.poll_event(cx)) {
                Ok(Some(event)) => event,
                Ok(None) => {
                    self.done = true;
                    return Poll::Ready(Err(self.failure.as_deref().cloned().map_or(Error::Closed, Error::Connection)));
                }
                Err(e) => return Poll::Ready(Err(Error::Io(e))),
            };
            match self.record(event) {
                Some(Event::Open(_)) => self.opened = true,
                Some(Event::Request(request)) => on_request(&mut self.conn, &request),
                _ => {}
            }
        }
    }
}
