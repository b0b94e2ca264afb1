//! The HTTP/2 client against the HTTP/2 server, in one process over
//! loopback TLS: WebSockets on extended CONNECT streams (RFC 8441), many on
//! one connection, refusals, and HTTP/1.1 upgrade on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::Method;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use wsproto::handshake::{ClientOptions, ConnectResponseError};
use wsproto::{CloseCode, Config, Transport};
use wsproto_h2h3::client::{ClientError, H2Client, to_http};
use wsproto_h2h3::server::{Server, Via};
use wsproto_h2h3::tls::{ALPN_H2, ALPN_HTTP1, SelfSigned, client_config};
use wsproto_tokio::{Message, WebSocket};

const WAIT: Duration = Duration::from_secs(10);

struct Running {
    addr: SocketAddr,
    server: Arc<Server>,
    cert: SelfSigned,
}

async fn start() -> Running {
    let cert = SelfSigned::generate().unwrap();
    let tls = tokio_rustls::TlsAcceptor::from(Arc::new(cert.server_config(&[ALPN_H2, ALPN_HTTP1]).unwrap()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::new(Config::default());
    tokio::spawn(server.clone().run(listener, tls));
    Running { addr, server, cert }
}

impl Running {
    async fn h2(&self) -> H2Client {
        let tls = client_config(self.cert.cert.clone(), &[ALPN_H2]).unwrap();
        H2Client::connect(self.addr, "localhost", tls).await.unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("wss://localhost:{}{path}", self.addr.port())
    }
}

async fn next<S>(ws: &mut WebSocket<S>) -> Message
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    tokio::time::timeout(WAIT, ws.next()).await.expect("in time").expect("a message").expect("no error")
}

#[tokio::test]
async fn messages_both_ways_deflate_ping_and_a_clean_close_on_a_stream() {
    let running = start().await;
    let client = running.h2().await;
    let mut ws = client.websocket(&running.url("/echo"), ClientOptions::new(), Config::default()).await.unwrap();
    assert_eq!(ws.connection().extensions().len(), 1);
    assert!(ws.connection().deflate().is_some(), "permessage-deflate agreed over HTTP/2");

    let text = "over an HTTP/2 stream ".repeat(100);
    ws.send(Message::text(text.as_str())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text(text.as_str()));
    let binary = Bytes::from((0..70_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    ws.send(Message::Binary(binary.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Binary(binary));
    ws.send(Message::Ping(Bytes::from_static(b"are you there"))).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong(Bytes::from_static(b"are you there")));

    ws.send(Message::close(CloseCode::NORMAL, "done")).await.unwrap();
    // The server echoes the close and ends the stream; so do we, at once.
    let end = tokio::time::timeout(WAIT, ws.next()).await.expect("the stream ends in time");
    assert!(end.is_none(), "{end:?}");
    let closed = ws.closed().expect("closed");
    assert!(closed.was_clean && closed.code == CloseCode::NORMAL, "{closed:?}");

    let records = running.server.records();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].via, records[0].version), (Via::H2ExtendedConnect, http::Version::HTTP_2));
    assert!(records[0].deflate);
    let ending = ending(&running, 1).await.expect("a close");
    assert!(ending.was_clean && ending.code == CloseCode::NORMAL, "{ending:?}");
}

