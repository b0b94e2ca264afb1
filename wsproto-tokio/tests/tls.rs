//! `wss://` with the feature `rustls`: the handshake over TLS, certificate
//! verification (unknown issuer, wrong name), and the connect timeout
//! covering the TLS handshake. Certificates are made per test by rcgen: a
//! CA, and a server certificate it signs.
#![cfg(feature = "rustls")]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use wsproto::handshake::ClientOptions;
use wsproto::{CloseCode, Config};
use wsproto_tokio::{Error, MaybeTlsStream, Message};

/// A CA and a server certificate for `names` signed by it.
struct Pki {
    ca: CertificateDer<'static>,
    server: CertificateDer<'static>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

fn pki(names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let server = CertificateParams::new(names).unwrap().signed_by(&server_key, &ca, &ca_key).unwrap();
    Pki {
        ca: ca.der().clone(),
        server: server.der().clone(),
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
    }
}

#[allow(deprecated)] // ring: as the driver's own fallback provider
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting only `ca`.
fn trusting(ca: &CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A TLS acceptor presenting the server certificate of `pki`.
fn acceptor(pki: &Pki) -> tokio_rustls::TlsAcceptor {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.server.clone()], PrivateKeyDer::Pkcs8(pki.server_key.clone_key()))
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A server for one connection over TLS whose transport ends without a
/// close_notify: `serve` runs on the accepted WebSocket, then it is dropped.
fn rude_server<F, Fut, T>(listener: TcpListener, pki: &Pki, serve: F) -> tokio::task::JoinHandle<T>
where
    F: FnOnce(wsproto_tokio::WebSocket<Rude<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>>) -> Fut
        + Send
        + 'static,
    Fut: Future<Output = T> + Send,
    T: Send + 'static,
{
    let acceptor = acceptor(pki);
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        serve(wsproto_tokio::accept(Rude(tls)).await.unwrap()).await
    })
}

/// A TLS echo server for one connection on `listener`; returns how the
/// WebSocket ended, or the TLS accept's error.
fn tls_echo_once(listener: TcpListener, pki: &Pki) -> tokio::task::JoinHandle<Result<Option<wsproto::Closed>, String>> {
    let acceptor = acceptor(pki);
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let mut ws = wsproto_tokio::accept(tls).await.map_err(|e| e.to_string())?;
        while let Some(Ok(message)) = ws.next().await {
            if let m @ (Message::Text(_) | Message::Binary(_)) = message {
                ws.send(m).await.unwrap();
            }
        }
        Ok(ws.closed().cloned())
    })
}

#[tokio::test]
async fn wss_carries_messages_and_a_clean_close_over_tls() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    for host in ["localhost", "127.0.0.1"] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("wss://{host}:{}/chat", listener.local_addr().unwrap().port());
        let server = tls_echo_once(listener, &pki);
        let mut ws = wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), Config::default(), trusting(&pki.ca))
            .await
            .unwrap();
        assert!(matches!(ws.get_ref(), MaybeTlsStream::Rustls(_)));
        ws.feed(Message::text("hello")).await.unwrap();
        ws.feed(Message::binary(vec![7u8; 100_000])).await.unwrap();
        ws.flush().await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(vec![7u8; 100_000]));
        ws.send(Message::close(CloseCode::NORMAL, "done")).await.unwrap();
        assert!(ws.next().await.is_none());
        let closed = ws.closed().unwrap();
        assert_eq!((closed.code, closed.was_clean), (CloseCode::NORMAL, true), "{host}");
        let server_closed = server.await.unwrap().unwrap().unwrap();
        assert_eq!((server_closed.code, server_closed.reason.as_str()), (CloseCode::NORMAL, "done"));
    }
}

/// The error a refused certificate gives: `Error::Io`, `InvalidData`, with
/// rustls's error as its source.
fn certificate_error(result: Result<wsproto_tokio::WebSocket<MaybeTlsStream>, Error>) -> rustls::CertificateError {
    let Err(Error::Io(e)) = result else { panic!("expected an I/O error, got {:?}", result.map(|_| ())) };
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(error)) => error.clone(),
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_default_roots_refuse_a_certificate_they_did_not_issue() {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    let server = tls_echo_once(listener, &pki);
    let error = certificate_error(wsproto_tokio::connect(&url).await);
    assert_eq!(error, rustls::CertificateError::UnknownIssuer);
    assert!(server.await.unwrap().is_err(), "the server saw the client give up");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let pki = pki(&["other.example"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    let _server = tls_echo_once(listener, &pki);
    let result =
        wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), Config::default(), trusting(&pki.ca)).await;
    assert!(
        matches!(certificate_error(result), rustls::CertificateError::NotValidForNameContext { .. }),
        "the name is checked"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_the_tls_hello_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    let silent = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(tcp);
    });
    let config = Config::default().handshake_timeout(Some(Duration::from_millis(300)));
    let started = std::time::Instant::now();
    let result = wsproto_tokio::connect_with(&url, ClientOptions::new(), config).await;
    assert!(matches!(result, Err(Error::ConnectTimeout)), "{:?}", result.map(|_| ()));
    assert!(started.elapsed() < Duration::from_secs(3));
    silent.abort();
}

