//! Unmasking and UTF-8 validation in one pass over a payload.
//!
//! Unmasking and then validating reads the payload twice; for a short
//! message the two calls and their dispatch cost more than the work, and for
//! a long one the second pass reads memory again that no longer fits the
//! cache. The kernel here does both while each block is in a register:
//! AVX-512 (`avx512.rs`, from 64 bytes on) or AVX2 (`avx2.rs`) where the CPU
//! has it, picked at run time; both run the check of `simd.rs`. Elsewhere,
//! and everywhere with `--cfg wsproto_disable_simd`, the portable path
//! unmasks 4 KiB at a time and validates each piece with simdutf8 while it
//! is still in L1.

use crate::frame::apply_mask;

#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
use super::{avx2::Avx2, avx512::Avx512, simd};

use super::complete_prefix_len;

/// What a scan of some bytes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The bytes are valid UTF-8.
    Complete,
    /// No invalid byte, but a sequence opened in the last three bytes runs
    /// past the end, or one of them is a byte that never starts a sequence
    /// (0xC0, 0xC1, 0xF5..=0xFF): whether the bytes are a valid prefix
    /// depends on those last bytes alone, and the caller checks them.
    /// Never returned for bytes that are valid UTF-8.
    CutOff,
    /// The bytes are not the prefix of any valid UTF-8.
    Invalid,
}

/// Unmasks `buf` in place with `key`, the key as seen from the first byte of
/// `buf` (`None`: not masked), and scans the unmasked bytes. `buf` is
/// unmasked on return whatever the result.
#[inline]
pub(super) fn unmask_scan(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    #[cfg(any(test, fuzzing))]
    if FORCE_PORTABLE.get() {
        return unmask_scan_portable(buf, key);
    }
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    {
        // Short payloads go straight to AVX2, without the AVX-512 check:
        // below one 64-byte vector it has nothing to gain. (This branch
        // first, so that it is laid out as the fall-through.)
        if buf.len() < AVX512_MIN_LEN {
            if let Some(scan) = simd::unmask_scan::<Avx2>(buf, key) {
                return scan;
            }
            return unmask_scan_portable(buf, key);
        }
        unmask_scan_long(buf, key)
    }
    #[cfg(not(all(target_arch = "x86_64", not(wsproto_disable_simd))))]
    unmask_scan_portable(buf, key)
}

/// The shortest payload [`unmask_scan`] gives the AVX-512 kernel (which
/// takes any length); shorter ones go to the AVX2 kernel.
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
const AVX512_MIN_LEN: usize = 64;

/// [`unmask_scan`] for payloads of [`AVX512_MIN_LEN`] bytes or more:
/// AVX-512, else AVX2, else portable. Out of line, so that the short path
/// through `unmask_scan` carries none of its code (nor its register saves).
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[inline(never)]
fn unmask_scan_long(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    if let Some(scan) = simd::unmask_scan::<Avx512<true>>(buf, key) {
        return scan;
    }
    if let Some(scan) = simd::unmask_scan::<Avx512<false>>(buf, key) {
        return scan;
    }
    if let Some(scan) = simd::unmask_scan::<Avx2>(buf, key) {
        return scan;
    }
    unmask_scan_portable(buf, key)
}

/// The portable path of [`unmask_scan`], with the same contract; used where
/// AVX2 is missing, and by tests on any machine.
pub(super) fn unmask_scan_portable(buf: &mut [u8], key: Option<[u8; 4]>) -> Scan {
    let Some(key) = key else { return scan_plain(buf) };
    let len = buf.len();
    scan_in_chunks(buf, 0, len, |buf, start, end| apply_mask(&mut buf[start..end], key, 0))
}