/// How the server saw WebSocket `id` end, waiting for it.
async fn ending(running: &Running, id: u64) -> Option<wsproto::Closed> {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(ending) = running.server.ending(id) {
                return ending;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the WebSocket ends in time")
}

#[tokio::test]
async fn a_reset_stream_fails_the_websocket() {
    let running = start().await;
    let client = running.h2().await;
    let request = websocket_request(&running, |_| {});
    let (status, _, mut send, _recv) = client.send(request).await.unwrap();
    assert_eq!(status, 200);
    // A masked text frame "hi", then RST_STREAM instead of a close handshake.
    send.send_data(Bytes::from_static(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']), false).unwrap();
    send.send_reset(h2::Reason::CANCEL);
    let ending = ending(&running, 1).await.expect("a close");
    assert!(!ending.was_clean && ending.code == CloseCode::ABNORMAL, "{ending:?}");
}

#[tokio::test]
async fn many_websockets_share_one_http2_connection() {
    let running = start().await;
    let client = running.h2().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (client, url) = (client.clone(), running.url("/echo"));
        tasks.push(tokio::spawn(async move {
            let mut ws = client.websocket(&url, ClientOptions::new(), Config::default()).await.unwrap();
            for round in 0..5 {
                let message = format!("stream {i} round {round}");
                ws.send(Message::text(message.as_str())).await.unwrap();
                assert_eq!(next(&mut ws).await, Message::text(message.as_str()));
            }
            ws.send(Message::close(CloseCode::NORMAL, "")).await.unwrap();
            assert!(tokio::time::timeout(WAIT, ws.next()).await.unwrap().is_none());
            assert!(ws.closed().unwrap().was_clean);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let records = running.server.records();
    assert_eq!(records.len(), 40);
    // One TCP connection: every stream came from the same client address.
    assert!(records.iter().all(|r| r.via == Via::H2ExtendedConnect && r.peer == records[0].peer));
}

#[tokio::test]
async fn the_chat_speaks_json_to_a_client_offering_its_subprotocol() {
    let running = start().await;
    let client = running.h2().await;
    let options = ClientOptions::new().with_subprotocol("wsproto.chat.json");
    let mut ws = client.websocket(&running.url("/ws?name=h2"), options, Config::default()).await.unwrap();
    assert_eq!(ws.connection().subprotocol(), Some("wsproto.chat.json"));
    assert_eq!(ws.connection().transport(), Transport::ExtendedConnect);
    assert_eq!(next(&mut ws).await, Message::text(r#"{"type":"welcome","you":"h2"}"#));
    assert_eq!(next(&mut ws).await, Message::text(r#"{"type":"join","name":"h2","online":["h2"]}"#));
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text(r#"{"type":"message","from":"h2","text":"hi"}"#));
}

/// Sends `request` on a new stream and returns the answer's status and
/// headers.
async fn refused(client: &H2Client, request: http::Request<()>) -> (u16, http::HeaderMap) {
    let (status, headers, _send, _recv) = client.send(request).await.unwrap();
    (status, headers)
}

fn websocket_request(running: &Running, edit: impl FnOnce(&mut Vec<(String, String)>)) -> http::Request<()> {
    let client =
        wsproto::handshake::ConnectClient::new(&running.url("/echo"), ClientOptions::new(), &Config::default())
            .unwrap();
    let mut fields = client.request_fields();
    edit(&mut fields);
    to_http(&fields)
}

#[tokio::test]
async fn refusals_over_http2() {
    let running = start().await;
    let client = running.h2().await;

    // A CONNECT without :protocol: a tunnel request, not a WebSocket.
    let mut tunnel = http::Request::new(());
    *tunnel.method_mut() = Method::CONNECT;
    *tunnel.uri_mut() = format!("localhost:{}", running.addr.port()).parse().unwrap();
    assert_eq!(refused(&client, tunnel).await.0, 400);

    // A wrong version: 400 with the version we speak.
    let request = websocket_request(&running, |fields| {
        fields.iter_mut().filter(|(n, _)| n == "sec-websocket-version").for_each(|(_, v)| *v = "8".into());
    });
    let (status, headers) = refused(&client, request).await;
    assert_eq!(status, 400);
    assert_eq!(headers.get("sec-websocket-version").unwrap(), "13");

    // An unknown protocol: 501.
    let request = websocket_request(&running, |fields| {
        fields.iter_mut().filter(|(n, _)| n == ":protocol").for_each(|(_, v)| *v = "webtransport".into());
    });
    assert_eq!(refused(&client, request).await.0, 501);

    // An unknown path: 404, seen by the client as a refusal.
    let err = client.websocket(&running.url("/nowhere"), ClientOptions::new(), Config::default()).await.unwrap_err();
    assert!(matches!(err, ClientError::Response(ConnectResponseError::Refused { status: 404, .. })), "{err}");

    // The connection still serves WebSockets after all that.
    let mut ws = client.websocket(&running.url("/echo"), ClientOptions::new(), Config::default()).await.unwrap();
    ws.send(Message::text("still fine")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("still fine"));
    assert_eq!(running.server.records().len(), 1);
}

#[tokio::test]
async fn http1_upgrade_still_works_on_the_same_port() {
    let running = start().await;
    let tls = client_config(running.cert.cert.clone(), &[ALPN_HTTP1]).unwrap();
    let tcp = TcpStream::connect(running.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = TlsConnector::from(Arc::new(tls)).connect(name, tcp).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(ALPN_HTTP1));
    let mut ws =
        wsproto_tokio::client(stream, &running.url("/echo"), ClientOptions::new(), Config::default()).await.unwrap();
    ws.send(Message::text("over HTTP/1.1")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("over HTTP/1.1"));
    ws.send(Message::close(CloseCode::NORMAL, "")).await.unwrap();
    assert!(tokio::time::timeout(WAIT, ws.next()).await.unwrap().is_none());
    let records = running.server.records();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].via, records[0].version), (Via::Http1Upgrade, http::Version::HTTP_11));
}
