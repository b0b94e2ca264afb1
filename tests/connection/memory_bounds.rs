//! Memory held by a connection stays under the bound `Config` states,
//! whatever the peer sends and however the app drives it: one test per
//! flood class, measuring the peak heap with a counting allocator against
//! the formula of the config in force.
//!
//! The formula (see `Config`): undecoded input up to `input_limit()` in one
//! buffer, plus a spare buffer of at most that size (and at most 2 MiB),
//! plus events decoded ahead of polling (at most 32, their messages at most
//! one input buffer), plus
//! the message being assembled (at most twice `max_message_size`), plus
//! `max_output_buffer` of output, plus control replies (at most twice
//! `max_pending_pongs` pongs of 131 bytes, and a close frame), plus the
//! connection's fixed state.

use std::io::IoSlice;
use std::time::Instant;

use wsproto::{Config, Connection, Error, Event};

use wsproto_test_support::alloc::{live_bytes, peak_bytes, reset_peak};
use wsproto_test_support::frames::{client_frame, server_frame};
use wsproto_test_support::pair::{open_client, open_server};

/// The connection's own state, queues and bookkeeping, beyond its buffers.
const FIXED: i64 = 16 << 10;

/// The bound `Config` documents for a connection without compression.
fn bound(config: &Config) -> i64 {
    let input = config.input_limit() as i64;
    let spare = input.min(2 << 20) + 8192;
    let pongs = 2 * config.max_pending_pongs as i64 * 131 + 131;
    // Events decoded ahead: 32 at most, a control payload copied out each.
    let events_ahead = 32 * (size_of::<Event>() as i64 + 125);
    input
        + spare
        + input
        + events_ahead
        + 2 * config.max_message_size as i64
        + config.max_output_buffer as i64
        + pongs
        + FIXED
}

/// `config` without compression (its memory is a fixed cost of its own).
fn without_deflate(config: Config) -> Config {
    #[cfg(feature = "deflate")]
    let config = config.deflate(None);
    config
}

/// Small limits, so the bound is small enough that a leak shows.
fn small_limits() -> Config {
    without_deflate(
        Config::default().max_frame_payload(64 << 10).max_message_size(256 << 10).max_output_buffer(64 << 10),
    )
}

fn open(config: &Config, now: Instant) -> Connection {
    let mut conn = open_server(config.clone(), now);
    assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
    conn
}

/// Writes that make no progress: the driver asks for output, writes
/// nothing, reports 0, and keeps reading. Pongs do not pile up.
#[test]
fn a_ping_flood_with_stalled_writes_stays_bounded() {
    let now = Instant::now();
    let config = small_limits();
    let pings: Vec<u8> = (0..100).flat_map(|_| client_frame(0x89, &[b'p'; 125])).collect();
    let before = live_bytes();
    reset_peak();
    let mut conn = open(&config, now);
    let mut at_100 = 0;
    for round in 0..2000 {
        conn.handle_input(now, &pings);
        while conn.poll_event().is_some() {}
        let mut slices = [IoSlice::new(&[]); 32];
        let _ = conn.transmit_slices(&mut slices);
        conn.advance_transmit(0);
        if round == 100 {
            at_100 = conn.buffered_amount();
        }
    }
    let queued = conn.buffered_amount();
    assert_eq!(queued, at_100, "output grows while writes make no progress");
    assert!(queued <= 2 * config.max_pending_pongs * 131, "{queued} bytes of pongs queued");
    let peak = peak_bytes() - before;
    assert!(peak <= bound(&config), "peak {peak} over the bound {}", bound(&config));
    // Once writes resume, the pongs go out, the latest last.
    let mut wire = Vec::new();
    while let Some(bytes) = conn.poll_transmit() {
        wire.extend_from_slice(&bytes);
    }
    assert!(!wire.is_empty() && wire.len() <= 2 * config.max_pending_pongs * 127);
}

/// Unsolicited pongs (and pings with auto-pong off): each is an event the
/// app takes; nothing accumulates in the connection.
#[test]
fn a_pong_flood_stays_bounded() {
    let now = Instant::now();
    for auto_pong in [true, false] {
        let config = small_limits().auto_pong(auto_pong);
        let controls: Vec<u8> =
            (0..100).flat_map(|i| client_frame(if i % 2 == 0 { 0x8A } else { 0x89 }, &[b'q'; 125])).collect();
        let before = live_bytes();
        reset_peak();
        let mut conn = open(&config, now);
        let mut at_100 = 0;
        for round in 0..2000 {
            conn.handle_input(now, &controls);
            while let Some(event) = conn.poll_event() {
                assert!(matches!(event, Event::Pong(_) | Event::Ping(_)), "{event:?}");
            }
            let mut slices = [IoSlice::new(&[]); 32];
            let _ = conn.transmit_slices(&mut slices);
            conn.advance_transmit(0);
            if round == 100 {
                at_100 = live_bytes();
            }
        }
        assert_eq!(live_bytes(), at_100, "memory grows under a pong flood (auto_pong {auto_pong})");
        let peak = peak_bytes() - before;
        assert!(peak <= bound(&config), "peak {peak} over the bound {}", bound(&config));
    }
}

