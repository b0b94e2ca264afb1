//! A client's output, however it is written out, is exactly its messages,
//! masked: large payloads are masked as they are handed out, in pieces, so
//! every split of the writes (partial vectored writes, `poll_transmit`, a
//! mix) must still put the reference masking on the wire, with automatic
//! pongs only ever between frames.

mod common;

use std::io::IoSlice;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use wsproto::frame::{Decoded, FrameDecoder, FrameRules, OpCode};
use wsproto::{Config, Connection, Event};

use common::{open_client, server_frame};

#[derive(Debug, Clone)]
enum Op {
    /// Send a binary message of this length.
    Send(usize),
    /// The server pings with this payload length.
    Ping(u8),
    /// A vectored write that accepts at most this many bytes.
    Write(usize),
    /// One `poll_transmit`.
    Poll,
    /// One `transmit_with` whose writer takes at most this many bytes in
    /// all, in calls of at most 4,000 bytes, then reports `WouldBlock`.
    WriteWith(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop_oneof![0..200usize, 900..1200usize, 15_000..50_000usize].prop_map(Op::Send),
        1 => any::<u8>().prop_map(|n| Op::Ping(n % 126)),
        4 => prop_oneof![1..16usize, 16..5000usize, 5000..70_000usize].prop_map(Op::Write),
        1 => Just(Op::Poll),
        2 => prop_oneof![0..16usize, 16..5000usize, 5000..70_000usize].prop_map(Op::WriteWith),
    ]
}

/// The payload of the `i`th message: distinct bytes, so a misplaced or
/// mis-masked byte shows.
fn payload(i: usize, len: usize) -> Bytes {
    (0..len).map(|j| (j * 7 + i * 13 + (j >> 8)) as u8).collect::<Vec<u8>>().into()
}

/// One vectored write of at most `limit` bytes; returns what was written.
fn write(conn: &mut Connection, limit: usize, wire: &mut Vec<u8>) -> usize {
    let before_amount = conn.buffered_amount();
    let mut slices = [IoSlice::new(&[]); 3];
    let n = conn.transmit_slices(&mut slices);
    let before = wire.len();
    for slice in &slices[..n] {
        let room = limit - (wire.len() - before);
        wire.extend_from_slice(&slice[..slice.len().min(room)]);
    }
    let written = wire.len() - before;
    conn.advance_transmit(written);
    assert_eq!(conn.buffered_amount(), before_amount - written, "advance accounts exactly");
    written
}

/// One `transmit_with` that writes at most `limit` bytes in all, at most
/// 4,000 per call, as a non-blocking socket that then fills up.
fn write_with(conn: &mut Connection, limit: usize, wire: &mut Vec<u8>) {
    let before_amount = conn.buffered_amount();
    let before = wire.len();
    let result = conn.transmit_with(|bufs| {
        let room = (limit - (wire.len() - before)).min(4000);
        if room == 0 {
            return Err(std::io::ErrorKind::WouldBlock);
        }
        let start = wire.len();
        for buf in bufs {
            let take = buf.len().min(room - (wire.len() - start));
            wire.extend_from_slice(&buf[..take]);
        }
        Ok(wire.len() - start)
    });
    let written = wire.len() - before;
    match result {
        Ok(n) => {
            assert_eq!(n, written);
            assert_eq!(before_amount, written, "Ok means everything was written");
        }
        Err(kind) => assert_eq!(kind, std::io::ErrorKind::WouldBlock),
    }
    assert_eq!(conn.buffered_amount(), before_amount - written, "what was written is accounted for");
}

/// Splits `wire` into frames as a server would, unmasking each payload with
/// the key in its header.
fn frames(wire: &[u8]) -> Vec<(OpCode, Bytes)> {
    let rules =
        FrameRules { require_mask: Some(true), allowed_rsv: 0, max_payload: 1 << 20, allow_non_minimal_length: false };
    let decoder = FrameDecoder::new(rules);
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    while !buf.is_empty() {
        match decoder.decode(&mut buf).expect("a valid masked frame") {
            Decoded::Complete(frame) => out.push((frame.header.opcode, frame.payload)),
            Decoded::Incomplete { needed } => panic!("{} bytes left, {needed} more needed", buf.len()),
        }
    }
    out
}

