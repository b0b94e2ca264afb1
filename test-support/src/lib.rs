//! What wsproto's tests, fuzz targets and benches share. Not published.
//!
//! - [`frames`]: frame builders and a frame parser written apart from the
//!   crate's frame layer, so a test never checks the crate against itself.
//! - [`handshake`]: handshake fixtures, header heads, a fixed nonce, and a
//!   check that a parser agrees with itself under every split of its input.
//! - [`pair`]: a client and a server connection back to back on a virtual
//!   clock, and open connections with fixed random sources.
//! - [`alloc`]: a global allocator that counts the allocations and live
//!   bytes of the current thread, for the memory tests and benches.
//! - [`input`]: a reader over a fuzzer's input.
//! - [`noise`]: reproducible pseudo-random bytes.

pub mod alloc;
pub mod frames;
pub mod handshake;
pub mod input;
pub mod noise;
pub mod pair;