/// A TLS stream whose shutdown sends nothing: dropped, it ends TCP without
/// a TLS close_notify, as many servers do.
struct Rude<S>(S);

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Rude<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Rude<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// After a clean close handshake, a server that ends TCP without a TLS
/// close_notify (rustls reports `UnexpectedEof`) ends the client's stream
/// as the end of the stream would: no error, the close still clean.
#[tokio::test]
async fn a_missing_close_notify_after_a_clean_close_is_no_error() {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    let server = rude_server(listener, &pki, |mut ws| async move {
        while let Some(Ok(_)) = ws.next().await {}
        ws.closed().cloned()
    });
    let mut ws = wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), Config::default(), trusting(&pki.ca))
        .await
        .unwrap();
    ws.send(Message::close(CloseCode::NORMAL, "")).await.unwrap();
    let mut after = Vec::new();
    while let Some(item) = ws.next().await {
        after.push(item.map_err(|e| e.to_string()));
    }
    assert!(after.is_empty(), "{after:?}");
    assert!(ws.closed().unwrap().was_clean);
    assert!(server.await.unwrap().unwrap().was_clean);
}

/// Before the close handshake the same end is a truncation: the connection
/// fails as for a plain end of the stream (1006, not clean).
#[tokio::test]
async fn a_missing_close_notify_before_the_close_fails_the_connection() {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    rude_server(listener, &pki, |mut ws| async move {
        ws.send(Message::text("last words")).await.unwrap();
        // Dropped: TCP ends, no close frame, no close_notify.
    });
    let mut ws = wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), Config::default(), trusting(&pki.ca))
        .await
        .unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("last words"));
    assert!(matches!(ws.next().await, Some(Err(Error::Connection(_)))));
    assert!(ws.next().await.is_none());
    let closed = ws.closed().unwrap();
    assert_eq!((closed.code, closed.was_clean), (CloseCode::ABNORMAL, false));
}

/// A client over TLS to a server that completes the handshake, then reads
/// nothing for 30 s.
async fn connected_to_a_tls_peer_that_never_reads() -> wsproto_tokio::WebSocket<MaybeTlsStream> {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/", listener.local_addr().unwrap().port());
    rude_server(listener, &pki, |ws| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    });
    wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), Config::default(), trusting(&pki.ca)).await.unwrap()
}

/// Sends (with no write timeout) until the transport takes no more:
/// output then waits, queued.
async fn fill_until_stalled(ws: &mut wsproto_tokio::WebSocket<MaybeTlsStream>) {
    ws.set_write_timeout(None);
    // Incompressible, so permessage-deflate does not shrink it.
    let chunk = Message::binary(wsproto_test_support::noise::noise(64 * 1024, 2));
    while tokio::time::timeout(Duration::from_millis(300), ws.send(chunk.clone())).await.is_ok() {}
}

/// A TLS server that stops reading: the output the TLS layer holds counts
/// toward the write timeout too, and the failed connection ends at once
/// (no close_notify is waited on: it would wait on the same peer).
#[tokio::test]
async fn a_tls_peer_that_stops_reading_fails_the_send_after_the_write_timeout() {
    let mut ws = connected_to_a_tls_peer_that_never_reads().await;
    ws.set_write_timeout(Some(Duration::from_millis(300)));
    // Incompressible, so permessage-deflate does not shrink it.
    let chunk = Message::binary(wsproto_test_support::noise::noise(64 * 1024, 1));
    let failed = loop {
        let sent = tokio::time::timeout(Duration::from_secs(20), ws.send(chunk.clone()));
        if let Err(e) = sent.await.expect("the write timeout ends the wait") {
            break e;
        }
    };
    assert!(matches!(&failed, Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut), "{failed:?}");
    assert!(tokio::time::timeout(Duration::from_secs(1), ws.next()).await.unwrap().is_none());
    assert_eq!(ws.closed().unwrap().code, CloseCode::ABNORMAL);
}

/// `abort` ends the connection at once, also over TLS to a peer that takes
/// nothing: the close_notify that TLS would flush first is not waited on.
#[tokio::test]
async fn abort_returns_at_once_over_tls_to_a_peer_that_stops_reading() {
    let mut ws = connected_to_a_tls_peer_that_never_reads().await;
    fill_until_stalled(&mut ws).await;
    tokio::time::timeout(Duration::from_secs(2), ws.abort()).await.expect("abort returned");
    assert!(tokio::time::timeout(Duration::from_secs(2), ws.next()).await.expect("the stream ended").is_none());
    assert_eq!(ws.closed().unwrap().code, CloseCode::ABNORMAL);
}

/// Closing toward a TLS peer that takes nothing ends within the write
/// timeout: the close frame waits behind the output like any other.
#[tokio::test]
async fn a_close_to_a_tls_peer_that_stopped_reading_ends_within_the_write_timeout() {
    let mut ws = connected_to_a_tls_peer_that_never_reads().await;
    fill_until_stalled(&mut ws).await;
    ws.set_write_timeout(Some(Duration::from_millis(300)));
    let closed = tokio::time::timeout(Duration::from_secs(5), ws.close()).await.expect("the close returned");
    assert!(matches!(&closed, Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut), "{closed:?}");
    assert!(tokio::time::timeout(Duration::from_secs(2), ws.next()).await.expect("the stream ended").is_none());
    assert_eq!(ws.closed().unwrap().code, CloseCode::ABNORMAL);
}
