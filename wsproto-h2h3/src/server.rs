//! The HTTP/2 (and HTTP/1.1) server: hyper over TLS, ALPN `h2` and
//! `http/1.1` on one port.
//!
//! - `GET /`: the chat page (`examples/chat/index.html`);
//! - `/ws?name=NAME`: the chat, `/echo`: an echo, each a WebSocket
//!   either over an HTTP/2 stream (extended CONNECT, RFC 8441:
//!   [`ConnectRequest`]) or over an HTTP/1.1 connection upgraded (RFC 6455:
//!   [`Request::from_parts`]);
//! - `GET /stats`: how every WebSocket so far arrived, and the client
//!   addresses of the connections that loaded the page, as JSON.
//!
//! Each WebSocket is recorded ([`Record`]) and logged on stderr with the
//! way it arrived, so a test can tell a browser's RFC 8441 stream from a
//! fallback to HTTP/1.1.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wsproto::handshake::{AcceptOptions, ConnectRequest, Headers, Rejection, Request, accept_headers};
use wsproto::{Closed, Config, Open, Role};
use wsproto_tokio::WebSocket;

use crate::chat::{JSON_PROTOCOL, Room, json_string};

/// How long a client may take over its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The chat page, shared with `examples/chat`.
pub const PAGE: &str = include_str!("../../examples/chat/index.html");

/// How a WebSocket reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An HTTP/2 stream opened by extended CONNECT (RFC 8441).
    H2ExtendedConnect,
    /// An HTTP/1.1 connection upgraded (RFC 6455).
    Http1Upgrade,
}

impl Via {
    /// The name used in logs and `/stats`.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::H2ExtendedConnect => "h2-extended-connect",
            Via::Http1Upgrade => "http1-upgrade",
        }
    }
}

/// One WebSocket the server accepted.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1, 2, ... in order of arrival.
    pub id: u64,
    /// How it arrived.
    pub via: Via,
    /// The request's HTTP version, as hyper saw it.
    pub version: Version,
    /// Path and query.
    pub target: String,
    /// The client's TCP address: streams of one HTTP/2 connection share it.
    pub peer: SocketAddr,
    /// Whether permessage-deflate was agreed.
    pub deflate: bool,
}

/// What the server shares between connections.
pub struct Server {
    config: Config,
    room: Room,
    records: Mutex<Vec<Record>>,
    /// The client address of every connection that loaded the page.
    page_peers: Mutex<Vec<SocketAddr>>,
    /// How each WebSocket ended, by record id.
    endings: Mutex<Vec<(u64, Option<Closed>)>>,
}

impl Server {
    /// A server whose WebSockets use `config`.
    pub fn new(config: Config) -> Arc<Server> {
        Arc::new(Server {
            config,
            room: Room::default(),
            records: Mutex::new(Vec::new()),
            page_peers: Mutex::new(Vec::new()),
            endings: Mutex::new(Vec::new()),
        })
    }

    /// How the WebSocket of record `id` ended (`Some(None)`: it ended with
    /// no close recorded), or `None` while it runs.
    pub fn ending(&self, id: u64) -> Option<Option<Closed>> {
        let endings = self.endings.lock().unwrap_or_else(|p| p.into_inner());
        endings.iter().find(|(i, _)| *i == id).map(|(_, closed)| closed.clone())
    }

