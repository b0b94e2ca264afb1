//! The driver over real loopback TCP: handshake outcomes, messages both
//! ways, the close, timers, backpressure, cancel-safety, split halves,
//! coalesced writes.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use wsproto::handshake::{AcceptOptions, ClientOptions, Rejection, ResponseError};
use wsproto::{CloseCode, Config};
use wsproto_tokio::{Error, Message, WebSocket};

/// A listener and its `ws://` URL.
async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/chat", listener.local_addr().unwrap());
    (listener, url)
}

/// An echo server for one connection; returns how it ended.
fn echo_once(listener: TcpListener) -> tokio::task::JoinHandle<Option<wsproto::Closed>> {
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = wsproto_tokio::accept(stream).await.unwrap();
        while let Some(message) = ws.next().await {
            // A failure ends the loop; `closed` tells how.
            let Ok(message) = message else { break };
            if let m @ (Message::Text(_) | Message::Binary(_)) = message {
                ws.send(m).await.unwrap();
            }
        }
        ws.closed().cloned()
    })
}

#[tokio::test]
async fn echo_then_a_clean_close_ends_both_streams_with_code_and_reason() {
    let (listener, url) = listen().await;
    let server = echo_once(listener);
    let mut ws = wsproto_tokio::connect(&url).await.unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(vec![1u8, 2, 3]));
    ws.send(Message::close(CloseCode(4000), "bye")).await.unwrap();
    assert!(ws.next().await.is_none(), "a clean close ends the stream");
    let closed = ws.closed().unwrap();
    // The server echoed the code (RFC 6455 §5.5.1); it heard the reason.
    assert_eq!((closed.code, closed.reason.as_str(), closed.was_clean), (CloseCode(4000), "", true));
    let server_closed = server.await.unwrap().unwrap();
    assert_eq!((server_closed.code, server_closed.reason.as_str()), (CloseCode(4000), "bye"));
    assert!(matches!(ws.send(Message::text("late")).await, Err(Error::Closed)));
}

#[tokio::test]
async fn a_server_answering_200_is_a_connect_error_with_the_status() {
    let (listener, url) = listen().await;
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi").await.unwrap();
    });
    let error = wsproto_tokio::connect(&url).await.unwrap_err();
    match &error {
        Error::Connection(wsproto::Error::Response(ResponseError::UnexpectedStatus { status, .. })) => {
            assert_eq!(*status, 200)
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("200"), "{error}");
}

#[tokio::test]
async fn the_request_callback_chooses_a_subprotocol_or_rejects() {
    let (listener, url) = listen().await;
    let server = tokio::spawn(async move {
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let result = wsproto_tokio::accept_with(stream, Config::default(), |request| {
                if request.query() == Some("go=away") {
                    return Err(Rejection::new(403).with_body("no"));
                }
                Ok(AcceptOptions::new().with_subprotocol("chat.v2"))
            })
            .await;
            outcomes.push(result.map(|ws| ws.connection().subprotocol().map(str::to_owned)));
        }
        outcomes
    });
    let options = ClientOptions::new().with_subprotocol("chat.v1").with_subprotocol("chat.v2");
    let ws = wsproto_tokio::connect_with(&url, options, Config::default()).await.unwrap();
    assert_eq!(ws.connection().subprotocol(), Some("chat.v2"));
    let refused = wsproto_tokio::connect(&format!("{url}?go=away")).await.unwrap_err();
    assert!(
        matches!(
            &refused,
            Error::Connection(wsproto::Error::Response(ResponseError::UnexpectedStatus { status: 403, .. }))
        ),
        "{refused:?}"
    );
    let outcomes = server.await.unwrap();
    assert_eq!(outcomes[0].as_ref().unwrap(), &Some("chat.v2".to_owned()));
    assert!(matches!(outcomes[1], Err(Error::Rejected { status: 403 })), "{:?}", outcomes[1]);
}