fn run(ops: &[Op]) {
    let now = Instant::now();
    let mut conn = open_client(Config::default(), now);
    while conn.poll_event().is_some() {}
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut pings = Vec::new();
    for op in ops {
        match *op {
            Op::Send(len) => {
                let data = payload(sent.len(), len);
                conn.send_binary(data.clone()).expect("room");
                sent.push(data);
            }
            Op::Ping(len) => {
                let data = payload(1000 + pings.len(), len as usize);
                conn.handle_input(now, &server_frame(0x89, &data));
                while let Some(event) = conn.poll_event() {
                    assert!(matches!(event, Event::Ping(_)), "{event:?}");
                }
                pings.push(data);
            }
            Op::Write(limit) => {
                write(&mut conn, limit, &mut wire);
            }
            Op::Poll => {
                if let Some(bytes) = conn.poll_transmit() {
                    wire.extend_from_slice(&bytes);
                }
            }
            Op::WriteWith(limit) => write_with(&mut conn, limit, &mut wire),
        }
    }
    while write(&mut conn, 40_000, &mut wire) > 0 {}
    assert_eq!(conn.buffered_amount(), 0);
    let frames = frames(&wire);
    let data: Vec<Bytes> = frames.iter().filter(|(op, _)| *op == OpCode::Binary).map(|(_, p)| p.clone()).collect();
    assert_eq!(data.len(), sent.len());
    for (i, (got, want)) in data.iter().zip(&sent).enumerate() {
        assert!(got == want, "message {i} of {} bytes differs", want.len());
    }
    // Pongs answer pings in order; some may be dropped when too many wait,
    // never reordered.
    let pongs: Vec<Bytes> = frames.iter().filter(|(op, _)| *op == OpCode::Pong).map(|(_, p)| p.clone()).collect();
    let mut rest = pings.iter();
    for pong in &pongs {
        assert!(rest.any(|ping| ping == pong), "pong {pong:?} answers no later ping");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_wire_is_the_reference_masking_for_any_split(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops);
    }
}

#[test]
fn a_large_message_written_a_byte_at_a_time_around_pings() {
    let mut ops = vec![Op::Send(40_000), Op::Write(3)];
    for i in 0..50 {
        ops.push(Op::Write(1 + i % 5));
        if i % 10 == 0 {
            ops.push(Op::Ping(i as u8));
        }
    }
    ops.extend([Op::Send(10), Op::Poll, Op::Write(17_000), Op::Ping(0), Op::Poll, Op::Poll]);
    run(&ops);
}

#[test]
fn transmit_with_flushes_small_and_large_messages_whole() {
    let mut ops = vec![Op::Send(10), Op::Send(100), Op::WriteWith(usize::MAX)];
    ops.extend([Op::Send(50_000), Op::Ping(5), Op::Send(20), Op::WriteWith(usize::MAX)]);
    ops.extend([Op::Send(70_000), Op::WriteWith(30_001), Op::Ping(9), Op::WriteWith(usize::MAX)]);
    run(&ops);
}

#[test]
fn a_large_payload_is_not_copied_when_queued() {
    // The payload is masked as it goes out, so queueing it costs nothing and
    // the queue counts it whole.
    let now = Instant::now();
    let mut conn = open_client(Config::default(), now);
    let data = payload(0, 1 << 20);
    conn.send_binary(data.clone()).unwrap();
    assert_eq!(conn.buffered_amount(), 14 + (1 << 20));
    let mut slices = [IoSlice::new(&[]); 4];
    let n = conn.transmit_slices(&mut slices);
    assert_eq!(n, 2, "the header and one masked piece");
    assert_eq!(slices[0].len(), 14);
    assert!(slices[1].len() < 1 << 20, "masked in pieces, not whole");
    assert_ne!(slices[1].as_ptr(), data.as_ptr());
}
