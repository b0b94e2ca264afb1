//! The AVX2 kernel: unmasks a payload and validates it as UTF-8 in one pass,
//! each 32-byte vector XORed with the key, stored back and checked while
//! still in a register. The check is the one of `simd.rs`, on 32-byte
//! vectors ([`Avx2`]); this file ends the input its own way: the last
//! 1..31 bytes as the last 32 bytes of the input (loaded before any store,
//! checked only where they are new), and an input under 32 bytes gathered
//! into a zero-padded vector.
//!
//! The intrinsics need AVX2, which is checked at run time before the
//! kernel is entered, and the loads and stores stay within the slice they
//! were given. This file is one of the few places with `unsafe` code (the
//! crate denies `unsafe_code` and allows it module by module): the others
//! are `simd.rs` and the AVX-512 kernel (`avx512.rs`) beside it, AVX2
//! masking and a `set_len` in `frame/mask.rs`, the spare room of
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

use core::arch::x86_64::{
    __m256i, _mm_loadu_si128, _mm_set1_epi32, _mm_shuffle_epi8, _mm_storeu_si128, _mm_xor_si128, _mm256_alignr_epi8,
    _mm256_and_si256, _mm256_andnot_si256, _mm256_broadcastsi128_si256, _mm256_cmpgt_epi8, _mm256_loadu_si256,
    _mm256_movemask_epi8, _mm256_or_si256, _mm256_permute2x128_si256, _mm256_set_epi64x, _mm256_set_m128i,
    _mm256_set1_epi8, _mm256_set1_epi32, _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_storeu_si256, _mm256_subs_epu8,
    _mm256_testz_si256, _mm256_xor_si256,
};

use super::Scan;
use super::simd::{Kernel, State, Vector, errors, same_at_every_width, scan_blocks};

/// 32 bytes, in an AVX2 register.
#[derive(Clone, Copy)]
pub(super) struct Avx2(__m256i);

impl Kernel for Avx2 {
    #[inline]
    fn detected() -> bool {
        // The standard library caches the detection; this is one atomic load.
        std::arch::is_x86_feature_detected!("avx2")
    }

    #[inline]
    unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
        // SAFETY: the caller's contract is `scan`'s.
        unsafe { scan::<MASKED>(buf, len, key) }
    }
}

/// The whole vectors (`simd::scan_blocks`), then the last 1..31 bytes: when
/// the input has 32 bytes or more, as the last 32 bytes of it (loaded up
/// front, before any store, and checked only where they are new);
/// otherwise gathered into a zero-padded vector (`scan_short`). With
/// `MASKED` the bytes are unmasked in place.
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
    // The last 32 bytes, unmasked: byte `j` of them is byte `len - 32 + j`
    // of the input, so its key byte is `key[(len + j) % 4]`.
    let last_key = u32::from_le_bytes(key).rotate_right(8 * (len % 4) as u32);
    // SAFETY: `len >= 32`, so the 32 bytes that end at `len` are in bounds
    // of `buf`.
    let last = unsafe { _mm256_loadu_si256(buf.add(len - 32).cast()) };
    let last = if MASKED { _mm256_xor_si256(last, _mm256_set1_epi32(last_key as i32)) } else { last };
    // SAFETY: this function is compiled for AVX2, which the caller
    // guarantees the CPU has; `scan_blocks` reads (and with `MASKED`
    // writes) within the `len` bytes of `buf` that the caller vouches for.
    let (mut state, at) = unsafe { scan_blocks::<Avx2, MASKED>(buf, len, key) };
    let new = len - at;
    if new > 0 {
        if MASKED {
            // SAFETY: `len >= 32`, so the 32 bytes that end at `len` are in
            // bounds of `buf`, valid for writes with `MASKED`. (The bytes
            // before the last `new` were stored by `scan_blocks` with the
            // same values as `last` holds for them.)
            unsafe { _mm256_storeu_si256(buf.add(len - 32).cast(), last) };
        }
        check_last(&mut state, last, new);
    }
    state.finish()
}

/// [`scan`] for fewer than 32 bytes, gathered into a register with a few
/// overlapping loads of fixed size and written back the same way: no call
/// to `memcpy`, no trip through the stack.
#[target_feature(enable = "avx2")]
#[inline]
fn scan_short<const MASKED: bool>(buf: &mut [u8], key: [u8; 4]) -> Scan {
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
        _mm256_set_epi64x(0, 0, (bytes >> 64) as i64, bytes as i64)
    };
    // SAFETY: this function is compiled for AVX2, which its callers (the
    // kernel) have.
    let mut state = unsafe { State::new() };
    state.check_tail(Avx2(a), real_bytes(len));
    state.finish()
}

