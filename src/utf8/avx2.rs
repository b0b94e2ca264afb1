//! The AVX2 kernel: unmasks a payload and validates it as UTF-8 in one pass,
//! each 32-byte vector XORed with the key, stored back and checked while
//! still in a register.
//!
//! The check is the lookup algorithm of Keiser and Lemire ("Validating UTF-8
//! in less than one instruction per byte", 2021), the one simdjson and
//! simdutf8 use: three 16-entry tables, indexed by the high and low nibble
//! of the previous byte and the high nibble of the current one, flag every
//! bad pair of bytes (a missing or stray continuation, overlong forms,
//! surrogates, code points past U+10FFFF); a second check flags a third or
//! fourth byte of a sequence that is not a continuation; and a sequence
//! still open at the end of the input is reported apart, so a caller that
//! feeds a stream in pieces can tell "cut off" from "invalid".
//!
//! The intrinsics need AVX2, which is checked at run time before the
//! kernel is entered, and the loads and stores stay within the slice they
//! were given. This file is one of the few places with `unsafe` code (the
//! crate denies `unsafe_code` and allows it module by module): the others
//! are the AVX-512 kernel beside it (`avx512.rs`), AVX2 masking and a
//! `set_len` in `frame/mask.rs`, the spare room of
//! `connection/input_buffer.rs`, and `str`s made from bytes already
//! validated (`text.rs`, and the connection where it hands out text). Every
//! `unsafe` block says why it is sound in a `// SAFETY:` comment
//! (`clippy::undocumented_unsafe_blocks` is denied).
//!
//! Used for payloads under 64 bytes, and for all where the CPU lacks
//! AVX-512 (`avx512.rs`). Not compiled with `--cfg wsproto_disable_simd`;
//! the portable path in `fused.rs` is then the only one.
//! `fuzz/fuzz_targets/utf8.rs` compares every path with
//! `core::str::from_utf8`.
//!
//! Written when the MSRV was 1.85, which wanted the arithmetic intrinsics
//! in `unsafe` blocks; since Rust 1.87 (and so on the MSRV, now 1.89) they
//! are safe to call in a function compiled for AVX2, and the compiler calls
//! those blocks unused. `avx512.rs`, written for 1.89, shows the newer
//! style: safe `#[target_feature]` helpers, `unsafe` only around memory.
#![allow(unused_unsafe)]

use core::arch::x86_64::{
    __m256i, _mm_loadu_si128, _mm_set1_epi32, _mm_shuffle_epi8, _mm_storeu_si128, _mm_xor_si128, _mm256_alignr_epi8,
    _mm256_and_si256, _mm256_andnot_si256, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
    _mm256_or_si256, _mm256_permute2x128_si256, _mm256_set_epi64x, _mm256_set_m128i, _mm256_set1_epi8,
    _mm256_set1_epi32, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_storeu_si256,
    _mm256_subs_epu8, _mm256_testz_si256, _mm256_xor_si256,
};

use super::Scan;

