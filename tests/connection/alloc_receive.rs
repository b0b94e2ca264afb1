//! No heap allocation per received small message in steady state.
//!
//! A counting global allocator counts the allocations made on the test's own
//! thread. After a warm-up (buffers reach their working size), a server
//! receives many masked client messages of 0 to 125 bytes, text and binary,
//! read in 4 KiB or 64 KiB pieces as a socket loop would, and the app drops
//! each event after looking at it. The count must not grow with the number
//! of messages: the same small constant for 10,000 messages as for 20,000.
//!
//! Feeding through `handle_input` copies into the connection's input buffer;
//! once the received payloads are dropped, that buffer is reused in place,
//! so reading costs nothing either. Frames are decoded as events are polled,
//! straight from that buffer, so no queue grows with the messages of a read.
//! Messages lent by `poll_event_ref` are not even reference-counted.

use std::time::Instant;

use wsproto::{Config, Connection, Event, EventRef};

use wsproto_test_support::alloc::allocations;
use wsproto_test_support::frames::{FIN, opcode, push_frame};
use wsproto_test_support::pair::{open_server, past_open};

/// `count` masked client frames, each a whole message of 0 to 125 bytes,
/// text and binary in turn.
fn client_messages(count: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    let text = "héllo wörld, ".repeat(10);
    for i in 0..count {
        let len = (i * 37) % 126;
        let (opcode, payload) = if i % 2 == 0 {
            // Cut at a character boundary at or below `len`.
            let mut end = len.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            (opcode::TEXT, &text.as_bytes()[..end])
        } else {
            (opcode::BINARY, &[0xA5u8; 125][..len])
        };
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_be_bytes();
        push_frame(&mut wire, FIN | opcode, payload, Some(key));
    }
    wire
}

/// Feeds `wire` in `read`-sized pieces, drains and drops every event, and
/// returns how many messages arrived.
fn receive(conn: &mut Connection, wire: &[u8], read: usize, now: Instant) -> usize {
    let mut messages = 0;
    for piece in wire.chunks(read) {
        conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Text(text) => assert!(text.len() <= 125),
                Event::Binary(data) => assert!(data.len() <= 125),
                other => panic!("unexpected event {other:?}"),
            }
            messages += 1;
        }
        assert!(conn.poll_transmit().is_none());
    }
    messages
}

/// Allocations made while receiving `wire` after a warm-up.
fn steady_state_allocations(wire: &[u8], read: usize, count: usize) -> u64 {
    let now = Instant::now();
    let mut conn = past_open(open_server(Config::default(), Instant::now()));
    let warm = if cfg!(miri) { 200 } else { 2_000 };
    assert_eq!(receive(&mut conn, &client_messages(warm), read, now), warm);
    let before = allocations();
    assert_eq!(receive(&mut conn, wire, read, now), count);
    allocations() - before
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(allocations(), before + 1);
}

#[test]
fn small_messages_allocate_nothing_in_steady_state() {
    // Fewer under Miri, which is slow; the claim is the same.
    let (small, large) = if cfg!(miri) { (300, 600) } else { (10_000, 20_000) };
    let wire_small = client_messages(small);
    let wire_large = client_messages(large);
    let reads: &[usize] = if cfg!(miri) { &[4 << 10] } else { &[4 << 10, 64 << 10] };
    for &read in reads {
        let a = steady_state_allocations(&wire_small, read, small);
        let b = steady_state_allocations(&wire_large, read, large);
        println!("read {read}: {a} allocations for {small} messages, {b} for {large}");
        assert_eq!(a, b, "allocations grow with the number of messages (read size {read})");
        assert!(a <= 2, "{a} allocations for {small} messages (read size {read})");
    }
}

#[test]
fn lent_messages_allocate_nothing_at_all() {
    let count = if cfg!(miri) { 300 } else { 10_000 };
    let wire = client_messages(count);
    let now = Instant::now();
    let mut conn = past_open(open_server(Config::default(), Instant::now()));
    let receive_lent = |conn: &mut Connection, wire: &[u8]| {
        let mut messages = 0;
        for piece in wire.chunks(4 << 10) {
            conn.handle_input(now, piece);
            while let Some(event) = conn.poll_event_ref() {
                assert!(matches!(event, EventRef::Text(_) | EventRef::Binary(_)), "{event:?}");
                messages += 1;
            }
        }
        messages
    };
    assert_eq!(receive_lent(&mut conn, &client_messages(200)), 200);
    let before = allocations();
    assert_eq!(receive_lent(&mut conn, &wire), count);
    assert_eq!(allocations() - before, 0);
}

/// Reads straight into the connection (`read_buf` + `handle_read`) from a
/// `std::io::Read` in reads of at most `read` bytes, draining each read with
/// `poll_event` (owned) or `poll_event_ref` (lent); returns the messages.
fn read_into(conn: &mut Connection, mut wire: &[u8], read: usize, lent: bool, now: Instant) -> usize {
    use std::io::Read;
    let mut messages = 0;
    loop {
        let room = conn.read_buf().expect("room to read into");
        let max = room.len().min(read);
        let n = wire.read(&mut room[..max]).expect("read");
        if n == 0 {
            return messages;
        }
        conn.handle_read(now, n);
        if lent {
            while let Some(event) = conn.poll_event_ref() {
                assert!(matches!(event, EventRef::Text(_) | EventRef::Binary(_)), "{event:?}");
                messages += 1;
            }
        } else {
            while let Some(event) = conn.poll_event() {
                assert!(matches!(event, Event::Text(_) | Event::Binary(_)), "{event:?}");
                messages += 1;
            }
        }
    }
}

/// Reading into the connection's own buffer: once it has its working size,
/// nothing is allocated at all, with messages owned or lent, whatever the
/// read size.
#[test]
fn reading_into_the_connection_allocates_nothing() {
    let count = if cfg!(miri) { 300 } else { 10_000 };
    let wire = client_messages(count);
    let now = Instant::now();
    for read in [1000, 4 << 10, 64 << 10] {
        for lent in [false, true] {
            let mut conn = past_open(open_server(Config::default(), Instant::now()));
            let warm = if cfg!(miri) { 200 } else { 2_000 };
            assert_eq!(read_into(&mut conn, &client_messages(warm), read, lent, now), warm);
            let before = allocations();
            assert_eq!(read_into(&mut conn, &wire, read, lent, now), count);
            let made = allocations() - before;
            assert_eq!(made, 0, "{made} allocations for {count} messages (read {read}, lent {lent})");
        }
    }
}
