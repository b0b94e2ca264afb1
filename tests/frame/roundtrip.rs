//! Property tests: whatever is encoded decodes back, however the bytes are
//! split on the way; `needed` counts are honest; masking splits anywhere.

use bytes::BytesMut;
use proptest::prelude::*;
use wsproto::frame::{
    Decoded, FrameDecoder, FrameHeader, FrameRules, MAX_CONTROL_PAYLOAD, OpCode, apply_mask, encode_frame,
};
use wsproto_test_support::frames::mask_bytewise;

const OPCODES: [OpCode; 6] =
    [OpCode::Continuation, OpCode::Text, OpCode::Binary, OpCode::Close, OpCode::Ping, OpCode::Pong];

/// Any legal header: control frames have FIN set and at most 125 bytes, and
/// every length form (7-, 16- and 64-bit) is well represented.
fn arb_header(max_len: u64) -> impl Strategy<Value = FrameHeader> {
    let len = prop_oneof![
        4 => 0u64..126,
        2 => 126u64..=65_535,
        1 => 65_536u64..=max_len.max(65_536),
    ]
    .prop_map(move |len| len.min(max_len));
    (prop::sample::select(&OPCODES[..]), any::<bool>(), 0u8..8, any::<Option<[u8; 4]>>(), len).prop_map(
        |(opcode, fin, rsv, mask, len)| {
            let control = opcode.is_control();
            FrameHeader {
                fin: fin || control,
                rsv,
                opcode,
                mask,
                payload_len: if control { len % (MAX_CONTROL_PAYLOAD as u64 + 1) } else { len },
            }
        },
    )
}

/// Rules that accept `headers`: masking either unchecked or as they all are,
/// at least their RSV bits allowed, a limit at or above their largest length.
fn arb_rules_for(headers: &[FrameHeader]) -> impl Strategy<Value = FrameRules> + use<> {
    let masked = headers.first().is_some_and(|h| h.mask.is_some());
    let rsv = headers.iter().fold(0, |acc, h| acc | h.rsv);
    let largest = headers.iter().map(|h| h.payload_len).max().unwrap_or(0);
    (any::<bool>(), 0u8..8, prop_oneof![Just(0u64), 0u64..1000, Just(u64::MAX - largest)], any::<bool>()).prop_map(
        move |(check_mask, extra_rsv, headroom, allow_non_minimal_length)| FrameRules {
            require_mask: check_mask.then_some(masked),
            allowed_rsv: rsv | extra_rsv,
            max_payload: largest + headroom,
            allow_non_minimal_length,
        },
    )
}

/// Chunk sizes, cycled over the input: often one byte at a time.
fn arb_chunks() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![3 => Just(1usize), 3 => 1usize..16, 1 => 1usize..200_000], 1..12)
}

/// Splits `bytes` into consecutive pieces whose sizes cycle through `sizes`.
fn pieces<'a>(bytes: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = bytes;
    sizes.iter().cycle().map_while(move |&size| {
        if rest.is_empty() {
            return None;
        }
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(piece)
    })
}

/// A header with its rules and chunking.
fn header_case() -> impl Strategy<Value = (FrameHeader, FrameRules, Vec<usize>)> {
    arb_header(u64::MAX >> 1).prop_flat_map(|header| (Just(header), arb_rules_for(&[header]), arb_chunks()))
}

/// Frames with their payloads, the rules to decode them by, chunk sizes.
type FramesCase = (Vec<(FrameHeader, Vec<u8>)>, FrameRules, Vec<usize>);

/// One to four frames that share a masking choice, with payloads, rules and chunking.
fn frames_case() -> impl Strategy<Value = FramesCase> {
    (any::<bool>(), prop::collection::vec((arb_header(70_000), any::<[u8; 4]>(), any::<u64>()), 1..5))
        .prop_map(|(masked, specs)| {
            specs
                .into_iter()
                .map(|(mut header, key, seed)| {
                    header.mask = masked.then_some(key);
                    (header, wsproto_test_support::noise::noise(header.payload_len as usize, seed))
                })
                .collect::<Vec<_>>()
        })
        .prop_flat_map(|frames| {
            let headers: Vec<FrameHeader> = frames.iter().map(|(h, _)| *h).collect();
            (Just(frames), arb_rules_for(&headers), arb_chunks())
        })
}

