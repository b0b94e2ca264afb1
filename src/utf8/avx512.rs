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
//! before the kernel is entered. Where the CPU also has AVX512VBMI, a
//! second build of the same code ([`scan_vbmi`]) looks the nibbles up with
//! `vpermb`, which reads six bits of each index and zeroes nothing, so the
//! three `AND 0x0F` before the lookups go: 17 operations per vector
//! instead of 20, about 9 % faster (`cargo bench -p wsproto-benches --bench
//! frame -- unmask_utf8`, 64 KiB: 3.10 → 2.83 µs). That lookup
//! (`Vector::look_up_low`) is the only difference between the two builds,
//! and it touches no memory: every load and store is the same code in
//! both. Miri cannot interpret `vpermb`, so Miri runs the AVX512BW build;
//! the fuzz target and the tests run both where the CPU has them.
//!
//! Not compiled with `--cfg wsproto_disable_simd`; `fused.rs` dispatches,
//! and its tests and `fuzz/fuzz_targets/utf8.rs` check both builds against
//! `core::str::from_utf8` on every length.
//!
//! Tried and left out: taking the bytes before each byte
//! (`Vector::preceding`) from three two-source byte permutations
//! (`vpermt2b`, AVX512VBMI) instead of four lane shifts ran 20 % slower
//! here (64 KiB: 3.89 against 3.14 µs).

use core::arch::x86_64::{
    __m512i, __mmask64, _mm_loadu_si128, _mm512_alignr_epi8, _mm512_alignr_epi32, _mm512_and_si512,
    _mm512_broadcast_i32x4, _mm512_loadu_si512, _mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8,
    _mm512_maskz_mov_epi8, _mm512_movepi8_mask, _mm512_or_si512, _mm512_permutexvar_epi8, _mm512_set1_epi8,
    _mm512_set1_epi32, _mm512_shuffle_epi8, _mm512_srli_epi16, _mm512_storeu_si512, _mm512_subs_epu8,
    _mm512_ternarylogic_epi32, _mm512_test_epi64_mask, _mm512_xor_si512,
};

use super::Scan;
use super::simd::{Kernel, Vector, same_at_every_width, scan_blocks};

/// 64 bytes, in an AVX-512 register; with `VBMI`, on a CPU that also has
/// AVX512VBMI.
#[derive(Clone, Copy)]
pub(super) struct Avx512<const VBMI: bool>(__m512i);

/// [`scan`] compiled for AVX512BW.
///
/// # Safety
/// As for [`scan`], on a CPU with AVX512BW.
#[target_feature(enable = "avx512bw")]
unsafe fn scan_bw<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    // SAFETY: the caller's contract, and this function has the feature.
    unsafe { scan::<false, MASKED>(buf, len, key) }
}

/// Whole vectors (`simd::scan_blocks`), then the last 1..63 bytes through
/// a byte mask. With `MASKED` the bytes are unmasked in place.
///
/// # Safety
/// Only called from [`scan_bw`] and [`scan_vbmi`], compiled for the
/// features it uses: the CPU must support AVX512BW, and AVX512VBMI with
/// `VBMI`. `buf` must be valid for reads of `len` bytes, and with `MASKED`
/// for writes of `len` bytes.
#[inline(always)]
unsafe fn scan<const VBMI: bool, const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    // SAFETY: the caller guarantees the features; `scan_blocks` reads (and
    // with `MASKED` writes) within the `len` bytes of `buf` that the caller
    // vouches for.
    let (mut state, at) = unsafe { scan_blocks::<Avx512<VBMI>, MASKED>(buf, len, key) };
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

/// [`scan`] with its lookups by `vpermb` (AVX512VBMI), compiled for that
/// too: the same loads and stores, fewer operations per vector.
///
/// # Safety
/// As for [`scan`]; the CPU must also support AVX512VBMI.
#[target_feature(enable = "avx512bw,avx512vbmi")]
unsafe fn scan_vbmi<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
    // SAFETY: the caller's contract, and this function has both features.
    unsafe { scan::<true, MASKED>(buf, len, key) }
}

impl<const VBMI: bool> Kernel for Avx512<VBMI> {
    #[inline]
    fn detected() -> bool {
        // The standard library caches the detection (which includes the
        // OS's support for the 512-bit state); one atomic load for all.
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && (!VBMI || std::arch::is_x86_feature_detected!("avx512vbmi"))
    }

    #[inline]
    unsafe fn scan<const MASKED: bool>(buf: *mut u8, len: usize, key: [u8; 4]) -> Scan {
        // SAFETY: the caller's contract is `scan`'s; the CPU has
        // AVX512VBMI too with `VBMI` (`detected`).
        unsafe { if VBMI { scan_vbmi::<MASKED>(buf, len, key) } else { scan_bw::<MASKED>(buf, len, key) } }
    }
}

impl<const VBMI: bool> Vector for Avx512<VBMI> {
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
    unsafe fn look_up_high(self, table: Self) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe { Self(_mm512_srli_epi16::<4>(self.0)).look_up_low(table) }
    }

    #[inline(always)]
    unsafe fn look_up_low(self, table: Self) -> Self {
        if VBMI {
            // `vpermb` reads the low six bits of each index, and `table`
            // repeats its 16 entries four times: the high two of the six
            // bits do not matter.
            // SAFETY: register-only; AVX512VBMI with `VBMI` (the trait's
            // contract).
            Self(unsafe { _mm512_permutexvar_epi8(self.0, table.0) })
        } else {
            // `vpshufb` reads the low four bits of each index, and gives
            // zero where bit 7 is set: that bit is cleared first.
            // SAFETY: register-only; AVX512BW (the trait's contract).
            Self(unsafe { _mm512_shuffle_epi8(table.0, _mm512_and_si512(self.0, _mm512_set1_epi8(0x0F))) })
        }
    }

    #[inline(always)]
    unsafe fn is_zero(self) -> bool {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe { _mm512_test_epi64_mask(self.0, self.0) == 0 }
    }

    #[inline(always)]
    unsafe fn is_ascii(self) -> bool {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        unsafe { _mm512_movepi8_mask(self.0) == 0 }
    }

    #[inline(always)]
    unsafe fn keep_others(self, mask: __mmask64) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        Avx512(unsafe { _mm512_maskz_mov_epi8(!mask, self.0) })
    }

    #[inline(always)]
    unsafe fn keep(self, mask: __mmask64) -> Self {
        // SAFETY: register-only; AVX512BW (the trait's contract).
        Avx512(unsafe { _mm512_maskz_mov_epi8(mask, self.0) })
    }

    same_at_every_width! {
        set1_epi8: _mm512_set1_epi8, set1_epi32: _mm512_set1_epi32, loadu: _mm512_loadu_si512, storeu: _mm512_storeu_si512,
        broadcast_128: _mm512_broadcast_i32x4,
        or: _mm512_or_si512, xor: _mm512_xor_si512, saturating_sub: _mm512_subs_epu8,
    }
}
