//! One test per header rule of RFC 6455 §5 (and the receiver's size limit):
//! each bad header is refused with its typed error and close code, and the
//! nearest good header is accepted.

use bytes::BytesMut;
use wsproto::frame::{
    Decoded, FrameDecoder, FrameError, FrameHeader, FrameRules, MAX_HEADER_LEN, OpCode, RSV1, RSV2, RSV3,
};
use wsproto::{CloseCode, Role};

const KEY: [u8; 4] = [1, 2, 3, 4];

/// Client-side rules: unmasked input, no extension, the default limit.
fn client() -> FrameRules {
    FrameRules::for_receiver(Role::Client)
}

/// Server-side rules: masked input, no extension, the default limit.
fn server() -> FrameRules {
    FrameRules::for_receiver(Role::Server)
}

/// Decodes `buf` as a header and expects `error` with `code`; also checks the
/// frame decoder gives the same error and leaves the buffer untouched.
#[track_caller]
fn refused(buf: &[u8], rules: FrameRules, error: FrameError, code: CloseCode) {
    assert_eq!(FrameHeader::decode(buf, &rules), Err(error), "header {buf:02x?}");
    assert_eq!(error.close_code(), code);
    let mut owned = BytesMut::from(buf);
    assert_eq!(FrameDecoder::new(rules).decode(&mut owned), Err(error));
    assert_eq!(&owned[..], buf, "a refused frame must not be consumed");
    assert!(!error.to_string().is_empty());
}

#[track_caller]
fn refused_1002(buf: &[u8], rules: FrameRules, error: FrameError) {
    refused(buf, rules, error, CloseCode::PROTOCOL_ERROR);
}

/// Decodes `buf` as a whole header, returning it.
#[track_caller]
fn accepted(buf: &[u8], rules: FrameRules) -> FrameHeader {
    match FrameHeader::decode(buf, &rules) {
        Ok(Decoded::Complete((header, len))) => {
            assert_eq!(len, buf.len(), "header {buf:02x?} should be exactly {len} bytes");
            header
        }
        other => panic!("header {buf:02x?} should be accepted, got {other:?}"),
    }
}

// --- Reserved bits (§5.2) ---

#[test]
fn reserved_bits_without_a_negotiated_extension_are_refused() {
    for bits in [RSV1, RSV2, RSV3, RSV1 | RSV3, 0b111] {
        let b0 = 0x80 | (bits << 4) | 0x1;
        // Known from the first byte alone.
        refused_1002(&[b0], client(), FrameError::ReservedBits { bits });
        refused_1002(&[b0, 0x00], client(), FrameError::ReservedBits { bits });
        refused_1002(&[b0, 0x80, 1, 2, 3, 4], server(), FrameError::ReservedBits { bits });
    }
}

#[test]
fn reserved_bits_allowed_by_an_extension_are_accepted() {
    // permessage-deflate gives RSV1 a meaning.
    let rules = client().with_allowed_rsv(RSV1);
    let header = accepted(&[0xC1, 0x05], rules);
    assert_eq!(header.rsv, RSV1);
    assert_eq!(header.opcode, OpCode::Text);
    assert_eq!(header.payload_len, 5);
    // But only the allowed bit: RSV2 is still refused, and only it is reported.
    refused_1002(&[0xE1, 0x05], rules, FrameError::ReservedBits { bits: RSV2 });
    refused_1002(&[0x91, 0x05], rules, FrameError::ReservedBits { bits: RSV3 });
    // All three allowed.
    let all = client().with_allowed_rsv(0b111);
    assert_eq!(accepted(&[0xF2, 0x00], all).rsv, 0b111);
    // The whole frame decodes too.
    let mut buf = BytesMut::from(&[0xC1, 0x02, b'h', b'i'][..]);
    let Ok(Decoded::Complete(frame)) = FrameDecoder::new(rules).decode(&mut buf) else { panic!() };
    assert_eq!(frame.header.rsv, RSV1);
    assert_eq!(&frame.payload[..], b"hi");
}

// --- Reserved opcodes (§5.2) ---

#[test]
fn every_reserved_data_opcode_is_refused() {
    for op in 3u8..=7 {
        refused_1002(&[0x80 | op], client(), FrameError::ReservedOpcode(op));
        refused_1002(&[0x80 | op, 0x00], client(), FrameError::ReservedOpcode(op));
        refused_1002(&[op, 0x00], client(), FrameError::ReservedOpcode(op));
        refused_1002(&[0x80 | op, 0x80, 1, 2, 3, 4], server(), FrameError::ReservedOpcode(op));
    }
}

