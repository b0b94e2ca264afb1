//! The AVX-512 kernel: the check of `simd.rs` on 64-byte vectors
//! ([`Avx512`]), each XORed with the key, stored back and checked while
//! still in a register.
//!
//! Whole vectors (`simd::scan_blocks`), then the last 1..63 bytes with a
//! masked load and a masked store: the bytes past the end are neither read
//! nor written, and come in as zeros. Zeros are ASCII, so a sequence cut
//! off by the end shows up as errors in the padding, told apart from the
//! errors in the input ("cut off" versus "invalid", `State::check_tail`).
//!
//! Needs AVX512BW (with AVX512F, which it implies), checked at run time
//! before the kernel is entered.
//!
//! Not compiled with `--cfg wsproto_disable_simd`; `fused.rs` dispatches,
//! and its tests and `fuzz/fuzz_targets/utf8.rs` check this kernel against
//! `core::str::from_utf8` on every length.
//!
//! Tried and left out: taking the bytes before each byte
//! (`Vector::preceding`) from three two-source byte permutations
//! (`vpermt2b`, AVX512VBMI) instead of four lane shifts ran 20 % slower
//! here (`cargo bench -p wsproto-benches --bench frame -- unmask_utf8`,
//! 64 KiB: 3.89 against 3.14 µs).

use core::arch::x86_64::{
    __m512i, __mmask64, _mm_loadu_si128, _mm512_alignr_epi8, _mm512_alignr_epi32, _mm512_and_si512,
    _mm512_broadcast_i32x4, _mm512_loadu_si512, _mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8,
    _mm512_maskz_mov_epi8, _mm512_movepi8_mask, _mm512_or_si512, _mm512_set1_epi8, _mm512_set1_epi32,
    _mm512_shuffle_epi8, _mm512_srli_epi16, _mm512_storeu_si512, _mm512_subs_epu8, _mm512_ternarylogic_epi32,
    _mm512_test_epi64_mask, _mm512_xor_si512,
};

use super::Scan;
use super::simd::{Kernel, Vector, same_at_every_width, scan_blocks};

/// 64 bytes, in an AVX-512 register.
#[derive(Clone, Copy)]
pub(super) struct Avx512(__m512i);

/// Whole vectors (`simd::scan_blocks`), then the last 1..63 bytes through
/// a byte mask. With `MASKED` the bytes are unmasked in place.
///
/// # Safety
/// The CPU must support AVX512BW. `buf` must be valid for reads of `len`
/// bytes, and with `MASKED` for writes of `len` bytes.
#[target_feature(enable = "avx512bw")]
unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    // SAFETY: this function is compiled for AVX512BW, which the caller
    // guarantees the CPU has; `scan_blocks` reads (and with `MASKED`
    // writes) within the `len` bytes of `buf` that the caller vouches for.
    let (mut state, at) = unsafe { scan_blocks::<Avx512, MASKED>(buf, len, key) };
    let new = len - at;
    if new > 0 {
        // The low `new` bits (`new < 64`): the bytes left.
        let real: __mmask64 = (1 << new) - 1;
        // SAFETY: the mask covers bytes `at..len` of `buf` and no other;
        // masked-off bytes are neither read nor written (and raise no
        // fault). With `MASKED`, `buf` is valid for writes.
        let a = unsafe {
            let mut a = _mm512_maskz_loadu_epi8(real, buf.add(at).cast());
            if MASKED {
                // The padding stays zero: the key only on the real bytes.
                let key_vector = _mm512_set1_epi32(i32::from_ne_bytes(key));
                a = _mm512_xor_si512(a, _mm512_maskz_mov_epi8(real, key_vector));
                _mm512_mask_storeu_epi8(buf.add(at).cast(), real, a);
            }
            a
        };
        state.check_tail(Avx512(a), real);
    }
    state.finish()
}

impl Kernel for Avx512 {
    #[inline]
    fn detected() -> bool {
        // The standard library caches the detection (which includes the
        // OS's support for the 512-bit state); one atomic load for both.
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw")
    }

    #[inline]
    unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
        // SAFETY: the caller's contract is `scan`'s.
        unsafe { scan::<MASKED>(buf, len, key) }
    }
}

impl Vector for Avx512 {
    const LEN: usize = 64;
    /// One bit per byte, byte 0 lowest.
    type Mask = __mmask64;

    #[inline(always)]
    unsafe fn or3(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract). 0xFE is
        // "any of the three".
        Avx512(unsafe { _mm512_ternarylogic_epi32::<0xFE>(a.0, b.0, c.0) })
    }

    #[inline(always)]
    unsafe fn and3(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract). 0x80 is
        // "all three".
        Avx512(unsafe { _mm512_ternarylogic_epi32::<0x80>(a.0, b.0, c.0) })
    }

    #[inline(always)]
    unsafe fn flip_top_bits(self, flags: Self) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract). 0x78 is
        // "A ^ (B & C)".
        Avx512(unsafe { _mm512_ternarylogic_epi32::<0x78>(self.0, flags.0, _mm512_set1_epi8(0x80u8 as i8)) })
    }

    #[inline(always)]
    unsafe fn preceding(self, prev: Self) -> [Self; 3] {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe {
            // Each 128-bit lane of `joined` is the lane before it in the
            // stream: the top lane of `prev`, then the three low lanes of
            // `self`. Shifting each lane of `self` against it yields the
            // bytes before.
            let joined = _mm512_alignr_epi32::<12>(self.0, prev.0);
            [
                Avx512(_mm512_alignr_epi8::<15>(self.0, joined)),
                Avx512(_mm512_alignr_epi8::<14>(self.0, joined)),
                Avx512(_mm512_alignr_epi8::<13>(self.0, joined)),
            ]
        }
    }

    #[inline(always)]
    unsafe fn is_ascii(self) -> bool {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe { _mm512_movepi8_mask(self.0) == 0 }
    }

    #[inline(always)]
    unsafe fn is_zero(self) -> bool {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe { _mm512_test_epi64_mask(self.0, self.0) == 0 }
    }

    #[inline(always)]
    unsafe fn keep(self, mask: __mmask64) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        Avx512(unsafe { _mm512_maskz_mov_epi8(mask, self.0) })
    }

    #[inline(always)]
    unsafe fn keep_others(self, mask: __mmask64) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        Avx512(unsafe { _mm512_maskz_mov_epi8(!mask, self.0) })
    }

    same_at_every_width! {
        set1_epi8: _mm512_set1_epi8, set1_epi32: _mm512_set1_epi32, loadu: _mm512_loadu_si512, storeu: _mm512_storeu_si512,
        srli_epi16: _mm512_srli_epi16, shuffle_epi8: _mm512_shuffle_epi8, broadcast_128: _mm512_broadcast_i32x4,
        or: _mm512_or_si512, and: _mm512_and_si512, xor: _mm512_xor_si512, saturating_sub: _mm512_subs_epu8,
    }
}
