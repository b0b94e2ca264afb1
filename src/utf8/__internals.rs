//! Not part of the API, and only compiled with the `__internals` feature:
//! the UTF-8 kernels one by one, open to `fuzz/fuzz_targets/utf8.rs` and
//! the benches. Each function is the crate-private one of the same name (or
//! the path it names) and has its contract; none adds checks of its own.

pub use super::fused::Scan;
use super::{InvalidUtf8, Utf8Validator};

/// `unmask_and_check_utf8`: unmasks `buf` in place with `key` (as seen from
/// `buf[0]`), and tells whether the result is UTF-8; the path is picked at
/// run time.
pub fn unmask_and_check_utf8(buf: &mut [u8], key: Option<[u8; 4]>) -> bool {
    super::unmask_and_check_utf8(buf, key)
}

/// The in-place kernel, picked at run time (AVX-512 from 64 bytes on and
/// AVX2 below, where the CPU has them, unless [`force_portable`] said
/// otherwise).
pub fn unmask_scan(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::unmask_scan(buf, key)
}

/// The portable in-place kernel, whatever the CPU.
pub fn unmask_scan_portable(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::unmask_scan_portable(buf, key)
}

/// The AVX2 in-place kernel (`scan::<MASKED>`); `None`, with `buf`
/// untouched, when the CPU lacks AVX2 or the kernel is not compiled
/// (`wsproto_disable_simd`, or not x86-64).
pub fn unmask_scan_avx2(buf: &mut [u8], key: Option<[u8; 4]>) -> Option<Scan> {
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    return super::simd::unmask_scan::<super::avx2::Avx2>(buf, key);
    #[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
    not_compiled(buf, key, false)
}

/// The AVX-512 in-place kernel (`scan::<VBMI, MASKED>` of `avx512.rs`),
/// compiled for AVX512BW alone or, with `vbmi`, for AVX512VBMI too, at any
/// length (the run-time pick only sends it 64 bytes or more); `None`, with
/// `buf` untouched, when the CPU lacks those features or the kernel is not
/// compiled (`wsproto_disable_simd`, or not x86-64).
pub fn unmask_scan_avx512(buf: &mut [u8], key: Option<[u8; 4]>, vbmi: bool) -> Option<Scan> {
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    return if vbmi {
        super::simd::unmask_scan::<super::avx512::Avx512<true>>(buf, key)
    } else {
        super::simd::unmask_scan::<super::avx512::Avx512<false>>(buf, key)
    };
    #[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
    not_compiled(buf, key, vbmi)
}

/// A SIMD kernel in a build without it: `None`, the bytes untouched.
#[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
fn not_compiled(buf: &mut [u8], key: Option<[u8; 4]>, vbmi: bool) -> Option<Scan> {
    let _ = (buf, key, vbmi);
    None
}

/// `Utf8Validator::feed_unmasking`.
pub fn feed_unmasking(
    validator: &mut Utf8Validator,
    piece: &mut [u8],
    key: Option<[u8; 4]>,
    key_offset: usize,
) -> Result<(), InvalidUtf8> {
    validator.feed_unmasking(piece, key, key_offset)
}

/// Sends the run-time picks ([`unmask_scan`], and so the validator's
/// methods and [`unmask_and_check_utf8`]) down the portable
/// path on this thread while `on`. Only in builds with `--cfg fuzzing`
/// (cargo-fuzz sets it); returns whether the switch exists, so `false`
/// elsewhere, where it does nothing.
pub fn force_portable(on: bool) -> bool {
    #[cfg(fuzzing)]
    {
        super::fused::FORCE_PORTABLE.set(on);
        true
    }
    #[cfg(not(fuzzing))]
    {
        let _ = on;
        false
    }
}
