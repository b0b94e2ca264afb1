//! The inflated size is checked while inflating: a small compressed message
//! that would inflate to a gigabyte fails with 1009 after at most the
//! message limit, in both receive modes, with memory bounded throughout.
//! And the RSV1 rules: never on control or continuation frames.

use std::time::Instant;

use wsproto::deflate::{Compressor, CompressorOptions};
use wsproto::handshake::ExtensionOffer;
use wsproto::rng::PredictableRandom;
use wsproto::{CompressionViolation, Config, Connection, Error, Event, MessageKind, Open, ProtocolError, Role};
use wsproto_test_support::frames::{RSV1, client_fragments, client_frame, close_frames_in, opcode};
use wsproto_test_support::pair::drain_output;

const MIB: usize = 1 << 20;
/// The most the receiver inflates in one step (one streamed piece).
const CHUNK: usize = 64 * 1024;

/// A raw deflate stream of `mib` MiB of zeros, tail removed: the first MiB
/// sets up a window of zeros, every further MiB is the same ~1 KB block
/// that refers back into it.
fn zeros_bomb(mib: usize) -> Vec<u8> {
    zeros_bomb_with_window(mib, 15)
}

/// [`zeros_bomb`] made with a window of `2^bits` bytes.
fn zeros_bomb_with_window(mib: usize, bits: u8) -> Vec<u8> {
    let zeros = vec![0u8; MIB];
    let mut compressor = Compressor::new(CompressorOptions::new().level(9).window_bits(bits));
    let mut first = Vec::new();
    compressor.compress(&zeros, false, &mut first).unwrap();
    let mut next = Vec::new();
    compressor.compress(&zeros, false, &mut next).unwrap();
    let mut stream = first;
    for _ in 1..mib {
        stream.extend_from_slice(&next);
    }
    assert!(stream.ends_with(&[0, 0, 0xff, 0xff]));
    stream.truncate(stream.len() - 4);
    stream
}

fn server(config: Config) -> Connection {
    server_with_client_window(config, 15)
}

/// A server that agreed the client compresses with at most `2^bits` bytes
/// of window: its inflater keeps that window.
fn server_with_client_window(config: Config, bits: u8) -> Connection {
    let mut extension = ExtensionOffer::new("permessage-deflate");
    if bits < 15 {
        extension = extension.with_param("client_max_window_bits", bits.to_string());
    }
    let open = Open::new().with_extension(extension);
    let mut conn = Connection::open_with_random(Role::Server, open, config, PredictableRandom::new(9), Instant::now());
    assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
    conn
}

/// The compressed message as client frames of at most `frame` bytes: RSV1
/// on the first.
fn frames(kind: MessageKind, payload: &[u8], frame: usize) -> Vec<u8> {
    let first = match kind {
        MessageKind::Text => RSV1 | opcode::TEXT,
        MessageKind::Binary => RSV1 | opcode::BINARY,
    };
    client_fragments(first, payload, frame)
}

struct Outcome {
    events: Vec<Event>,
    /// Bytes of wire fed before the connection stopped reading.
    fed_until_failure: usize,
    /// The largest `buffered_input()` seen after any input.
    max_buffered: usize,
    close_codes: Vec<Option<u16>>,
}

/// Feeds `wire` in pieces of `piece` bytes, polling events after each.
fn feed(mut conn: Connection, wire: &[u8], piece: usize) -> Outcome {
    let now = Instant::now();
    let mut events = Vec::new();
    let mut fed = 0;
    let mut fed_until_failure = None;
    let mut max_buffered = 0;
    for chunk in wire.chunks(piece) {
        conn.handle_input(now, chunk);
        fed += chunk.len();
        max_buffered = max_buffered.max(conn.buffered_input());
        while let Some(e) = conn.poll_event() {
            if matches!(e, Event::Failed(_)) {
                fed_until_failure.get_or_insert(fed);
            }
            events.push(e);
        }
    }
    let out = drain_output(&mut conn);
    Outcome {
        events,
        fed_until_failure: fed_until_failure.unwrap_or(fed),
        max_buffered,
        close_codes: close_frames_in(&out, false).into_iter().map(|(code, _)| code).collect(),
    }
}

fn failed_too_large(events: &[Event], max: u64) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Failed(Error::Protocol(ProtocolError::MessageTooLarge { max: m })) if *m == max))
}

