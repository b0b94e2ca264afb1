//! The room a connection makes for large frames is given back once they are
//! through: the heap a connection holds after receiving a 1 MiB message and
//! going idle is back near what it held before.
//!
//! A global allocator tracks the bytes live on the test's own thread.

mod alloc_support;

use std::time::Instant;

use bytes::BytesMut;
use wsproto::frame::{FrameHeader, OpCode, encode_frame};
use wsproto::rng::SeededRandom;
use wsproto::{Config, Connection, Event, Open, Role};

use alloc_support::live_bytes as live;

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
        Connection::open_with_random(Role::Server, Open::new(), Config::default(), SeededRandom::new(1), now);
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
    let held = live() - before;
    assert!(held <= 0, "{held} bytes still held after the large message");
    // And it still receives.
    conn.handle_input(now, &small);
    assert_eq!(conn.poll_event(), Some(Event::Text("after".into())));
}
