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
///
/// Mask keys are drawn 256 bytes (64 keys) per system call and handed out
/// 4 bytes at a time, so a client sending many small messages does not pay
/// a system call per frame; each key is still fresh OS randomness, used
/// once, that a peer cannot predict from earlier keys (RFC 6455 §5.3). The
/// batch is kept per thread (shared by the thread's connections, no lock).
/// [`fill`](RandomSource::fill) (the handshake nonce) reads the operating
/// system directly.
#[cfg(feature = "getrandom")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

/// Bytes drawn per system call for mask keys: 64 keys.
#[cfg(feature = "getrandom")]
const KEY_BATCH: usize = 256;

/// Mask keys drawn from the operating system but not yet used.
#[cfg(feature = "getrandom")]
struct KeyBatch {
    bytes: [u8; KEY_BATCH],
    /// The next unused byte of `bytes`; `KEY_BATCH` when all are used.
    next: usize,
}

#[cfg(feature = "getrandom")]
thread_local! {
    static KEYS: core::cell::RefCell<KeyBatch> =
        const { core::cell::RefCell::new(KeyBatch { bytes: [0; KEY_BATCH], next: KEY_BATCH }) };
}

#[cfg(feature = "getrandom")]
impl RandomSource for OsRandom {
    /// # Panics
    /// If the operating system cannot provide random bytes, which leaves no
    /// safe way to mask frames.
    fn fill(&mut self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("the operating system's random source failed");
    }

    /// The next key of this thread's batch, drawing a new batch when it is
    /// used up.
    ///
    /// # Panics
    /// As [`fill`](Self::fill).
    #[inline]
    fn mask_key(&mut self) -> [u8; 4] {
        KEYS.with_borrow_mut(|batch| {
            if batch.next == KEY_BATCH {
                getrandom::fill(&mut batch.bytes).expect("the operating system's random source failed");
                batch.next = 0;
            }
            let at = batch.next;
            batch.next += 4;
            [batch.bytes[at], batch.bytes[at + 1], batch.bytes[at + 2], batch.bytes[at + 3]]
        })
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
    fn os_keys_come_in_batches_and_do_not_repeat() {
        let mut rng = OsRandom;
        // Start at a batch boundary: this test's thread may have drawn keys.
        while KEYS.with_borrow(|b| b.next) != KEY_BATCH {
            rng.mask_key();
        }
        let keys: Vec<[u8; 4]> = (0..3 * KEY_BATCH / 4 + 1).map(|_| rng.mask_key()).collect();
        // Three batches and one key: the fourth batch is drawn, one key used.
        assert_eq!(KEYS.with_borrow(|b| b.next), 4);
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        // 193 random 32-bit keys: a repeat is about a 4-in-a-million event.
        assert!(distinct.len() >= keys.len() - 1, "{} distinct of {}", distinct.len(), keys.len());
        // A refill is a fresh draw, not the same bytes again.
        assert_ne!(keys[..64], keys[64..128]);
    }

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