/// A pong waiting to be sent holds its 125 bytes, not the read it came in.
#[test]
fn pending_pongs_do_not_keep_reads_alive() {
    let now = Instant::now();
    let config = without_deflate(Config::default().max_frame_payload(1 << 20));
    let mut read = client_frame(0x82, &vec![7u8; (1 << 20) - 64]);
    read.extend_from_slice(&client_frame(0x89, b"ping"));
    let before = live_bytes();
    reset_peak();
    let mut conn = open(&config, now);
    for _ in 0..100 {
        // The app takes the messages but never asks for output.
        conn.handle_input(now, &read);
        while let Some(event) = conn.poll_event() {
            assert!(matches!(event, Event::Binary(_) | Event::Ping(_)), "{event:?}");
        }
    }
    let held = live_bytes() - before;
    let peak = peak_bytes() - before;
    // One read's buffer and its spare, not one per pending pong.
    let limit = 2 * config.input_limit() as i64 + FIXED;
    assert!(held <= limit, "{held} bytes held, over {limit}");
    assert!(peak <= limit + (1 << 20), "peak {peak}");
}

/// A header claiming a large frame makes no room beyond 256 KiB past the
/// bytes that arrived, read into or copied in.
#[test]
fn a_frame_announced_but_not_sent_costs_what_arrived() {
    let now = Instant::now();
    let config = without_deflate(Config::default());
    // A masked binary header claiming 4 MiB, and one byte of payload.
    let mut wire = vec![0x82, 0xFF];
    wire.extend_from_slice(&(4u64 << 20).to_be_bytes());
    wire.extend_from_slice(&[1, 2, 3, 4, 0xAA]);
    assert_eq!(wire.len(), 15);
    for read_into in [false, true] {
        let mut conn = open(&config, now);
        let before = live_bytes();
        reset_peak();
        if read_into {
            let room = conn.read_buf().expect("room");
            room[..15].copy_from_slice(&wire);
            conn.handle_read(now, 15);
        } else {
            conn.handle_input(now, &wire);
        }
        assert!(conn.poll_event().is_none());
        let room = conn.read_buf().expect("room").len();
        assert!(room <= (256 << 10) + 8192, "room of {room} bytes for 15 bytes received");
        // At the peak, the 64 KiB room of the first read and the frame's
        // room are both alive, for the moment the bytes move between them.
        let peak = peak_bytes() - before;
        let limit = (256 << 10) + (64 << 10) + (24 << 10);
        assert!(peak <= limit, "peak {peak} for 15 bytes received (read into: {read_into})");
        // 1 MiB more of it arrives: the room follows, never far ahead.
        let chunk = vec![0u8; 64 << 10];
        for _ in 0..16 {
            let room = conn.read_buf().expect("room");
            let n = room.len().min(chunk.len());
            room[..n].copy_from_slice(&chunk[..n]);
            conn.handle_read(now, n);
            assert!(conn.poll_event().is_none());
        }
        let received = conn.buffered_input() as i64;
        let held = live_bytes() - before;
        assert!(held <= received + (256 << 10) + 16384, "{held} bytes held for {received} received");
    }
}

/// Tiny fragments: the message is refused at its limit, and its fragments
/// cost no more than the limit allows.
#[test]
fn a_flood_of_tiny_fragments_stops_at_the_message_limit() {
    let now = Instant::now();
    let config = small_limits();
    let mut wire = client_frame(0x02, b"a");
    for _ in 0..300_000 {
        wire.extend_from_slice(&client_frame(0x00, b"a"));
    }
    let before = live_bytes();
    reset_peak();
    let mut conn = open(&config, now);
    let mut failed = None;
    for piece in wire.chunks(16 << 10) {
        conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event() {
            if let Event::Failed(error) = event {
                failed = Some(error);
            }
        }
    }
    assert!(matches!(failed, Some(Error::Protocol(_))), "{failed:?}");
    let peak = peak_bytes() - before;
    assert!(peak <= bound(&config), "peak {peak} over the bound {}", bound(&config));
}

/// An app that hands in input but never polls events: the connection holds
/// at most `input_limit` bytes undecoded, then fails rather than hold more.
#[test]
fn an_app_that_never_polls_holds_at_most_the_input_limit() {
    let now = Instant::now();
    let config = small_limits();
    let messages: Vec<u8> = (0..1000).flat_map(|_| client_frame(0x82, &[1u8; 100])).collect();
    let before = live_bytes();
    reset_peak();
    let mut conn = open(&config, now);
    for _ in 0..100 {
        conn.handle_input(now, &messages);
        let mut slices = [IoSlice::new(&[]); 8];
        let _ = conn.transmit_slices(&mut slices);
    }
    let peak = peak_bytes() - before;
    assert!(peak <= bound(&config), "peak {peak} over the bound {}", bound(&config));
    let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Failed(Error::InputOverflow { limit }) if *limit == config.input_limit())),
        "no overflow reported"
    );
    assert!(matches!(events.last(), Some(Event::Closed(_))));
}