#[tokio::test]
async fn a_server_that_never_answers_times_the_handshake_out() {
    let (listener, url) = listen().await;
    let _silent = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    });
    let config = Config::default().handshake_timeout(Some(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    let error = wsproto_tokio::connect_with(&url, ClientOptions::new(), config).await.unwrap_err();
    assert!(matches!(error, Error::Connection(wsproto::Error::HandshakeTimeout)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn keepalive_fails_a_silent_peer_and_the_stream_reports_it() {
    let (listener, url) = listen().await;
    // Completes the handshake by hand, then never reads or answers again.
    let _silent = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = wsproto_tokio::accept(stream).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    });
    let config =
        Config::default().ping_interval(Some(Duration::from_millis(100))).pong_timeout(Duration::from_millis(100));
    let mut ws = wsproto_tokio::connect_with(&url, ClientOptions::new(), config).await.unwrap();
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("the keepalive fired");
    assert!(matches!(result, Some(Err(Error::Connection(wsproto::Error::KeepaliveTimeout)))), "{result:?}");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(ws.next().await.is_none());
    assert!(!ws.closed().unwrap().was_clean);
}

#[tokio::test]
async fn the_sink_stops_being_ready_over_the_write_limit_when_the_peer_does_not_read() {
    let (listener, url) = listen().await;
    let _stalled = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = wsproto_tokio::accept(stream).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    });
    let mut ws = wsproto_tokio::connect(&url).await.unwrap();
    ws.set_write_buffer_limit(256 * 1024);
    // Incompressible, so permessage-deflate does not shrink it.
    let chunk = bytes::Bytes::from(wsproto_test_support::noise::noise(64 * 1024, 1));
    let mut fed = 0usize;
    // The kernel's buffers take some megabytes; then the sink must push back.
    let blocked = loop {
        match tokio::time::timeout(Duration::from_millis(300), ws.feed(Message::Binary(chunk.clone()))).await {
            Ok(result) => result.unwrap(),
            Err(_) => break true,
        }
        fed += 1;
        assert!(ws.connection().buffered_amount() <= 256 * 1024 + 70 * 1024);
        if fed > 2000 {
            break false;
        }
    };
    assert!(blocked, "fed {fed} MiB/16 without backpressure");
}

#[tokio::test]
async fn next_is_cancel_safe_in_select() {
    let (listener, url) = listen().await;
    const N: usize = 2000;
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = wsproto_tokio::accept(stream).await.unwrap();
        for i in 0..N {
            ws.feed(Message::text(format!("message {i} {}", "x".repeat(i % 300)))).await.unwrap();
            if i % 7 == 0 {
                ws.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        }
        ws.close().await.unwrap();
        while ws.next().await.is_some() {}
    });
    let mut ws = wsproto_tokio::connect(&url).await.unwrap();
    let mut received = 0;
    let mut lost_races = 0;
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    assert!(text.starts_with(&format!("message {received} ")), "{text}");
                    received += 1;
                }
                Some(other) => panic!("{other:?}"),
                None => break,
            },
            () = tokio::task::yield_now() => lost_races += 1,
        }
    }
    assert_eq!(received, N);
    assert!(lost_races > 0, "the race was never lost: the test proved nothing");
    assert!(ws.closed().unwrap().was_clean);
}

#[tokio::test]
async fn split_halves_in_two_tasks() {
    let (listener, url) = listen().await;
    let server = echo_once(listener);
    let ws = wsproto_tokio::connect(&url).await.unwrap();
    let (mut tx, mut rx) = ws.split();
    const N: usize = 5000;
    let writer = tokio::spawn(async move {
        for i in 0..N {
            tx.feed(Message::text(format!("{i}"))).await.unwrap();
        }
        tx.flush().await.unwrap();
        tx
    });
    for i in 0..N {
        assert_eq!(rx.next().await.unwrap().unwrap(), Message::text(format!("{i}")));
    }
    let mut tx = writer.await.unwrap();
    tx.close().await.unwrap();
    assert!(rx.next().await.is_none());
    let ws = rx.reunite(tx).unwrap();
    assert_eq!(ws.closed().unwrap().code, CloseCode::NORMAL);
    assert!(server.await.unwrap().unwrap().was_clean);
}

