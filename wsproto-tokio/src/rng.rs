//! The random source of driver connections: the operating system's.

use wsproto::RandomSource;

/// Mask keys and handshake nonces from the operating system (`getrandom`),
/// read per call. The core's own `OsRandom` batches keys, but it sits
/// behind a cargo feature of the core; the driver needs the OS source
/// whatever features the core was built with.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OsRng;

impl RandomSource for OsRng {
    /// # Panics
    /// If the operating system cannot provide random bytes: frames cannot be
    /// masked safely without them (RFC 6455 §5.3).
    fn fill(&mut self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("the operating system's random source failed");
    }
}
