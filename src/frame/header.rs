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
    #[inline]
    pub fn decode(buf: &[u8], rules: &FrameRules) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
        match PackedHeader::decode(buf, rules) {
            Some(packed) => Ok(Decoded::Complete((packed.unpack(), packed.len()))),
            None => why_no_header(buf, rules),
        }
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
        // Built in a register and stored whole: written byte by byte, the
        // header was read back (to copy it into the output) with wider
        // loads that spanned several narrow stores, a store-forwarding stall
        // per frame sent.
        let first = (u8::from(self.fin) << 7) | ((self.rsv & 0b111) << 4) | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len = self.payload_len & (u64::MAX >> 1);
        // The second byte, and the extended length in network byte order as
        // it lies in memory (read as little-endian), and its size.
        let (second, extended, extended_len) = if len < 126 {
            (len as u8, 0, 0)
        } else if len <= u16::MAX as u64 {
            (126, u128::from((len as u16).swap_bytes()), 2)
        } else {
            (127, u128::from(len.swap_bytes()), 8)
        };
        let mut word = u128::from(first) | u128::from(mask_bit | second) << 8 | extended << 16;
        let mut at = 2 + extended_len;
        if let Some(key) = self.mask {
            word |= u128::from(u32::from_le_bytes(key)) << (8 * at);
            at += 4;
        }
        EncodedHeader { bytes: word.to_le_bytes(), len: at as u8 }
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

/// A valid, whole header as the receive path takes it: the same fields as
/// [`FrameHeader`], packed into 16 bytes so that it travels in two
/// registers rather than through memory (the per-message cost of small
/// messages is a few dozen instructions; a detour through the stack, read
/// back wider than it was written, stalls on store forwarding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedHeader {
    /// The payload length.
    pub(crate) payload_len: u64,
    /// The masking key; zero when `masked` is false.
    key: [u8; 4],
    /// The first byte on the wire: FIN, RSV1-3, opcode.
    first: u8,
    /// The MASK bit.
    masked: bool,
    /// The encoded length of the header: 2 to 14.
    len: u8,
}

impl PackedHeader {
    /// The header at the start of `buf` if all of it is there and it passes
    /// `rules` (the checks of [`FrameHeader::decode`]); `None` otherwise,
    /// and [`FrameHeader::decode`] tells why. Never reads past `buf`.
    ///
    /// The first two bytes are checked with one branch in the common case;
    /// the extended length and the key are read only when the second byte
    /// announces them.
    #[inline]
    pub(crate) fn decode(buf: &[u8], rules: &FrameRules) -> Option<PackedHeader> {
        let [b0, b1, ..] = *buf else { return None };
        if first_two_bytes_fail(b0, b1, rules) {
            return None;
        }
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        let (payload_len, len_end) = if len7 < 126 {
            // §5.2: "if 0-125, that is the payload length".
            (len7 as u64, 2)
        } else {
            extended_payload_len(buf, len7, rules).ok()??
        };
        let len = len_end + if masked { 4 } else { 0 };
        if payload_len > rules.max_payload || buf.len() < len {
            return None;
        }
        let key = if masked { [buf[len - 4], buf[len - 3], buf[len - 2], buf[len - 1]] } else { [0; 4] };
        Some(PackedHeader { payload_len, key, first: b0, masked, len: len as u8 })
    }

    /// The encoded length of the header, in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// The frame's length on the wire, header and payload; `None` when it
    /// does not fit in a `usize` (a target narrower than 64 bits).
    #[inline]
    pub(crate) fn frame_len(&self) -> Option<usize> {
        usize::try_from(self.payload_len).ok()?.checked_add(self.len())
    }

    /// FIN set, no RSV bit, and `opcode`: the first byte `0x80 | opcode`.
    #[inline]
    pub(crate) fn is_final_and_plain(&self, opcode: OpCode) -> bool {
        self.first == 0x80 | opcode.bits()
    }

    /// The masking key, if the frame is masked.
    #[inline]
    pub(crate) fn mask(&self) -> Option<[u8; 4]> {
        self.masked.then_some(self.key)
    }

    /// The same header, unpacked.
    #[inline]
    pub(crate) fn unpack(&self) -> FrameHeader {
        let b0 = self.first;
        FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0b111,
            opcode: OpCode::from_bits(b0),
            mask: self.mask(),
            payload_len: self.payload_len,
        }
    }
}

/// Whether the first two bytes break a rule: one branch when they do not.
#[inline]
fn first_two_bytes_fail(b0: u8, b1: u8, rules: &FrameRules) -> bool {
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
    rsv & !rules.allowed_rsv != 0
        || (RESERVED_OPCODES >> (b0 & 0x0F)) & 1 != 0
        || (control && (!fin || len7 > MAX_CONTROL_PAYLOAD as u8))
        || rules.require_mask.is_some_and(|required| required != masked)
}