    /// Every WebSocket accepted so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves TLS connections from `listener` until it fails: HTTP/2 when
    /// ALPN chose `h2` (extended CONNECT enabled: SETTINGS_ENABLE_CONNECT_PROTOCOL),
    /// HTTP/1.1 with upgrades otherwise.
    pub async fn run(self: Arc<Server>, listener: TcpListener, tls: TlsAcceptor) -> std::io::Result<()> {
        loop {
            let (tcp, peer) = listener.accept().await?;
            let _ = tcp.set_nodelay(true);
            let (server, tls) = (self.clone(), tls.clone());
            tokio::spawn(async move {
                // A client that stalls its TLS handshake cannot hold the task.
                let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => return eprintln!("{peer}: TLS handshake failed: {e}"),
                    Err(_) => return eprintln!("{peer}: no TLS handshake within {TLS_HANDSHAKE_TIMEOUT:?}"),
                };
                let h2 = stream.get_ref().1.alpn_protocol() == Some(crate::tls::ALPN_H2);
                let io = TokioIo::new(stream);
                let service = service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(request, peer)) }
                });
                let served = if h2 {
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .enable_connect_protocol()
                        .serve_connection(io, service)
                        .await
                } else {
                    // The timer makes hyper's header read timeout (30 s) apply.
                    hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(io, service)
                        .with_upgrades()
                        .await
                };
                if let Err(e) = served {
                    eprintln!("{peer}: http error: {e}");
                }
            });
        }
    }

    fn handle(self: Arc<Server>, request: hyper::Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let websocket = request.method() == Method::CONNECT || request.headers().contains_key(hyper::header::UPGRADE);
        match (path.as_str(), websocket) {
            // Validated first, so a bad request gets its own status whatever the path.
            (_, true) => self.websocket(request, peer),
            ("/", false) => {
                let mut peers = self.page_peers.lock().unwrap_or_else(|p| p.into_inner());
                if !peers.contains(&peer) {
                    peers.push(peer);
                }
                page(PAGE, "text/html; charset=utf-8")
            }
            ("/stats", false) => page(&self.stats_json(), "application/json"),
            _ => refusal(Rejection::new(404).with_body("not found\n")),
        }
    }

    /// Validates either kind of WebSocket request, answers it, and runs
    /// the WebSocket on the stream hyper hands over.
    fn websocket(self: Arc<Server>, mut http: hyper::Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let target = http.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let chat = http.uri().path() == "/ws";
        let answer = |offered: &[String]| {
            let mut options = AcceptOptions::new();
            if chat && offered.iter().any(|p| p == JSON_PROTOCOL) {
                options = options.with_subprotocol(JSON_PROTOCOL);
            }
            options
        };
        let known = matches!(http.uri().path(), "/ws" | "/echo");
        let (via, response, open) = if http.method() == Method::CONNECT {
            // HTTP/2: the fields h2 decoded, pseudo-headers first.
            let protocol = http.extensions().get::<hyper::ext::Protocol>().map(|p| p.as_str().to_owned());
            let uri = http.uri();
            let mut fields: Vec<(String, Vec<u8>)> = vec![(":method".into(), b"CONNECT".to_vec())];
            if let Some(protocol) = protocol {
                fields.push((":protocol".into(), protocol.into_bytes()));
            }
            if let Some(scheme) = uri.scheme_str() {
                fields.push((":scheme".into(), scheme.as_bytes().to_vec()));
            }
            if let Some(authority) = uri.authority() {
                fields.push((":authority".into(), authority.as_str().as_bytes().to_vec()));
            }
            if let Some(path) = uri.path_and_query() {
                fields.push((":path".into(), path.as_str().as_bytes().to_vec()));
            }
            fields.extend(http.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())));
            let request = match ConnectRequest::from_fields(fields) {
                Ok(request) => request,
                Err(e) => {
                    eprintln!("{peer}: refused extended CONNECT {target}: {e} ({})", e.http_status());
                    return refusal(e.rejection());
                }
            };
            if !known {
                return refusal(Rejection::new(404).with_body("not found\n"));
            }
            let accepted = match request.accept(answer(request.subprotocols()), &self.config) {
                Ok(accepted) => accepted,
                Err(e) => return refusal(Rejection::new(500).with_body(format!("{e}\n"))),
            };
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::OK;
            if !set_headers(&mut response, accepted.fields) {
                return refusal(Rejection::new(500));
            }
            (Via::H2ExtendedConnect, response, accepted.open)
        } else {
            // HTTP/1.1: the upgrade of RFC 6455.
            let mut headers = Headers::new();
            for (name, value) in http.headers() {
                headers.push(name.as_str(), value.as_bytes());
            }
            let minor = if matches!(http.version(), Version::HTTP_10 | Version::HTTP_09) { 0 } else { 1 };
            let request = match Request::from_parts(http.method().as_str(), &target, minor, headers) {
                Ok(request) => request,
                Err(e) => return refusal(e.rejection()),
            };
            if !known {
                return refusal(Rejection::new(404).with_body("not found\n"));
            }
            let mut options = answer(request.subprotocols());
            if let Some(agreement) = self.config.deflate.as_ref().and_then(|d| d.accept(request.extensions())) {
                options = options.with_extension(agreement.response);
            }
            let Ok(fields) = accept_headers(&request, &options) else { return refusal(Rejection::new(500)) };
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            if !set_headers(&mut response, fields) {
                return refusal(Rejection::new(500));
            }
            let mut open = Open::new();
            if let Some(protocol) = options.subprotocol {
                open = open.with_subprotocol(protocol);
            }
            for extension in options.extensions {
                open = open.with_extension(extension);
            }
            (Via::Http1Upgrade, response, open)
        };
        let record = self.record(via, http.version(), &target, peer, &open);
        let upgrade = hyper::upgrade::on(&mut http);
        let name = query_param(&target, "name").unwrap_or_else(|| format!("guest-{}", record.id));
        tokio::spawn(async move {
            let upgraded = match upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => return eprintln!("websocket {}: upgrade failed: {e}", record.id),
            };
            let ws = WebSocket::from_open(TokioIo::new(upgraded), Role::Server, open, self.config.clone());
            let closed = if chat { self.room.serve(ws, name).await } else { echo(ws).await };
            eprintln!("websocket {}: ended {closed:?}", record.id);
            self.endings.lock().unwrap_or_else(|p| p.into_inner()).push((record.id, closed));
        });
        response
    }

    fn record(&self, via: Via, version: Version, target: &str, peer: SocketAddr, open: &Open) -> Record {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let record = Record {
            id: records.len() as u64 + 1,
            via,
            version,
            target: target.to_owned(),
            peer,
            deflate: open.extensions.iter().any(|e| e.same_name("permessage-deflate")),
        };
        eprintln!(
            "websocket {}: {} {target} from {peer} via {} ({version:?}), deflate {}",
            record.id,
            if via == Via::H2ExtendedConnect { "CONNECT" } else { "GET" },
            via.as_str(),
            record.deflate
        );
        records.push(record.clone());
        record
    }

    fn stats_json(&self) -> String {
        let records = self.records();
        let count = |via| records.iter().filter(|r| r.via == via).count();
        let list: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    r#"{{"id":{},"via":"{}","version":"{:?}","target":{},"peer":"{}","deflate":{}}}"#,
                    r.id,
                    r.via.as_str(),
                    r.version,
                    json_string(&r.target),
                    r.peer,
                    r.deflate
                )
            })
            .collect();
        let pages: Vec<String> =
            self.page_peers.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|p| format!(r#""{p}""#)).collect();
        format!(
            r#"{{"h2_extended_connect":{},"http1_upgrade":{},"websockets":[{}],"page_peers":[{}]}}"#,
            count(Via::H2ExtendedConnect),
            count(Via::Http1Upgrade),
            list.join(","),
            pages.join(",")
        )
    }
}

/// Sends back every text and binary message until the peer closes (pings
/// are answered by the core); returns how the connection closed.
pub async fn echo<S>(mut ws: WebSocket<S>) -> Option<Closed>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, wsproto_tokio::Message::Text(_) | wsproto_tokio::Message::Binary(_))
            && ws.send(message).await.is_err()
        {
            break;
        }
    }
    // Poll to the end, past a failure, so the close is recorded.
    while ws.next().await.is_some() {}
    ws.closed().cloned()
}

fn query_param(target: &str, key: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key && !v.is_empty()).then(|| v.to_owned())
    })
}

fn page(body: &str, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(hyper::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds `fields` to `response`; false if one is not a valid header.
fn set_headers(response: &mut Response<Full<Bytes>>, fields: Vec<(String, String)>) -> bool {
    for (name, value) in fields {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) else { return false };
        response.headers_mut().append(name, value);
    }
    true
}

/// A crate [`Rejection`] as a hyper response.
fn refusal(rejection: Rejection) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = Response::new(Full::new(Bytes::from(rejection.body)));
    *response.status_mut() = status;
    for (name, value) in rejection.headers {
        // HTTP/2 forbids connection-specific fields; hyper drops them anyway.
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("upgrade") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
