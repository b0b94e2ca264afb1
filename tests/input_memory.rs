//! The room a connection makes for large frames is given back once the
//! driver says the transport is idle (`release_idle_buffers`): the heap a
//! connection holds after receiving a 1 MiB message, or a stream of large
//! ones, and going idle is back near what it held before.
//! While the stream lasts, its buffers are reused: receiving it allocates
//! nothing in steady state; frames too large for a spare buffer (over 1 MiB
//! or so) keep one buffer, not two.
//!
//! A global allocator tracks the bytes live and the allocations made on the
//! test's own thread.

mod alloc_support;

use std::time::Instant;

use bytes::BytesMut;
use wsproto::frame::{FrameHeader, OpCode, encode_frame};
use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Event, Open, Role};

use alloc_support::{allocations, live_bytes as live};

fn masked_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    let header = FrameHeader { fin: true, rsv: 0, opcode, mask: Some([1, 2, 3, 4]), payload_len: payload.len() as u64 };
    encode_frame(&header, payload, &mut wire);
    wire.to_vec()
}

#[test]
fn an_idle_connection_gives_back_the_room_made_for_large_frames() {
    let now = Instant::now();
    let large = masked_frame(OpCode::Binary, &vec![7u8; 1 << 20]);
    let small = masked_frame(OpCode::Text, b"after");
    let mut conn =
        Connection::open_with_random(Role::Server, Open::new(), Config::default(), PredictableRandom::new(1), now);
    assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
    conn.handle_input(now, &small);
    assert_eq!(conn.poll_event(), Some(Event::Text("after".into())));
    assert_eq!(conn.poll_event(), None);
    let before = live();
    for piece in large.chunks(64 * 1024) {
        conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event() {
            assert!(matches!(&event, Event::Binary(data) if data.len() == 1 << 20));
        }
    }
    assert!(conn.release_idle_buffers());
    let held = live() - before;
    assert!(held <= 0, "{held} bytes still held after the large message");
    // And it still receives.
    conn.handle_input(now, &small);
    assert_eq!(conn.poll_event(), Some(Event::Text("after".into())));
}

/// Frames of `len` bytes back to back, as `count` reads of `read` bytes
/// that end anywhere in a frame, as a socket delivers them.
fn stream_of_frames(len: usize, count: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
    let frame = masked_frame(OpCode::Binary, &payload);
    frame.iter().copied().cycle().take(frame.len() * count).collect()
}

/// Feeds `wire` in reads of `read` bytes (copied in with `handle_input`, or
/// read straight into the connection with `read_buf`), takes every message
/// (lent, or as `Bytes` then dropped); returns how many arrived, and how
/// many allocations were made after the first `warm_up` reads.
fn receive(
    conn: &mut Connection,
    wire: &[u8],
    read: usize,
    (lent, read_into): (bool, bool),
    len: usize,
    warm_up: usize,
) -> (usize, u64) {
    let now = Instant::now();
    let mut messages = 0;
    let mut made = 0;
    let drain = |conn: &mut Connection, messages: &mut usize| {
        if lent {
            while let Some(event) = conn.poll_event_ref() {
                assert!(matches!(event, wsproto::EventRef::Binary(data) if data.len() == len));
                *messages += 1;
            }
        } else {
            while let Some(event) = conn.poll_event() {
                assert!(matches!(&event, Event::Binary(data) if data.len() == len));
                *messages += 1;
            }
        }
    };
    for (i, piece) in wire.chunks(read).enumerate() {
        if i == warm_up {
            made = allocations();
        }
        if read_into {
            // A read takes what the room offers (shorter than the read at
            // the end of a frame), and events are polled after each read.
            let mut piece = piece;
            while !piece.is_empty() {
                let room = conn.read_buf().expect("room");
                let n = room.len().min(piece.len());
                room[..n].copy_from_slice(&piece[..n]);
                conn.handle_read(now, n);
                piece = &piece[n..];
                drain(conn, &mut messages);
            }
        } else {
            conn.handle_input(now, piece);
            drain(conn, &mut messages);
        }
    }
    (messages, allocations() - made)
}

#[test]
fn a_stream_of_large_frames_reuses_its_buffers_and_gives_them_back() {
    let now = Instant::now();
    for (len, read) in [(64 * 1024, 64 * 1024), (100_000, 16 * 1024), (1 << 20, 64 * 1024)] {
        let wire = stream_of_frames(len, 24);
        // The first frames make the buffers the stream needs.
        let warm_up = 4 * len / read;
        for mode in [(true, false), (false, false), (true, true), (false, true)] {
            let lent = mode.0;
            let mut conn = Connection::open_with_random(
                Role::Server,
                Open::new(),
                Config::default(),
                PredictableRandom::new(1),
                now,
            );
            assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
            let before = live();
            let (messages, made) = receive(&mut conn, &wire, read, mode, len, warm_up);
            assert_eq!(messages, 24);
            assert_eq!(made, 0, "{len} B frames in {read} B reads, {mode:?}: {made} allocations");
            assert!(conn.release_idle_buffers());
            let held = live() - before;
            assert!(held <= 0, "{len} B frames, lent {lent}: {held} bytes still held once idle");
        }
    }
}

#[test]
fn frames_too_large_for_a_spare_buffer_keep_one_buffer() {
    let now = Instant::now();
    let len = 3 << 20;
    let mut conn =
        Connection::open_with_random(Role::Server, Open::new(), Config::default(), PredictableRandom::new(1), now);
    assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
    let wire = stream_of_frames(len, 4);
    let before = live();
    let mut most = 0;
    let mut messages = 0;
    for piece in wire.chunks(64 * 1024) {
        conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event_ref() {
            assert!(matches!(event, wsproto::EventRef::Binary(data) if data.len() == len));
            messages += 1;
        }
        most = most.max(live() - before);
    }
    assert_eq!(messages, 4);
    // One frame, room ahead (256 KiB) and a read or two; not two such buffers.
    let bound = len as i64 + (512 << 10);
    assert!(most <= bound, "{most} bytes held at most, over {bound}");
}
