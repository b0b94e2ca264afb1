//! No heap allocation per small sent message in steady state.
//!
//! A counting global allocator counts the allocations made on the test's
//! own thread. After a warm-up, a client sends many messages of 0 to 125
//! bytes, text and binary (payloads that are themselves free to make:
//! static), and writes each one out before the next through the vectored
//! pair `transmit_slices` + `advance_transmit`, sometimes in two partial
//! writes, or through `transmit_with`. The count must not grow with the number of messages: the same
//! for 10,000 messages as for 20,000. The frames are coalesced into one
//! buffer that is lent as it is and cleared once written, so it is reused.

use std::io::IoSlice;
use std::time::Instant;

use bytes::Bytes;
use wsproto::{Config, Connection, Utf8Bytes};

use wsproto_test_support::alloc::allocations;
use wsproto_test_support::pair::{open_client, open_server, past_open};

static BINARY: [u8; 125] = [0xA5; 125];
static TEXT: &str =
    "héllo wörld, héllo wörld, héllo wörld, héllo wörld, héllo wörld, héllo wörld, héllo wörld, héllo wörld, héllo";

/// Sends `count` messages, each written out before the next, into `sink`
/// (a fixed buffer: only lengths are kept); returns the bytes written.
fn send(conn: &mut Connection, count: usize, sink: &mut [u8]) -> usize {
    let mut total = 0;
    for i in 0..count {
        let len = (i * 37) % 126;
        if i % 2 == 0 {
            let mut end = len.min(TEXT.len());
            while !TEXT.is_char_boundary(end) {
                end -= 1;
            }
            conn.send_text(Utf8Bytes::from_static(&TEXT[..end])).unwrap();
        } else {
            conn.send_binary(Bytes::from_static(&BINARY[..len])).unwrap();
        }
        // Every fourth message goes out through `transmit_with`.
        if i % 4 == 1 {
            let written = conn
                .transmit_with(|bufs| {
                    let len = bufs[0].len();
                    sink[..len].copy_from_slice(&bufs[0]);
                    Ok::<_, ()>(len)
                })
                .unwrap();
            total += written;
            assert_eq!(conn.buffered_amount(), 0);
            continue;
        }
        // Every third message goes out in two writes, the first partial.
        let mut limit = if i % 3 == 0 { 3 } else { usize::MAX };
        loop {
            let mut slices = [IoSlice::new(&[]); 2];
            let n = conn.transmit_slices(&mut slices);
            if n == 0 {
                break;
            }
            let mut written = 0;
            for slice in &slices[..n] {
                let take = slice.len().min(limit - written);
                sink[..take].copy_from_slice(&slice[..take]);
                written += take;
            }
            conn.advance_transmit(written);
            total += written;
            limit = usize::MAX;
        }
        assert_eq!(conn.buffered_amount(), 0);
    }
    total
}

/// Allocations made while sending `count` messages after a warm-up.
fn steady_state_allocations(count: usize) -> (u64, usize) {
    let mut conn = past_open(open_client(Config::default(), Instant::now()));
    let mut sink = vec![0u8; 256];
    send(&mut conn, 1000, &mut sink);
    let before = allocations();
    let written = send(&mut conn, count, &mut sink);
    (allocations() - before, written)
}

#[test]
fn small_sent_messages_allocate_nothing_in_steady_state() {
    let (ten, written) = steady_state_allocations(10_000);
    // Each frame: a 2-byte header, the 4-byte key, the payload.
    let expected: usize = (0..10_000).map(|i| 6 + ((i * 37) % 126)).sum();
    // Text is cut at a character boundary, so a little shorter.
    assert!(written <= expected && written > expected - 10_000, "{written} of {expected}");
    let (twenty, _) = steady_state_allocations(20_000);
    assert_eq!(ten, 0, "allocations for 10,000 messages");
    assert_eq!(twenty, 0, "allocations for 20,000 messages");
}

#[test]
fn large_copied_messages_reuse_the_output_buffer() {
    // A 1 MiB payload copied into the output: once written, the buffer is
    // kept for the next one (up to 2 MiB), so a stream of them allocates
    // nothing after the first.
    static LARGE: [u8; 1 << 20] = [0x5A; 1 << 20];
    for side in ["client", "server"] {
        let now = Instant::now();
        let mut conn = if side == "client" {
            past_open(open_client(Config::default(), now))
        } else {
            past_open(open_server(Config::default(), now))
        };
        // Each flush is one write of everything (a socket with room).
        let mut sink = vec![0u8; 2 << 20];
        let mut flush = |conn: &mut Connection| {
            conn.transmit_with(|bufs| {
                let len = bufs[0].len().min(sink.len());
                sink[..len].copy_from_slice(&bufs[0][..len]);
                Ok::<_, ()>(len)
            })
            .unwrap();
            assert_eq!(conn.buffered_amount(), 0);
        };
        conn.send_binary(&LARGE).unwrap();
        flush(&mut conn);
        let before = allocations();
        for _ in 0..20 {
            conn.send_binary(&LARGE).unwrap();
            flush(&mut conn);
        }
        assert_eq!(allocations() - before, 0, "{side}: allocations for 20 copied 1 MiB messages");
        // Given back when idle.
        conn.release_idle_buffers();
    }
}
