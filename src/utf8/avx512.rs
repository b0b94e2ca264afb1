//! The AVX-512 kernel: the algorithm of `avx2.rs` (Keiser and Lemire's
//! lookup, see there) on 64-byte vectors, each XORed with the key, stored
//! back and checked while still in a register.
//!
//! 128-byte blocks (two vectors, with one ASCII shortcut for both), then
//! one vector, then the last 1..63 bytes with a masked load and a masked
//! store: the bytes past the end are neither read nor written, and come in
//! as zeros. Zeros are ASCII, so a sequence cut off by the end shows up as
//! errors in the padding, told apart from the errors in the input ("cut
//! off" versus "invalid", as `check_tail` of the AVX2 kernel does).
//!
//! Needs AVX512BW (with AVX512F, which it implies), checked at run time
//! before the kernel is entered. The helpers are safe functions compiled
//! for AVX512BW: calling them from the kernel, compiled for the same
//! features, needs no `unsafe`; only the loads and stores do, each with a
//! `// SAFETY:` comment on its bounds.
//!
//! Not compiled with `--cfg wsproto_disable_simd`; `fused.rs` dispatches,
//! and its tests and `fuzz/fuzz_targets/utf8.rs` check this kernel against
//! `core::str::from_utf8` on every length.

use core::arch::x86_64::{
    __m512i, __mmask64, _mm512_alignr_epi8, _mm512_alignr_epi32, _mm512_and_si512, _mm512_loadu_si512,
    _mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8, _mm512_maskz_mov_epi8, _mm512_movepi8_mask, _mm512_or_si512,
    _mm512_set1_epi8, _mm512_set1_epi32, _mm512_setzero_si512, _mm512_shuffle_epi8, _mm512_srli_epi16,
    _mm512_storeu_si512, _mm512_subs_epu8, _mm512_ternarylogic_epi32, _mm512_test_epi64_mask, _mm512_xor_si512,
};

use super::Scan;
use super::avx2::{BYTE_1_HIGH, BYTE_1_LOW, BYTE_2_HIGH};

/// Unmasks `buf` in place with `key` (the key as seen from the first byte of
/// `buf`; `None`: not masked) and scans the result, if this CPU has
/// AVX512BW. `None` if it has not, with `buf` untouched. Any length.
#[inline]
pub(super) fn unmask_scan(buf: &mut [u8], key: Option<[u8; 4]>) -> Option<Scan> {
    // The standard library caches the detection (which includes the OS's
    // support for the 512-bit state); one atomic load for both.
    if !(std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw")) {
        return None;
    }
    let (ptr, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: both kernels only require AVX512BW (and AVX512F), detected
    // just above; `ptr` is valid for reads and writes of `len` bytes, read
    // and written in place.
    Some(unsafe {
        match key {
            Some(key) => scan::<true>(ptr, len, key),
            None => scan::<false>(ptr, len, [0; 4]),
        }
    })
}

/// 128-byte blocks, then one 64-byte vector, then the last 1..63 bytes
/// through a byte mask. With `MASKED`, every vector is XORed with `key`
/// (128 and 64 are multiples of 4: the phase never moves) and stored back:
/// the bytes are unmasked in place.
///
/// # Safety
/// The CPU must support AVX512BW. `buf` must be valid for reads of `len`
/// bytes, and with `MASKED` for writes of `len` bytes.
#[target_feature(enable = "avx512bw")]
unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    let key_vector = _mm512_set1_epi32(i32::from_ne_bytes(key));
    let mut state = State::new();
    let mut at = 0;
    while len - at >= 128 {
        // SAFETY: `at + 128 <= len`, so both 64-byte halves are in bounds of
        // `buf` (which, with `MASKED`, is valid for writes: the caller's
        // contract); unaligned loads and stores are allowed.
        let (a, b) = unsafe {
            let mut a = _mm512_loadu_si512(buf.add(at).cast());
            let mut b = _mm512_loadu_si512(buf.add(at + 64).cast());
            if MASKED {
                a = _mm512_xor_si512(a, key_vector);
                b = _mm512_xor_si512(b, key_vector);
                _mm512_storeu_si512(buf.add(at).cast(), a);
                _mm512_storeu_si512(buf.add(at + 64).cast(), b);
            }
            (a, b)
        };
        state.check_two(a, b);
        at += 128;
    }
    if len - at >= 64 {
        // SAFETY: `at + 64 <= len`, so the 64 bytes at `at` are in bounds of
        // `buf` (valid for writes with `MASKED`).
        let a = unsafe {
            let mut a = _mm512_loadu_si512(buf.add(at).cast());
            if MASKED {
                a = _mm512_xor_si512(a, key_vector);
                _mm512_storeu_si512(buf.add(at).cast(), a);
            }
            a
        };
        state.check_one(a);
        at += 64;
    }
    let new = len - at;
    if new > 0 {
        // The low `new` bits (`new < 64`): the bytes left.
        let real: __mmask64 = (1 << new) - 1;
        // SAFETY: the mask covers bytes `at..len` of `buf` and no other;
        // masked-off bytes are neither read nor written (and raise no fault).
        // With `MASKED`, `buf` is valid for writes.
        let a = unsafe {
            let mut a = _mm512_maskz_loadu_epi8(real, buf.add(at).cast());
            if MASKED {
                // The padding stays zero: the key only on the real bytes.
                a = _mm512_xor_si512(a, _mm512_maskz_mov_epi8(real, key_vector));
                _mm512_mask_storeu_epi8(buf.add(at).cast(), real, a);
            }
            a
        };
        state.check_tail(a, real);
    }
    state.finish()
}