#[test]
fn every_reserved_control_opcode_is_refused() {
    for op in 11u8..=15 {
        refused_1002(&[0x80 | op], client(), FrameError::ReservedOpcode(op));
        refused_1002(&[0x80 | op, 0x00], client(), FrameError::ReservedOpcode(op));
        refused_1002(&[0x80 | op, 0x80, 1, 2, 3, 4], server(), FrameError::ReservedOpcode(op));
        // Reported as a reserved opcode, not as a fragmented or long control frame.
        refused_1002(&[op, 0x7F], client(), FrameError::ReservedOpcode(op));
    }
}

#[test]
fn every_known_opcode_is_accepted() {
    for op in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
        let header = accepted(&[0x80 | op, 0x00], client());
        assert_eq!(header.opcode.bits(), op);
        assert!(!header.opcode.is_reserved());
    }
}

// --- Control frames (§5.5) ---

#[test]
fn control_frame_with_16_bit_length_is_refused() {
    for op in [0x8, 0x9, 0xA] {
        // Refused from the first two bytes, before the extended length is read.
        refused_1002(&[0x80 | op, 0x7E], client(), FrameError::ControlFrameTooLong);
        refused_1002(&[0x80 | op, 0x7E, 0x00, 0x7E], client(), FrameError::ControlFrameTooLong);
        refused_1002(&[0x80 | op, 0xFE, 0x00, 0x7E, 1, 2, 3, 4], server(), FrameError::ControlFrameTooLong);
        // Even a 126-form length under 126, with non-minimal lengths allowed.
        let lenient = FrameRules { allow_non_minimal_length: true, ..client() };
        refused_1002(&[0x80 | op, 0x7E, 0x00, 0x05], lenient, FrameError::ControlFrameTooLong);
    }
}

#[test]
fn control_frame_with_64_bit_length_is_refused() {
    for op in [0x8, 0x9, 0xA] {
        refused_1002(&[0x80 | op, 0x7F], client(), FrameError::ControlFrameTooLong);
        refused_1002(&[0x80 | op, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0], client(), FrameError::ControlFrameTooLong);
        refused_1002(&[0x80 | op, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4], server(), FrameError::ControlFrameTooLong);
    }
}

#[test]
fn control_frame_of_125_bytes_is_accepted() {
    for op in [0x8, 0x9, 0xA] {
        assert_eq!(accepted(&[0x80 | op, 125], client()).payload_len, 125);
        assert_eq!(accepted(&[0x80 | op, 0x80 | 125, 1, 2, 3, 4], server()).payload_len, 125);
    }
}

#[test]
fn control_frame_with_fin_clear_is_refused() {
    for op in [0x8u8, 0x9, 0xA] {
        // Known from the first byte alone.
        refused_1002(&[op], client(), FrameError::FragmentedControlFrame);
        refused_1002(&[op, 0x00], client(), FrameError::FragmentedControlFrame);
        refused_1002(&[op, 0x85, 1, 2, 3, 4], server(), FrameError::FragmentedControlFrame);
    }
    // Data frames may have FIN clear.
    for op in [0x0, 0x1, 0x2] {
        assert!(!accepted(&[op, 0x00], client()).fin);
    }
}

// --- 64-bit length (§5.2) ---

