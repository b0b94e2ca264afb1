//! WebSockets over HTTP/3 (RFC 9220) on quinn: a server and a client.
//!
//! The `h3` crate (0.0.8, the newest release) cannot carry them: its
//! `:protocol` type knows only `webtransport` and `connect-udp`, and a
//! request with `:protocol websocket` fails to parse. So this module speaks
//! the little HTTP/3 that extended CONNECT needs itself ([`wire`]): each
//! side opens its control stream with SETTINGS carrying
//! SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; the client waits for the
//! server's before it opens a request stream with a HEADERS frame of
//! [`ConnectClient::request_fields`]; the server answers HEADERS with
//! `:status` and the fields of [`ConnectRequest::accept`] (or of the
//! refusal), and from then on WebSocket bytes travel in DATA frames, each
//! direction ending with a QUIC FIN after the close frames.
//!
//! The request stream is handed to the tokio driver through an in-memory
//! pipe: one task unwraps DATA frames into it, one wraps what the driver
//! writes into DATA frames. The peer's FIN, or a reset of the stream, is
//! the end of the pipe: the connection's `handle_eof`, a failure unless the
//! close handshake had finished.

pub mod wire;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::oneshot;
use wsproto::handshake::{
    AcceptOptions, ClientOptions, ConnectClient, ConnectRequest, ConnectResponseError, Rejection, UsageError,
};
use wsproto::{Config, Role};
use wsproto_tokio::WebSocket;

use self::wire::{CONTROL_STREAM, DATA, ENABLE_CONNECT_PROTOCOL, HEADERS, SETTINGS};

/// What can go wrong on the HTTP/3 side.
#[derive(Debug)]
#[non_exhaustive]
pub enum H3Error {
    /// A stream or the wire format failed.
    Io(io::Error),
    /// The QUIC or TLS configuration was refused.
    Config(String),
    /// The QUIC connection could not start.
    Connect(quinn::ConnectError),
    /// The QUIC connection failed.
    Connection(quinn::ConnectionError),
    /// The server's SETTINGS did not enable extended CONNECT (RFC 9220 §3),
    /// or never came.
    NoExtendedConnect,
    /// The answer had no valid `:status`.
    NoStatus,
    /// The URL or the options are not valid.
    Usage(UsageError),
    /// The server refused, or answered what we did not offer.
    Response(ConnectResponseError),
}

impl fmt::Display for H3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            H3Error::Io(e) => write!(f, "HTTP/3 stream failed: {e}"),
            H3Error::Config(e) => write!(f, "QUIC configuration refused: {e}"),
            H3Error::Connect(e) => write!(f, "QUIC connect failed: {e}"),
            H3Error::Connection(e) => write!(f, "QUIC connection failed: {e}"),
            H3Error::NoExtendedConnect => f.write_str("the server does not enable extended CONNECT"),
            H3Error::NoStatus => f.write_str("the answer has no valid :status"),
            H3Error::Usage(e) => write!(f, "{e}"),
            H3Error::Response(e) => write!(f, "WebSocket refused: {e}"),
        }
    }
}

impl std::error::Error for H3Error {}

impl From<io::Error> for H3Error {
    fn from(e: io::Error) -> H3Error {
        H3Error::Io(e)
    }
}

fn io_err(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(e)
}

/// Reads whole HTTP/3 frames from a QUIC receive stream.
struct FrameReader {
    recv: quinn::RecvStream,
    buf: BytesMut,
}

impl FrameReader {
    fn new(recv: quinn::RecvStream) -> FrameReader {
        FrameReader { recv, buf: BytesMut::new() }
    }

