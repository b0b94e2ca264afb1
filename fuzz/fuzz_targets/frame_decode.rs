//! Feeds arbitrary bytes to the frame decoder in arbitrary chunks and checks
//! that the frames and the final error (or `needed` count) agree with a
//! one-shot decode of the whole input.
//!
//! Input layout: byte 0 picks the rules (bits 0-1 the mask requirement, bits
//! 2-4 the allowed RSV bits, bit 5 non-minimal-length leniency), byte 1 the
//! payload limit, bytes 2..6 a cycle of chunk sizes; the rest is the stream.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wsproto::frame::{Decoded, Frame, FrameDecoder, FrameError, FrameHeader, FrameRules, MAX_HEADER_LEN, encode_frame};

const CONFIG_LEN: usize = 6;

/// Payload limits worth exercising: zero, the control-frame and length-form
/// boundaries, and the largest legal length.
const MAX_PAYLOADS: [u64; 16] = [
    0,
    1,
    125,
    126,
    127,
    200,
    65_535,
    65_536,
    65_537,
    1 << 20,
    16 << 20,
    u32::MAX as u64,
    1 << 40,
    (u64::MAX >> 1) - 1,
    u64::MAX >> 1,
    u64::MAX,
];

fuzz_target!(|input: &[u8]| {
    if input.len() < CONFIG_LEN {
        return;
    }
    let (config, data) = input.split_at(CONFIG_LEN);
    let rules = FrameRules {
        require_mask: match config[0] & 0b11 {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        },
        allowed_rsv: (config[0] >> 2) & 0b111,
        max_payload: MAX_PAYLOADS[usize::from(config[1] & 0x0F)],
        allow_non_minimal_length: config[0] & 0b10_0000 != 0,
    };
    let chunk_sizes: Vec<usize> = config[2..6]
        .iter()
        .map(|&b| if b >= 0xF0 { usize::from(b - 0xEF) * 64 } else { 1 + usize::from(b % 16) })
        .collect();

    check_header_prefixes(data, &rules);
    let decoder = FrameDecoder::new(rules);
    let whole = one_shot(&decoder, data);
    let chunked = chunked(&decoder, data, &chunk_sizes);
    assert_eq!(whole.frames, chunked.frames, "frames differ between one-shot and chunked decoding");
    assert_eq!(whole.end, chunked.end, "final outcome differs between one-shot and chunked decoding");
    if whole.end.is_ok() {
        assert_eq!(whole.leftover, chunked.leftover, "leftover bytes differ");
    }
});

/// What decoding a stream came to.
struct Run {
    frames: Vec<Frame>,
    /// `Ok(needed)` when the stream ended inside a frame, or the error that stopped decoding.
    end: Result<usize, FrameError>,
    leftover: BytesMut,
}

/// `FrameHeader::decode` on growing prefixes of the first header: once a
/// prefix is complete or wrong, every longer prefix gives the same answer,
/// and an incomplete prefix never asks for more than the header needs.
fn check_header_prefixes(data: &[u8], rules: &FrameRules) {
    let full = FrameHeader::decode(data, rules);
    let mut settled = None;
    for len in 0..=data.len().min(MAX_HEADER_LEN) {
        let result = FrameHeader::decode(&data[..len], rules);
        match (&settled, &result) {
            (Some(earlier), _) => assert_eq!(earlier, &result, "prefix of {len} bytes changed a settled answer"),
            (None, Ok(Decoded::Incomplete { needed })) => {
                assert!(*needed > 0, "needed is zero");
                assert!(len + needed <= MAX_HEADER_LEN, "needed {needed} at {len} bytes overshoots any header");
                if let Ok(Decoded::Complete((_, header_len))) = full {
                    assert!(
                        len + needed <= header_len,
                        "needed {needed} at {len} overshoots a {header_len}-byte header"
                    );
                }
            }
            (None, Ok(Decoded::Complete((header, header_len)))) => {
                assert_eq!(*header_len, len, "header completed at {len} bytes but claims {header_len}");
                assert!(header.encoded_len() <= *header_len);
                settled = Some(result);
            }
            (None, Err(_)) => settled = Some(result),
        }
    }
    if let Some(settled) = settled {
        assert_eq!(settled, full, "a prefix's answer differs from the whole input's");
    }
}

fn one_shot(decoder: &FrameDecoder, data: &[u8]) -> Run {
    let mut buf = BytesMut::from(data);
    let mut frames = Vec::new();
    let end = loop {
        let start = data.len() - buf.len();
        let before = buf.len();
        match decoder.decode(&mut buf) {
            Ok(Decoded::Complete(frame)) => {
                let raw = &data[start..data.len() - buf.len()];
                check_frame(decoder.rules(), &frame, raw);
                frames.push(frame);
            }
            Ok(Decoded::Incomplete { needed }) => {
                assert!(needed > 0, "needed is zero");
                assert_eq!(buf.len(), before, "an incomplete decode consumed input");
                break Ok(needed);
            }
            Err(error) => {
                assert_eq!(buf.len(), before, "a failed decode consumed input");
                break Err(error);
            }
        }
    };
    Run { frames, end, leftover: buf }
}

/// A decoded frame re-encodes to the bytes it came from (unless they used a
/// non-minimal length, which only leniency lets through) and decodes again.
fn check_frame(rules: &FrameRules, frame: &Frame, raw: &[u8]) {
    assert_eq!(frame.header.payload_len, frame.payload.len() as u64);
    assert!(frame.header.payload_len <= rules.max_payload);
    assert_eq!(frame.header.rsv & !rules.allowed_rsv, 0);
    assert!(!frame.header.opcode.is_reserved());
    let raw_header_len = raw.len() - frame.payload.len();
    let mut out = BytesMut::new();
    encode_frame(&frame.header, &frame.payload, &mut out);
    if frame.header.encoded_len() == raw_header_len {
        assert_eq!(&out[..], raw, "re-encoding changed the bytes");
    } else {
        assert!(rules.allow_non_minimal_length, "a non-minimal length got through without leniency");
        assert!(raw_header_len > frame.header.encoded_len());
    }
    match FrameDecoder::new(*rules).decode(&mut out) {
        Ok(Decoded::Complete(again)) => assert_eq!(&again, frame),
        other => panic!("re-encoded frame did not decode: {other:?}"),
    }
    assert!(out.is_empty());
}

fn chunked(decoder: &FrameDecoder, data: &[u8], chunk_sizes: &[usize]) -> Run {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = data;
    // After an `Incomplete { needed }`, no frame may complete before the
    // buffer holds at least this many bytes (counted from the same start).
    let mut no_frame_below = 0;
    for &size in chunk_sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Decoded::Complete(frame)) => {
                    assert!(before >= no_frame_below, "a frame completed {} bytes early", no_frame_below - before);
                    no_frame_below = 0;
                    frames.push(frame);
                }
                Ok(Decoded::Incomplete { needed }) => {
                    assert!(needed > 0, "needed is zero");
                    assert_eq!(buf.len(), before, "an incomplete decode consumed input");
                    assert!(before + needed >= no_frame_below, "needed shrank below an earlier promise");
                    no_frame_below = before + needed;
                    break;
                }
                Err(error) => {
                    return Run { frames, end: Err(error), leftover: buf };
                }
            }
        }
    }
    let end = match decoder.decode(&mut buf) {
        Ok(Decoded::Incomplete { needed }) => Ok(needed),
        Ok(Decoded::Complete(frame)) => panic!("a frame was left undecoded: {frame:?}"),
        Err(error) => Err(error),
    };
    Run { frames, end, leftover: buf }
}