/// Unmasks `buf` in place with `key` (the key as seen from the first byte of
/// `buf`; `None`: not masked) and scans the result, if this CPU has AVX2.
/// `None` if it has not, with `buf` untouched.
#[inline]
pub(super) fn unmask_scan(buf: &mut [u8], key: Option<[u8; 4]>) -> Option<Scan> {
    // The standard library caches the detection; this is one atomic load.
    if !std::arch::is_x86_feature_detected!("avx2") {
        return None;
    }
    let (ptr, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: both kernels only require AVX2, detected just above; `ptr`
    // is valid for reads and writes of `len` bytes, read and written in place.
    Some(unsafe {
        match key {
            Some(key) => scan::<true>(ptr, len, key),
            None => scan::<false>(ptr, len, [0; 4]),
        }
    })
}

/// 64-byte blocks, then one 32-byte vector, then the last 1..32 bytes:
/// when the input has 32 bytes or more, as the last 32 bytes of it (loaded
/// up front, before any store, and checked only where they are new);
/// otherwise copied into a zero-padded vector. With `MASKED`, every vector
/// is XORed with `key` (64 and 32 are multiples of 4, so the phase only
/// moves for the last vector) and stored back: the bytes are unmasked in
/// place.
///
/// # Safety
/// The CPU must support AVX2. `buf` must be valid for reads of `len` bytes,
/// and with `MASKED` for writes of `len` bytes.
#[target_feature(enable = "avx2")]
unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    if len < 32 {
        // SAFETY: `buf` is valid for reads of `len` bytes, and for writes
        // wherever `scan_short` writes (only with `MASKED`).
        return unsafe { scan_short::<MASKED>(core::slice::from_raw_parts_mut(buf, len), key) };
    }
    // SAFETY: `_mm256_set1_epi32`, like every intrinsic in this module that
    // touches no memory, only requires AVX2, which the caller guarantees.
    let key_vector = unsafe { _mm256_set1_epi32(i32::from_ne_bytes(key)) };
    // The last 32 bytes, unmasked: byte `j` of them is byte `len - 32 + j`
    // of the input, so its key byte is `key[(len + j) % 4]`.
    let last_key = u32::from_le_bytes(key).rotate_right(8 * (len % 4) as u32);
    // SAFETY: `len >= 32`, so the 32 bytes that end at `len` are in bounds
    // of `buf`; the caller guarantees AVX2.
    let last = unsafe {
        let last = _mm256_loadu_si256(buf.add(len - 32).cast());
        if MASKED { _mm256_xor_si256(last, _mm256_set1_epi32(last_key as i32)) } else { last }
    };
    // SAFETY: `State::new` only requires AVX2, which the caller guarantees.
    let mut state = unsafe { State::new() };
    let mut at = 0;
    while len - at >= 64 {
        // SAFETY: `at + 64 <= len`, so both 32-byte halves are in bounds of
        // `buf` (which, with `MASKED`, is valid for writes: the caller's
        // contract); unaligned loads and stores are allowed; the caller
        // guarantees AVX2.
        unsafe {
            let mut a = _mm256_loadu_si256(buf.add(at).cast());
            let mut b = _mm256_loadu_si256(buf.add(at + 32).cast());
            if MASKED {
                a = _mm256_xor_si256(a, key_vector);
                b = _mm256_xor_si256(b, key_vector);
                _mm256_storeu_si256(buf.add(at).cast(), a);
                _mm256_storeu_si256(buf.add(at + 32).cast(), b);
            }
            state.check_two(a, b);
        }
        at += 64;
    }
    if len - at >= 32 {
        // SAFETY: `at + 32 <= len`, so the 32 bytes at `at` are in bounds of
        // `buf` (valid for writes with `MASKED`); the caller guarantees AVX2.
        unsafe {
            let mut a = _mm256_loadu_si256(buf.add(at).cast());
            if MASKED {
                a = _mm256_xor_si256(a, key_vector);
                _mm256_storeu_si256(buf.add(at).cast(), a);
            }
            state.check_one(a);
        }
        at += 32;
    }
    let new = len - at;
    if new > 0 {
        if MASKED {
            // SAFETY: `len >= 32`, so the 32 bytes that end at `len` are in
            // bounds of `buf`, valid for writes with `MASKED`; the caller
            // guarantees AVX2. (The bytes before the last `new` were stored
            // above with the same values as `last` holds for them.)
            unsafe { _mm256_storeu_si256(buf.add(len - 32).cast(), last) };
        }
        // SAFETY: `check_last` needs nothing but AVX2, which the caller
        // guarantees.
        unsafe { state.check_last(last, new) };
    }
    // SAFETY: `finish` only requires AVX2, which the caller guarantees.
    unsafe { state.finish() }
}