#[test]
fn a_gigabyte_bomb_fails_with_1009_after_at_most_the_limit() {
    let bomb = zeros_bomb(1024);
    assert!(bomb.len() < 1_100_000, "1 GiB of zeros in {} bytes", bomb.len());
    let limit = MIB;
    let wire = frames(MessageKind::Binary, &bomb, 16 * 1024);
    let conn = server(Config::default().max_message_size(limit as u64));
    let outcome = feed(conn, &wire, 4096);
    eprintln!(
        "bomb: {} compressed bytes for 1 GiB; failed after {} bytes fed, at most {} bytes buffered",
        bomb.len(),
        outcome.fed_until_failure,
        outcome.max_buffered
    );
    assert!(failed_too_large(&outcome.events, limit as u64), "{:?}", outcome.events);
    assert_eq!(outcome.close_codes, [Some(1009)]);
    // Refused after a few KB of the ~1 MB stream.
    assert!(outcome.fed_until_failure <= 8192, "{} bytes fed", outcome.fed_until_failure);
    // Input held plus output inflated: at most the limit, one input piece and a byte.
    assert!(outcome.max_buffered <= limit + 4096 + 1, "{} bytes buffered", outcome.max_buffered);
    assert!(!outcome.events.iter().any(|e| matches!(e, Event::Binary(_))));
}

/// The inflater's window follows the agreed one; the limit holds at every
/// size, fragmented or whole, streaming or not.
#[test]
fn the_bomb_limit_holds_at_every_window_size() {
    let limit = MIB / 2;
    for bits in 9..=15 {
        let bomb = zeros_bomb_with_window(16, bits);
        for (frame, streaming) in [(16 * 1024, false), (usize::MAX, false), (16 * 1024, true)] {
            let wire = frames(MessageKind::Binary, &bomb, frame);
            let config = Config::default().streaming(streaming).max_message_size(limit as u64);
            let outcome = feed(server_with_client_window(config, bits), &wire, 4096);
            let context = format!("window {bits}, frames of {frame}, streaming {streaming}");
            assert!(failed_too_large(&outcome.events, limit as u64), "{context}: {:?}", outcome.events);
            assert_eq!(outcome.close_codes, [Some(1009)], "{context}");
            let held = if streaming { 0 } else { limit + 1 };
            assert!(outcome.max_buffered <= held + wire.len().min(frame.saturating_add(14)) + 4096, "{context}");
            let handed: usize = outcome
                .events
                .iter()
                .map(|e| match e {
                    Event::Fragment { data, .. } => data.len(),
                    Event::Binary(data) => data.len(),
                    _ => 0,
                })
                .sum();
            assert!(handed <= limit, "{context}: {handed} bytes handed out");
        }
    }
}

#[test]
fn a_bomb_in_one_frame_fails_the_same_way() {
    // 64 MiB of zeros in one ~64 KB frame, with the default limits but 1 MiB of message.
    let bomb = zeros_bomb(64);
    let wire = frames(MessageKind::Text, &bomb, usize::MAX);
    let conn = server(Config::default().max_message_size(MIB as u64));
    // Fed whole: the frame is in the input at once.
    let outcome = feed(conn, &wire, usize::MAX);
    assert!(failed_too_large(&outcome.events, MIB as u64), "{:?}", outcome.events);
    assert!(outcome.max_buffered <= wire.len() + MIB + 1, "{}", outcome.max_buffered);
}

#[test]
fn streaming_hands_out_bounded_pieces_up_to_the_limit() {
    let bomb = zeros_bomb(1024);
    let limit = 3 * MIB + 5;
    let wire = frames(MessageKind::Binary, &bomb, 16 * 1024);
    let conn = server(Config::default().streaming(true).max_message_size(limit as u64));
    let outcome = feed(conn, &wire, 4096);
    let mut total = 0;
    for e in &outcome.events {
        if let Event::Fragment { data, fin, .. } = e {
            assert!(data.len() <= CHUNK, "a piece of {}", data.len());
            assert!(data.iter().all(|&b| b == 0));
            assert!(!fin);
            total += data.len();
        }
    }
    assert!(total <= limit, "{total} bytes handed out");
    assert!(total + CHUNK > limit, "{total} bytes handed out before failing");
    assert!(failed_too_large(&outcome.events, limit as u64));
    assert_eq!(outcome.close_codes, [Some(1009)]);
    // Nothing is assembled in streaming mode: only input is held.
    assert!(outcome.max_buffered <= 4096, "{}", outcome.max_buffered);
}

