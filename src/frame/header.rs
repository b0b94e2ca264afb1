//! The frame header: incremental decode with validation, and encode (RFC 6455 §5.2).

use super::error::FrameError;
use super::opcode::OpCode;
use crate::role::Role;

/// The longest header: 2 fixed bytes, 8 bytes of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// RSV1, as a bit in [`FrameHeader::rsv`].
pub const RSV1: u8 = 0b100;
/// RSV2, as a bit in [`FrameHeader::rsv`].
pub const RSV2: u8 = 0b010;
/// RSV3, as a bit in [`FrameHeader::rsv`].
pub const RSV3: u8 = 0b001;

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Whether this is the final frame of a message.
    pub fin: bool,
    /// The three reserved bits: RSV1 is `0b100`, RSV2 `0b010`, RSV3 `0b001`.
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present when the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

/// The outcome of decoding from a prefix of the input, in the style of
/// `httparse::Status`: running out of input is a normal result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<T> {
    /// A whole item was decoded.
    Complete(T),
    /// The input ends too early; at least `needed` more bytes are required.
    Incomplete {
        /// How many more bytes are needed, at the least (never zero).
        needed: usize,
    },
}

/// What a receiver accepts in a frame header. Checked while decoding, so a
/// bad header is refused before any of its payload is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRules {
    /// `Some(true)`: frames must be masked (a server receiving); `Some(false)`:
    /// frames must be unmasked (a client receiving); `None`: either.
    pub require_mask: Option<bool>,
    /// RSV bits that a negotiated extension has given meaning to (for
    /// permessage-deflate, [`RSV1`]). Any other set bit is an error.
    pub allowed_rsv: u8,
    /// The largest payload length accepted, in bytes.
    pub max_payload: u64,
    /// Accept payload lengths that are not in their shortest form. RFC 6455
    /// §5.2 requires the minimal encoding; off by default.
    pub allow_non_minimal_length: bool,
}

/// The default payload limit for one frame: 16 MiB.
pub const DEFAULT_MAX_FRAME_PAYLOAD: u64 = 16 << 20;

impl FrameRules {
    /// The rules for an endpoint of `role` receiving frames: masking as
    /// RFC 6455 §5.1 requires, no RSV bits, a 16 MiB payload limit.
    pub const fn for_receiver(role: Role) -> FrameRules {
        FrameRules {
            require_mask: Some(role.expects_masked_input()),
            allowed_rsv: 0,
            max_payload: DEFAULT_MAX_FRAME_PAYLOAD,
            allow_non_minimal_length: false,
        }
    }

    /// Rules that check only the structure of the header (no role, no RSV
    /// bits allowed, no size limit beyond the 63-bit length).
    pub const fn structural() -> FrameRules {
        FrameRules { require_mask: None, allowed_rsv: 0, max_payload: u64::MAX >> 1, allow_non_minimal_length: false }
    }

    /// Sets the payload limit.
    pub const fn with_max_payload(mut self, max: u64) -> FrameRules {
        self.max_payload = max;
        self
    }

    /// Sets the RSV bits that negotiated extensions allow.
    pub const fn with_allowed_rsv(mut self, rsv: u8) -> FrameRules {
        self.allowed_rsv = rsv & 0b111;
        self
    }
}

impl FrameHeader {
    /// Decodes a header from the start of `buf` and checks it against `rules`.
    ///
    /// Returns the header and its encoded length in bytes, or how many more
    /// bytes are needed. Never reads past `buf`, never allocates. A header is
    /// refused as soon as enough of it is seen to know it is bad: a reserved
    /// opcode fails from the first byte alone.
    ///
    /// The first two bytes are checked with one branch in the common case;
    /// the extended length and the key are read only when the second byte
    /// announces them, each with one load.
    #[inline]
    pub fn decode(buf: &[u8], rules: &FrameRules) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
        let [b0, b1, ..] = *buf else {
            return decode_first_byte(buf, rules);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0b111;
        let control = b0 & 0x08 != 0;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        // §5.2: "MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values"; reserved opcodes fail the
        // connection; §5.5: "All control frames MUST have a payload length
        // of 125 bytes or less and MUST NOT be fragmented"; §5.1: a server
        // "MUST close the connection upon receiving a frame that is not
        // masked", a client one that is.
        let bad = rsv & !rules.allowed_rsv != 0
            || (RESERVED_OPCODES >> (b0 & 0x0F)) & 1 != 0
            || (control && (!fin || len7 > MAX_CONTROL_PAYLOAD as u8))
            || rules.require_mask.is_some_and(|required| required != masked);
        if bad {
            return Err(first_two_bytes_error(b0, b1, rules));
        }
        if len7 >= 126 {
            return decode_extended(buf, rules, b0, masked, len7);
        }
        // §5.2: "if 0-125, that is the payload length".
        let header_len = if masked { 6 } else { 2 };
        if buf.len() < header_len {
            return Ok(Decoded::Incomplete { needed: header_len - buf.len() });
        }
        let payload_len = len7 as u64;
        if payload_len > rules.max_payload {
            return Err(FrameError::PayloadTooLarge { len: payload_len, max: rules.max_payload });
        }
        let mask = if masked { Some([buf[2], buf[3], buf[4], buf[5]]) } else { None };
        let opcode = OpCode::from_bits(b0);
        Ok(Decoded::Complete((FrameHeader { fin, rsv, opcode, mask, payload_len }, header_len)))
    }

