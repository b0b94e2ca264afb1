//! The driver's memory rule (`WebSocket` docs, "Memory"): a socket keeps
//! its buffers while it is busy and gives them back once it has read
//! nothing for one to two seconds, so an idle connection holds none.
//! A client and an echo server on one thread (a current-thread runtime,
//! over an in-memory duplex stream), so the bytes both hold are counted on
//! it.

use std::time::Duration;

use super::config;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use wsproto::handshake::ClientOptions;
use wsproto_tokio::Message;

/// One 16 KiB message each way and its echo.
async fn round_trip(ws: &mut wsproto_tokio::WebSocket<tokio::io::DuplexStream>, payload: &Bytes) {
    ws.send(Message::Binary(payload.clone())).await.unwrap();
    match ws.next().await {
        Some(Ok(Message::Binary(data))) => assert_eq!(data.len(), payload.len()),
        other => panic!("{other:?}"),
    }
}

/// Polls the stream (as an app waiting for messages does) for `ms`.
async fn wait(ws: &mut wsproto_tokio::WebSocket<tokio::io::DuplexStream>, ms: u64) {
    assert!(tokio::time::timeout(Duration::from_millis(ms), ws.next()).await.is_err(), "a message arrived");
}

#[test]
fn buffers_are_kept_while_busy_and_given_back_after_a_second_idle() {
    // Paused time: the runtime jumps to the next timer when all is idle.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    runtime.block_on(async {
        let (client_io, server_io) = tokio::io::duplex(256 * 1024);
        let server = tokio::spawn(async move {
            let mut ws = wsproto_tokio::accept_with(server_io, config(), |_| Ok(Default::default())).await.unwrap();
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Binary(_) = message {
                    ws.send(message).await.unwrap();
                }
            }
        });
        let mut ws =
            wsproto_tokio::client(client_io, "ws://example.com/", ClientOptions::new(), config()).await.unwrap();
        let payload = Bytes::from(vec![0x5a; 16 * 1024]);
        // A first round grows the in-memory stream's own buffers, which stay.
        round_trip(&mut ws, &payload).await;
        wait(&mut ws, 2500).await;
        let idle = wsproto_test_support::alloc::live_bytes();

        round_trip(&mut ws, &payload).await;
        wait(&mut ws, 500).await;
        let busy = wsproto_test_support::alloc::live_bytes();
        // Half a second later each side still holds an input buffer that
        // fit a 16 KiB frame.
        assert!(busy - idle >= 2 * 16 * 1024, "buffers were not kept: {idle} B idle, {busy} B busy");

        wait(&mut ws, 2000).await;
        let idle_again = wsproto_test_support::alloc::live_bytes();
        println!("live bytes: {idle} idle, {busy} busy, {idle_again} idle again");
        assert!(idle_again <= idle, "buffers were not given back: {idle} B idle, {idle_again} B idle again");

        ws.close().await.unwrap();
        while ws.next().await.is_some() {}
        server.await.unwrap();
    });
}