#[test]
fn a_message_of_exactly_the_limit_passes_and_one_more_byte_fails() {
    for streaming in [false, true] {
        for (size, ok) in [(100_000, true), (100_001, false)] {
            let data = vec![b'z'; size];
            let mut compressed = Vec::new();
            Compressor::new(CompressorOptions::new().level(1)).compress(&data, true, &mut compressed).unwrap();
            let wire = frames(MessageKind::Text, &compressed, 1000);
            let conn = server(Config::default().streaming(streaming).max_message_size(100_000));
            let outcome = feed(conn, &wire, 333);
            let received: usize = outcome
                .events
                .iter()
                .map(|e| match e {
                    Event::Text(t) => t.len(),
                    Event::Fragment { data, .. } => data.len(),
                    _ => 0,
                })
                .sum();
            if ok {
                assert_eq!(received, size, "streaming {streaming}");
                assert!(!outcome.events.iter().any(|e| matches!(e, Event::Failed(_))));
            } else {
                assert!(failed_too_large(&outcome.events, 100_000), "streaming {streaming}");
                assert!(received <= 100_000);
            }
        }
    }
}

/// The close code a server sends after `wire` (with the extension negotiated
/// or not), and the error it reports.
fn fault(negotiated: bool, wire: &[u8]) -> (Vec<Option<u16>>, Option<ProtocolError>) {
    let conn = if negotiated {
        server(Config::default())
    } else {
        let mut c = Connection::open_with_random(
            Role::Server,
            Open::new(),
            Config::default(),
            PredictableRandom::new(9),
            Instant::now(),
        );
        let _ = c.poll_event();
        c
    };
    let outcome = feed(conn, wire, usize::MAX);
    let error = outcome.events.iter().find_map(|e| match e {
        Event::Failed(Error::Protocol(p)) => Some(p.clone()),
        _ => None,
    });
    (outcome.close_codes, error)
}

#[test]
fn rsv1_only_on_the_first_frame_of_a_data_message() {
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    // On a continuation frame (§6.1).
    let mut wire = client_frame(0x41, &hello[..3]);
    wire.extend(client_frame(0xc0, &hello[3..]));
    let (codes, error) = fault(true, &wire);
    assert_eq!(codes, [Some(1002)]);
    assert_eq!(error, Some(ProtocolError::Compression(CompressionViolation::Rsv1OnContinuation)));
    // On control frames.
    for first in [0xc9, 0xca, 0xc8] {
        let (codes, error) = fault(true, &client_frame(first, b""));
        assert_eq!(codes, [Some(1002)], "{first:#x}");
        assert_eq!(error, Some(ProtocolError::Compression(CompressionViolation::Rsv1OnControlFrame)), "{first:#x}");
    }
    // Without the extension, RSV1 is a reserved bit.
    let (codes, error) = fault(false, &client_frame(0xc1, &hello));
    assert_eq!(codes, [Some(1002)]);
    assert!(matches!(error, Some(ProtocolError::Frame(_))), "{error:?}");
    // Uncompressed messages and control frames still work with it negotiated.
    let mut wire = client_frame(0x81, b"plain");
    wire.extend(client_frame(0x89, b"ping"));
    let outcome = feed(server(Config::default()), &wire, usize::MAX);
    assert_eq!(outcome.events.len(), 2, "{:?}", outcome.events);
}

#[test]
fn bad_compressed_data_is_1007() {
    // Reserved block type 11.
    let (codes, error) = fault(true, &client_frame(0xc1, &[0xff, 0xff, 0xff]));
    assert_eq!(codes, [Some(1007)]);
    assert_eq!(error, Some(ProtocolError::InvalidCompressedData));
    // A back reference before the start of the stream.
    let mut bad = Vec::new();
    let mut c = Compressor::new(CompressorOptions::new());
    c.compress(b"abcabcabcabcabc", true, &mut bad).unwrap();
    let (codes, _) = fault(true, &client_frame(0xc1, &bad[2..]));
    assert_eq!(codes, [Some(1007)]);
    // Valid deflate, invalid UTF-8 in a text message.
    let mut latin1 = Vec::new();
    Compressor::new(CompressorOptions::new().level(1)).compress(b"caf\xe9 au lait", true, &mut latin1).unwrap();
    let (codes, error) = fault(true, &client_frame(0xc1, &latin1));
    assert_eq!(codes, [Some(1007)]);
    assert_eq!(error, Some(ProtocolError::InvalidUtf8));
}
