//! permessage-deflate settings against memory and compression, on the chat
//! corpus (`benches/data/chat_corpus.jsonl`: 2,000 JSON chat events of
//! 50 B–1.3 KiB, written by `benches/data/make_chat_corpus.py`).
//!
//! `cargo run --release -p wsproto-benches --example deflate_settings`
//!
//! For each setting (the window both ways, our memory level, context
//! takeover or not):
//! - **heap per connection**: `CONNECTIONS` server connections through a
//!   real handshake (a browser's offer, `permessage-deflate;
//!   client_max_window_bits`, plus `client_no_context_takeover` in the
//!   no-takeover rows), each receiving one ~1 KiB chat message compressed by
//!   the client and sending one back; everything they hold (connection
//!   values included) counted by an allocator that tracks live bytes,
//!   divided by their number. "Idle" is the same connections after
//!   `release_idle_buffers`, as a driver does when reads pend.
//! - **ratio**: compressed bytes over bytes when the corpus is sent in
//!   order on one connection through our `Compressor`, at levels 1, 6, 7
//!   (the default), 9.
//!
//! Prints Markdown rows.

use std::time::Instant;

use wsproto::deflate::{Compressor, CompressorOptions, DeflateConfig};
use wsproto::{Config, Event};
use wsproto_test_support::alloc::{Counting, live_bytes};
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::handshake::upgrade_request;
use wsproto_test_support::pair::accepted_server;

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes live on this thread, where every connection here is made and driven.
fn live() -> isize {
    live_bytes() as isize
}

const CORPUS: &str = include_str!("../data/chat_corpus.jsonl");
const CONNECTIONS: usize = 1000;

/// One setting: windows both ways, memory level, context takeover.
#[derive(Clone, Copy)]
struct Setting {
    bits: u8,
    mem_level: u8,
    takeover: bool,
}

fn request(takeover: bool) -> Vec<u8> {
    let offer = if takeover {
        "permessage-deflate; client_max_window_bits"
    } else {
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits"
    };
    upgrade_request(offer)
}

/// Heap per connection (active, idle) for a server with `deflate`.
fn heap(deflate: Option<DeflateConfig>, setting: Setting, message: &str) -> (isize, isize) {
    let config = Config::default().deflate(deflate);
    let request = request(setting.takeover);
    let mut payload = Vec::new();
    Compressor::new(CompressorOptions::new().window_bits(setting.bits))
        .compress(message.as_bytes(), true, &mut payload)
        .unwrap();
    // A masked client frame, FIN and RSV1 set, text.
    let incoming = client_frame(0xc1, &payload);
    let now = Instant::now();
    let before = live();
    let mut connections = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut conn = accepted_server(config.clone(), &request, now);
        if config.deflate.is_some() {
            conn.handle_input(now, &incoming);
            assert!(matches!(conn.poll_event(), Some(Event::Text(t)) if t.len() == message.len()));
        }
        conn.send_text(message).expect("send");
        while conn.poll_transmit().is_some() {}
        connections.push(conn);
    }
    let active = (live() - before) / CONNECTIONS as isize;
    for conn in &mut connections {
        conn.release_idle_buffers();
    }
    let idle = (live() - before) / CONNECTIONS as isize;
    drop(connections);
    (active, idle)
}

/// Compressed bytes over bytes for the corpus sent in order on one
/// connection.
fn ratio(setting: Setting, level: u8) -> f64 {
    let (compressed, raw) = compressed_bytes(setting, level);
    compressed as f64 / raw as f64
}

/// (compressed bytes, bytes) for the corpus sent in order on one connection.
fn compressed_bytes(setting: Setting, level: u8) -> (usize, usize) {
    let options = CompressorOptions::new()
        .level(level)
        .window_bits(setting.bits)
        .mem_level(setting.mem_level)
        .no_context_takeover(!setting.takeover);
    let mut compressor = Compressor::new(options);
    let (mut raw, mut compressed) = (0usize, 0usize);
    let mut out = Vec::new();
    for line in CORPUS.lines() {
        out.clear();
        compressor.compress(line.as_bytes(), true, &mut out).unwrap();
        raw += line.len();
        compressed += out.len();
    }
    (compressed, raw)
}

fn main() {
    let message = CORPUS.lines().find(|l| (900..=1100).contains(&l.len())).expect("a ~1 KiB message");
    let lines = CORPUS.lines().count();
    let bytes: usize = CORPUS.lines().map(str::len).sum();
    println!("corpus: {lines} messages, {bytes} bytes; the ~1 KiB message: {} bytes", message.len());
    let (plain, plain_idle) = heap(None, Setting { bits: 15, mem_level: 8, takeover: true }, message);
    println!("no deflate: {plain} B per connection active, {plain_idle} B idle");
    println!();
    for level in [6, 7] {
        let (compressed, raw) = compressed_bytes(Setting { bits: 12, mem_level: 5, takeover: true }, level);
        println!("12 bits, memory level 5, level {level}, context takeover: {compressed} bytes of {raw}");
    }
    println!();
    println!(
        "| window bits | memory level | context takeover | heap per active connection | idle \
         | ratio, level 1 | level 6 | level 7 | level 9 |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut settings = Vec::new();
    for (bits, mem_level) in
        [(15, 8), (14, 7), (13, 6), (13, 5), (13, 4), (12, 5), (12, 4), (11, 4), (11, 3), (10, 3), (10, 2), (9, 1)]
    {
        settings.push(Setting { bits, mem_level, takeover: true });
    }
    settings.push(Setting { bits: 15, mem_level: 8, takeover: false });
    settings.push(Setting { bits: 12, mem_level: 5, takeover: false });
    for setting in settings {
        let deflate = DeflateConfig::new()
            .server_max_window_bits(setting.bits)
            .client_max_window_bits(setting.bits)
            .mem_level(setting.mem_level);
        let (active, idle) = heap(Some(deflate), setting, message);
        println!(
            "| {} | {} | {} | {active} B | {idle} B | {:.3} | {:.3} | {:.3} | {:.3} |",
            setting.bits,
            setting.mem_level,
            if setting.takeover { "yes" } else { "no" },
            ratio(setting, 1),
            ratio(setting, 6),
            ratio(setting, 7),
            ratio(setting, 9),
        );
    }
    let shared = DeflateConfig::new().shared_compressor(true);
    let setting = Setting { bits: 12, mem_level: 5, takeover: false };
    let (active, idle) = heap(Some(shared), setting, message);
    println!("| 12 | 5 | no, shared compressor | {active} B | {idle} B | | | {:.3} | |", ratio(setting, 7));
}