/// [`scan`] for fewer than 32 bytes, gathered into a register with a few
/// overlapping loads of fixed size and written back the same way: no call
/// to `memcpy`, no trip through the stack.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn scan_short<const MASKED: bool>(buf: &mut [u8], key: [u8; 4]) -> Scan {
    let len = buf.len();
    if len == 0 {
        return Scan::Complete;
    }
    let a = if len >= 16 {
        // SAFETY: `16 <= len < 32`, so `buf[..16]` and `buf[len - 16..]` are
        // in bounds; `SHIFT[32 - len..][..16]` is within its 32 bytes.
        unsafe {
            let ptr = buf.as_mut_ptr();
            let mut low = _mm_loadu_si128(ptr.cast());
            let mut high = _mm_loadu_si128(ptr.add(len - 16).cast());
            if MASKED {
                // Byte `k` of `high` is byte `len - 16 + k` of `buf`.
                let high_key = u32::from_le_bytes(key).rotate_right(8 * (len % 4) as u32);
                low = _mm_xor_si128(low, _mm_set1_epi32(i32::from_ne_bytes(key)));
                high = _mm_xor_si128(high, _mm_set1_epi32(high_key as i32));
                // Where the two overlap, both hold the same bytes.
                _mm_storeu_si128(ptr.cast(), low);
                _mm_storeu_si128(ptr.add(len - 16).cast(), high);
            }
            // Bytes 16.. of `buf`, from byte `32 - len` of `high`, at the
            // bottom, zeros above.
            let high = _mm_shuffle_epi8(high, _mm_loadu_si128(SHIFT.as_ptr().add(32 - len).cast()));
            _mm256_set_m128i(high, low)
        }
    } else {
        let mut bytes = load_short(buf);
        if MASKED {
            // The key in each 4 bytes, cut to the input's bytes.
            let key = u128::from(u32::from_le_bytes(key)) * 0x0000_0001_0000_0001_0000_0001_0000_0001;
            bytes ^= key & ((1 << (8 * len)) - 1);
            store_short(buf, bytes);
        }
        // SAFETY: touches no memory; AVX2 (the caller guarantees it).
        unsafe { _mm256_set_epi64x(0, 0, (bytes >> 64) as i64, bytes as i64) }
    };
    // SAFETY: `State::new` only requires AVX2, which the caller guarantees.
    let mut state = unsafe { State::new() };
    // SAFETY: `check_tail` and `real_bytes` need nothing but AVX2, which
    // the caller guarantees.
    unsafe { state.check_tail(a, real_bytes(len)) };
    // SAFETY: `finish` only requires AVX2, which the caller guarantees.
    unsafe { state.finish() }
}

/// For `_mm_shuffle_epi8`: from `SHIFT[s..]`, take byte `s + k` of the
/// source, or zero where `s + k >= 16`.
const SHIFT: [u8; 32] = counting(16, 0x80);

/// `buf` (1 to 15 bytes) as a little-endian number, zero above: two
/// overlapping reads of a fixed size, each at its place (where they
/// overlap, both hold the same bytes, so OR is right).
#[inline(always)]
fn load_short(buf: &[u8]) -> u128 {
    let len = buf.len();
    debug_assert!((1..16).contains(&len));
    if len >= 8 {
        let low = u64::from_le_bytes(buf[..8].try_into().unwrap_or_default());
        let high = u64::from_le_bytes(buf[len - 8..].try_into().unwrap_or_default());
        u128::from(low) | u128::from(high) << (8 * (len - 8))
    } else if len >= 4 {
        let low = u32::from_le_bytes(buf[..4].try_into().unwrap_or_default());
        let high = u32::from_le_bytes(buf[len - 4..].try_into().unwrap_or_default());
        u128::from(low) | u128::from(high) << (8 * (len - 4))
    } else {
        u128::from(buf[0]) | u128::from(buf[len / 2]) << (8 * (len / 2)) | u128::from(buf[len - 1]) << (8 * (len - 1))
    }
}

/// Writes the low `buf.len()` bytes (1 to 15) of `bytes` to `buf`; the
/// inverse of [`load_short`].
#[inline(always)]
fn store_short(buf: &mut [u8], bytes: u128) {
    let len = buf.len();
    if len >= 8 {
        buf[..8].copy_from_slice(&(bytes as u64).to_le_bytes());
        buf[len - 8..].copy_from_slice(&((bytes >> (8 * (len - 8))) as u64).to_le_bytes());
    } else if len >= 4 {
        buf[..4].copy_from_slice(&(bytes as u32).to_le_bytes());
        buf[len - 4..].copy_from_slice(&((bytes >> (8 * (len - 4))) as u32).to_le_bytes());
    } else {
        buf[0] = bytes as u8;
        buf[len / 2] = (bytes >> (8 * (len / 2))) as u8;
        buf[len - 1] = (bytes >> (8 * (len - 1))) as u8;
    }
}

