//! The write timeout: a peer that stops reading fails the connection after
//! it (whichever wait sees it: a send, or `next()`), a slow peer that keeps
//! reading never does, and `None` waits forever.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use wsproto::Config;
use wsproto::handshake::ClientOptions;
use wsproto_tokio::{Error, Message, WebSocket};

/// Incompressible bytes (permessage-deflate would shrink a pattern).
fn noise(len: usize) -> bytes::Bytes {
    wsproto_test_support::noise::noise(len, 1).into()
}

/// A client to a server that `serve` runs on the accepted connection;
/// both sockets have small kernel buffers, so output stops being taken
/// soon after the server stops reading.
async fn client_to<F>(serve: impl FnOnce(WebSocket<TcpStream>) -> F + Send + 'static) -> WebSocket<TcpStream>
where
    F: Future<Output = ()> + Send + 'static,
{
    client_to_config(Config::default(), serve).await
}

/// [`client_to`] with the server's `config`.
async fn client_to_config<F>(
    config: Config,
    serve: impl FnOnce(WebSocket<TcpStream>) -> F + Send + 'static,
) -> WebSocket<TcpStream>
where
    F: Future<Output = ()> + Send + 'static,
{
    let listening = TcpSocket::new_v4().unwrap();
    listening.set_recv_buffer_size(16 * 1024).unwrap();
    listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = listening.listen(16).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = wsproto_tokio::accept_with(stream, config, |_| Ok(wsproto::handshake::AcceptOptions::new()));
        serve(ws.await.unwrap()).await;
    });
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    wsproto_tokio::client(stream, &format!("ws://{addr}/"), ClientOptions::new(), Config::default()).await.unwrap()
}

/// A server that completes the handshake, then never reads again.
async fn never_reads(ws: WebSocket<TcpStream>) {
    tokio::time::sleep(Duration::from_secs(30)).await;
    drop(ws);
}

#[tokio::test]
async fn a_peer_that_stops_reading_fails_the_send_after_the_write_timeout() {
    let mut ws = client_to(never_reads).await;
    ws.set_write_timeout(Some(Duration::from_millis(300)));
    let chunk = noise(64 * 1024);
    let started = Instant::now();
    let failed = loop {
        let sent = tokio::time::timeout(Duration::from_secs(10), ws.send(Message::Binary(chunk.clone())));
        match sent.await.expect("the write timeout ends the wait") {
            Ok(()) => assert!(started.elapsed() < Duration::from_secs(5), "sends never blocked"),
            Err(e) => break e,
        }
    };
    let Error::Io(e) = &failed else { panic!("{failed:?}") };
    assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The connection is over: the stream ends, 1006, not clean; sends fail.
    assert!(tokio::time::timeout(Duration::from_secs(1), ws.next()).await.unwrap().is_none());
    let closed = ws.closed().expect("closed");
    assert_eq!((closed.code, closed.was_clean), (wsproto::CloseCode::ABNORMAL, false));
    assert!(matches!(ws.send(Message::text("more")).await, Err(Error::Closed)));
}

/// Output queued under the write limit and never flushed by the app is
/// written by `next()`, which then sees the timeout.
#[tokio::test]
async fn next_sees_the_write_timeout_of_output_it_writes() {
    let mut ws = client_to(never_reads).await;
    ws.set_write_timeout(Some(Duration::from_millis(300)));
    ws.set_write_buffer_limit(usize::MAX);
    let chunk = noise(64 * 1024);
    for _ in 0..32 {
        ws.feed(Message::Binary(chunk.clone())).await.unwrap();
    }
    let started = Instant::now();
    let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("the write timeout ends the wait");
    assert!(matches!(&next, Some(Err(Error::Io(e))) if e.kind() == std::io::ErrorKind::TimedOut), "{next:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(ws.next().await.is_none());
}

/// A peer reading slowly, but reading, takes some output in every timeout
/// period: one 1 MiB message leaves through buffers of 16 KiB to a reader
/// that pauses 20 ms after each piece it gets, one send waiting on it for
/// longer than the timeout (500 ms), and the connection then closes
/// cleanly.
#[tokio::test]
async fn a_slow_peer_that_keeps_reading_is_never_timed_out() {
    let mut ws = client_to_config(Config::default().streaming(true), |mut ws| async move {
        while let Some(Ok(message)) = ws.next().await {
            if matches!(message, Message::Fragment { .. }) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    })
    .await;
    ws.set_write_timeout(Some(Duration::from_millis(500)));
    let started = Instant::now();
    ws.send(Message::Binary(noise(1024 * 1024))).await.expect("a slow reader is not timed out");
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    ws.send(Message::close(wsproto::CloseCode::NORMAL, "done")).await.unwrap();
    while let Some(message) = ws.next().await {
        message.unwrap();
    }
    assert!(ws.closed().unwrap().was_clean);
}

#[tokio::test]
async fn without_a_write_timeout_a_stalled_send_waits() {
    let mut ws = client_to(never_reads).await;
    ws.set_write_timeout(None);
    let chunk = noise(64 * 1024);
    let mut blocked = false;
    for _ in 0..200 {
        if tokio::time::timeout(Duration::from_millis(800), ws.send(Message::Binary(chunk.clone()))).await.is_err() {
            blocked = true;
            break;
        }
    }
    assert!(blocked, "the peer took everything");
    assert_eq!(ws.connection().state(), wsproto::State::Open);
}

/// Split halves in two tasks: whichever sees the timeout, the sender's
/// wait fails with it and the reader's stream ends.
#[tokio::test]
async fn both_halves_of_a_split_socket_end_at_the_write_timeout() {
    let mut ws = client_to(never_reads).await;
    ws.set_write_timeout(Some(Duration::from_millis(300)));
    let (mut sink, mut stream) = ws.split();
    let reader = tokio::spawn(async move {
        let mut errors = 0;
        while let Some(message) = stream.next().await {
            errors += usize::from(message.is_err());
        }
        errors
    });
    let chunk = noise(64 * 1024);
    let started = Instant::now();
    let failed = loop {
        let sent = tokio::time::timeout(Duration::from_secs(10), sink.send(Message::Binary(chunk.clone())));
        if let Err(e) = sent.await.expect("the write timeout ends the wait") {
            break e;
        }
    };
    assert!(matches!(&failed, Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut), "{failed:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let errors = tokio::time::timeout(Duration::from_secs(5), reader).await.expect("the reader ended").unwrap();
    assert!(errors <= 1, "{errors} errors from the stream");
}