/// Checks the last `new` bytes (`0 < new < 32`) of the input, which end
/// `last`, the last 32 bytes of the input; the bytes of `last` before them
/// were checked already, as the end of `state.prev`.
#[target_feature(enable = "avx2")]
#[inline]
fn check_last(state: &mut State<Avx2>, last: __m256i, new: usize) {
    // SAFETY: the load reads `INDEX`, 32 bytes long.
    let index = unsafe { _mm256_loadu_si256(INDEX.as_ptr().cast()) };
    // 0xFF on the new bytes, positions `32 - new` and up.
    let fresh = _mm256_cmpgt_epi8(index, _mm256_set1_epi8(31 - new as i8));
    if _mm256_movemask_epi8(_mm256_and_si256(last, fresh)) == 0 {
        state.ascii(Avx2(last));
        return;
    }
    // A new byte's previous three are in `last` unless it is one of the
    // first two of 30 or 31 new bytes: then they end `prev`, whose first
    // `new` bytes `last` does not hold. Shifted by 2 or 1, the right ones
    // sit at the top; below, only old bytes see the wrong neighbours, and
    // their errors are masked off.
    let prev = state.prev.0;
    let context = match new {
        31 => preceding::<15>(prev, prev),
        30 => preceding::<14>(prev, prev),
        _ => prev,
    };
    // SAFETY: register-only; this function is compiled for AVX2.
    let errors = unsafe { errors(Avx2(last), Avx2(context)) };
    state.add_errors(Avx2(_mm256_and_si256(errors.0, fresh)), Avx2(last));
}

/// Byte `j` of the result is the byte `16 - N` before byte `j` of `input`,
/// in the stream where `prev` comes before `input`.
#[target_feature(enable = "avx2")]
#[inline]
fn preceding<const N: i32>(input: __m256i, prev: __m256i) -> __m256i {
    // The upper half of `prev` and the lower half of `input`: shifting each
    // lane of `input` against it yields the bytes before.
    let joined = _mm256_permute2x128_si256::<0x21>(prev, input);
    _mm256_alignr_epi8::<N>(input, joined)
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
#[target_feature(enable = "avx2")]
#[inline]
fn real_bytes(len: usize) -> __m256i {
    // SAFETY: the load reads 32 bytes of `INDEX`, which is 32 bytes long.
    let index = unsafe { _mm256_loadu_si256(INDEX.as_ptr().cast()) };
    // Signed compare; `len` and every index are below 32, so positive.
    _mm256_cmpgt_epi8(_mm256_set1_epi8(len as i8), index)
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

impl Vector for Avx2 {
    const LEN: usize = 32;
    /// 0xFF on the flagged bytes.
    type Mask = __m256i;

    same_at_every_width! {
        set1_epi8: _mm256_set1_epi8, set1_epi32: _mm256_set1_epi32, loadu: _mm256_loadu_si256, storeu: _mm256_storeu_si256,
        broadcast_128: _mm256_broadcastsi128_si256,
        or: _mm256_or_si256, xor: _mm256_xor_si256, saturating_sub: _mm256_subs_epu8,
    }

    #[inline(always)]
    unsafe fn or3(a: Avx2, b: Avx2, c: Avx2) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_or_si256(a.0, _mm256_or_si256(b.0, c.0)) })
    }

    #[inline(always)]
    unsafe fn and3(a: Avx2, b: Avx2, c: Avx2) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_and_si256(_mm256_and_si256(a.0, b.0), c.0) })
    }

    #[inline(always)]
    unsafe fn flip_top_bits(self, flags: Avx2) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_xor_si256(self.0, _mm256_and_si256(flags.0, _mm256_set1_epi8(0x80u8 as i8))) })
    }

    #[inline(always)]
    unsafe fn preceding(self, prev: Avx2) -> [Avx2; 3] {
        // SAFETY: register-only; AVX2 (the trait's contract).
        unsafe {
            [
                Avx2(preceding::<15>(self.0, prev.0)),
                Avx2(preceding::<14>(self.0, prev.0)),
                Avx2(preceding::<13>(self.0, prev.0)),
            ]
        }
    }

    #[inline(always)]
    unsafe fn look_up_high(self, table: Avx2) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        unsafe { Avx2(_mm256_srli_epi16::<4>(self.0)).look_up_low(table) }
    }

    #[inline(always)]
    unsafe fn look_up_low(self, table: Avx2) -> Avx2 {
        // `vpshufb` reads the low four bits of each index, and gives zero
        // where bit 7 is set: that bit is cleared first.
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_shuffle_epi8(table.0, _mm256_and_si256(self.0, _mm256_set1_epi8(0x0F))) })
    }

    #[inline(always)]
    unsafe fn is_ascii(self) -> bool {
        // SAFETY: register-only; AVX2 (the trait's contract).
        unsafe { _mm256_movemask_epi8(self.0) == 0 }
    }

    #[inline(always)]
    unsafe fn is_zero(self) -> bool {
        // SAFETY: register-only; AVX2 (the trait's contract).
        unsafe { _mm256_testz_si256(self.0, self.0) != 0 }
    }

    #[inline(always)]
    unsafe fn keep(self, mask: __m256i) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_and_si256(self.0, mask) })
    }

    #[inline(always)]
    unsafe fn keep_others(self, mask: __m256i) -> Avx2 {
        // SAFETY: register-only; AVX2 (the trait's contract).
        Avx2(unsafe { _mm256_andnot_si256(mask, self.0) })
    }
}