proptest! {
    /// `FrameHeader::decode` on growing prefixes of an encoded header: every
    /// proper prefix is incomplete with a positive `needed` that never
    /// overshoots, and the whole header decodes to the original.
    #[test]
    fn header_round_trips_through_growing_prefixes((header, rules, chunks) in header_case()) {
        let encoded = header.encode();
        let wire: &[u8] = &encoded;
        prop_assert_eq!(wire.len(), header.encoded_len());

        let mut seen = 0;
        let mut promised = 0;
        for piece in std::iter::once(&wire[..0]).chain(pieces(wire, &chunks)) {
            seen += piece.len();
            // Exactly the prefix, no spare capacity: reading past it would panic.
            let prefix = wire[..seen].to_vec().into_boxed_slice();
            match FrameHeader::decode(&prefix, &rules) {
                Ok(Decoded::Incomplete { needed }) => {
                    prop_assert!(seen < wire.len(), "incomplete with the whole header given");
                    prop_assert!(needed > 0);
                    prop_assert!(seen + needed <= wire.len(), "needed {} at {} overshoots {}", needed, seen, wire.len());
                    prop_assert!(seen + needed >= promised, "needed went back on an earlier promise");
                    promised = seen + needed;
                }
                Ok(Decoded::Complete((decoded, len))) => {
                    prop_assert_eq!(seen, wire.len(), "complete before the header was");
                    prop_assert!(seen >= promised);
                    prop_assert_eq!(len, wire.len());
                    prop_assert_eq!(decoded, header);
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?} at {seen} of {wire:02x?}"))),
            }
        }
        prop_assert_eq!(seen, wire.len());

        // Feeding exactly `needed` more each time lands on the header's end.
        let mut have = 0;
        let mut steps = 0;
        loop {
            match FrameHeader::decode(&wire[..have], &rules) {
                Ok(Decoded::Incomplete { needed }) => {
                    prop_assert!(needed > 0);
                    have += needed;
                    prop_assert!(have <= wire.len());
                    steps += 1;
                    prop_assert!(steps <= 3, "more than 3 rounds for a header");
                }
                Ok(Decoded::Complete((decoded, len))) => {
                    prop_assert_eq!(have, wire.len());
                    prop_assert_eq!(len, wire.len());
                    prop_assert_eq!(decoded, header);
                    break;
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            }
        }

        // Bytes after the header are not part of it.
        let mut padded = wire.to_vec();
        padded.extend_from_slice(&[0xFF; 20]);
        prop_assert_eq!(FrameHeader::decode(&padded, &rules), Ok(Decoded::Complete((header, wire.len()))));
    }

    /// `FrameDecoder` on a `BytesMut` fed in arbitrary chunks returns every
    /// encoded frame, unmasked, in order; an incomplete frame stays in the
    /// buffer, and its `needed` is a lower bound, exact once the header is in.
    #[test]
    fn frames_round_trip_through_the_decoder_in_chunks((frames, rules, chunks) in frames_case()) {
        let mut wire = BytesMut::new();
        let mut ends = Vec::new();
        for (header, payload) in &frames {
            let start = wire.len();
            encode_frame(header, payload, &mut wire);
            let header_len = header.encoded_len();
            prop_assert_eq!(&wire[start..start + header_len], &header.encode()[..]);
            let mut masked = payload.clone();
            if let Some(key) = header.mask {
                mask_bytewise(&mut masked, key, 0);
            }
            prop_assert_eq!(&wire[start + header_len..], &masked[..]);
            ends.push((wire.len(), header_len));
        }
        let wire = wire.freeze();

        let decoder = FrameDecoder::new(rules);
        let mut buf = BytesMut::new();
        let mut next = 0; // index of the frame being received
        let mut consumed = 0; // bytes of the wire taken off the buffer
        for piece in pieces(&wire, &chunks) {
            buf.extend_from_slice(piece);
            loop {
                let before = buf.len();
                match decoder.decode(&mut buf) {
                    Ok(Decoded::Complete(frame)) => {
                        let (header, payload) = &frames[next];
                        prop_assert_eq!(&frame.header, header);
                        prop_assert_eq!(&frame.payload[..], &payload[..]);
                        prop_assert_eq!(consumed + before - buf.len(), ends[next].0);
                        consumed = ends[next].0;
                        next += 1;
                    }
                    Ok(Decoded::Incomplete { needed }) => {
                        prop_assert_eq!(buf.len(), before, "an incomplete frame was consumed");
                        prop_assert!(needed > 0);
                        if let Some(&(end, header_len)) = ends.get(next) {
                            let missing = end - consumed - buf.len();
                            prop_assert!(needed <= missing, "needed {} but only {} missing", needed, missing);
                            if buf.len() >= header_len {
                                prop_assert_eq!(needed, missing, "needed inexact with the header in");
                            }
                        }
                        break;
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                }
            }
        }
        prop_assert_eq!(next, frames.len(), "not every frame came out");
        prop_assert!(buf.is_empty());
        prop_assert_eq!(decoder.decode(&mut buf), Ok(Decoded::Incomplete { needed: 2 }));

        // Feeding exactly `needed` each time: every frame completes exactly at
        // its end, after at most three rounds (first bytes, header, payload).
        let mut buf = BytesMut::new();
        let mut fed = 0;
        for (i, (header, payload)) in frames.iter().enumerate() {
            let mut rounds = 0;
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Decoded::Incomplete { needed }) => {
                        prop_assert!(needed > 0);
                        prop_assert!(fed + needed <= ends[i].0, "needed overshoots the frame");
                        buf.extend_from_slice(&wire[fed..fed + needed]);
                        fed += needed;
                        rounds += 1;
                        prop_assert!(rounds <= 3);
                    }
                    Ok(Decoded::Complete(frame)) => {
                        prop_assert_eq!(fed, ends[i].0);
                        prop_assert_eq!(&frame.header, header);
                        prop_assert_eq!(&frame.payload[..], &payload[..]);
                        break;
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                }
            }
        }
    }

    /// `encoded_len` is the length `encode` writes, for any `payload_len`,
    /// even the out-of-contract ones at or above 2^63 (whose top bit `encode` clears).
    #[test]
    fn encoded_len_matches_encode(payload_len in any::<u64>(), mask in any::<Option<[u8; 4]>>()) {
        let header = FrameHeader { fin: true, rsv: 0, opcode: OpCode::Binary, mask, payload_len };
        prop_assert_eq!(header.encode().len(), header.encoded_len());
        let top = FrameHeader { payload_len: payload_len | 1 << 63, ..header };
        prop_assert_eq!(top.encode().len(), top.encoded_len());
    }

    /// Unmasking a masked buffer piece by piece, with each piece's offset
    /// carried, gives the original, wherever the pieces are cut.
    #[test]
    fn unmasking_at_any_split_restores_the_original(
        data in prop::collection::vec(any::<u8>(), 0..2048),
        key in any::<[u8; 4]>(),
        start in 0usize..16,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        cuts.push(0);
        cuts.push(data.len());
        cuts.sort_unstable();

        let mut expected = data.clone();
        mask_bytewise(&mut expected, key, start);

        // Masking in pieces equals the reference over the whole.
        let mut masked = data.clone();
        for pair in cuts.windows(2) {
            apply_mask(&mut masked[pair[0]..pair[1]], key, start + pair[0]);
        }
        prop_assert_eq!(&masked, &expected);

        // One call over the whole agrees, and so does a pre-rotated key.
        let mut whole = data.clone();
        apply_mask(&mut whole, key, start);
        prop_assert_eq!(&whole, &expected);

        // Unmasking in (other) pieces restores the original.
        for pair in cuts.windows(2).rev() {
            apply_mask(&mut masked[pair[0]..pair[1]], key, start + pair[0]);
        }
        prop_assert_eq!(&masked, &data);
    }
}