/// A vector whose first `len` bytes (`len < 32`) are 0xFF and the rest zero.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn real_bytes(len: usize) -> __m256i {
    // SAFETY: the load reads 32 bytes of `INDEX`, which is 32 bytes long;
    // the caller guarantees AVX2.
    let index = unsafe { _mm256_loadu_si256(INDEX.as_ptr().cast()) };
    // Signed compare; `len` and every index are below 32, so positive.
    // SAFETY: touches no memory; AVX2 (the caller guarantees it).
    unsafe { _mm256_cmpgt_epi8(_mm256_set1_epi8(len as i8), index) }
}

/// 0, 1, .., 31.
const INDEX: [u8; 32] = counting(32, 0);

/// 0, 1, .., `count - 1`, then `fill` to the end.
const fn counting(count: usize, fill: u8) -> [u8; 32] {
    let mut table = [fill; 32];
    let mut i = 0;
    while i < count {
        table[i] = i as u8;
        i += 1;
    }
    table
}

/// The state carried from one vector to the next.
struct State {
    /// The vector before, for the bytes just before the current one.
    prev: __m256i,
    /// Nonzero where a sequence that the last vector opened runs past its
    /// end: an error unless the next vector continues it.
    incomplete: __m256i,
    /// Nonzero once any invalid byte was seen.
    error: __m256i,
}

