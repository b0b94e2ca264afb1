//! Client connections: TCP from a URL, or the caller's stream (TLS).

use std::future::poll_fn;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wsproto::handshake::{ClientHandshake, ClientOptions, Request, WsUrl};
use wsproto::{Config, Connection, Event};

use crate::socket::Half;
use crate::{Error, WebSocket};

/// Connects to `url` (`ws://` only) over TCP with the default options and
/// [`Config`], and completes the opening handshake.
///
/// Fails with [`Error::Connection`] if the server refuses the upgrade
/// (`wsproto::Error::Response`, which carries the status), with
/// [`Error::Url`] for a URL that names no WebSocket endpoint, and with
/// [`Error::TlsRequired`] for `wss://` (use [`client`] over a TLS stream).
pub async fn connect(url: &str) -> Result<WebSocket<TcpStream>, Error> {
    connect_with(url, ClientOptions::new(), Config::default()).await
}

/// As [`connect`], with handshake options (subprotocols, headers) and a
/// connection [`Config`]. The URL is parsed once, for both the TCP
/// connection and the request. The TCP connect is bounded by
/// [`Config::handshake_timeout`] as the handshake is; Nagle's delay is off.
pub async fn connect_with(url: &str, options: ClientOptions, config: Config) -> Result<WebSocket<TcpStream>, Error> {
    let url = WsUrl::parse(url).map_err(|e| Error::Url(e.into()))?;
    if url.is_secure() {
        return Err(Error::TlsRequired);
    }
    let connecting = TcpStream::connect((url.host(), url.port()));
    let stream = match config.handshake_timeout {
        Some(limit) => tokio::time::timeout(limit, connecting).await.map_err(|_| Error::ConnectTimeout)??,
        None => connecting.await?,
    };
    stream.set_nodelay(true)?;
    client_url(stream, url, options, config).await
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
