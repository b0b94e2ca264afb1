//! Where randomness comes from: client mask keys and the handshake nonce.
//!
//! Nothing in the crate draws random numbers by itself; it asks a
//! [`RandomSource`] the caller supplies. [`SecureRandom`] (feature `getrandom`,
//! on by default) is a cryptographically secure generator seeded from the
//! operating system; tests use [`PredictableRandom`] so every byte on the
//! wire is reproducible.

/// A source of random bytes.
///
/// RFC 6455 §5.3 wants mask keys that a peer cannot predict, and §4.1 a
/// random 16-byte nonce per handshake; a production client should use a
/// cryptographically strong source such as [`SecureRandom`].
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

/// The default source: a cryptographically secure generator of its own
/// (rand's `StdRng`, ChaCha12), seeded from this thread's generator, which
/// is itself seeded, and reseeded, from the operating system.
///
/// RFC 6455 §10.3 asks for mask keys a peer cannot predict, from a strong
/// source; §4.1 a random nonce per handshake. This gives both without a
/// system call or a shared lookup per key: a key costs a few nanoseconds.
/// Each value is an independent stream (about 330 bytes of state, boxed in
/// the client connection that owns it; servers never mask, so a server
/// connection holds none).
///
/// A process that forks must not keep sending from a connection that both
/// the parent and the child use: both copies would draw the same keys.
#[cfg(feature = "getrandom")]
#[derive(Debug, Clone)]
pub struct SecureRandom(rand::rngs::StdRng);

#[cfg(feature = "getrandom")]
impl SecureRandom {
    /// A fresh generator, seeded from this thread's generator.
    ///
    /// # Panics
    /// If the operating system cannot seed the thread's generator, which
    /// leaves no safe way to mask frames.
    pub fn new() -> SecureRandom {
        SecureRandom(rand::SeedableRng::from_rng(&mut rand::rng()))
    }
}

#[cfg(feature = "getrandom")]
impl Default for SecureRandom {
    fn default() -> Self {
        SecureRandom::new()
    }
}

#[cfg(feature = "getrandom")]
impl RandomSource for SecureRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut self.0, buf);
    }

    #[inline]
    fn mask_key(&mut self) -> [u8; 4] {
        rand::RngCore::next_u32(&mut self.0).to_ne_bytes()
    }
}

/// A deterministic generator (xorshift64*) for tests and fuzzing. Predictable
/// by design: never use it to mask frames sent to an untrusted network.
#[derive(Debug, Clone)]
pub struct PredictableRandom {
    state: u64,
}

impl PredictableRandom {
    /// A generator that produces the same bytes for the same seed.
    pub fn new(seed: u64) -> PredictableRandom {
        // splitmix64 spreads every seed bit; a zero state would stay zero forever.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        PredictableRandom { state: if z == 0 { 1 } else { z } }
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

impl RandomSource for PredictableRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// The same key `fill` would give, without the loop.
    #[inline]
    fn mask_key(&mut self) -> [u8; 4] {
        let word = self.next_u64().to_le_bytes();
        [word[0], word[1], word[2], word[3]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "getrandom")]
    #[test]
    fn secure_keys_do_not_repeat_and_streams_differ() {
        let mut rng = SecureRandom::new();
        let keys: Vec<[u8; 4]> = (0..20_000).map(|_| rng.mask_key()).collect();
        // 20,000 random 32-bit keys: about 0.05 repeats expected; more than
        // two would mean a broken generator.
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        assert!(distinct.len() >= keys.len() - 2, "{} distinct of {}", distinct.len(), keys.len());
        // Two generators, in this thread and another, are independent streams.
        let other: Vec<[u8; 4]> = std::thread::spawn(|| {
            let mut rng = SecureRandom::new();
            (0..64).map(|_| rng.mask_key()).collect()
        })
        .join()
        .expect("thread");
        let mut second = SecureRandom::new();
        let here: Vec<[u8; 4]> = (0..64).map(|_| second.mask_key()).collect();
        let mine: Vec<[u8; 4]> = (0..64).map(|_| rng.mask_key()).collect();
        assert_ne!(mine, other, "two threads drew the same keys");
        assert_ne!(mine, here, "two generators drew the same keys");
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        rng.fill(&mut a);
        rng.fill(&mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn seeded_is_reproducible_and_not_constant() {
        let mut a = PredictableRandom::new(7);
        let mut b = PredictableRandom::new(7);
        let (mut x, mut y) = ([0u8; 19], [0u8; 19]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(a.mask_key(), [0; 4]);
        for seed in 0..64u64 {
            assert_ne!(
                PredictableRandom::new(seed).mask_key(),
                PredictableRandom::new(seed + 1).mask_key(),
                "seed {seed}"
            );
        }
    }
}