impl State {
    /// # Safety
    /// The CPU must support AVX2 (so for every method below).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn new() -> State {
        // SAFETY: touches no memory; AVX2 (the caller guarantees it).
        let zero = unsafe { _mm256_setzero_si256() };
        State { prev: zero, incomplete: zero, error: zero }
    }

    /// Checks 64 bytes; the common case, with a shortcut when all are ASCII.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn check_two(&mut self, a: __m256i, b: __m256i) {
        // SAFETY: register-only intrinsics, and `errors`, `ascii` and
        // `mixed`, which need nothing but AVX2; the caller guarantees AVX2.
        unsafe {
            if _mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0 {
                self.ascii(b);
            } else {
                self.mixed(_mm256_or_si256(errors(a, self.prev), errors(b, a)), b);
            }
        }
    }

    /// Checks 32 bytes.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn check_one(&mut self, a: __m256i) {
        // SAFETY: register-only intrinsics, and `errors`, `ascii` and
        // `mixed`, which need nothing but AVX2; the caller guarantees AVX2.
        unsafe {
            if _mm256_movemask_epi8(a) == 0 {
                self.ascii(a);
            } else {
                self.mixed(errors(a, self.prev), a);
            }
        }
    }

    /// Checks the last bytes of the input, `a`, where `real` marks the bytes
    /// that are input; the rest are zero padding.
    ///
    /// The padding is ASCII, so a sequence cut off by the end of the input
    /// shows up as an error at the first padding byte (whose previous three
    /// bytes are the last three of the input): errors in the padding are
    /// exactly the "incomplete at the end" case, told apart from the rest.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn check_tail(&mut self, a: __m256i, real: __m256i) {
        // SAFETY: register-only intrinsics, and `errors` and `ascii`, which
        // need nothing but AVX2; the caller guarantees AVX2.
        unsafe {
            if _mm256_movemask_epi8(a) == 0 {
                self.ascii(a);
            } else {
                let errors = errors(a, self.prev);
                self.error = _mm256_or_si256(self.error, _mm256_and_si256(errors, real));
                self.incomplete = _mm256_andnot_si256(real, errors);
                self.prev = a;
            }
        }
    }

    /// Checks the last `new` bytes (`0 < new < 32`) of the input, which
    /// end `last`, the last 32 bytes of the input; the bytes of `last`
    /// before them were checked already, as the end of `self.prev`.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn check_last(&mut self, last: __m256i, new: usize) {
        // SAFETY: the one load reads `INDEX`, 32 bytes long; the rest are
        // register-only intrinsics and `shift`, `errors`, `ascii` and `mixed`,
        // which need nothing but AVX2; the caller guarantees AVX2.
        unsafe {
            // 0xFF on the new bytes, positions `32 - new` and up.
            let fresh = _mm256_cmpgt_epi8(_mm256_loadu_si256(INDEX.as_ptr().cast()), _mm256_set1_epi8(31 - new as i8));
            if _mm256_movemask_epi8(_mm256_and_si256(last, fresh)) == 0 {
                self.ascii(last);
                return;
            }
            // A new byte's previous three are in `last` unless it is one of
            // the first two of 30 or 31 new bytes: then they end `prev`,
            // whose first `new` bytes `last` does not hold. Shifted by 2 or
            // 1, the right ones sit at the top; below, only old bytes see
            // the wrong neighbours, and their errors are masked off.
            let context = match new {
                31 => shift::<15>(self.prev),
                30 => shift::<14>(self.prev),
                _ => self.prev,
            };
            self.mixed(_mm256_and_si256(errors(last, context), fresh), last);
        }
    }

    /// A vector `last` (the last of those checked) with non-ASCII bytes:
    /// `errors` found in what was checked count, and whatever sequence `last`
    /// leaves open must be continued by the next vector.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn mixed(&mut self, errors: __m256i, last: __m256i) {
        // SAFETY: register-only intrinsics and `incomplete`, which needs
        // nothing but AVX2; the caller guarantees AVX2.
        unsafe {
            self.error = _mm256_or_si256(self.error, errors);
            self.incomplete = incomplete(last);
        }
        self.prev = last;
    }

    /// An all-ASCII vector: a sequence the vector before left open is an
    /// error now, and nothing is open after it.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn ascii(&mut self, a: __m256i) {
        // SAFETY: register-only intrinsics; the caller guarantees AVX2.
        unsafe {
            self.error = _mm256_or_si256(self.error, self.incomplete);
            self.incomplete = _mm256_setzero_si256();
        }
        self.prev = a;
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn finish(&self) -> Scan {
        // SAFETY: register-only intrinsics; the caller guarantees AVX2.
        unsafe {
            if _mm256_testz_si256(self.error, self.error) == 0 {
                Scan::Invalid
            } else if _mm256_testz_si256(self.incomplete, self.incomplete) == 0 {
                Scan::CutOff
            } else {
                Scan::Complete
            }
        }
    }
}

// The error classes. Each table entry is the set of classes that a nibble
// allows; a pair of bytes is bad when the three sets share a class.
const TOO_SHORT: u8 = 1 << 0; // a lead byte not followed by a continuation
const TOO_LONG: u8 = 1 << 1; // ASCII followed by a continuation
const OVERLONG_3: u8 = 1 << 2; // E0 80..9F
const TOO_LARGE: u8 = 1 << 3; // F4 90..BF, or F5..FF
const SURROGATE: u8 = 1 << 4; // ED A0..BF
const OVERLONG_2: u8 = 1 << 5; // C0, C1
const TOO_LARGE_1000: u8 = 1 << 6; // F5.. 80..8F
const OVERLONG_4: u8 = 1 << 6; // F0 80..8F
const TWO_CONTS: u8 = 1 << 7; // two continuations in a row: checked below
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

/// Indexed by the high nibble of the previous byte.
pub(super) const BYTE_1_HIGH: [u8; 32] = both_lanes([
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
]);

/// Indexed by the low nibble of the previous byte.
pub(super) const BYTE_1_LOW: [u8; 32] = both_lanes([
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    CARRY | OVERLONG_2,
    CARRY,
    CARRY,
    CARRY | TOO_LARGE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
]);

/// Indexed by the high nibble of the current byte.
pub(super) const BYTE_2_HIGH: [u8; 32] = both_lanes([
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
]);

/// A 16-entry table in both 128-bit lanes, as `_mm256_shuffle_epi8` wants.
const fn both_lanes(table: [u8; 16]) -> [u8; 32] {
    let mut out = [0; 32];
    let mut i = 0;
    while i < 16 {
        out[i] = table[i];
        out[i + 16] = table[i];
        i += 1;
    }
    out
}

