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
//! Each direction's inflater uses the window the peer agreed to compress
//! with (at least 2^9 bytes), and refuses a back reference past it (1007).
//! Compressing honours the negotiated window from 9 to 15 bits. The backend
//! (C zlib since 1.2.9) refuses 8 for a raw stream, so a compressor limited
//! to 8 bits sends every message uncompressed instead of claiming a window
//! it does not keep to.
//!
//! # Memory
//! The backend is C zlib (built from source by `libz-sys`, nothing to
//! install), chosen because it honours the memory level: zlib-rs and
//! zlib-ng keep a 128 KiB hash table whatever the settings. Its states are
//! allocated through Rust's global allocator.
//!
//! Nothing is allocated when the extension is negotiated. The compressor is
//! allocated with the first compressed message sent and holds about
//! `2^(window_bits + 2) + 2^(mem_level + 9) + 6 KiB`; the decompressor with
//! the first compressed message received, about `2^window_bits + 7 KiB`.
//! With context takeover each is kept for the connection's life; without
//! it (`server_no_context_takeover` for our compressor as a server,
//! `client_no_context_takeover` for our decompressor), it is freed when its
//! message is done, so an idle connection holds none. With
//! [`DeflateConfig::shared_compressor`] a server's connections hold no
//! compressor at all: one per thread serves them all.
//!
//! Measured per server connection (`cargo run --release -p wsproto-benches
//! --example deflate_settings`): 1,000 connections through a real
//! handshake, each after one ~1 KiB chat message each way, everything they
//! hold (connection values and buffers included) counted by an allocator
//! that tracks live bytes; "idle" after
//! [`Connection::release_idle_buffers`](crate::Connection::release_idle_buffers).
//! The window is the same both ways. Ratio: compressed bytes over bytes for
//! `benches/data/chat_corpus.jsonl` (2,000 JSON chat events of
//! 50 B–1.3 KiB, 540 KB) sent in order on one connection.
//!
#![doc = include_str!("settings_table.md")]
//!
//! The default (12-bit windows and memory level 5, as Python websockets,
//! level 7, context takeover) sends 229,174 bytes for the corpus's 539,672;
//! Python websockets' defaults (the same with zlib's level 6) send 229,412
//! (CPython's zlib; 229,417 with ours at level 6), so level 7 is the lowest
//! that is no worse, and it needs no more memory: 61 KB per active
//! connection. Memory level 4 saves 8 KiB for a few bytes more on the whole
//! corpus; 13-bit windows compress to 0.389 but pass 64 KiB. Without context
//! takeover, compression falls to 0.77 but an idle connection holds nothing
//! of deflate.
//!
//! ```
//! use wsproto::deflate::{Compressor, CompressorOptions, Decompressor, DecompressorOptions};
//!
//! // RFC 7692 §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00.
//! let mut compressor = Compressor::new(CompressorOptions::new());
//! let mut wire = Vec::new();
//! compressor.compress(b"Hello", true, &mut wire)?;
//! assert_eq!(wire, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
//!
//! let mut decompressor = Decompressor::new(DecompressorOptions::new());
//! let mut message = Vec::with_capacity(64); // inflates at most 64 bytes
//! let step = decompressor.inflate(&wire, true, &mut message)?;
//! assert!(step.done);
//! assert_eq!(message, b"Hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod params;
#[allow(unsafe_code)] // The FFI to C zlib; see the SAFETY comments there.
mod zlib;

pub use codec::{
    CompressError, Compressor, CompressorOptions, Decompressor, DecompressorOptions, InflateError, Inflated,
    MIN_COMPRESS_WINDOW_BITS, TAIL,
};
pub use params::{
    Agreement, DEFAULT_LEVEL, DEFAULT_MEM_LEVEL, DEFAULT_WINDOW_BITS, DeflateConfig, DeflateOffer, DeflateParams,
    EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS, NegotiationError, check_response,
};

use crate::role::Role;

/// The extension as a connection runs it: our compressor, and the settings.
/// The decompressor lives with the receiver.
#[derive(Debug)]
pub(crate) struct Deflate {
    pub(crate) params: DeflateParams,
    pub(crate) compressor: Compressor,
    /// The largest window our side agreed to compress with.
    pub(crate) own_max_window_bits: u8,
    pub(crate) min_compress_size: usize,
    /// The fragmented message being sent is compressed.
    pub(crate) sending_compressed: bool,
}

impl Deflate {
    /// The state for an endpoint of `role` once `params` are negotiated,
    /// and the decompressor for the receiver.
    pub(crate) fn new(role: Role, params: DeflateParams, config: &DeflateConfig) -> (Deflate, Decompressor) {
        let (own_bits, own_reset, peer_bits, peer_reset, own_cap) = match role {
            Role::Client => (
                params.client_max_window_bits,
                params.client_no_context_takeover,
                params.server_max_window_bits,
                params.server_no_context_takeover,
                config.client_max_window_bits,
            ),
            Role::Server => (
                params.server_max_window_bits,
                params.server_no_context_takeover,
                params.client_max_window_bits,
                params.client_no_context_takeover,
                config.server_max_window_bits,
            ),
        };
        // A compressor may always use a smaller window than it is allowed.
        let options = CompressorOptions::new()
            .level(config.level)
            .mem_level(config.mem_level)
            .window_bits(own_bits.min(own_cap.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)))
            .no_context_takeover(own_reset)
            .shared(config.shared_compressor);
        let deflate = Deflate {
            params,
            compressor: Compressor::new(options),
            own_max_window_bits: own_bits,
            min_compress_size: config.min_compress_size,
            sending_compressed: false,
        };
        (deflate, Decompressor::new(DecompressorOptions::new().window_bits(peer_bits).no_context_takeover(peer_reset)))
    }

    /// Whether a whole message of `len` bytes goes out compressed.
    pub(crate) fn compresses(&self, len: usize) -> bool {
        self.compressor.can_compress() && len >= self.min_compress_size
    }
}