/// The extended payload length (`len7` 126 or 127) and where it ends, once
/// its bytes are in `buf` (`Ok(None)` before).
#[inline(never)]
fn extended_payload_len(buf: &[u8], len7: u8, rules: &FrameRules) -> Result<Option<(u64, usize)>, FrameError> {
    if len7 == 126 {
        let [_, _, hi, lo, ..] = *buf else { return Ok(None) };
        // §5.2: "If 126, the following 2 bytes interpreted as a 16-bit
        // unsigned integer are the payload length", and "the minimal number
        // of bytes MUST be used to encode the length".
        let len = u16::from_be_bytes([hi, lo]) as u64;
        if len < 126 && !rules.allow_non_minimal_length {
            return Err(FrameError::NonMinimalLength);
        }
        return Ok(Some((len, 4)));
    }
    let Some(bytes) = buf.get(2..10) else { return Ok(None) };
    // §5.2: "If 127, the following 8 bytes interpreted as a 64-bit
    // unsigned integer (the most significant bit MUST be 0)".
    let mut be = [0u8; 8];
    be.copy_from_slice(bytes);
    let len = u64::from_be_bytes(be);
    if len >> 63 != 0 {
        return Err(FrameError::LengthMsbSet);
    }
    if len <= u16::MAX as u64 && !rules.allow_non_minimal_length {
        return Err(FrameError::NonMinimalLength);
    }
    Ok(Some((len, 10)))
}

/// Why [`PackedHeader::decode`] found no header at the start of `buf`: the
/// bytes still missing, or the rule the header breaks (the first broken
/// rule in the order the bytes arrive).
#[cold]
#[inline(never)]
fn why_no_header(buf: &[u8], rules: &FrameRules) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
    let [b0, b1, ..] = *buf else {
        return decode_first_byte(buf, rules);
    };
    if first_two_bytes_fail(b0, b1, rules) {
        return Err(first_two_bytes_error(b0, b1, rules));
    }
    let masked = b1 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    let len_bytes = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
    if buf.len() < header_len {
        return Ok(Decoded::Incomplete { needed: header_len - buf.len() });
    }
    let payload_len = match len7 {
        126 | 127 => extended_payload_len(buf, len7, rules)?.map_or(0, |(len, _)| len),
        _ => len7 as u64,
    };
    if payload_len > rules.max_payload {
        return Err(FrameError::PayloadTooLarge { len: payload_len, max: rules.max_payload });
    }
    // Not reached (a whole header that breaks no rule decodes above), but
    // the answer is right either way.
    let key = if masked {
        [buf[header_len - 4], buf[header_len - 3], buf[header_len - 2], buf[header_len - 1]]
    } else {
        [0; 4]
    };
    let packed = PackedHeader { payload_len, key, first: b0, masked, len: header_len as u8 };
    Ok(Decoded::Complete((packed.unpack(), header_len)))
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
    /// The header, then zeros ([`MAX_HEADER_LEN`] bytes and two more, so
    /// that it is made and stored as one 16-byte value).
    bytes: [u8; 16],
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> impl Strategy<Value = FrameRules> {
        (
            prop::option::of(any::<bool>()),
            0u8..8,
            prop_oneof![Just(125u64), Just(126), Just(65_535), any::<u64>()],
            any::<bool>(),
        )
            .prop_map(|(require_mask, rsv, max, lax)| FrameRules {
                require_mask,
                allowed_rsv: rsv,
                max_payload: max,
                allow_non_minimal_length: lax,
            })
    }

    /// Headers of every length form, near the limits, and junk.
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        let len = prop_oneof![0u64..=127, 126u64..=65_537, Just(u64::MAX), Just(1 << 63), any::<u64>()];
        (any::<u8>(), any::<bool>(), len, any::<[u8; 4]>(), 0usize..16, any::<bool>()).prop_map(
            |(b0, masked, len, key, cut, non_minimal)| {
                let mut bytes = vec![b0];
                let mask_bit = if masked { 0x80 } else { 0 };
                if len < 126 && !non_minimal {
                    bytes.push(mask_bit | len as u8);
                } else if len <= u16::MAX as u64 && !(non_minimal && len > 125) {
                    bytes.push(mask_bit | 126);
                    bytes.extend_from_slice(&(len as u16).to_be_bytes());
                } else {
                    bytes.push(mask_bit | 127);
                    bytes.extend_from_slice(&len.to_be_bytes());
                }
                if masked {
                    bytes.extend_from_slice(&key);
                }
                bytes.truncate(cut.max(1).min(bytes.len()));
                bytes
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// The fast decoder and the one that explains a refusal agree: the
        /// explanation never finds a header the fast one missed, and both
        /// read the same header from the same bytes.
        #[test]
        #[cfg_attr(miri, ignore = "safe code; proptest's persistence needs the file system")]
        fn packed_decode_agrees_with_the_explanation(buf in header_bytes(), rules in rules()) {
            match PackedHeader::decode(&buf, &rules) {
                Some(packed) => {
                    let explained = why_no_header(&buf, &rules);
                    prop_assert_eq!(explained, Ok(Decoded::Complete((packed.unpack(), packed.len()))));
                }
                None => {
                    let explained = why_no_header(&buf, &rules);
                    prop_assert!(!matches!(explained, Ok(Decoded::Complete(_))), "{:?}", explained);
                }
            }
        }
    }
}
