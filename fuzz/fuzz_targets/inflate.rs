//! The inflating path of permessage-deflate, three ways:
//! 1. arbitrary bytes into a `Decompressor` in arbitrary pieces with
//!    arbitrary output room: no panic, never more output than the room;
//! 2. arbitrary frames, RSV1 and all, into a server connection that
//!    negotiated the extension: no panic, held input and inflated output
//!    within the limits, streamed pieces within one inflate chunk;
//! 3. messages compressed by our `Compressor` (any level, window, memory
//!    level, context mode, shared state, fragmentation) inflate back to themselves, however the
//!    compressed bytes and the output room are cut.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use wsproto::deflate::{Compressor, CompressorOptions, Decompressor, DecompressorOptions};
use wsproto::handshake::ExtensionOffer;
use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Event, Open, Role};
use wsproto_test_support::frames::frame;
use wsproto_test_support::input::Input;

const MAX_FRAME: u64 = 8192;
const MAX_MESSAGE: u64 = 65536;
const CHUNK: usize = 64 * 1024;

/// Mode 1: arbitrary bytes, arbitrary pieces, arbitrary output room.
fn raw(mut input: Input) {
    let flags = input.byte().unwrap_or(0);
    let mut decompressor =
        Decompressor::new(DecompressorOptions::new().window_bits(8 + flags % 8).no_context_takeover(flags & 0x80 != 0));
    let mut out = Vec::new();
    let mut total = 0usize;
    while !input.0.is_empty() {
        let room = 1 + input.byte().unwrap_or(0) as usize * 16;
        let last = input.byte().unwrap_or(0) & 1 == 1;
        let piece = input.bytes(1 + input.0.first().copied().unwrap_or(0) as usize);
        let mut offset = 0;
        // Call again while output room ran out, as a receiver does.
        for _ in 0..64 {
            out.clear();
            out.reserve_exact(room);
            let spare = out.capacity();
            match decompressor.inflate(&piece[offset..], last, &mut out) {
                Ok(step) => {
                    assert!(step.produced <= spare, "{} bytes into {spare}", step.produced);
                    assert_eq!(step.produced, out.len());
                    assert!(offset + step.consumed <= piece.len());
                    offset += step.consumed;
                    total += step.produced;
                    if step.done || (offset == piece.len() && out.len() < out.capacity()) {
                        break;
                    }
                }
                Err(_) => return,
            }
        }
        if total > 1 << 24 {
            return;
        }
    }
}

/// Mode 2: arbitrary frames into a server with the extension negotiated.
fn connection(mut input: Input) {
    let flags = input.byte().unwrap_or(0);
    let mut ext = ExtensionOffer::new("permessage-deflate");
    if flags & 2 != 0 {
        ext = ext.with_flag("client_no_context_takeover");
    }
    // The window the client agreed to compress with, 8–15 (15: unnamed).
    let bits = 8 + (flags >> 2) % 8;
    if bits < 15 {
        ext = ext.with_param("client_max_window_bits", bits.to_string());
    }
    let config = Config::default()
        .max_frame_payload(MAX_FRAME)
        .max_message_size(MAX_MESSAGE)
        .max_fragments(64)
        .streaming(flags & 1 == 1);
    let now = Instant::now();
    let mut conn = Connection::open_with_random(
        Role::Server,
        Open::new().with_extension(ext),
        config,
        PredictableRandom::new(1),
        now,
    );
    let mut streamed = 0usize;
    while !input.0.is_empty() {
        let first = match input.byte().unwrap_or(0) % 8 {
            0 => 0xc1,
            1 => 0x42,
            2 => 0x00,
            3 => 0x80,
            4 => 0xc0,
            5 => 0x89,
            6 => 0xc2,
            _ => input.byte().unwrap_or(0),
        };
        let len = input.size() % (MAX_FRAME as usize + 1);
        let payload = input.bytes(len);
        let wire = frame(first, payload, Some([0x5a, 0x01, 0xc3, 0x77]));
        let piece = 1 + input.byte().unwrap_or(255) as usize * 64;
        for chunk in wire.chunks(piece) {
            conn.handle_input(now, chunk);
            // Input held: one frame at most; inflated: the limit and a byte.
            let bound = MAX_MESSAGE as usize + 1 + MAX_FRAME as usize + 14 + piece;
            assert!(conn.buffered_input() <= bound, "{} > {bound}", conn.buffered_input());
            while let Some(event) = conn.poll_event() {
                if let Event::Fragment { data, fin, .. } = &event {
                    assert!(data.len() <= CHUNK);
                    streamed += data.len();
                    assert!(streamed as u64 <= MAX_MESSAGE, "{streamed} bytes streamed");
                    if *fin {
                        streamed = 0;
                    }
                }
                if let Event::Binary(data) = &event {
                    assert!(data.len() as u64 <= MAX_MESSAGE);
                }
            }
        }
        while conn.poll_transmit().is_some() {}
    }
}

/// Mode 3: our compressor's output inflates back, however it is cut.
fn round_trip(mut input: Input) {
    let flags = input.byte().unwrap_or(0);
    let level = flags % 10;
    let bits = 9 + input.byte().unwrap_or(0) % 7;
    let no_context_takeover = flags & 0x80 != 0;
    let mem_level = 1 + (flags >> 4) % 9;
    let options = CompressorOptions::new()
        .level(level)
        .window_bits(bits)
        .mem_level(mem_level)
        .no_context_takeover(no_context_takeover)
        .shared(flags & 0x40 != 0);
    let mut compressor = Compressor::new(options);
    let mut decompressor =
        Decompressor::new(DecompressorOptions::new().window_bits(bits).no_context_takeover(no_context_takeover));
    while !input.0.is_empty() {
        // A message as 1..=4 fragments, each compressed as it comes.
        let fragments = 1 + input.byte().unwrap_or(0) % 4;
        let mut message = Vec::new();
        let mut compressed = Vec::new();
        for i in 0..fragments {
            let len = input.size() % 4096;
            let mut data = input.bytes(len).to_vec();
            // Make some of it compressible.
            if input.byte().unwrap_or(0) & 1 == 1 {
                let copy = data.clone();
                data.extend_from_slice(&copy);
            }
            compressor.compress(&data, i + 1 == fragments, &mut compressed).unwrap();
            message.extend_from_slice(&data);
        }
        let piece = 1 + input.byte().unwrap_or(0) as usize * 8;
        let room = 1 + input.byte().unwrap_or(0) as usize * 32;
        let mut out = Vec::new();
        let mut offset = 0;
        for calls in 0.. {
            assert!(calls < 1 << 20, "no progress");
            if out.len() == out.capacity() {
                out.reserve_exact(room);
            }
            let end = (offset + piece).min(compressed.len());
            let step = decompressor
                .inflate(&compressed[offset..end], end == compressed.len(), &mut out)
                .expect("our own output inflates");
            offset += step.consumed;
            if step.done {
                break;
            }
            assert!(out.len() <= message.len(), "more out than went in");
        }
        assert_eq!(offset, compressed.len());
        assert!(out == message, "round trip differs");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    match input.byte().unwrap_or(0) % 3 {
        0 => raw(input),
        1 => connection(input),
        _ => round_trip(input),
    }
});
