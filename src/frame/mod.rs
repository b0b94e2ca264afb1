//! The frame layer (RFC 6455 §5): header decode and encode, opcode and
//! reserved-bit rules, masking. Usable on its own; knows nothing of messages,
//! the handshake or time.
//!
//! ```
//! use bytes::BytesMut;
//! use wsproto::frame::{encode_frame, Decoded, FrameDecoder, FrameError, FrameHeader, FrameRules, OpCode};
//! use wsproto::Role;
//!
//! // A client sends a masked "Hello" (RFC 6455 §5.7).
//! let header = FrameHeader {
//!     fin: true,
//!     rsv: 0,
//!     opcode: OpCode::Text,
//!     mask: Some([0x37, 0xfa, 0x21, 0x3d]),
//!     payload_len: 5,
//! };
//! let mut wire = BytesMut::new();
//! encode_frame(&header, b"Hello", &mut wire);
//! assert_eq!(&wire[..], b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
//!
//! // A server decodes it, here from two reads: running out of input is
//! // not an error.
//! let decoder = FrameDecoder::new(FrameRules::for_receiver(Role::Server));
//! let mut input = BytesMut::from(&wire[..4]);
//! assert_eq!(decoder.decode(&mut input), Ok(Decoded::Incomplete { needed: 2 }));
//! input.extend_from_slice(&wire[4..]);
//! let Decoded::Complete(frame) = decoder.decode(&mut input)? else { unreachable!() };
//! assert_eq!(frame.header.opcode, OpCode::Text);
//! assert_eq!(&frame.payload[..], b"Hello"); // unmasked in place, no copy
//!
//! // A client must mask its frames: an unmasked one is refused, with the
//! // close code to send.
//! let mut bad = BytesMut::from(&b"\x81\x05Hello"[..]);
//! let error = decoder.decode(&mut bad).unwrap_err();
//! assert_eq!(error, FrameError::UnmaskedFrame);
//! assert_eq!(error.close_code().0, 1002);
//! # Ok::<(), wsproto::frame::FrameError>(())
//! ```

mod codec;
mod error;
mod header;
#[allow(unsafe_code)] // Runtime-selected AVX2 and AVX-512 masking; see the SAFETY comments there.
mod mask;
mod opcode;

pub use codec::{Frame, FrameDecoder, encode_frame};
pub use error::FrameError;
pub(crate) use header::PackedHeader;
pub use header::{
    DEFAULT_MAX_FRAME_PAYLOAD, Decoded, EncodedHeader, FrameHeader, FrameRules, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
    RSV1, RSV2, RSV3,
};
pub(crate) use mask::rotate_key;
pub use mask::{apply_mask, extend_masked};
pub use opcode::OpCode;