/// Control frames to an app that writes but never polls: each would be an
/// event (88 bytes for an empty ping of 2 bytes on the wire), so decoding
/// ahead of the app stops at a few events and the input waits, undecoded,
/// under `input_limit`. Client and server, read into and handed in, empty
/// and full control frames.
#[test]
fn a_control_flood_to_an_app_that_never_polls_stays_bounded() {
    let now = Instant::now();
    let config = small_limits();
    for client in [false, true] {
        for (opcode, payload) in [(0x89, 0), (0x89, 125), (0x8A, 0), (0x8A, 125)] {
            let frame = if client { server_frame } else { client_frame };
            let flood: Vec<u8> = (0..2000).flat_map(|_| frame(opcode, &vec![b'c'; payload])).collect();
            let before = live_bytes();
            reset_peak();
            let mut conn = if client { open_client(config.clone(), now) } else { open_server(config.clone(), now) };
            let mut handed = 0;
            for round in 0..2000 {
                if round % 2 == 0 {
                    conn.handle_input(now, &flood);
                } else if let Some(room) = conn.read_buf() {
                    let n = room.len().min(flood.len());
                    room[..n].copy_from_slice(&flood[..n]);
                    conn.handle_read(now, n);
                }
                handed += flood.len();
                while let Some(bytes) = conn.poll_transmit() {
                    drop(bytes);
                }
                if conn.should_close_transport() {
                    break;
                }
            }
            let peak = peak_bytes() - before;
            let what = format!("client {client}, opcode {opcode:#x}, {payload} B, {handed} B handed in");
            assert!(peak <= bound(&config), "{what}: peak {peak} over the bound {}", bound(&config));
            let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
            assert!(
                events.iter().any(|e| matches!(e, Event::Failed(Error::InputOverflow { .. }))),
                "{what}: no overflow reported"
            );
            assert!(matches!(events.last(), Some(Event::Closed(_))), "{what}");
        }
    }
}

/// The end of the stream arrives while events wait unpolled and input is
/// left undecoded: nothing received before the end is lost, and the end
/// (clean after a close frame, `UnexpectedEof` without) comes after it.
#[test]
fn the_end_of_the_stream_waits_for_the_input_the_app_has_not_polled() {
    let now = Instant::now();
    for with_close in [false, true] {
        let mut wire: Vec<u8> = (0..500u32).flat_map(|i| client_frame(0x82, &i.to_be_bytes())).collect();
        wire.extend((0..500).flat_map(|_| client_frame(0x89, b"")));
        if with_close {
            wire.extend(client_frame(0x88, &1000u16.to_be_bytes()));
        }
        let mut conn = open(&without_deflate(Config::default()), now);
        conn.handle_input(now, &wire);
        while conn.poll_transmit().is_some() {}
        conn.handle_eof(now);
        conn.handle_eof(now);
        assert!(!conn.should_close_transport(), "the end was acted on before the input was polled");
        let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
        let binary: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Event::Binary(data) => Some(u32::from_be_bytes(data[..].try_into().unwrap())),
                _ => None,
            })
            .collect();
        assert_eq!(binary, (0..500).collect::<Vec<_>>(), "with close {with_close}");
        assert_eq!(events.iter().filter(|e| matches!(e, Event::Ping(_))).count(), 500, "with close {with_close}");
        let Some(Event::Closed(closed)) = events.last() else { panic!("no Closed last: {:?}", events.last()) };
        assert_eq!(closed.was_clean, with_close);
        assert_eq!(
            events.iter().any(|e| matches!(e, Event::Failed(Error::UnexpectedEof))),
            !with_close,
            "with close {with_close}"
        );
        assert!(conn.should_close_transport() || conn.buffered_amount() > 0);
        while conn.poll_transmit().is_some() {}
        assert!(conn.should_close_transport());
    }
}

/// Reading into the connection stops at the same limit: no room is offered
/// past it.
#[test]
fn no_room_is_offered_past_the_input_limit() {
    let now = Instant::now();
    let config = small_limits();
    let mut conn = open(&config, now);
    let mut held = 0;
    while let Some(room) = conn.read_buf() {
        let n = room.len();
        room.fill(0x82);
        conn.handle_read(now, n);
        held += n;
        assert!(held <= config.input_limit());
    }
    assert_eq!(held, config.input_limit());
}

/// An idle connection, its buffers given back, holds less than 1 KiB of
/// heap besides the connection value itself.
#[test]
fn an_idle_connection_holds_almost_nothing() {
    let now = Instant::now();
    let before = live_bytes();
    let mut conn = open(&without_deflate(Config::default()), now);
    for _ in 0..100 {
        let frame = client_frame(0x81, b"hello");
        let room = conn.read_buf().expect("room");
        room[..frame.len()].copy_from_slice(&frame);
        conn.handle_read(now, frame.len());
        assert!(matches!(conn.poll_event(), Some(Event::Text(_))));
        conn.send_text("hi").unwrap();
        while conn.poll_transmit().is_some() {}
    }
    assert!(conn.release_idle_buffers());
    let held = live_bytes() - before - size_of::<Connection>() as i64;
    assert!(held < 1024, "an idle connection holds {held} bytes of heap");
    drop(conn);
}
