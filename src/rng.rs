//! Where randomness comes from: client mask keys and the handshake nonce.
//!
//! Nothing in the crate draws random numbers by itself; it asks a
//! [`RandomSource`] the caller supplies. [`OsRandom`] (feature `getrandom`,
//! on by default) reads the operating system; tests use [`SeededRandom`] so
//! every byte on the wire is reproducible.

/// A source of random bytes.
///
/// RFC 6455 §5.3 wants mask keys that a peer cannot predict, and §4.1 a
/// random 16-byte nonce per handshake; a production client should use a
/// cryptographically strong source such as [`OsRandom`].
pub trait RandomSource {
    /// Fills `buf` with random bytes. Must not fail; a source that cannot
    /// produce randomness should abort rather than hand out predictable bytes.
    fn fill(&mut self, buf: &mut [u8]);

    /// A fresh 4-byte masking key.
    fn mask_key(&mut self) -> [u8; 4] {
        let mut key = [0u8; 4];
        self.fill(&mut key);
        key
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn fill(&mut self, buf: &mut [u8]) {
        (**self).fill(buf)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn fill(&mut self, buf: &mut [u8]) {
        (**self).fill(buf)
    }
}

/// The operating system's random source (`getrandom`).
#[cfg(feature = "getrandom")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

#[cfg(feature = "getrandom")]
impl RandomSource for OsRandom {
    /// # Panics
    /// If the operating system cannot provide random bytes, which leaves no
    /// safe way to mask frames.
    fn fill(&mut self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("the operating system's random source failed");
    }
}

/// A deterministic generator (xorshift64*) for tests and fuzzing. Predictable
/// by design: never use it to mask frames sent to an untrusted network.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator that produces the same bytes for the same seed.
    pub fn new(seed: u64) -> SeededRandom {
        // splitmix64 spreads every seed bit; a zero state would stay zero forever.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        SeededRandom { state: if z == 0 { 1 } else { z } }
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_reproducible_and_not_constant() {
        let mut a = SeededRandom::new(7);
        let mut b = SeededRandom::new(7);
        let (mut x, mut y) = ([0u8; 19], [0u8; 19]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(a.mask_key(), [0; 4]);
        for seed in 0..64u64 {
            assert_ne!(SeededRandom::new(seed).mask_key(), SeededRandom::new(seed + 1).mask_key(), "seed {seed}");
        }
    }
}
