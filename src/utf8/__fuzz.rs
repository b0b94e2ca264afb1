//! Not part of the API: the UTF-8 kernels, one by one, and the masking
//! helper they share, open to `fuzz/fuzz_targets/utf8.rs`. Each function is
//! the crate-private one of the same name (or the path it names) and has its
//! contract; none adds checks of its own.

use bytes::BytesMut;

pub use super::fused::Scan;
use super::{InvalidUtf8, Utf8Validator};

/// `unmask_and_check_utf8`: unmasks `buf` in place with `key` (as seen from
/// `buf[0]`), and tells whether the result is UTF-8; the path is picked at
/// run time.
pub fn unmask_and_check_utf8(buf: &mut [u8], key: Option<[u8; 4]>) -> bool {
    super::unmask_and_check_utf8(buf, key)
}

/// The in-place kernel, picked at run time (AVX2 where the CPU has it,
/// unless [`force_portable`] said otherwise).
pub fn unmask_scan(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::unmask_scan(buf, key)
}

/// The copying kernel, picked at run time like [`unmask_scan`].
pub fn extend_scan(dst: &mut BytesMut, src: &[u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::extend_scan(dst, src, key)
}

/// The portable in-place kernel, whatever the CPU.
pub fn unmask_scan_portable(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::unmask_scan_portable(buf, key)
}

/// The portable copying kernel, whatever the CPU.
pub fn extend_scan_portable(dst: &mut BytesMut, src: &[u8], key: Option<[u8; 4]>) -> Scan {
    super::fused::extend_scan_portable(dst, src, key)
}

/// The AVX2 in-place kernel (`scan::<MASKED, false>`); `None`, with `buf`
/// untouched, when the CPU lacks AVX2 or the kernel is not compiled
/// (`wsproto_disable_simd`, or not x86-64).
pub fn unmask_scan_avx2(buf: &mut [u8], key: Option<[u8; 4]>) -> Option<Scan> {
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    return super::avx2::unmask_scan(buf, key);
    #[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
    {
        let _ = (buf, key);
        None
    }
}

/// The AVX2 copying kernel (`scan::<MASKED, true>`); `None`, with `dst`
/// untouched, as for [`unmask_scan_avx2`].
pub fn extend_scan_avx2(dst: &mut BytesMut, src: &[u8], key: Option<[u8; 4]>) -> Option<Scan> {
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    return super::avx2::extend_scan(dst, src, key);
    #[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
    {
        let _ = (dst, src, key);
        None
    }
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

/// `Utf8Validator::extend_unmasking`.
pub fn extend_unmasking(
    validator: &mut Utf8Validator,
    dst: &mut BytesMut,
    piece: &[u8],
    key: Option<[u8; 4]>,
    key_offset: usize,
) -> Result<(), InvalidUtf8> {
    validator.extend_unmasking(dst, piece, key, key_offset)
}

/// `frame::extend_unmasked`: `extend_masked` with a key, a plain append
/// without.
pub fn extend_unmasked(buf: &mut BytesMut, src: &[u8], key: Option<[u8; 4]>, offset: usize) {
    crate::frame::extend_unmasked(buf, src, key, offset)
}

/// Sends the run-time picks ([`unmask_scan`], [`extend_scan`], and so the
/// validator's methods and [`unmask_and_check_utf8`]) down the portable
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