    /// The next frame; `None` at the stream's FIN.
    async fn next(&mut self) -> io::Result<Option<(u64, Bytes)>> {
        loop {
            if let Some(frame) = wire::take_frame(&mut self.buf)? {
                return Ok(Some(frame));
            }
            match self.recv.read_chunk(64 * 1024, true).await.map_err(io_err)? {
                Some(chunk) => self.buf.extend_from_slice(&chunk.bytes),
                None if self.buf.is_empty() => return Ok(None),
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
    }

    /// The next HEADERS frame's fields, skipping frames of unknown types.
    async fn headers(&mut self) -> io::Result<Vec<(String, Vec<u8>)>> {
        loop {
            match self.next().await? {
                Some((HEADERS, block)) => return wire::decode_fields(&block),
                Some((DATA, _)) => return Err(io::Error::new(io::ErrorKind::InvalidData, "DATA before HEADERS")),
                Some(_) => {}
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
    }
}

/// Opens our control stream and sends SETTINGS enabling extended CONNECT.
/// The stream must stay open as long as the connection.
async fn open_control(conn: &quinn::Connection) -> Result<quinn::SendStream, H3Error> {
    let mut control = conn.open_uni().await.map_err(H3Error::Connection)?;
    let mut out = BytesMut::new();
    wire::put_varint(&mut out, CONTROL_STREAM);
    wire::put_frame(&mut out, SETTINGS, &wire::settings(&[(ENABLE_CONNECT_PROTOCOL, 1)]));
    control.write_all(&out).await.map_err(io_err)?;
    Ok(control)
}

/// Reads the peer's unidirectional streams: the SETTINGS of its control
/// stream are sent on the returned channel; everything else (QPACK streams,
/// the rest of the control stream) is read and dropped.
fn read_peer_streams(conn: quinn::Connection) -> oneshot::Receiver<Vec<(u64, u64)>> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        while let Ok(recv) = conn.accept_uni().await {
            let mut reader = FrameReader::new(recv);
            let settings = tx.take();
            tokio::spawn(async move {
                // The stream type, then frames (for the control stream).
                let kind = loop {
                    if let Some((kind, n)) = wire::get_varint(&reader.buf) {
                        let _ = reader.buf.split_to(n);
                        break Some(kind);
                    }
                    match reader.recv.read_chunk(1024, true).await {
                        Ok(Some(chunk)) => reader.buf.extend_from_slice(&chunk.bytes),
                        _ => break None,
                    }
                };
                let mut settings = settings;
                if kind == Some(CONTROL_STREAM) {
                    while let Ok(Some((frame, payload))) = reader.next().await {
                        if let (SETTINGS, Some(tx)) = (frame, settings.take()) {
                            let _ = tx.send(wire::parse_settings(&payload).unwrap_or_default());
                        }
                    }
                } else {
                    while let Ok(Some(_)) = reader.recv.read_chunk(64 * 1024, true).await {}
                }
            });
        }
    });
    rx
}

/// Joins a request stream, past its HEADERS, to an in-memory pipe for the
/// driver: DATA frames in, DATA frames out, FIN at the driver's shutdown.
fn bridge(mut send: quinn::SendStream, mut reader: FrameReader) -> DuplexStream {
    let (app, ours) = tokio::io::duplex(64 * 1024);
    let (mut from_app, mut to_app) = tokio::io::split(ours);
    tokio::spawn(async move {
        // The peer's FIN or a reset both end the pipe: EOF for the driver.
        while let Ok(Some((kind, payload))) = reader.next().await {
            if kind == DATA && to_app.write_all(&payload).await.is_err() {
                break;
            }
        }
        let _ = to_app.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut frame = BytesMut::new();
        while let Ok(n @ 1..) = from_app.read(&mut buf).await {
            frame.clear();
            wire::put_frame(&mut frame, DATA, &buf[..n]);
            if send.write_all(&frame).await.is_err() {
                return;
            }
        }
        // The driver shut down (after the close frames): FIN.
        let _ = send.finish();
        let _ = send.stopped().await;
    });
    app
}

/// Writes a HEADERS frame.
async fn send_headers(send: &mut quinn::SendStream, fields: &[(String, String)]) -> io::Result<()> {
    let block = wire::encode_fields(fields.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let mut frame = BytesMut::new();
    wire::put_frame(&mut frame, HEADERS, &block);
    send.write_all(&frame).await.map_err(io_err)
}

/// A QUIC server configuration for `h3` with this certificate.
pub fn server_config(cert: &crate::tls::SelfSigned) -> Result<quinn::ServerConfig, H3Error> {
    let tls = cert.server_config(&[crate::tls::ALPN_H3]).map_err(|e| H3Error::Config(e.to_string()))?;
    let quic = QuicServerConfig::try_from(tls).map_err(|e| H3Error::Config(e.to_string()))?;
    Ok(quinn::ServerConfig::with_crypto(Arc::new(quic)))
}

/// Serves WebSockets over HTTP/3 on `endpoint`: `/echo` echoes; other
/// paths get 404, bad requests their refusal.
pub async fn serve(endpoint: quinn::Endpoint, config: Config) {
    while let Some(incoming) = endpoint.accept().await {
        let config = config.clone();
        tokio::spawn(async move {
            let conn = match incoming.await {
                Ok(conn) => conn,
                Err(e) => return eprintln!("h3: QUIC handshake failed: {e}"),
            };
            let _settings = read_peer_streams(conn.clone());
            let _control = match open_control(&conn).await {
                Ok(control) => control,
                Err(e) => return eprintln!("h3: {e}"),
            };
            while let Ok((send, recv)) = conn.accept_bi().await {
                let (config, peer) = (config.clone(), conn.remote_address());
                tokio::spawn(async move {
                    if let Err(e) = request(send, recv, config, peer).await {
                        eprintln!("h3 {peer}: {e}");
                    }
                });
            }
        });
    }
}

/// Answers one request stream.
async fn request(
    mut send: quinn::SendStream,
    recv: quinn::RecvStream,
    config: Config,
    peer: SocketAddr,
) -> Result<(), H3Error> {
    let mut reader = FrameReader::new(recv);
    let fields = reader.headers().await?;
    let refuse = |rejection: Rejection| {
        let mut fields = vec![(":status".to_owned(), rejection.status.to_string())];
        fields.extend(rejection.headers);
        (fields, rejection.body)
    };
    let (answer, body) = match ConnectRequest::from_fields(fields) {
        Err(e) => {
            eprintln!("h3 {peer}: refused: {e} ({})", e.http_status());
            refuse(e.rejection())
        }
        Ok(request) if request.path() != "/echo" => refuse(Rejection::new(404).with_body("not found\n")),
        Ok(request) => {
            let accepted = request.accept(AcceptOptions::new(), &config).map_err(io_err)?;
            let mut fields = vec![(":status".to_owned(), accepted.status.to_string())];
            fields.extend(accepted.fields);
            send_headers(&mut send, &fields).await?;
            eprintln!("websocket: CONNECT {} from {peer} via h3-extended-connect", request.target());
            let ws = WebSocket::from_open(bridge(send, reader), Role::Server, accepted.open, config);
            let closed = crate::server::echo(ws).await;
            eprintln!("websocket: {} ended {closed:?}", request.target());
            return Ok(());
        }
    };
    send_headers(&mut send, &answer).await?;
    if !body.is_empty() {
        let mut frame = BytesMut::new();
        wire::put_frame(&mut frame, DATA, &body);
        send.write_all(&frame).await.map_err(io_err)?;
    }
    let _ = send.finish();
    let _ = send.stopped().await;
    Ok(())
}

/// One HTTP/3 connection to a server that enables extended CONNECT.
pub struct H3Client {
    conn: quinn::Connection,
    _control: quinn::SendStream,
    _endpoint: quinn::Endpoint,
}

impl H3Client {
    /// Connects to `addr` as `server_name` with ALPN `h3`, trusting `tls`'s
    /// verifier, and waits (up to five seconds) for the server's SETTINGS
    /// to enable extended CONNECT.
    pub async fn connect(addr: SocketAddr, server_name: &str, tls: rustls::ClientConfig) -> Result<H3Client, H3Error> {
        let quic = QuicClientConfig::try_from(tls).map_err(|e| H3Error::Config(e.to_string()))?;
        let local: SocketAddr = if addr.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" }.parse().map_err(io_err)?;
        let mut endpoint = quinn::Endpoint::client(local)?;
        endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
        let conn = endpoint.connect(addr, server_name).map_err(H3Error::Connect)?.await.map_err(H3Error::Connection)?;
        let settings = read_peer_streams(conn.clone());
        let control = open_control(&conn).await?;
        let settings = tokio::time::timeout(Duration::from_secs(5), settings)
            .await
            .map_err(|_| H3Error::NoExtendedConnect)?
            .map_err(|_| H3Error::NoExtendedConnect)?;
        if !settings.contains(&(ENABLE_CONNECT_PROTOCOL, 1)) {
            return Err(H3Error::NoExtendedConnect);
        }
        Ok(H3Client { conn, _control: control, _endpoint: endpoint })
    }

    /// Opens a WebSocket to `url` on a new request stream.
    pub async fn websocket(
        &self,
        url: &str,
        options: ClientOptions,
        config: Config,
    ) -> Result<WebSocket<DuplexStream>, H3Error> {
        let client = ConnectClient::new(url, options, &config).map_err(H3Error::Usage)?;
        let (status, fields, send, reader) = self.exchange(&client.request_fields()).await?;
        let open = client.check_response(status, fields).map_err(H3Error::Response)?;
        Ok(WebSocket::from_open(bridge(send, reader), Role::Client, open, config))
    }

    /// Sends any request's fields on a new stream and returns the answer's
    /// status and fields: for tests of what a server refuses.
    pub async fn request(&self, fields: &[(String, String)]) -> Result<(u16, Vec<(String, Vec<u8>)>), H3Error> {
        let (status, fields, _, _) = self.exchange(fields).await?;
        Ok((status, fields))
    }

    async fn exchange(
        &self,
        fields: &[(String, String)],
    ) -> Result<(u16, Vec<(String, Vec<u8>)>, quinn::SendStream, FrameReader), H3Error> {
        let (mut send, recv) = self.conn.open_bi().await.map_err(H3Error::Connection)?;
        send_headers(&mut send, fields).await?;
        let mut reader = FrameReader::new(recv);
        let answer = reader.headers().await?;
        let status = answer
            .iter()
            .find(|(n, _)| n == ":status")
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse().ok())
            .ok_or(H3Error::NoStatus)?;
        Ok((status, answer, send, reader))
    }
}
