//! Faults in a frame header, each mapped to its close code.

use core::fmt;

use crate::close::CloseCode;

/// A frame header that breaks RFC 6455 §5 or the receiver's limits.
///
/// Every variant is a fault of the peer that sent the frame; the connection
/// answers it with [`FrameError::close_code`] and stops reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// RSV bits were set that no negotiated extension defines (§5.2).
    /// `bits` holds RSV1..RSV3 as 0b100, 0b010, 0b001.
    ReservedBits {
        /// The offending RSV bits.
        bits: u8,
    },
    /// The opcode is one of the reserved values (§5.2).
    ReservedOpcode(u8),
    /// A control frame announced more than 125 bytes of payload (§5.5).
    ControlFrameTooLong,
    /// A control frame had FIN clear: control frames cannot be fragmented (§5.5).
    FragmentedControlFrame,
    /// A 64-bit payload length had its most significant bit set (§5.2).
    LengthMsbSet,
    /// The payload length was not in its shortest form (§5.2: "the minimal
    /// number of bytes MUST be used"). Refused unless leniency is enabled.
    NonMinimalLength,
    /// A client sent an unmasked frame to a server (§5.1).
    UnmaskedFrame,
    /// A server sent a masked frame to a client (§5.1).
    MaskedFrame,
    /// The payload length is above the configured limit; detected from the
    /// header alone, before any payload is buffered.
    PayloadTooLarge {
        /// The length the header announced.
        len: u64,
        /// The configured limit.
        max: u64,
    },
}

impl FrameError {
    /// The close code to send the peer: 1009 for a size limit, 1002 for the rest.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            FrameError::PayloadTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ReservedBits { bits } => {
                write!(f, "reserved bits {bits:#05b} set without a negotiated extension")
            }
            FrameError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            FrameError::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            FrameError::FragmentedControlFrame => f.write_str("control frame with FIN clear"),
            FrameError::LengthMsbSet => f.write_str("64-bit payload length with the top bit set"),
            FrameError::NonMinimalLength => f.write_str("payload length not in its shortest form"),
            FrameError::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            FrameError::MaskedFrame => f.write_str("masked frame from a server"),
            FrameError::PayloadTooLarge { len, max } => {
                write!(f, "frame payload of {len} bytes exceeds the limit of {max}")
            }
        }
    }
}

impl std::error::Error for FrameError {}