/// Looks every byte of `nibbles` (each below 16) up in `table`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn lookup(table: &[u8; 32], nibbles: __m256i) -> __m256i {
    // SAFETY: the load reads 32 bytes of `table`, which is 32 bytes long;
    // the caller guarantees AVX2.
    unsafe { _mm256_shuffle_epi8(_mm256_loadu_si256(table.as_ptr().cast()), nibbles) }
}

/// `input` moved up by `16 - N` bytes: byte `j` of the result is byte
/// `j - (16 - N)` of `input`; the bytes below `16 - N` are junk.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn shift<const N: i32>(input: __m256i) -> __m256i {
    // SAFETY: touches no memory; AVX2 (the caller guarantees it).
    unsafe { preceding::<N>(input, input) }
}

/// Byte `j` of the result is the byte `16 - N` before byte `j` of `input`,
/// in the stream where `prev` comes before `input`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn preceding<const N: i32>(input: __m256i, prev: __m256i) -> __m256i {
    // SAFETY: register-only intrinsics, `preceding`, and `lookup` (whose
    // one load stays within its 32-byte table): nothing but AVX2 is
    // needed, and the caller guarantees it.
    unsafe {
        // The upper half of `prev` and the lower half of `input`: shifting
        // each lane of `input` against it yields the bytes before.
        let joined = _mm256_permute2x128_si256::<0x21>(prev, input);
        _mm256_alignr_epi8::<N>(input, joined)
    }
}

/// The errors among the bytes of `input`, given the vector `prev` before it:
/// nonzero bytes where a byte is invalid after the ones before it.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn errors(input: __m256i, prev: __m256i) -> __m256i {
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    unsafe {
        let prev1 = preceding::<15>(input, prev);
        let prev2 = preceding::<14>(input, prev);
        let prev3 = preceding::<13>(input, prev);

        let low_nibble = _mm256_set1_epi8(0x0F);
        let prev1_high = _mm256_and_si256(_mm256_srli_epi16::<4>(prev1), low_nibble);
        let prev1_low = _mm256_and_si256(prev1, low_nibble);
        let input_high = _mm256_and_si256(_mm256_srli_epi16::<4>(input), low_nibble);
        let special = _mm256_and_si256(
            _mm256_and_si256(lookup(&BYTE_1_HIGH, prev1_high), lookup(&BYTE_1_LOW, prev1_low)),
            lookup(&BYTE_2_HIGH, input_high),
        );

        // Where the byte two back opens a 3- or 4-byte sequence, or the
        // byte three back a 4-byte one, this byte must be a continuation:
        // 0x80 there. The tables flag a continuation after a continuation
        // (TWO_CONTS, 0x80) everywhere; the XOR keeps the ones that are
        // wrong, and flags a missing third or fourth byte.
        // Subtracting with saturation maps 0xE0.. (two back) and 0xF0..
        // (three back) to 0x80.., and everything below under 0x80: bit 7 is
        // the answer.
        let third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((0xE0u8 - 0x80) as i8));
        let fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((0xF0u8 - 0x80) as i8));
        let must_continue = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(0x80u8 as i8));
        _mm256_xor_si256(must_continue, special)
    }
}

/// Nonzero where the last three bytes of `input` open a sequence longer
/// than the bytes left: a lead byte of 2+ bytes last, of 3+ bytes second to
/// last, of 4+ bytes third to last.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn incomplete(input: __m256i) -> __m256i {
    const MAX_OPEN: [u8; 32] = {
        let mut max = [0xFF; 32];
        max[29] = 0xF0 - 1;
        max[30] = 0xE0 - 1;
        max[31] = 0xC0 - 1;
        max
    };
    // SAFETY: the load reads 32 bytes of `MAX_OPEN`, which is 32 bytes
    // long; the caller guarantees AVX2.
    unsafe { _mm256_subs_epu8(input, _mm256_loadu_si256(MAX_OPEN.as_ptr().cast())) }
}
