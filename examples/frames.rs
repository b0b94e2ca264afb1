//! The frame layer on its own: a client encodes a few frames, the bytes
//! arrive at a server in awkward pieces, and the server decodes them.
//!
//! Run with `cargo run -p wsproto-examples --example frames`.

use bytes::BytesMut;
use wsproto::Role;
use wsproto::frame::{Decoded, FrameDecoder, FrameHeader, FrameRules, OpCode, encode_frame};

fn main() {
    // What a client sends: masked frames (RFC 6455 §5.1). A real client takes
    // fresh keys from a `RandomSource`; fixed keys keep this output stable.
    let frames: [(bool, OpCode, &[u8]); 5] = [
        (true, OpCode::Text, b"Hello"),
        (false, OpCode::Binary, &[0xde, 0xad]),
        (true, OpCode::Continuation, &[0xbe, 0xef]),
        (true, OpCode::Ping, b"are you there?"),
        (true, OpCode::Close, &[0x03, 0xe8]), // 1000, normal closure
    ];
    let mut wire = BytesMut::new();
    println!("client sends:");
    for (i, (fin, opcode, payload)) in frames.into_iter().enumerate() {
        let header = FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask: Some([0x37, 0xfa, 0x21, 0x3d ^ i as u8]),
            payload_len: payload.len() as u64,
        };
        let start = wire.len();
        encode_frame(&header, payload, &mut wire);
        println!("  {:<12} fin={:<5} {:02x?}", format!("{opcode:?}"), fin, &wire[start..]);
    }

    // What the server receives: the same bytes, 3 at a time.
    let decoder = FrameDecoder::new(FrameRules::for_receiver(Role::Server));
    let mut input = BytesMut::new();
    println!("server receives {} bytes, 3 at a time:", wire.len());
    for piece in wire.chunks(3) {
        input.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut input) {
                Ok(Decoded::Complete(frame)) => {
                    let payload = match frame.header.opcode {
                        OpCode::Text | OpCode::Ping | OpCode::Pong => {
                            format!("{:?}", String::from_utf8_lossy(&frame.payload))
                        }
                        _ => format!("{:02x?}", &frame.payload[..]),
                    };
                    let opcode = format!("{:?}", frame.header.opcode);
                    println!("  {opcode:<12} fin={:<5} payload {payload}", frame.header.fin);
                }
                Ok(Decoded::Incomplete { .. }) => break,
                Err(error) => {
                    println!("  refused: {error} (close code {})", error.close_code());
                    return;
                }
            }
        }
    }

    // A frame that breaks the rules: unmasked, from a client.
    let mut bad = BytesMut::from(&b"\x81\x05Hello"[..]);
    match decoder.decode(&mut bad) {
        Err(error) => println!("an unmasked frame is refused: {error} (close code {})", error.close_code()),
        Ok(other) => println!("unexpected: {other:?}"),
    }
}
