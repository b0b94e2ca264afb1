//! Whole frames for users who want only the frame layer: split a complete
//! frame off a buffer, or append one to a buffer.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::FrameError;
use super::header::{Decoded, FrameHeader, FrameRules};
use super::mask::apply_mask;

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
pub fn encode_frame(header: &FrameHeader, payload: &[u8], out: &mut BytesMut) {
    debug_assert_eq!(header.payload_len, payload.len() as u64);
    let encoded = header.encode();
    out.reserve(encoded.len() + payload.len());
    out.put_slice(&encoded);
    let start = out.len();
    out.put_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[start..], key, 0);
    }
}