/// Scans `len` bytes of `buf` from `base`, [`CHUNK`] at a time, each made
/// ready by `ready(buf, start, end)` (offsets from `base`) just before it
/// is checked, so it is checked while still in L1. After an invalid chunk
/// the rest is made ready unchecked.
fn scan_in_chunks<B: AsRef<[u8]> + ?Sized>(
    buf: &mut B,
    base: usize,
    len: usize,
    mut ready: impl FnMut(&mut B, usize, usize),
) -> Scan {
    // `buf[base..][..valid]` is known valid and ends between characters.
    let mut valid = 0;
    let mut start = 0;
    while start < len {
        let end = len.min(start + CHUNK);
        ready(buf, start, end);
        let bytes = &buf.as_ref()[base..base + end];
        // Up to the last character that `bytes` holds whole.
        let body_end = complete_prefix_len(bytes);
        if !is_utf8(&bytes[valid..body_end]) {
            if end < len {
                ready(buf, end, len);
            }
            return Scan::Invalid;
        }
        valid = body_end;
        start = end;
    }
    if valid == len { Scan::Complete } else { Scan::CutOff }
}

/// A piece that stays in L1 between unmasking and validating it; a multiple
/// of 4, so each piece starts at the key's phase 0.
const CHUNK: usize = 4096;

/// Whether `bytes` are UTF-8: simdutf8, except under Miri, where its AVX2
/// path steps a prefetch pointer out of bounds with `add` (simdutf8 0.1.5;
/// fixed upstream by rusticstuff/simdutf8#120) and Miri stops there.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    if cfg!(miri) { core::str::from_utf8(bytes).is_ok() } else { simdutf8::basic::from_utf8(bytes).is_ok() }
}

/// [`unmask_scan_portable`] for bytes that are not masked.
fn scan_plain(buf: &[u8]) -> Scan {
    let body_end = complete_prefix_len(buf);
    if !is_utf8(&buf[..body_end]) {
        Scan::Invalid
    } else if body_end == buf.len() {
        Scan::Complete
    } else {
        Scan::CutOff
    }
}

