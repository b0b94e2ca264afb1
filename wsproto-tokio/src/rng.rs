//! The random source of driver connections.

use wsproto::RandomSource;

/// Mask keys and handshake nonces from rand's thread generator (ChaCha12,
/// seeded and reseeded from the operating system): the same source as the
/// core's `ThreadRandom`, which sits behind a cargo feature of the core; the
/// driver needs it whatever features the core was built with.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ThreadRng;

impl RandomSource for ThreadRng {
    /// # Panics
    /// If the operating system cannot seed the generator: frames cannot be
    /// masked safely without it (RFC 6455 §5.3).
    fn fill(&mut self, buf: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut rand::rng(), buf);
    }

    #[inline]
    fn mask_key(&mut self) -> [u8; 4] {
        rand::RngCore::next_u32(&mut rand::rng()).to_ne_bytes()
    }
}
