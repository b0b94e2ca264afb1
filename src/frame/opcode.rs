//! Frame opcodes (RFC 6455 §5.2, §11.8).

use core::fmt;

/// A frame's 4-bit opcode.
///
/// Reserved values (3–7 for data, 11–15 for control) are kept as
/// [`OpCode::Reserved`] so a decoder can report exactly what it saw; they are
/// never silently mapped onto a known opcode.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: a close frame.
    Close,
    /// 0x9: a ping.
    Ping,
    /// 0xA: a pong.
    Pong,
    /// Any other 4-bit value, which RFC 6455 reserves for future use.
    Reserved(u8),
}

impl OpCode {
    /// The opcode for the low four bits of `bits` (higher bits are ignored).
    #[inline]
    pub const fn from_bits(bits: u8) -> OpCode {
        match bits & 0x0F {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            other => OpCode::Reserved(other),
        }
    }

    /// The 4-bit wire value.
    #[inline]
    pub const fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
            OpCode::Reserved(bits) => bits & 0x0F,
        }
    }

    /// Control opcodes are those with the high bit of the nibble set (0x8–0xF).
    #[inline]
    pub const fn is_control(self) -> bool {
        self.bits() & 0x08 != 0
    }

    /// Whether this opcode is one of the reserved values.
    #[inline]
    pub const fn is_reserved(self) -> bool {
        matches!(self, OpCode::Reserved(_))
    }
}

impl fmt::Debug for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpCode::Continuation => f.write_str("Continuation"),
            OpCode::Text => f.write_str("Text"),
            OpCode::Binary => f.write_str("Binary"),
            OpCode::Close => f.write_str("Close"),
            OpCode::Ping => f.write_str("Ping"),
            OpCode::Pong => f.write_str("Pong"),
            OpCode::Reserved(bits) => write!(f, "Reserved({bits:#x})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_round_trips() {
        for bits in 0u8..16 {
            let op = OpCode::from_bits(bits);
            assert_eq!(op.bits(), bits);
            assert_eq!(op.is_control(), bits >= 8);
            assert_eq!(op.is_reserved(), !matches!(bits, 0 | 1 | 2 | 8 | 9 | 10));
        }
    }
}
