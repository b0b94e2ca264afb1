//! permessage-deflate (RFC 7692): negotiation, and per-message compression
//! and decompression with the inflated size checked as it grows. Feature
//! `deflate` (on by default).
//!
//! A [`Connection`](crate::Connection) does all of this by itself when
//! [`Config::deflate`](crate::Config::deflate) is set (the default): a client
//! offers [`DeflateConfig::offers`] and checks the answer, a server accepts
//! the first offer it can honour and answers it, and the negotiated
//! extension shows in [`Open::extensions`](crate::Open) and
//! [`Connection::deflate`](crate::Connection::deflate). The pieces are
//! public for handshakes done elsewhere:
//!
//! - client: [`DeflateConfig::client_offers`] for the request,
//!   [`check_response`] for the answer;
//! - server: [`DeflateConfig::accept`] chooses an offer and writes the answer;
//! - both: [`DeflateParams`] is what binds the two directions;
//!   [`Compressor`] and [`Decompressor`] do the per-message work.
//!
//! # On the wire (§6, §7.2)
//! A compressed message has RSV1 set on its first frame only; its payload
//! is a raw deflate stream flushed with a sync flush, without the final
//! `00 00 ff ff`. Control frames are never compressed; RSV1 on a
//! continuation or control frame fails the connection with 1002. Data that
//! does not inflate fails it with 1007, and a message that inflates past
//! [`Config::max_message_size`](crate::Config::max_message_size) with 1009,
//! after at most that many bytes were produced.
//!
//! # Window sizes
//! Inflating always uses a 2^15-byte window, which decodes a stream made
//! with any smaller one. Compressing honours the negotiated window from 9
//! to 15 bits. The backend (zlib-rs, like zlib since 1.2.9) refuses 8 for a
//! raw stream, so a compressor limited to 8 bits sends every message
//! uncompressed instead of claiming a window it does not keep to.
//!
//! # Memory
//! Nothing is allocated when the extension is negotiated. The compressor
//! (about 371 KiB with a 2^15 window, 245 KiB with 2^9: zlib-rs at memory
//! level 8) is allocated with the first compressed message sent and kept
//! for the connection's life; the decompressor (about 46 KiB) with the
//! first compressed message received, and kept only with context takeover:
//! when the peer compresses each message on its own
//! (`client_no_context_takeover` for a server), it is freed after each
//! message. A server that wants idle connections small answers
//! `client_no_context_takeover` and a small `server_max_window_bits`.
//!
//! ```
//! use wsproto::deflate::{Compressor, Decompressor};
//!
//! // RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00.
//! let mut compressor = Compressor::new(6, 15, false);
//! let mut wire = Vec::new();
//! compressor.compress(b"Hello", true, &mut wire)?;
//! assert_eq!(wire, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
//!
//! let mut decompressor = Decompressor::new(false);
//! let mut message = Vec::with_capacity(64); // inflates at most 64 bytes
//! let step = decompressor.inflate(&wire, true, &mut message)?;
//! assert!(step.done);
//! assert_eq!(message, b"Hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod params;

pub use codec::{CompressError, Compressor, Decompressor, InflateError, Inflated, MIN_COMPRESS_WINDOW_BITS, TAIL};
pub use params::{
    Agreement, DeflateConfig, DeflateOffer, DeflateParams, EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS,
    NegotiationError, check_response,
};

use crate::role::Role;

/// The extension as a connection runs it: our compressor, and the settings.
/// The decompressor lives with the receiver.
#[derive(Debug)]
pub(crate) struct Deflate {
    pub(crate) params: DeflateParams,
    pub(crate) compressor: Compressor,
    pub(crate) min_compress_size: usize,
    /// The fragmented message being sent is compressed.
    pub(crate) sending_compressed: bool,
}

impl Deflate {
    /// The state for an endpoint of `role` once `params` are negotiated,
    /// and the decompressor for the receiver.
    pub(crate) fn new(role: Role, params: DeflateParams, config: &DeflateConfig) -> (Deflate, Decompressor) {
        let (own_bits, own_reset, peer_reset) = match role {
            Role::Client => {
                (params.client_max_window_bits, params.client_no_context_takeover, params.server_no_context_takeover)
            }
            Role::Server => {
                (params.server_max_window_bits, params.server_no_context_takeover, params.client_no_context_takeover)
            }
        };
        let deflate = Deflate {
            params,
            compressor: Compressor::new(config.level, own_bits, own_reset),
            min_compress_size: config.min_compress_size,
            sending_compressed: false,
        };
        (deflate, Decompressor::new(peer_reset))
    }

    /// Whether a whole message of `len` bytes goes out compressed.
    pub(crate) fn compresses(&self, len: usize) -> bool {
        self.compressor.can_compress() && len >= self.min_compress_size
    }
}