    /// The number of bytes [`FrameHeader::encode`] produces: 2 to 14.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        // The same top-bit clearing as `encode`, so the two always agree.
        let len = self.payload_len & (u64::MAX >> 1);
        let len_bytes = if len < 126 {
            0
        } else if len <= u16::MAX as u64 {
            2
        } else {
            8
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Encodes the header in its shortest form.
    ///
    /// The caller guarantees `payload_len < 2^63` (RFC 6455 §5.2); larger
    /// values have their top bit cleared. The reserved bits and opcode are
    /// written as given, unchecked.
    #[inline]
    pub fn encode(&self) -> EncodedHeader {
        let mut bytes = [0u8; MAX_HEADER_LEN];
        bytes[0] = (u8::from(self.fin) << 7) | ((self.rsv & 0b111) << 4) | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len = self.payload_len & (u64::MAX >> 1);
        let mut at = if len < 126 {
            bytes[1] = mask_bit | len as u8;
            2
        } else if len <= u16::MAX as u64 {
            bytes[1] = mask_bit | 126;
            bytes[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        } else {
            bytes[1] = mask_bit | 127;
            bytes[2..10].copy_from_slice(&len.to_be_bytes());
            10
        };
        if let Some(key) = self.mask {
            bytes[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        EncodedHeader { bytes, len: at as u8 }
    }
}

/// Opcodes RFC 6455 reserves (3–7, 11–15), one bit per value.
const RESERVED_OPCODES: u16 = 0b1111_1000_1111_1000;

/// The checks the first byte allows, in order: reserved bits, reserved
/// opcode, fragmented control frame.
#[inline]
fn first_byte_error(b0: u8, rules: &FrameRules) -> Option<FrameError> {
    let rsv = (b0 >> 4) & 0b111;
    let opcode = OpCode::from_bits(b0);
    if rsv & !rules.allowed_rsv != 0 {
        return Some(FrameError::ReservedBits { bits: rsv & !rules.allowed_rsv });
    }
    if let OpCode::Reserved(bits) = opcode {
        return Some(FrameError::ReservedOpcode(bits));
    }
    if opcode.is_control() && b0 & 0x80 == 0 {
        return Some(FrameError::FragmentedControlFrame);
    }
    None
}

/// [`FrameHeader::decode`] once the first two bytes passed their checks and
/// announce an extended length (`len7` 126 or 127).
#[inline(never)]
fn decode_extended(
    buf: &[u8],
    rules: &FrameRules,
    b0: u8,
    masked: bool,
    len7: u8,
) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
    let len_bytes = if len7 == 126 { 2 } else { 8 };
    let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
    if buf.len() < header_len {
        return Ok(Decoded::Incomplete { needed: header_len - buf.len() });
    }
    let payload_len = if len7 == 126 {
        // §5.2: "If 126, the following 2 bytes interpreted as a 16-bit
        // unsigned integer are the payload length", and "the minimal number
        // of bytes MUST be used to encode the length".
        let len = u16::from_be_bytes([buf[2], buf[3]]) as u64;
        if len < 126 && !rules.allow_non_minimal_length {
            return Err(FrameError::NonMinimalLength);
        }
        len
    } else {
        // §5.2: "If 127, the following 8 bytes interpreted as a 64-bit
        // unsigned integer (the most significant bit MUST be 0)".
        let mut be = [0u8; 8];
        be.copy_from_slice(&buf[2..10]);
        let len = u64::from_be_bytes(be);
        if len >> 63 != 0 {
            return Err(FrameError::LengthMsbSet);
        }
        if len <= u16::MAX as u64 && !rules.allow_non_minimal_length {
            return Err(FrameError::NonMinimalLength);
        }
        len
    };
    if payload_len > rules.max_payload {
        return Err(FrameError::PayloadTooLarge { len: payload_len, max: rules.max_payload });
    }
    let mask = if masked {
        let mut key = [0u8; 4];
        key.copy_from_slice(&buf[header_len - 4..header_len]);
        Some(key)
    } else {
        None
    };
    let header =
        FrameHeader { fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 0b111, opcode: OpCode::from_bits(b0), mask, payload_len };
    Ok(Decoded::Complete((header, header_len)))
}

/// A buffer of fewer than two bytes: an error the first byte shows, or how
/// many bytes are missing.
#[cold]
fn decode_first_byte(buf: &[u8], rules: &FrameRules) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
    match *buf {
        [] => Ok(Decoded::Incomplete { needed: 2 }),
        [b0, ..] => match first_byte_error(b0, rules) {
            Some(error) => Err(error),
            None => Ok(Decoded::Incomplete { needed: 1 }),
        },
    }
}

/// Which error the first two bytes show, in the order the checks are
/// specified: the first byte's, then masking, then a control frame's length.
/// Only called when one of them fails.
#[cold]
#[inline(never)]
fn first_two_bytes_error(b0: u8, b1: u8, rules: &FrameRules) -> FrameError {
    if let Some(error) = first_byte_error(b0, rules) {
        return error;
    }
    let masked = b1 & 0x80 != 0;
    match rules.require_mask {
        Some(true) if !masked => FrameError::UnmaskedFrame,
        Some(false) if masked => FrameError::MaskedFrame,
        // 126 and 127 announce an extended length: refused before reading it.
        _ => FrameError::ControlFrameTooLong,
    }
}

/// An encoded header: up to 14 bytes in a fixed array, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl EncodedHeader {
    /// The encoded bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl AsRef<[u8]> for EncodedHeader {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::ops::Deref for EncodedHeader {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}
