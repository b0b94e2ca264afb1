//! The examples of RFC 6455 §5.7, byte for byte, decoded and encoded.

use bytes::BytesMut;
use wsproto::Role;
use wsproto::frame::{Decoded, Frame, FrameDecoder, FrameHeader, FrameRules, OpCode, encode_frame};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn header(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload_len: u64) -> FrameHeader {
    FrameHeader { fin, rsv: 0, opcode, mask, payload_len }
}

/// Decodes every frame in `wire` with `rules`, checking that nothing is left over.
fn decode_all(wire: &[u8], rules: FrameRules) -> Vec<Frame> {
    let decoder = FrameDecoder::new(rules);
    let mut buf = BytesMut::from(wire);
    let mut frames = Vec::new();
    while !buf.is_empty() {
        match decoder.decode(&mut buf) {
            Ok(Decoded::Complete(frame)) => frames.push(frame),
            other => panic!("expected a whole frame, got {other:?}"),
        }
    }
    frames
}

/// Checks one frame both ways: `wire` decodes to `expected` + `payload`
/// (header alone and whole frame), and encoding them gives `wire` back.
fn check_both_ways(wire: &[u8], rules: FrameRules, expected: FrameHeader, payload: &[u8]) {
    let header_len = expected.encoded_len();
    assert_eq!(FrameHeader::decode(wire, &rules), Ok(Decoded::Complete((expected, header_len))));
    assert_eq!(&expected.encode()[..], &wire[..header_len]);

    let frames = decode_all(wire, rules);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].header, expected);
    assert_eq!(&frames[0].payload[..], payload);

    let mut out = BytesMut::new();
    encode_frame(&expected, payload, &mut out);
    assert_eq!(&out[..], wire);
}

#[test]
fn single_frame_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let expected = header(true, OpCode::Text, None, 5);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Client), expected, b"Hello");
}

#[test]
fn single_frame_masked_text() {
    let wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let expected = header(true, OpCode::Text, Some(KEY), 5);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Server), expected, b"Hello");
}

#[test]
fn fragmented_unmasked_text() {
    let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    let second = [0x80, 0x02, 0x6c, 0x6f];
    let rules = FrameRules::for_receiver(Role::Client);
    check_both_ways(&first, rules, header(false, OpCode::Text, None, 3), b"Hel");
    check_both_ways(&second, rules, header(true, OpCode::Continuation, None, 2), b"lo");

    // Both frames in one read come out one after the other.
    let wire = [&first[..], &second[..]].concat();
    let frames = decode_all(&wire, rules);
    assert_eq!(frames.len(), 2);
    assert!(!frames[0].header.fin);
    assert_eq!(frames[0].header.opcode, OpCode::Text);
    assert!(frames[1].header.fin);
    assert_eq!(frames[1].header.opcode, OpCode::Continuation);
    let message: Vec<u8> = frames.iter().flat_map(|f| f.payload.iter().copied()).collect();
    assert_eq!(message, b"Hello");
}

#[test]
fn unmasked_ping() {
    let wire = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let expected = header(true, OpCode::Ping, None, 5);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Client), expected, b"Hello");
}

#[test]
fn masked_pong() {
    let wire = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let expected = header(true, OpCode::Pong, Some(KEY), 5);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Server), expected, b"Hello");
}

#[test]
fn binary_256_bytes_uses_16_bit_length() {
    let header_bytes = [0x82, 0x7E, 0x01, 0x00];
    let payload: Vec<u8> = (0..256).map(|i| i as u8).collect();
    let wire = [&header_bytes[..], &payload[..]].concat();
    let expected = header(true, OpCode::Binary, None, 256);
    assert_eq!(expected.encoded_len(), 4);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Client), expected, &payload);
}

#[test]
fn binary_65536_bytes_uses_64_bit_length() {
    let header_bytes = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
    let payload: Vec<u8> = (0..65536u32).map(|i| (i * 31) as u8).collect();
    let wire = [&header_bytes[..], &payload[..]].concat();
    let expected = header(true, OpCode::Binary, None, 65536);
    assert_eq!(expected.encoded_len(), 10);
    check_both_ways(&wire, FrameRules::for_receiver(Role::Client), expected, &payload);
}

#[test]
fn header_alone_decodes_before_the_payload_arrives() {
    // The RFC shows these two headers without their payloads; they decode as is.
    let rules = FrameRules::for_receiver(Role::Client);
    assert_eq!(
        FrameHeader::decode(&[0x82, 0x7E, 0x01, 0x00], &rules),
        Ok(Decoded::Complete((header(true, OpCode::Binary, None, 256), 4)))
    );
    assert_eq!(
        FrameHeader::decode(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0], &rules),
        Ok(Decoded::Complete((header(true, OpCode::Binary, None, 65536), 10)))
    );
    // The frame decoder waits for exactly the payload.
    let decoder = FrameDecoder::new(rules);
    let mut buf = BytesMut::from(&[0x82, 0x7E, 0x01, 0x00][..]);
    assert_eq!(decoder.decode(&mut buf), Ok(Decoded::Incomplete { needed: 256 }));
    assert_eq!(buf.len(), 4, "an incomplete frame stays in the buffer");
}

#[test]
fn masked_hello_from_a_client_unmasks_in_place() {
    // The masked bytes are exactly "Hello" XOR the key, cycled.
    let masked = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let mut buf = masked;
    wsproto::frame::apply_mask(&mut buf, KEY, 0);
    assert_eq!(&buf, b"Hello");
    // And in two pieces, carrying the offset.
    let mut buf = masked;
    let (a, b) = buf.split_at_mut(2);
    wsproto::frame::apply_mask(a, KEY, 0);
    wsproto::frame::apply_mask(b, KEY, 2);
    assert_eq!(&buf, b"Hello");
}