/// The state carried from one vector to the next.
struct State {
    /// The vector before, for the bytes just before the current one.
    prev: __m512i,
    /// Nonzero where a sequence that the last vector opened runs past its
    /// end: an error unless the next vector continues it.
    incomplete: __m512i,
    /// Nonzero once any invalid byte was seen.
    error: __m512i,
}

impl State {
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn new() -> State {
        let zero = _mm512_setzero_si512();
        State { prev: zero, incomplete: zero, error: zero }
    }

    /// Checks 128 bytes, `a` then `b`; with a shortcut when all are ASCII.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn check_two(&mut self, a: __m512i, b: __m512i) {
        if _mm512_movepi8_mask(_mm512_or_si512(a, b)) == 0 {
            self.ascii(b);
        } else {
            // error |= errors(a) | errors(b): 0xFE is "any of the three".
            self.error = _mm512_ternarylogic_epi32::<0xFE>(self.error, errors(a, self.prev), errors(b, a));
            self.open(b);
        }
    }

    /// Checks 64 bytes.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn check_one(&mut self, a: __m512i) {
        if _mm512_movepi8_mask(a) == 0 {
            self.ascii(a);
        } else {
            self.error = _mm512_or_si512(self.error, errors(a, self.prev));
            self.open(a);
        }
    }

    /// Checks the last bytes of the input, `a`, where the bits of `real`
    /// mark the bytes that are input; the rest are zero padding, and at
    /// least one byte is padding.
    ///
    /// The padding is ASCII, so a sequence cut off by the end of the input
    /// shows up as an error at the first padding byte (whose previous three
    /// bytes are the last three of the input): errors in the padding are
    /// exactly the "incomplete at the end" case, told apart from the rest.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn check_tail(&mut self, a: __m512i, real: __mmask64) {
        if _mm512_movepi8_mask(a) == 0 {
            self.ascii(a);
        } else {
            let errors = errors(a, self.prev);
            self.error = _mm512_or_si512(self.error, _mm512_maskz_mov_epi8(real, errors));
            self.incomplete = _mm512_maskz_mov_epi8(!real, errors);
            self.prev = a;
        }
    }

    /// After a vector `last` with non-ASCII bytes (its errors counted):
    /// whatever sequence `last` leaves open must be continued by the next.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn open(&mut self, last: __m512i) {
        self.incomplete = incomplete(last);
        self.prev = last;
    }

    /// An all-ASCII vector: a sequence the vector before left open is an
    /// error now, and nothing is open after it.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn ascii(&mut self, a: __m512i) {
        self.error = _mm512_or_si512(self.error, self.incomplete);
        self.incomplete = _mm512_setzero_si512();
        self.prev = a;
    }

    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn finish(&self) -> Scan {
        if _mm512_test_epi64_mask(self.error, self.error) != 0 {
            Scan::Invalid
        } else if _mm512_test_epi64_mask(self.incomplete, self.incomplete) != 0 {
            Scan::CutOff
        } else {
            Scan::Complete
        }
    }
}