// Tests and fuzz targets set this to send `unmask_scan` down the portable
// path.
#[cfg(any(test, fuzzing))]
thread_local! {
    pub(super) static FORCE_PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utf8::{InvalidUtf8, Utf8Validator, unmask_and_check_utf8};

    /// The paths to compare; AVX2 only where the CPU (or Miri's flags) has it.
    type Path = fn(&mut [u8], Option<[u8; 4]>) -> Scan;

    fn paths() -> Vec<(&'static str, Path)> {
        #[allow(unused_mut)] // Only builds with the AVX2 kernel add to it.
        let mut paths: Vec<(&'static str, Path)> = vec![("portable", unmask_scan_portable), ("dispatch", unmask_scan)];
        #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
        if std::arch::is_x86_feature_detected!("avx2") {
            paths.push(("avx2", |buf, key| simd::unmask_scan::<Avx2>(buf, key).expect("AVX2")));
        }
        #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
        if std::arch::is_x86_feature_detected!("avx512bw") {
            paths.push(("avx512", |buf, key| simd::unmask_scan::<Avx512<false>>(buf, key).expect("AVX-512")));
        }
        #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
        if std::arch::is_x86_feature_detected!("avx512bw") && std::arch::is_x86_feature_detected!("avx512vbmi") {
            paths.push(("avx512vbmi", |buf, key| simd::unmask_scan::<Avx512<true>>(buf, key).expect("VBMI")));
        }
        paths
    }

    fn mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    /// Checks every path on `plain` masked with `key` at `offset`: the bytes
    /// come back unmasked, and the scan agrees with `std`.
    fn check_all_paths(plain: &[u8], key: Option<[u8; 4]>, offset: usize) {
        let expected = std::str::from_utf8(plain);
        let mut masked = plain.to_vec();
        if let Some(key) = key {
            mask_bytewise(&mut masked, key, offset);
        }
        let rotated = key.map(|key| crate::frame::rotate_key(key, offset));
        for (name, path) in paths() {
            let mut buf = masked.clone();
            let scan = path(&mut buf, rotated);
            assert_eq!(buf, plain, "{name}: unmasked bytes, len {}", plain.len());
            assert!(scan_agrees(scan, &expected, plain.len()), "{name}: {scan:?} vs {expected:?} for {plain:x?}");
        }
        if offset == 0 {
            for force in [false, true] {
                FORCE_PORTABLE.set(force);
                let mut buf = masked.clone();
                assert_eq!(unmask_and_check_utf8(&mut buf, key), expected.is_ok(), "portable {force}");
                assert_eq!(buf, plain);
                FORCE_PORTABLE.set(false);
            }
        }
    }

    /// Whether a scan of `len` bytes agrees with what `std` said of them.
    fn scan_agrees(scan: Scan, expected: &Result<&str, core::str::Utf8Error>, len: usize) -> bool {
        match (scan, expected) {
            (Scan::Complete, Ok(_)) => true,
            // Invalid: not even a prefix of valid text.
            (Scan::Invalid, Err(error)) => error.error_len().is_some(),
            // Cut off: either a valid prefix, or an invalid byte among
            // the last three that only the caller's check of them finds.
            (Scan::CutOff, Err(error)) => error.error_len().is_none() || error.valid_up_to() + 3 >= len,
            _ => false,
        }
    }

    /// A small deterministic generator (no dependency, fast under Miri).
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Valid text of `len` bytes: mostly ASCII, with 2-, 3- and 4-byte
    /// characters, padded with ASCII where a character would not fit.
    fn text(rng: &mut XorShift, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let ch = match rng.below(8) {
                0 => 'é',
                1 => '€',
                2 => '😀',
                3 => '\u{10FFFF}',
                4 => '\u{800}',
                _ => (b'a' + rng.below(26) as u8) as char,
            };
            let mut utf8 = [0; 4];
            let utf8 = ch.encode_utf8(&mut utf8).as_bytes();
            if out.len() + utf8.len() <= len {
                out.extend_from_slice(utf8);
            } else {
                out.push(b'.');
            }
        }
        out
    }

    /// Invalid sequences of every class the algorithm flags.
    const BAD: &[&[u8]] = &[
        // overlong
        b"\xC0\x80",
        b"\xC1\xBF",
        b"\xE0\x80\x80",
        b"\xE0\x9F\xBF",
        b"\xF0\x80\x80\x80",
        b"\xF0\x8F\xBF\xBF",
        // surrogates U+D800..U+DFFF
        b"\xED\xA0\x80",
        b"\xED\xBF\xBF",
        // past U+10FFFF
        b"\xF4\x90\x80\x80",
        b"\xF7\xBF\xBF\xBF",
        // stray continuations
        b"\x80",
        b"\xBF",
        b"\x80\x80\x80\x80\x80",
        // truncated, followed by more text
        b"\xC3",
        b"\xE2\x82",
        b"\xF0\x9F\x98",
        // never valid
        b"\xF5",
        b"\xF8",
        b"\xFE",
        b"\xFF",
        b"\xC0",
    ];

    /// `base` with `bad` written over it from `at` (clamped), and variants
    /// with the end cut inside a multi-byte character.
    fn planted(base: &[u8], bad: &[u8], at: usize) -> Vec<u8> {
        let mut data = base.to_vec();
        let at = at.min(data.len().saturating_sub(bad.len()));
        for (i, &b) in bad.iter().enumerate() {
            if at + i < data.len() {
                data[at + i] = b;
            }
        }
        data
    }

    #[test]
    fn every_length_valid_and_invalid_up_to_125() {
        every_length_valid_and_invalid(if cfg!(miri) { vec![0, 5, 31, 33, 64, 97] } else { (0..=125).collect() });
    }

    // The work grows with the square of the length: the lengths past 125 in
    // three tests of about the same cost, which the harness runs in parallel.
    #[test]
    #[cfg_attr(miri, ignore = "the short lengths cover every path under Miri")]
    fn every_length_valid_and_invalid_126_to_158() {
        every_length_valid_and_invalid((126..=158).collect());
    }

    #[test]
    #[cfg_attr(miri, ignore = "the short lengths cover every path under Miri")]
    fn every_length_valid_and_invalid_159_to_181() {
        every_length_valid_and_invalid((159..=181).collect());
    }

    #[test]
    #[cfg_attr(miri, ignore = "the short lengths cover every path under Miri")]
    fn every_length_valid_and_invalid_182_to_200() {
        every_length_valid_and_invalid((182..=200).collect());
    }

    /// For each of `lengths`: text of that length, valid, with every bad
    /// sequence planted at every position, and cut short at its end, on
    /// every path, masked and not.
    fn every_length_valid_and_invalid(lengths: Vec<usize>) {
        for len in lengths {
            // A generator per length, so each length's data is the same
            // whichever test covers it.
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ ((len as u64) << 32));
            let base = text(&mut rng, len);
            let key = [rng.next() as u8, rng.next() as u8, rng.next() as u8, rng.next() as u8];
            let offset = rng.below(8);
            check_all_paths(&base, Some(key), offset);
            check_all_paths(&base, None, 0);
            // Every class at every position class: start, inside a vector,
            // across the 32- and 64-byte seams, in the tail, at the very end.
            let positions: Vec<usize> =
                if cfg!(miri) { vec![len / 2, len.saturating_sub(1)] } else { (0..len).collect() };
            for &bad in BAD {
                for &at in &positions {
                    let data = planted(&base, bad, at);
                    check_all_paths(&data, Some(key), offset);
                    if !cfg!(miri) {
                        check_all_paths(&data, None, 0);
                    }
                }
            }
            // Truncated at the very end: every proper prefix of a character.
            for ch in ["é", "€", "😀", "\u{10FFFF}"] {
                for cut in 1..ch.len() {
                    let mut data = base.clone();
                    data.extend_from_slice(&ch.as_bytes()[..cut]);
                    check_all_paths(&data, Some(key), offset);
                }
            }
        }
    }

    #[test]
    fn characters_across_portable_chunk_seams() {
        let key = Some([0xA5, 0x01, 0x7E, 0xFF]);
        let starts: Vec<usize> = if cfg!(miri) { vec![4095] } else { (4088..4100).collect() };
        let chars: &[&str] = if cfg!(miri) { &["😀"] } else { &["é", "€", "😀"] };
        for start in starts {
            for ch in chars {
                let mut data = vec![b'x'; start];
                data.extend_from_slice(ch.as_bytes());
                data.extend_from_slice(b"tail");
                check_all_paths(&data, key, 0);
                // A character left open at the seam, then ASCII.
                let mut bad = vec![b'x'; start];
                bad.extend_from_slice(&ch.as_bytes()[..ch.len() - 1]);
                bad.extend_from_slice(b"tail");
                check_all_paths(&bad, key, 0);
            }
        }
    }

    /// Every bad sequence at every position, past the first 128-byte block
    /// of the AVX-512 kernel: in the second block, in its lone 64-byte
    /// vector and in the masked tail after them.
    #[test]
    #[cfg_attr(miri, ignore = "the seam tests cover the AVX-512 blocks under Miri")]
    fn every_length_valid_and_invalid_past_two_blocks() {
        every_length_valid_and_invalid(vec![255, 256, 257, 319, 320, 321, 383]);
    }

    /// The seams of the SIMD kernels: the 16-byte lanes, the 32- and
    /// 64-byte vectors, the 128-byte blocks of the AVX-512 kernel and the
    /// start of its masked tail. At each, after ASCII and after mixed text:
    /// a character across it, a character left open across it, and the end
    /// of the input cutting a character just before, at and just after it.
    #[test]
    fn characters_across_lane_and_vector_seams() {
        let key = Some([0x5A, 0xC3, 0x80, 0x0F]);
        let seams: Vec<usize> = if cfg!(miri) { vec![64, 128] } else { (1..=24).map(|i| 16 * i).collect() };
        let chars: &[&str] = if cfg!(miri) { &["😀"] } else { &["é", "€", "😀"] };
        let mut rng = XorShift(11);
        for seam in seams {
            for mixed in [false, true] {
                let filler = |len: usize, rng: &mut XorShift| if mixed { text(rng, len) } else { vec![b'x'; len] };
                for ch in chars {
                    let ch = ch.as_bytes();
                    for back in 1..ch.len() {
                        // `back` bytes of the character before the seam.
                        let mut data = filler(seam - back, &mut rng);
                        data.extend_from_slice(ch);
                        data.extend_from_slice(b"tail past the seam");
                        check_all_paths(&data, key, 0);
                        check_all_paths(&data, None, 0);
                        let mut open = filler(seam - back, &mut rng);
                        open.extend_from_slice(&ch[..back]);
                        open.extend_from_slice(b"tail past the seam");
                        check_all_paths(&open, key, 0);
                    }
                    for start in seam - 3..=seam + 1 {
                        for cut in 1..ch.len() {
                            let mut data = filler(start, &mut rng);
                            data.extend_from_slice(&ch[..cut]);
                            check_all_paths(&data, key, 0);
                            check_all_paths(&data, None, 0);
                        }
                    }
                }
            }
        }
    }

    /// Feeds `plain` masked with `key` from `offset`, cut at `splits`, both
    /// ways: `apply_mask` + `feed`, and `feed_unmasking`; the results of
    /// every piece and the bytes must agree.
    fn check_feed_splits(plain: &[u8], key: Option<[u8; 4]>, offset: usize, splits: &[usize]) {
        let mut masked = plain.to_vec();
        if let Some(key) = key {
            mask_bytewise(&mut masked, key, offset);
        }
        let mut reference = Utf8Validator::new();
        let mut fused = Utf8Validator::new();
        let mut out = masked.clone();
        let mut start = 0;
        for end in splits.iter().copied().chain([plain.len()]) {
            let end = end.clamp(start, plain.len());
            let expected: Result<(), InvalidUtf8> = reference.feed(&plain[start..end]);
            let got = fused.feed_unmasking(&mut out[start..end], key, offset + start);
            assert_eq!(got, expected, "piece {start}..{end} of {plain:x?}");
            assert_eq!(out[start..end], plain[start..end]);
            if expected.is_err() {
                return;
            }
            start = end;
        }
        let finished = reference.finish();
        assert_eq!(fused.finish(), finished);
    }

    #[test]
    fn feed_unmasking_at_every_split() {
        let mut rng = XorShift(7);
        let inputs: Vec<Vec<u8>> = {
            let mut inputs = vec![b"".to_vec(), "κόσμε 😀 ok".as_bytes().to_vec()];
            for len in [5, 40, 70] {
                let base = text(&mut rng, len);
                inputs.push(base.clone());
                for &bad in BAD {
                    inputs.push(planted(&base, bad, rng.below(len)));
                    inputs.push(planted(&base, bad, len));
                }
            }
            inputs
        };
        let inputs = if cfg!(miri) { &inputs[..6] } else { &inputs[..] };
        for force in [false, true] {
            FORCE_PORTABLE.set(force);
            for plain in inputs {
                let offset = rng.below(4);
                let key = Some([rng.next() as u8, 0x80, rng.next() as u8, 0xC3]);
                let len = plain.len();
                for i in 0..=len {
                    check_feed_splits(plain, key, offset, &[i]);
                    check_feed_splits(plain, None, 0, &[i]);
                    if len <= 16 && !cfg!(miri) {
                        for j in i..=len {
                            check_feed_splits(plain, key, offset, &[i, j]);
                        }
                    }
                }
                let one_by_one: Vec<usize> = (0..len).collect();
                check_feed_splits(plain, key, offset, &one_by_one);
            }
            FORCE_PORTABLE.set(false);
        }
    }

    #[cfg(not(miri))]
    mod props {
        use super::*;
        use proptest::prelude::*;

        prop_compose! {
            /// Text of up to `max` bytes, perhaps with junk planted in it.
            fn payload(max: usize)(len in 0..max, seed: u64, junk in proptest::collection::vec(any::<u8>(), 0..6),
                                   at: prop::sample::Index, bad in prop::sample::select(BAD), which in 0u8..3)
                                   -> Vec<u8> {
                let mut rng = XorShift(seed | 1);
                let base = text(&mut rng, len);
                match which {
                    0 => base,
                    1 => planted(&base, bad, at.index(len + 1)),
                    _ => planted(&base, &junk, at.index(len + 1)),
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]

            #[test]
            fn scan_agrees_with_std(plain in payload(100 << 10), key: Option<[u8; 4]>, offset in 0usize..8) {
                check_all_paths(&plain, key, if key.is_some() { offset } else { 0 });
            }

            #[test]
            fn feed_unmasking_agrees_with_feed(plain in payload(12 << 10), key: Option<[u8; 4]>, offset in 0usize..8,
                                               mut splits in proptest::collection::vec(0usize..(12 << 10), 0..6),
                                               portable: bool) {
                splits.sort();
                FORCE_PORTABLE.set(portable);
                check_feed_splits(&plain, key, offset, &splits);
                FORCE_PORTABLE.set(false);
            }
        }
    }
}