#[test]
fn sixty_four_bit_length_with_top_bit_set_is_refused() {
    let top = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
    refused_1002(&top, client(), FrameError::LengthMsbSet);
    refused_1002(&top, FrameRules::structural(), FrameError::LengthMsbSet);
    // Even with no size limit at all.
    refused_1002(&top, client().with_max_payload(u64::MAX), FrameError::LengthMsbSet);
    let all_ones = [0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    refused_1002(&all_ones, client().with_max_payload(u64::MAX), FrameError::LengthMsbSet);
    let masked = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4];
    refused_1002(&masked, server().with_max_payload(u64::MAX), FrameError::LengthMsbSet);
    // The largest legal length is fine when the limit allows it.
    let largest = [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(accepted(&largest, FrameRules::structural()).payload_len, u64::MAX >> 1);
}

// --- Masking (§5.1) ---

#[test]
fn server_refuses_an_unmasked_frame() {
    refused_1002(&[0x81, 0x05], server(), FrameError::UnmaskedFrame);
    refused_1002(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'], server(), FrameError::UnmaskedFrame);
    refused_1002(&[0x89, 0x00], server(), FrameError::UnmaskedFrame);
    // A masked one is what it expects.
    assert_eq!(accepted(&[0x81, 0x85, 1, 2, 3, 4], server()).mask, Some(KEY));
}

#[test]
fn client_refuses_a_masked_frame() {
    refused_1002(&[0x81, 0x85], client(), FrameError::MaskedFrame);
    refused_1002(&[0x81, 0x85, 1, 2, 3, 4], client(), FrameError::MaskedFrame);
    refused_1002(&[0x8A, 0x80, 1, 2, 3, 4], client(), FrameError::MaskedFrame);
    // An unmasked one is what it expects.
    assert_eq!(accepted(&[0x81, 0x05], client()).mask, None);
}

#[test]
fn rules_without_a_role_accept_either_masking() {
    let either = FrameRules::structural();
    assert_eq!(accepted(&[0x81, 0x05], either).mask, None);
    assert_eq!(accepted(&[0x81, 0x85, 1, 2, 3, 4], either).mask, Some(KEY));
}

// --- Payload limit (receiver configuration) ---

#[test]
fn payload_above_the_limit_is_refused_from_the_header_alone() {
    // Only header bytes are given: the error does not wait for the payload.
    let cases: [(&[u8], u64, u64); 4] = [
        (&[0x82, 11], 10, 11),
        (&[0x82, 0x7E, 0x01, 0x01], 256, 257),
        (&[0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 1], 1 << 20, (1 << 20) + 1),
        (&[0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 16 << 20, u64::MAX >> 1),
    ];
    for (header, max, len) in cases {
        let error = FrameError::PayloadTooLarge { len, max };
        refused(header, client().with_max_payload(max), error, CloseCode::MESSAGE_TOO_BIG);
    }
    // Masked, at the server.
    let masked = [0x82, 0xFE, 0x01, 0x01, 1, 2, 3, 4];
    let error = FrameError::PayloadTooLarge { len: 257, max: 256 };
    refused(&masked, server().with_max_payload(256), error, CloseCode::MESSAGE_TOO_BIG);
    // The default limit is 16 MiB.
    let over_default = [0x82, 0x7F, 0, 0, 0, 0, 0x01, 0, 0, 1];
    let error = FrameError::PayloadTooLarge { len: (16 << 20) + 1, max: 16 << 20 };
    refused(&over_default, client(), error, CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn payload_exactly_at_the_limit_is_accepted() {
    let cases: [(&[u8], u64); 4] = [
        (&[0x82, 10], 10),
        (&[0x82, 0x7E, 0x01, 0x00], 256),
        (&[0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 0], 1 << 20),
        (&[0x82, 0x7F, 0, 0, 0, 0, 0x01, 0, 0, 0], 16 << 20),
    ];
    for (header, max) in cases {
        let rules = client().with_max_payload(max);
        assert_eq!(accepted(header, rules).payload_len, max);
        // The frame decoder then waits for exactly the payload.
        let mut buf = BytesMut::from(header);
        let needed = usize::try_from(max).unwrap();
        assert_eq!(FrameDecoder::new(rules).decode(&mut buf), Ok(Decoded::Incomplete { needed }));
    }
    // A whole frame at the limit comes out.
    let rules = client().with_max_payload(3);
    let mut buf = BytesMut::from(&[0x82, 0x03, 7, 8, 9][..]);
    let Ok(Decoded::Complete(frame)) = FrameDecoder::new(rules).decode(&mut buf) else { panic!() };
    assert_eq!(&frame.payload[..], &[7, 8, 9]);
    // A limit of zero still admits empty frames.
    assert_eq!(accepted(&[0x81, 0x00], client().with_max_payload(0)).payload_len, 0);
    refused(
        &[0x81, 0x01],
        client().with_max_payload(0),
        FrameError::PayloadTooLarge { len: 1, max: 0 },
        CloseCode::MESSAGE_TOO_BIG,
    );
}

// --- Minimal length encoding (§5.2) ---

#[test]
fn non_minimal_16_bit_length_is_refused_by_default() {
    for len in [0u16, 1, 125] {
        let [hi, lo] = len.to_be_bytes();
        refused_1002(&[0x82, 0x7E, hi, lo], client(), FrameError::NonMinimalLength);
        refused_1002(&[0x82, 0xFE, hi, lo, 1, 2, 3, 4], server(), FrameError::NonMinimalLength);
    }
    // 126 is the smallest length that needs the 16-bit form.
    assert_eq!(accepted(&[0x82, 0x7E, 0x00, 0x7E], client()).payload_len, 126);
}

#[test]
fn non_minimal_64_bit_length_is_refused_by_default() {
    for len in [0u64, 5, 125, 126, 65_535] {
        let mut header = vec![0x82, 0x7F];
        header.extend_from_slice(&len.to_be_bytes());
        refused_1002(&header, client(), FrameError::NonMinimalLength);
    }
    // 65536 is the smallest length that needs the 64-bit form.
    assert_eq!(accepted(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0], client()).payload_len, 65_536);
}

#[test]
fn non_minimal_lengths_are_accepted_when_allowed() {
    let lenient = FrameRules { allow_non_minimal_length: true, ..client() };
    assert_eq!(accepted(&[0x82, 0x7E, 0x00, 0x05], lenient).payload_len, 5);
    assert_eq!(accepted(&[0x82, 0x7E, 0x00, 0x00], lenient).payload_len, 0);
    assert_eq!(accepted(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x7D], lenient).payload_len, 125);
    assert_eq!(accepted(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], lenient).payload_len, 65_535);
    let masked = FrameRules { allow_non_minimal_length: true, ..server() };
    assert_eq!(accepted(&[0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4], masked).payload_len, 5);
    // The whole frame decodes, and re-encoding uses the shortest form.
    let mut buf = BytesMut::from(&[0x82, 0x7E, 0x00, 0x02, b'o', b'k'][..]);
    let Ok(Decoded::Complete(frame)) = FrameDecoder::new(lenient).decode(&mut buf) else { panic!() };
    assert_eq!(&frame.payload[..], b"ok");
    assert_eq!(&frame.header.encode()[..], &[0x82, 0x02]);
    // Leniency does not lift the other length rules.
    let top = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1];
    refused_1002(&top, lenient.with_max_payload(u64::MAX), FrameError::LengthMsbSet);
}

// --- Incremental input ---

#[test]
fn empty_input_needs_two_bytes() {
    for rules in [client(), server(), FrameRules::structural(), client().with_allowed_rsv(0b111)] {
        assert_eq!(FrameHeader::decode(&[], &rules), Ok(Decoded::Incomplete { needed: 2 }));
        let mut buf = BytesMut::new();
        assert_eq!(FrameDecoder::new(rules).decode(&mut buf), Ok(Decoded::Incomplete { needed: 2 }));
    }
}

#[test]
fn decode_never_reads_past_its_input() {
    // Valid headers of every shape; each is decoded from every prefix of
    // itself, and from itself followed by bytes that would be an error if
    // read as part of the header.
    let headers: [(&[u8], FrameRules); 6] = [
        (&[0x81, 0x05], client()),
        (&[0x81, 0x85, 1, 2, 3, 4], server()),
        (&[0x82, 0x7E, 0x01, 0x00], client()),
        (&[0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4], server()),
        (&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0], client()),
        (&[0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4], server()),
    ];
    for (header, rules) in headers {
        let full = accepted(header, rules);
        for len in 0..header.len() {
            // A prefix exactly as long as given: an out-of-bounds read would panic.
            let prefix = header[..len].to_vec().into_boxed_slice();
            match FrameHeader::decode(&prefix, &rules) {
                Ok(Decoded::Incomplete { needed }) => {
                    assert!(needed > 0);
                    assert!(len + needed <= header.len(), "needed {needed} at {len} overshoots {header:02x?}");
                }
                other => panic!("prefix {len} of {header:02x?}: {other:?}"),
            }
        }
        let mut padded = header.to_vec();
        padded.extend_from_slice(&[0xFF; MAX_HEADER_LEN]);
        assert_eq!(FrameHeader::decode(&padded, &rules), Ok(Decoded::Complete((full, header.len()))));
    }
}

#[test]
fn errors_are_reported_as_soon_as_the_header_shows_them() {
    // One byte suffices for RSV bits, reserved opcodes and control FIN; two for
    // masking and control length; the full header for the length rules.
    refused_1002(&[0xF1], client(), FrameError::ReservedBits { bits: 0b111 });
    refused_1002(&[0x83], client(), FrameError::ReservedOpcode(3));
    refused_1002(&[0x09], client(), FrameError::FragmentedControlFrame);
    refused_1002(&[0x81, 0x05], server(), FrameError::UnmaskedFrame);
    refused_1002(&[0x89, 0x7E], client(), FrameError::ControlFrameTooLong);
    assert_eq!(FrameHeader::decode(&[0x82, 0x7E, 0x00], &client()), Ok(Decoded::Incomplete { needed: 1 }));
    assert_eq!(FrameHeader::decode(&[0x82, 0x7F, 0x80], &client()), Ok(Decoded::Incomplete { needed: 7 }));
}
