//! The random source of driver connections.

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use wsproto::RandomSource;

/// Mask keys and handshake nonces from a cryptographically secure generator
/// of the connection's own (rand's `StdRng`, ChaCha12), seeded from rand's
/// thread generator, itself seeded from the operating system: the core's
/// `SecureRandom`, which sits behind a cargo feature of the core; the
/// driver needs it whatever features the core was built with.
#[derive(Debug, Clone)]
pub(crate) struct SecureRng(StdRng);

impl SecureRng {
    /// # Panics
    /// If the operating system cannot seed the generator: frames cannot be
    /// masked safely without it (RFC 6455 §5.3).
    pub(crate) fn new() -> SecureRng {
        SecureRng(StdRng::from_rng(&mut rand::rng()))
    }
}

impl RandomSource for SecureRng {
    fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill_bytes(buf);
    }

    #[inline]
    fn mask_key(&mut self) -> [u8; 4] {
        self.0.next_u32().to_ne_bytes()
    }
}

/// For server connections, which never mask what they send: rand's thread
/// generator, drawn from per call. Zero-sized, so a server connection holds
/// no generator state of its own.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ThreadRng;

impl RandomSource for ThreadRng {
    fn fill(&mut self, buf: &mut [u8]) {
        rand::rng().fill_bytes(buf);
    }
}
