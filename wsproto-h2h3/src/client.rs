//! An HTTP/2 client doing extended CONNECT with the `h2` crate: one TLS
//! connection (ALPN `h2`), as many WebSockets as wanted, each on a stream.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use http::{HeaderName, HeaderValue, Method};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use wsproto::handshake::{ClientOptions, ConnectClient, ConnectResponseError, UsageError};
use wsproto::{Config, Role};
use wsproto_tokio::WebSocket;

use crate::h2_stream::H2Stream;

/// What can go wrong opening a WebSocket over HTTP/2.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The TCP connection or the TLS handshake failed.
    Io(std::io::Error),
    /// The TLS configuration was refused.
    Tls(rustls::Error),
    /// ALPN did not choose `h2`.
    NotH2,
    /// HTTP/2 failed (the connection, or the stream was reset).
    H2(h2::Error),
    /// The server did not send `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`
    /// (RFC 8441 §3): no WebSocket may be opened on this connection.
    NoExtendedConnect,
    /// The URL or the options are not valid.
    Usage(UsageError),
    /// The server refused, or answered what we did not offer.
    Response(ConnectResponseError),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "connection failed: {e}"),
            ClientError::Tls(e) => write!(f, "TLS configuration refused: {e}"),
            ClientError::NotH2 => f.write_str("the server did not choose h2 by ALPN"),
            ClientError::H2(e) => write!(f, "HTTP/2 failed: {e}"),
            ClientError::NoExtendedConnect => f.write_str("the server does not enable extended CONNECT"),
            ClientError::Usage(e) => write!(f, "{e}"),
            ClientError::Response(e) => write!(f, "WebSocket refused: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// One HTTP/2 connection to a server that enables extended CONNECT.
#[derive(Clone)]
pub struct H2Client {
    send_request: SendRequest<Bytes>,
}

impl H2Client {
    /// Connects to `addr` over TLS as `server_name`, offering ALPN `h2`
    /// only, and waits for the server's SETTINGS to allow extended CONNECT
    /// (up to one second).
    pub async fn connect(
        addr: SocketAddr,
        server_name: &str,
        tls: rustls::ClientConfig,
    ) -> Result<H2Client, ClientError> {
        let tcp = TcpStream::connect(addr).await.map_err(ClientError::Io)?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| ClientError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let stream = TlsConnector::from(Arc::new(tls)).connect(name, tcp).await.map_err(ClientError::Io)?;
        if stream.get_ref().1.alpn_protocol() != Some(crate::tls::ALPN_H2) {
            return Err(ClientError::NotH2);
        }
        let (send_request, connection) = h2::client::handshake(stream).await.map_err(ClientError::H2)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("h2 connection ended: {e}");
            }
        });
        let mut send_request = send_request.ready().await.map_err(ClientError::H2)?;
        // The server's SETTINGS arrive with its preface; give them a moment.
        for _ in 0..200 {
            if send_request.is_extended_connect_protocol_enabled() {
                return Ok(H2Client { send_request });
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            send_request = send_request.ready().await.map_err(ClientError::H2)?;
        }
        Err(ClientError::NoExtendedConnect)
    }

    /// Opens a WebSocket to `url` (`wss://host/path`) on a new stream:
    /// extended CONNECT with the fields of [`ConnectClient`], the answer
    /// checked, then the driver on the stream.
    pub async fn websocket(
        &self,
        url: &str,
        options: ClientOptions,
        config: Config,
    ) -> Result<WebSocket<H2Stream>, ClientError> {
        let client = ConnectClient::new(url, options, &config).map_err(ClientError::Usage)?;
        let request = to_http(&client.request_fields());
        let (status, headers, send, recv) = self.send(request).await?;
        let fields = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let open = client.check_response(status, fields).map_err(ClientError::Response)?;
        Ok(WebSocket::from_open(H2Stream::new(send, recv), Role::Client, open, config))
    }

    /// Sends any request on a new stream, without ending it, and waits for
    /// the answer's head: for tests of what a server refuses.
    pub async fn send(
        &self,
        request: http::Request<()>,
    ) -> Result<(u16, http::HeaderMap, h2::SendStream<Bytes>, h2::RecvStream), ClientError> {
        let mut send_request = self.send_request.clone().ready().await.map_err(ClientError::H2)?;
        let (response, send) = send_request.send_request(request, false).map_err(ClientError::H2)?;
        let response = response.await.map_err(ClientError::H2)?;
        let (parts, recv) = response.into_parts();
        Ok((parts.status.as_u16(), parts.headers, send, recv))
    }
}

/// The fields of [`ConnectClient::request_fields`] as an `http` request:
/// the pseudo-headers become the method, the URI and the `:protocol`
/// extension; the rest are headers.
pub fn to_http(fields: &[(String, String)]) -> http::Request<()> {
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str());
    let uri = format!("{}://{}{}", get(":scheme"), get(":authority"), get(":path"));
    let mut request = http::Request::new(());
    *request.method_mut() = Method::CONNECT;
    *request.uri_mut() = uri.parse().unwrap_or_default();
    request.extensions_mut().insert(h2::ext::Protocol::from(get(":protocol")));
    for (name, value) in fields.iter().filter(|(n, _)| !n.starts_with(':')) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            request.headers_mut().append(name, value);
        }
    }
    request
}
