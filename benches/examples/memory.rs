//! Memory held by one idle open connection, for each library: the size of
//! the connection value itself and the heap it holds, counted by a global
//! allocator that tracks live bytes.
//!
//! `cargo run --release -p wsproto-benches --example memory`
//!
//! "After open" is right after the handshake: for wsproto a real server
//! handshake (request in, 101 out, the handshake state dropped), and a
//! connection built open; for the peers, the connection built on a stream
//! whose handshake is done (`from_raw_socket`, `serve`, `after_handshake`),
//! which is what their handshake helpers return. "After traffic" is after
//! one 16-byte message each way, when read and write buffers have been
//! used. The in-memory stream's own buffers are allocated before counting
//! and are not included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use wsproto::handshake::AcceptOptions;
use wsproto::{Config, Connection, Event};
use wsproto_benches::{Kind, Lib, MemStream, Outgoing, Workload};

struct Tracking;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged; the bookkeeping is an atomic counter.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A wsproto server through a real handshake, output drained.
fn wsproto_after_handshake() -> Connection {
    let now = Instant::now();
    let mut conn = Connection::server(Config::default(), now);
    conn.handle_input(now, REQUEST);
    assert!(matches!(conn.poll_event(), Some(Event::Request(_))));
    conn.accept(now, AcceptOptions::new()).expect("accept");
    while conn.poll_event().is_some() {}
    while conn.poll_transmit().is_some() {}
    conn
}

fn main() {
    println!("| library | connection value | heap after open | heap after one 16 B message each way |");
    println!("|---|---:|---:|---:|");
    let message = Outgoing::new(Kind::Binary, 16);
    let one = Workload::with_count(Kind::Binary, 16, 1);

    // wsproto through a real handshake.
    let before = live();
    let mut conn = wsproto_after_handshake();
    let open = live() - before;
    let now = Instant::now();
    conn.handle_input(now, &one.wire);
    while conn.poll_event().is_some() {}
    conn.send_binary(message.bytes.clone()).expect("send");
    while conn.poll_transmit().is_some() {}
    let traffic = live() - before;
    println!("| wsproto (server, real handshake) | {} B | {open} B | {traffic} B |", std::mem::size_of::<Connection>());
    drop(conn);

    for lib in Lib::ALL {
        // One server connection per library: one message in, one out.
        let stream = MemStream::default();
        stream.rewind(&one.wire);
        let before = live();
        let (size, open, traffic) = match lib {
            Lib::Wsproto => {
                let mut conn = wsproto_benches::wsproto_server();
                let open = live() - before;
                conn.handle_input(now, &one.wire);
                while conn.poll_event().is_some() {}
                conn.send_binary(message.bytes.clone()).expect("send");
                while conn.poll_transmit().is_some() {}
                (std::mem::size_of_val(&conn), open, live() - before)
            }
            Lib::Tungstenite => {
                let mut ws =
                    tungstenite::WebSocket::from_raw_socket(stream.clone(), tungstenite::protocol::Role::Server, None);
                let open = live() - before;
                let _ = ws.read().expect("read");
                ws.send(tungstenite::Message::Binary(message.bytes.clone())).expect("send");
                (std::mem::size_of_val(&ws), open, live() - before)
            }
            Lib::TokioWebsockets => {
                use futures_util::{SinkExt, StreamExt};
                let mut ws = tokio_websockets::ServerBuilder::new().serve(stream.clone());
                let open = live() - before;
                wsproto_benches::block_on(async {
                    let _ = ws.next().await.expect("message").expect("read");
                    ws.send(tokio_websockets::Message::binary(message.bytes.clone())).await.expect("send");
                });
                (std::mem::size_of_val(&ws), open, live() - before)
            }
            Lib::Fastwebsockets => {
                let mut ws = fastwebsockets::WebSocket::after_handshake(stream.clone(), fastwebsockets::Role::Server);
                let open = live() - before;
                wsproto_benches::block_on(async {
                    let _ = ws.read_frame().await.expect("read");
                    let frame = fastwebsockets::Frame::binary(fastwebsockets::Payload::Borrowed(&message.bytes));
                    ws.write_frame(frame).await.expect("send");
                });
                (std::mem::size_of_val(&ws), open, live() - before)
            }
            Lib::Ratchet => {
                // The stream's own sink is not ratchet's memory.
                let stream = wsproto_benches::SendMemStream::default();
                stream.rewind(&one.wire);
                let before = live();
                let mut ws = ratchet_rs::WebSocket::from_upgraded(
                    ratchet_rs::WebSocketConfig::default(),
                    stream,
                    None::<ratchet_rs::NoExt>,
                    bytes::BytesMut::new(),
                    ratchet_rs::Role::Server,
                );
                let open = live() - before;
                wsproto_benches::block_on(async {
                    let mut buf = bytes::BytesMut::new();
                    let _ = ws.read(&mut buf).await.expect("read");
                    ws.write(&message.bytes, ratchet_rs::PayloadType::Binary).await.expect("send");
                });
                (std::mem::size_of_val(&ws), open, live() - before)
            }
        };
        let label = if lib == Lib::Wsproto { "wsproto (server, built open)" } else { lib.label() };
        println!("| {label} | {size} B | {open} B | {traffic} B |");
    }
}