/// A transport that counts writes.
struct Counting {
    inner: TcpStream,
    writes: Arc<AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counting {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn fed_messages_leave_in_one_write_at_the_flush() {
    let (listener, url) = listen().await;
    let server = echo_once(listener);
    let writes = Arc::new(AtomicUsize::new(0));
    let stream = Counting {
        inner: TcpStream::connect(url.trim_start_matches("ws://").trim_end_matches("/chat")).await.unwrap(),
        writes: writes.clone(),
    };
    let mut ws: WebSocket<Counting> =
        wsproto_tokio::client(stream, &url, ClientOptions::new(), Config::default()).await.unwrap();
    let before = writes.load(Ordering::SeqCst);
    for i in 0..100 {
        ws.feed(Message::text(format!("message {i}"))).await.unwrap();
    }
    assert_eq!(writes.load(Ordering::SeqCst), before, "feeding writes nothing");
    ws.flush().await.unwrap();
    assert_eq!(writes.load(Ordering::SeqCst), before + 1, "one vectored write for 100 messages");
    for i in 0..100 {
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(format!("message {i}")));
    }
    ws.close().await.unwrap();
    assert!(ws.next().await.is_none());
    server.await.unwrap();
}

/// Without the feature `rustls`, `wss://` asks for it (tests/tls.rs covers
/// it with the feature); a URL of another scheme is the caller's error.
#[tokio::test]
async fn urls_the_driver_cannot_open_are_typed_errors() {
    #[cfg(not(feature = "rustls"))]
    assert!(matches!(wsproto_tokio::connect("wss://127.0.0.1:1/").await, Err(Error::TlsRequired)));
    assert!(matches!(wsproto_tokio::connect("http://127.0.0.1:1/").await, Err(Error::Url(_))));
}

#[tokio::test]
async fn abort_ends_the_connection_at_once_and_the_peer_sees_no_clean_close() {
    let (listener, url) = listen().await;
    let server = echo_once(listener);
    let mut ws = wsproto_tokio::connect(&url).await.unwrap();
    ws.send(Message::text("one")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("one"));
    ws.abort().await;
    assert!(ws.next().await.is_none());
    let closed = ws.closed().unwrap();
    assert_eq!((closed.code, closed.was_clean), (CloseCode::ABNORMAL, false));
    assert!(matches!(ws.send(Message::text("late")).await, Err(Error::Closed)));
    // The echo server saw the transport end without a close handshake.
    let server_closed = tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    assert_eq!((server_closed.code, server_closed.was_clean), (CloseCode::ABNORMAL, false));
}

/// A message followed, in the same read as the 101, by a frame that breaks
/// the protocol: the app sees the message and its reply leaves before our
/// close frame (the failure waits until the app has polled the message).
#[tokio::test]
async fn a_reply_to_a_message_before_a_protocol_error_leaves_before_the_close() {
    let (listener, url) = listen().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8(head).unwrap();
        let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap().trim().to_owned();
        let accept = wsproto::handshake::derive_accept(key.as_bytes());
        let mut out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .into_bytes();
        out.extend_from_slice(&[0x81, 5]);
        out.extend_from_slice(b"hello");
        out.extend_from_slice(&[0xa1, 5]); // RSV2 set: a protocol error
        out.extend_from_slice(b"hello");
        stream.write_all(&out).await.unwrap();
        let mut received = Vec::new();
        let _ = stream.read_to_end(&mut received).await;
        received
    });
    let mut ws = wsproto_tokio::connect_with(&url, ClientOptions::new(), Config::default()).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
    ws.send(Message::text("reply")).await.unwrap();
    let failure = ws.next().await;
    assert!(matches!(failure, Some(Err(Error::Connection(wsproto::Error::Protocol(_))))), "{failure:?}");
    let received = server.await.unwrap();
    // Masked frames: the reply (text, 5 bytes) first, then the close (1002).
    assert_eq!(received.first(), Some(&0x81), "{received:02x?}");
    assert_eq!(received.get(1), Some(&(0x80 | 5)), "{received:02x?}");
    assert_eq!(received.get(11), Some(&0x88), "{received:02x?}");
}

