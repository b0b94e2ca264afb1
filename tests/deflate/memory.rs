//! Heap per compressed server connection (issue #15): many connections
//! through a real handshake, one ~1 KiB chat message each way, everything
//! the connections hold counted (the connection values too) by an
//! allocator that tracks live bytes.

use std::time::Instant;

use wsproto::deflate::{Compressor, CompressorOptions, DeflateConfig};
use wsproto::{Config, Event};
use wsproto_test_support::alloc::live_bytes;
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::handshake::upgrade_request;
use wsproto_test_support::pair::accepted_server;

/// Connections per measurement: the heap is divided among them.
const CONNECTIONS: usize = 100;

/// A chat message of about 1 KiB, as JSON.
fn chat_message() -> String {
    let mut text = String::from(r#"{"type":"message","room":"general","id":"01HZX3K9Q8W2E5R7T1Y4U6I0OP","#);
    text.push_str(r#""from":{"id":"u_48213","name":"Alice Martin","avatar":"https://cdn.example.com/a/48213.png"},"#);
    text.push_str(r#""ts":1733480000123,"text":""#);
    while text.len() < 960 {
        text.push_str("sounds good, see you at the standup tomorrow; I will bring the notes. ");
    }
    text.push_str(r#"","mentions":[],"reactions":{}}"#);
    text
}

/// Live heap per connection after `CONNECTIONS` servers with `config`
/// accepted `extension`, received `incoming` (a client frame) and sent
/// `reply`; with `idle`, after giving their buffers back as a driver does
/// when reads pend. Also returns the first connection's agreed answer.
fn heap_per_connection(config: &Config, extension: &str, incoming: &[u8], reply: &str, idle: bool) -> (i64, String) {
    let request = upgrade_request(extension);
    let now = Instant::now();
    let before = live_bytes();
    let mut connections = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut conn = accepted_server(config.clone(), &request, now);
        conn.handle_input(now, incoming);
        match conn.poll_event() {
            Some(Event::Text(text)) => assert_eq!(text.len(), reply.len()),
            other => panic!("expected the chat message, got {other:?}"),
        }
        conn.send_text(reply).expect("send");
        while conn.poll_transmit().is_some() {}
        if idle {
            conn.release_idle_buffers();
        }
        connections.push(conn);
    }
    let held = live_bytes() - before;
    let answer = wsproto::handshake::ExtensionOffer::format_list(connections[0].extensions());
    drop(connections);
    (held / CONNECTIONS as i64, answer)
}

/// The chat message as a client frame compressed with `window_bits`.
fn compressed_frame(window_bits: u8) -> Vec<u8> {
    let mut payload = Vec::new();
    Compressor::new(CompressorOptions::new().window_bits(window_bits))
        .compress(chat_message().as_bytes(), true, &mut payload)
        .unwrap();
    client_frame(0xc1, &payload)
}

/// The acceptance bound: an active compressed connection with the default
/// config, after one compressed message each way with context takeover,
/// holds at most 64 KiB (Python websockets' figure). Before the change it
/// held 430 KB.
#[test]
fn an_active_default_compressed_connection_holds_at_most_64_kib() {
    let message = chat_message();
    let (held, answer) = heap_per_connection(
        &Config::default(),
        "permessage-deflate; client_max_window_bits",
        &compressed_frame(12),
        &message,
        false,
    );
    assert_eq!(answer, "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
    assert!(held <= 64 * 1024, "an active compressed connection holds {held} bytes");
    // It does hold the two states: the measurement sees zlib's memory.
    let (plain, _) = heap_per_connection(
        &Config::default().deflate(None),
        "permessage-deflate",
        &client_frame(0x81, message.as_bytes()),
        &message,
        false,
    );
    assert!(held > plain + 32 * 1024, "compressed {held}, plain {plain}");
}

/// With no context takeover agreed both ways, nothing of deflate is held
/// between messages: an idle compressed connection costs about what an
/// uncompressed one does. The client's `client_no_context_takeover` offer
/// is answered, which is what lets the server free its decompressor.
#[test]
fn an_idle_connection_without_context_takeover_holds_under_2_kib() {
    let message = chat_message();
    let offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits";
    let (held, answer) = heap_per_connection(&Config::default(), offer, &compressed_frame(12), &message, true);
    assert_eq!(
        answer,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; \
         client_max_window_bits=12"
    );
    assert!(held < 2048, "an idle connection without context takeover holds {held} bytes");
}

/// The client's offer alone frees the server's decompressor: with context
/// takeover on our side only the compressor stays.
#[test]
fn a_client_no_context_takeover_offer_frees_the_decompressor() {
    let message = chat_message();
    let offer = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
    let config = Config::default();
    let (held, answer) = heap_per_connection(&config, offer, &compressed_frame(12), &message, true);
    assert!(answer.contains("client_no_context_takeover"), "{answer}");
    let both_kept = "permessage-deflate; client_max_window_bits";
    let (kept, _) = heap_per_connection(&config, both_kept, &compressed_frame(12), &message, true);
    // The decompressor with a 2^12 window is about 11 KiB.
    assert!(held + 8 * 1024 < kept, "with the offer {held}, without {kept}");
}

/// A server with a shared compressor holds no compression memory of its
/// own, even with the client taking context over.
#[test]
fn a_shared_compressor_holds_nothing_per_connection() {
    let message = chat_message();
    let config = Config::default().deflate(Some(DeflateConfig::new().shared_compressor(true)));
    let offer = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
    // The thread's shared state exists before counting.
    let _ = heap_per_connection(&config, offer, &compressed_frame(12), &message, true);
    let (held, answer) = heap_per_connection(&config, offer, &compressed_frame(12), &message, true);
    assert!(answer.contains("server_no_context_takeover"), "{answer}");
    assert!(held < 2048, "a connection with a shared compressor holds {held} bytes");
}
