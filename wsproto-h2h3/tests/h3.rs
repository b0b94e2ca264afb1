//! The HTTP/3 client against the HTTP/3 server (RFC 9220) on quinn, in one
//! process over loopback UDP: messages both ways, deflate, ping, a clean
//! close with FINs, several WebSockets on one QUIC connection, refusals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use wsproto::handshake::{ClientOptions, ConnectClient, ConnectResponseError};
use wsproto::{CloseCode, Config, Transport};
use wsproto_h2h3::h3::{self, H3Client, H3Error};
use wsproto_h2h3::tls::{ALPN_H3, SelfSigned, client_config};
use wsproto_tokio::{Message, WebSocket};

const WAIT: Duration = Duration::from_secs(10);

async fn start() -> (SocketAddr, SelfSigned) {
    let cert = SelfSigned::generate().unwrap();
    let endpoint = quinn::Endpoint::server(h3::server_config(&cert).unwrap(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    tokio::spawn(h3::serve(endpoint, Config::default()));
    (addr, cert)
}

async fn client(addr: SocketAddr, cert: &SelfSigned) -> H3Client {
    let tls = client_config(cert.cert.clone(), &[ALPN_H3]).unwrap();
    tokio::time::timeout(WAIT, H3Client::connect(addr, "localhost", tls)).await.unwrap().unwrap()
}

async fn next(ws: &mut WebSocket<tokio::io::DuplexStream>) -> Message {
    tokio::time::timeout(WAIT, ws.next()).await.expect("in time").expect("a message").expect("no error")
}

#[tokio::test]
async fn messages_both_ways_deflate_ping_and_a_clean_close_on_a_quic_stream() {
    let (addr, cert) = start().await;
    let client = client(addr, &cert).await;
    let url = format!("wss://localhost:{}/echo", addr.port());
    let mut ws = client.websocket(&url, ClientOptions::new(), Config::default()).await.unwrap();
    assert!(ws.connection().deflate().is_some(), "permessage-deflate agreed over HTTP/3");
    assert_eq!(ws.connection().transport(), Transport::ExtendedConnect);

    let text = "over a QUIC stream ".repeat(100);
    ws.send(Message::text(text.as_str())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text(text.as_str()));
    let binary = Bytes::from((0..100_000u32).map(|i| (i % 253) as u8).collect::<Vec<u8>>());
    ws.send(Message::Binary(binary.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Binary(binary));
    ws.send(Message::Ping(Bytes::from_static(b"h3"))).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong(Bytes::from_static(b"h3")));

    ws.send(Message::close(CloseCode::NORMAL, "done")).await.unwrap();
    let end = tokio::time::timeout(WAIT, ws.next()).await.expect("the stream ends in time");
    assert!(end.is_none(), "{end:?}");
    let closed = ws.closed().expect("closed");
    assert!(closed.was_clean && closed.code == CloseCode::NORMAL, "{closed:?}");
}

#[tokio::test]
async fn several_websockets_share_one_quic_connection() {
    let (addr, cert) = start().await;
    let client = Arc::new(client(addr, &cert).await);
    let url = format!("wss://localhost:{}/echo", addr.port());
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut ws = client.websocket(&url, ClientOptions::new(), Config::default()).await.unwrap();
            for round in 0..3 {
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
}

#[tokio::test]
async fn refusals_over_http3() {
    let (addr, cert) = start().await;
    let client = client(addr, &cert).await;
    let url = format!("wss://localhost:{}/echo", addr.port());
    let fields = ConnectClient::new(&url, ClientOptions::new(), &Config::default()).unwrap().request_fields();
    let edited = |name: &str, value: Option<&str>| -> Vec<(String, String)> {
        fields
            .iter()
            .filter_map(|(n, v)| match (n == name, value) {
                (true, None) => None,
                (true, Some(value)) => Some((n.clone(), value.to_owned())),
                (false, _) => Some((n.clone(), v.clone())),
            })
            .collect()
    };
    // A CONNECT without :protocol.
    assert_eq!(client.request(&edited(":protocol", None)).await.unwrap().0, 400);
    // A wrong version: 400 with the version we speak.
    let (status, answer) = client.request(&edited("sec-websocket-version", Some("8"))).await.unwrap();
    assert_eq!(status, 400);
    assert!(answer.contains(&("sec-websocket-version".to_owned(), b"13".to_vec())), "{answer:?}");
    // An unknown protocol.
    assert_eq!(client.request(&edited(":protocol", Some("connect-udp"))).await.unwrap().0, 501);
    // An unknown path, as the client sees it.
    let other = format!("wss://localhost:{}/nowhere", addr.port());
    let err = client.websocket(&other, ClientOptions::new(), Config::default()).await.unwrap_err();
    assert!(matches!(err, H3Error::Response(ConnectResponseError::Refused { status: 404, .. })), "{err}");
}
