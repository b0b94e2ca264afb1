//! Drives a server connection with arbitrary input chunks interleaved with
//! arbitrary application calls and timer events, and checks the invariants:
//! no panic; events stop after `Closed`, which comes exactly once by the
//! end, also when the app stops polling for a while; held input and queued
//! output stay within the configured limits.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use wsproto::handshake::{AcceptOptions, Rejection};
use wsproto::{CloseCode, Config, Connection, Event, EventRef, MessageKind, State};
use wsproto_test_support::frames::frame;
use wsproto_test_support::input::Input;

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

const MAX_FRAME: u64 = 24 * 1024;
const MAX_MESSAGE: u64 = 48 * 1024;
const MAX_OUTPUT: usize = 65536;
const MAX_PONGS: usize = 4;

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let start = Instant::now();
    let mut now = start;
    let config = Config::default()
        .max_frame_payload(MAX_FRAME)
        .max_message_size(MAX_MESSAGE)
        .max_output_buffer(MAX_OUTPUT)
        .max_fragments(64)
        .max_pending_pongs(MAX_PONGS)
        .streaming(data.first().is_some_and(|b| b & 1 == 1))
        // Keepalive on or off: off, a server reads no clock for its input.
        .ping_interval(data.get(3).is_some_and(|b| b & 1 == 1).then_some(Duration::from_secs(5)));
    let mut conn = Connection::server(config, now);
    let mut closed = 0usize;
    let mut reject = false;
    let mut largest_chunk = 0usize;
    // While set, events are not polled after each step: the connection
    // decodes ahead of the app (up to its cap) and holds the rest of the
    // input undecoded; the end of the stream may then wait for polling.
    let mut paused = false;

    // Half the inputs read messages lent (`poll_event_ref`), half owned;
    // half hand bytes in with `handle_input`, half read them straight into
    // the connection (`read_buf` + `handle_read`).
    let lend = data.get(1).is_some_and(|b| b & 1 == 1);
    let read_into = data.get(2).is_some_and(|b| b & 1 == 1);
    let feed = |conn: &mut Connection, now: Instant, mut chunk: &[u8]| {
        if !read_into {
            conn.handle_input(now, chunk);
            return;
        }
        while !chunk.is_empty() {
            // No room: the connection stops reading (closed, or full).
            let Some(room) = conn.read_buf() else { return };
            assert!(!room.is_empty(), "room offered is never empty");
            let n = room.len().min(chunk.len());
            room[..n].copy_from_slice(&chunk[..n]);
            // The clock, as the README's loop passes it (read only when
            // the input can move a timer).
            conn.handle_read(|| now, n);
            chunk = &chunk[n..];
        }
    };
    let drain = |conn: &mut Connection, now: Instant, reject: bool, closed: &mut usize| loop {
        let event = if lend {
            match conn.poll_event_ref() {
                None => break,
                Some(EventRef::Other(event)) => event,
                Some(lent) => {
                    assert_eq!(*closed, 0, "no event may follow Closed: {lent:?}");
                    continue;
                }
            }
        } else {
            match conn.poll_event() {
                None => break,
                Some(event) => event,
            }
        };
        assert_eq!(*closed, 0, "no event may follow Closed: {event:?}");
        match event {
            Event::Request(_) => {
                let answered = if reject {
                    conn.reject(now, Rejection::new(403))
                } else {
                    conn.accept(now, AcceptOptions::new())
                };
                // A request polled late may find the handshake timed out.
                assert!(answered.is_ok() || conn.state() == State::Closed, "{answered:?}");
            }
            Event::Closed(_) => *closed += 1,
            _ => {}
        }
    };

    while let Some(op) = input.byte() {
        match op % 14 {
            0..=2 => {
                let n = input.byte().map_or(0, |b| b as usize * 8 + 1);
                let chunk = input.bytes(n);
                largest_chunk = largest_chunk.max(chunk.len());
                feed(&mut conn, now, chunk);
            }
            3 => feed(&mut conn, now, REQUEST),
            4 => {
                let first = input.byte().unwrap_or(0x81);
                let n = input.byte().map_or(0, |b| b as usize * 2);
                let payload = input.bytes(n);
                let frame = frame(first, payload, Some([1, 2, 3, 4]));
                largest_chunk = largest_chunk.max(frame.len());
                feed(&mut conn, now, &frame);
            }
            5 => {
                let n = input.byte().unwrap_or(0) as usize;
                let payload = input.bytes(n).to_vec();
                let _ = match n % 5 {
                    0 => conn.send_binary(payload),
                    1 => conn.send_text(String::from_utf8_lossy(&payload).into_owned()),
                    2 => conn.send_binary(&payload),
                    3 => conn.send_text(&*String::from_utf8_lossy(&payload)),
                    _ => conn.send_fragment(MessageKind::Binary, payload, n.is_multiple_of(2)),
                };
            }
            6 => {
                let n = input.byte().unwrap_or(0) as usize;
                let payload = input.bytes(n).to_vec();
                let _ = if n.is_multiple_of(2) { conn.ping(payload) } else { conn.pong(payload) };
            }
            7 => {
                let code = u16::from_be_bytes([input.byte().unwrap_or(3), input.byte().unwrap_or(232)]);
                let _ = conn.close(now, CloseCode(code), "fuzz");
            }
            8 => {
                now += Duration::from_millis(input.byte().unwrap_or(0) as u64 * 100);
                conn.handle_timeout(now);
            }
            9 => {
                // Partial writes.
                let n = input.byte().unwrap_or(0) as usize;
                conn.advance_transmit(n);
            }
            10 => while conn.poll_transmit().is_some() {},
            11 => {
                // A large frame (the path that copies payload as it arrives),
                // in three reads cut anywhere, events drained between them.
                let first = input.byte().unwrap_or(0x81);
                let flags = input.byte().unwrap_or(0);
                let len = input.size() % (MAX_FRAME as usize + 4096);
                let payload = large_payload(input.bytes(16), len, flags, input.size());
                let frame = frame(first, &payload, Some([9, 8, 7, 6]));
                let (a, b) = (input.size() % (frame.len() + 1), input.size() % (frame.len() + 1));
                let (a, b) = (a.min(b), a.max(b));
                for piece in [&frame[..a], &frame[a..b], &frame[b..]] {
                    largest_chunk = largest_chunk.max(piece.len());
                    feed(&mut conn, now, piece);
                    drain(&mut conn, now, reject, &mut closed);
                }
            }
            12 => reject = !reject,
            _ => paused = !paused,
        }
        if !paused {
            drain(&mut conn, now, reject, &mut closed);
        }
        // Memory: undecoded input within the input limit, a message being
        // assembled within twice its limit.
        let held = conn.buffered_input();
        let bound = (MAX_FRAME + 14) as usize + (256 << 10) + 2 * MAX_MESSAGE as usize;
        assert!(held <= bound, "held {held} > {bound} (largest chunk {largest_chunk})");
        let queued = conn.buffered_amount();
        // Pongs waiting and as many queued, one close, a handshake response.
        let auto = 2 * MAX_PONGS * (2 + 4 + 125) + (4 + 125) + 1024;
        assert!(queued <= MAX_OUTPUT + auto, "queued {queued}");
    }
    conn.handle_eof(now);
    // A second end changes nothing, however much input waits undecoded.
    conn.handle_eof(now);
    drain(&mut conn, now, reject, &mut closed);
    assert_eq!(closed, 1, "Closed exactly once");
    assert!(conn.poll_event().is_none(), "an event after the last poll");
});

/// `len` bytes of text repeating `seed` (or a mix of 1- to 4-byte
/// characters when `seed` is not UTF-8), cut at a character boundary and
/// padded with ASCII; with `flags & 1`, one byte at `at` is made invalid.
fn large_payload(seed: &[u8], len: usize, flags: u8, at: usize) -> Vec<u8> {
    let seed = match std::str::from_utf8(seed) {
        Ok(text) if !text.is_empty() => text,
        _ => "a\u{e9}\u{20ac}\u{1f600}",
    };
    let mut text = String::with_capacity(len + 4);
    for ch in seed.chars().cycle() {
        if text.len() + ch.len_utf8() > len {
            break;
        }
        text.push(ch);
    }
    let mut payload = text.into_bytes();
    payload.resize(len, b'.');
    if flags & 1 == 1 && len > 0 {
        payload[at % len] = 0xFF;
    }
    payload
}
