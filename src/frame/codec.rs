//! Whole frames for users who want only the frame layer: split a complete
//! frame off a buffer, or append one to a buffer.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::FrameError;
use super::header::{Decoded, FrameHeader, FrameRules};
use super::mask::{apply_mask, extend_masked, put_masked_short};

/// A complete frame with its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header as received (`mask` still holds the key that was applied).
    pub header: FrameHeader,
    /// The unmasked payload, split from the input buffer without copying.
    pub payload: Bytes,
}

/// Splits whole frames off the front of a buffer.
///
/// Holds no state but its rules: a frame stays in the caller's buffer until
/// all of it has arrived, so memory is bounded by `rules.max_payload` plus
/// one header.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    rules: FrameRules,
}

impl FrameDecoder {
    /// A decoder that checks every header against `rules`.
    pub fn new(rules: FrameRules) -> FrameDecoder {
        FrameDecoder { rules }
    }

    /// The rules in force.
    pub fn rules(&self) -> &FrameRules {
        &self.rules
    }

    /// Takes the next whole frame from the front of `buf`, unmasking its
    /// payload in place.
    ///
    /// `Ok(Decoded::Incomplete { needed })` leaves `buf` untouched and says how
    /// many more bytes are needed at least (for a frame whose header is
    /// complete, exactly). A header error is returned as soon as the header
    /// shows it, before its payload arrives; the caller must then stop
    /// decoding this stream.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Decoded<Frame>, FrameError> {
        let (header, header_len) = match FrameHeader::decode(buf, &self.rules)? {
            Decoded::Complete(parsed) => parsed,
            Decoded::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
        };
        // payload_len < 2^63 (checked by the header decode), so this cannot overflow.
        let total = header_len as u64 + header.payload_len;
        if (buf.len() as u64) < total {
            // Saturating: on a 32-bit target a plain cast could wrap to 0.
            let needed = usize::try_from(total - buf.len() as u64).unwrap_or(usize::MAX);
            return Ok(Decoded::Incomplete { needed });
        }
        let mut frame = buf.split_to(total as usize);
        let mut payload = frame.split_off(header_len);
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        Ok(Decoded::Complete(Frame { header, payload: payload.freeze() }))
    }
}

/// Appends `header` and `payload` to `out`, masking the payload with
/// `header.mask` when it is set.
///
/// The caller guarantees `header.payload_len == payload.len()`; this is
/// checked in debug builds only.
#[inline(always)]
pub fn encode_frame(header: &FrameHeader, payload: &[u8], out: &mut BytesMut) {
    debug_assert_eq!(header.payload_len, payload.len() as u64);
    if payload.len() <= SHORT_MAX {
        let first = (u8::from(header.fin) << 7) | ((header.rsv & 0b111) << 4) | header.opcode.bits();
        match header.mask {
            Some(key) => encode_short_masked(first, key, payload, out),
            None => {
                out.reserve(2 + payload.len());
                out.put_slice(&[first, payload.len() as u8]);
                out.put_slice(payload);
            }
        }
        return;
    }
    encode_long(header, payload, out);
}

/// The longest payload whose length fits the second header byte (RFC 6455
/// §5.2): its header is a fixed 2 or 6 bytes, which is what most small
/// messages and every control frame take.
const SHORT_MAX: usize = 125;

/// [`encode_frame`] for a payload longer than [`SHORT_MAX`].
#[inline(never)]
fn encode_long(header: &FrameHeader, payload: &[u8], out: &mut BytesMut) {
    let encoded = header.encode();
    out.reserve(encoded.as_bytes().len() + payload.len());
    out.put_slice(encoded.as_bytes());
    match header.mask {
        Some(key) => extend_masked(out, payload, key, 0),
        None => out.put_slice(payload),
    }
}

/// Appends a masked frame whose payload is at most [`SHORT_MAX`] bytes:
/// `first` (FIN, RSV and opcode bits), the length with the mask bit, `key`,
/// then `payload` masked with `key`, read once and written once, into room
/// reserved in one piece.
#[inline(always)]
fn encode_short_masked(first: u8, key: [u8; 4], payload: &[u8], out: &mut BytesMut) {
    out.reserve(6 + payload.len());
    out.extend_from_slice(&[first, 0x80 | payload.len() as u8, key[0], key[1], key[2], key[3]]);
    put_masked_short(out, payload, key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::OpCode;

    /// The short path writes exactly what the general header encoder does.
    #[test]
    fn short_frames_match_the_general_header() {
        let payload: Vec<u8> = (0..125u8).map(|i| i.wrapping_mul(37)).collect();
        let opcodes = [OpCode::Continuation, OpCode::Text, OpCode::Binary, OpCode::Close, OpCode::Ping, OpCode::Pong];
        for opcode in opcodes {
            for (fin, rsv) in [(true, 0), (false, 0b100), (true, 0b111)] {
                for mask in [None, Some([0x0f, 0xf0, 0x55, 0xaa])] {
                    for len in [0, 1, 3, 4, 5, 8, 12, 15, 16, 17, 31, 32, 33, 64, 120, 124, 125] {
                        let header = FrameHeader { fin, rsv, opcode, mask, payload_len: len as u64 };
                        let mut expected = header.encode().as_bytes().to_vec();
                        let start = expected.len();
                        expected.extend_from_slice(&payload[..len]);
                        if let Some(key) = mask {
                            apply_mask(&mut expected[start..], key, 0);
                        }
                        let mut out = BytesMut::from(&b"before"[..]);
                        encode_frame(&header, &payload[..len], &mut out);
                        assert_eq!(&out[..6], b"before");
                        assert_eq!(out[6..], expected[..], "{opcode:?} {fin} {rsv} {mask:?} {len}");
                    }
                }
            }
        }
    }
}