/// A prepared message fed to several server connections reaches every
/// client, compressed where the connection agreed to it.
#[tokio::test]
async fn a_prepared_message_is_broadcast_to_every_connection() {
    let (listener, url) = listen().await;
    let text = "a broadcast to the whole room, long enough to be compressed: ".repeat(8);
    let message = Arc::new(wsproto::PreparedMessage::text(text.clone()));
    let sent = message.clone();
    let server = tokio::spawn(async move {
        let mut sockets = Vec::new();
        for _ in 0..3 {
            let (stream, _) = listener.accept().await.unwrap();
            sockets.push(wsproto_tokio::accept(stream).await.unwrap());
        }
        for ws in &mut sockets {
            ws.send(Message::prepared(sent.clone())).await.unwrap();
        }
        for mut ws in sockets {
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(wsproto_tokio::connect(&url).await.unwrap());
    }
    for ws in &mut clients {
        assert!(ws.connection().deflate().is_some(), "deflate is negotiated by default");
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text.clone()));
        ws.send(Message::close(CloseCode::NORMAL, "")).await.unwrap();
        assert!(ws.next().await.is_none());
    }
    server.await.unwrap();
}

/// A transport that makes writing hard: every other write is not ready
/// (and wakes the task at once), every third is interrupted, and a ready
/// write takes at most 1,000 bytes, from the first slice only when it is
/// not vectored. Reads are never ready. Everything written is kept.
struct Choppy {
    vectored: bool,
    calls: usize,
    written: Vec<u8>,
}

impl AsyncRead for Choppy {
    fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, _buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Poll::Pending
    }
}

impl Choppy {
    fn write(&mut self, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        self.calls += 1;
        if self.calls.is_multiple_of(2) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.calls.is_multiple_of(3) {
            return Poll::Ready(Err(std::io::ErrorKind::Interrupted.into()));
        }
        let mut room = 1000;
        for buf in bufs {
            let n = buf.len().min(room);
            self.written.extend_from_slice(&buf[..n]);
            room -= n;
            if room == 0 {
                break;
            }
        }
        Poll::Ready(Ok(1000 - room))
    }
}

impl AsyncWrite for Choppy {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.get_mut().write(cx, &[std::io::IoSlice::new(buf)])
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        assert!(self.vectored, "a transport that is not vectored gets no vectored write");
        self.get_mut().write(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.vectored
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn every_byte_reaches_a_choppy_transport_in_order() {
    let sizes = [0, 1, 125, 126, 999, 1000, 1001, 8192, 20_000, 70_000];
    for vectored in [true, false] {
        let io = Choppy { vectored, calls: 0, written: Vec::new() };
        let mut ws = WebSocket::from_open(io, wsproto::Role::Client, wsproto::Open::new(), Config::default());
        let mut expected = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let text = Message::text("é".repeat(size / 2) + &"x".repeat(size % 2));
            let binary = Message::binary(bytes::Bytes::from(vec![i as u8; size]));
            // Fed together and flushed once, then one at a time.
            ws.feed(text.clone()).await.unwrap();
            ws.feed(binary.clone()).await.unwrap();
            ws.flush().await.unwrap();
            ws.send(binary.clone()).await.unwrap();
            expected.extend([text, binary.clone(), binary]);
        }
        ws.close().await.unwrap();
        assert_eq!(ws.connection().buffered_amount(), 0, "the close flushed everything");

        // A server reading what the transport took gets every message, then the close.
        let written = ws.get_ref().written.clone();
        let now = std::time::Instant::now();
        // A server never masks: the random source is never asked.
        let rng = wsproto::rng::PredictableRandom::new(0);
        let mut server = wsproto::Connection::open_with_random(
            wsproto::Role::Server,
            wsproto::Open::new(),
            Config::default(),
            rng,
            now,
        );
        server.handle_input(now, &written);
        let (mut received, mut close) = (Vec::new(), None);
        while let Some(event) = server.poll_event() {
            assert!(close.is_none(), "nothing after the close: {event:?}");
            match event {
                wsproto::Event::Text(text) => received.push(Message::Text(text)),
                wsproto::Event::Binary(data) => received.push(Message::Binary(data)),
                wsproto::Event::Closed(closed) => close = Some(closed.code),
                wsproto::Event::Open(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(received, expected, "vectored: {vectored}");
        assert_eq!(close, Some(CloseCode::NORMAL), "the close frame arrived last");
    }
}