/// A 16-entry table (as the AVX2 kernel holds it, in both of its lanes) in
/// all four 128-bit lanes, as `_mm512_shuffle_epi8` wants.
const fn four_lanes(table: &[u8; 32]) -> [u8; 64] {
    let mut out = [0; 64];
    let mut i = 0;
    while i < 64 {
        out[i] = table[i % 16];
        i += 1;
    }
    out
}

/// Looks every byte of `nibbles` (each below 16) up in `table`.
#[target_feature(enable = "avx512bw")]
#[inline]
fn lookup(table: &[u8; 64], nibbles: __m512i) -> __m512i {
    // SAFETY: the load reads 64 bytes of `table`, which is 64 bytes long.
    _mm512_shuffle_epi8(unsafe { _mm512_loadu_si512(table.as_ptr().cast()) }, nibbles)
}

/// The errors among the bytes of `input`, given the vector `prev` before it:
/// nonzero bytes where a byte is invalid after the ones before it. The
/// same computation as `errors` in `avx2.rs`, whose comments explain it.
#[target_feature(enable = "avx512bw")]
#[inline]
fn errors(input: __m512i, prev: __m512i) -> __m512i {
    const BYTE_1_HIGH_4: [u8; 64] = four_lanes(&BYTE_1_HIGH);
    const BYTE_1_LOW_4: [u8; 64] = four_lanes(&BYTE_1_LOW);
    const BYTE_2_HIGH_4: [u8; 64] = four_lanes(&BYTE_2_HIGH);

    // Each 128-bit lane of `joined` is the lane before it in the stream:
    // the top lane of `prev`, then the three low lanes of `input`. Shifting
    // each lane of `input` against it yields the bytes before.
    let joined = _mm512_alignr_epi32::<12>(input, prev);
    let prev1 = _mm512_alignr_epi8::<15>(input, joined);
    let prev2 = _mm512_alignr_epi8::<14>(input, joined);
    let prev3 = _mm512_alignr_epi8::<13>(input, joined);

    let low_nibble = _mm512_set1_epi8(0x0F);
    let prev1_high = _mm512_and_si512(_mm512_srli_epi16::<4>(prev1), low_nibble);
    let prev1_low = _mm512_and_si512(prev1, low_nibble);
    let input_high = _mm512_and_si512(_mm512_srli_epi16::<4>(input), low_nibble);
    // The AND of the three lookups (0x80: "all three").
    let special = _mm512_ternarylogic_epi32::<0x80>(
        lookup(&BYTE_1_HIGH_4, prev1_high),
        lookup(&BYTE_1_LOW_4, prev1_low),
        lookup(&BYTE_2_HIGH_4, input_high),
    );

    // Bit 7 set where this byte must be a continuation (a 3- or 4-byte lead
    // two back, a 4-byte lead three back).
    let third = _mm512_subs_epu8(prev2, _mm512_set1_epi8((0xE0u8 - 0x80) as i8));
    let fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8((0xF0u8 - 0x80) as i8));
    // special ^ ((third | fourth) & 0x80): 0x78 is "A ^ (B & C)".
    _mm512_ternarylogic_epi32::<0x78>(special, _mm512_or_si512(third, fourth), _mm512_set1_epi8(0x80u8 as i8))
}

/// Nonzero where the last three bytes of `input` open a sequence longer
/// than the bytes left: a lead byte of 2+ bytes last, of 3+ bytes second to
/// last, of 4+ bytes third to last.
#[target_feature(enable = "avx512bw")]
#[inline]
fn incomplete(input: __m512i) -> __m512i {
    const MAX_OPEN: [u8; 64] = {
        let mut max = [0xFF; 64];
        max[61] = 0xF0 - 1;
        max[62] = 0xE0 - 1;
        max[63] = 0xC0 - 1;
        max
    };
    // SAFETY: the load reads 64 bytes of `MAX_OPEN`, which is 64 bytes long.
    _mm512_subs_epu8(input, unsafe { _mm512_loadu_si512(MAX_OPEN.as_ptr().cast()) })
}
