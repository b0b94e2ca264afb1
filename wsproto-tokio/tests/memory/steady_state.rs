//! No heap allocation per message in steady state through the driver: a
//! client and an echo server on one thread (a current-thread runtime, over
//! an in-memory duplex stream), messages of 100 bytes fed in windows and
//! flushed once per window, every echo read back. After a warm-up, the
//! allocations counted on the thread must not grow with the number of
//! messages: 20 windows of 200 messages cost about what 20 windows of 50
//! do; the 3,000 more messages may cost fewer than 1 allocation per 20 (in
//! a run: none for either). A per-message allocation
//! anywhere in the path would add 3,000. (permessage-deflate is off:
//! compressing allocates its output.)
//!
//! Waiting costs no allocation either: a socket keeps its buffers from one
//! read to the next and gives them back only after a second without input
//! (`release_idle_buffers`), so an idle connection holds none.

use super::config;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::DuplexStream;
use wsproto::handshake::ClientOptions;
use wsproto_tokio::{Message, WebSocket};

/// `windows` times, `window` round trips of 100-byte binary messages: all
/// fed, one flush, all echoes read.
async fn round_trips(ws: &mut WebSocket<DuplexStream>, payload: &Bytes, windows: usize, window: usize) {
    for _ in 0..windows {
        for _ in 0..window {
            ws.feed(Message::Binary(payload.clone())).await.unwrap();
        }
        ws.flush().await.unwrap();
        for _ in 0..window {
            match ws.next().await {
                Some(Ok(Message::Binary(data))) => assert_eq!(data.len(), payload.len()),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn echo_round_trips_do_not_allocate_per_message() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (client_io, server_io) = tokio::io::duplex(256 * 1024);
        let server = tokio::spawn(async move {
            let mut ws = wsproto_tokio::accept_with(server_io, config(), |_| Ok(Default::default())).await.unwrap();
            // Echo, flushing when nothing more is waiting.
            loop {
                let message = match futures_util::FutureExt::now_or_never(ws.next()) {
                    Some(message) => message,
                    None => {
                        ws.flush().await.unwrap();
                        ws.next().await
                    }
                };
                match message {
                    Some(Ok(message @ Message::Binary(_))) => ws.feed(message).await.unwrap(),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("{e}"),
                    None => break,
                }
            }
        });
        let mut ws =
            wsproto_tokio::client(client_io, "ws://example.com/", ClientOptions::new(), config()).await.unwrap();
        let payload = Bytes::from_static(&[0x5a; 100]);
        round_trips(&mut ws, &payload, 20, 200).await; // warm-up
        let before = wsproto_test_support::alloc::allocations();
        round_trips(&mut ws, &payload, 20, 50).await;
        let small = wsproto_test_support::alloc::allocations() - before;
        let before = wsproto_test_support::alloc::allocations();
        round_trips(&mut ws, &payload, 20, 200).await;
        let large = wsproto_test_support::alloc::allocations() - before;
        println!("allocations: {small} for 20 windows of 50 round trips, {large} for 20 windows of 200");
        assert!(large < small + 3_000 / 20, "allocations grow with messages: {small} for 1,000, {large} for 4,000");
        ws.close().await.unwrap();
        while ws.next().await.is_some() {}
        server.await.unwrap();
    });
}
