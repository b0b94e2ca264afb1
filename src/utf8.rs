//! Incremental UTF-8 validation for text messages that arrive in pieces.

// Our own SIMD: left out with `--cfg wsproto_disable_simd`, leaving the
// portable path of `fused` (simdutf8, third-party, stays either way).
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[allow(unsafe_code)] // The runtime-selected AVX2 kernel; see the SAFETY comments there.
mod avx2;
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[allow(unsafe_code)] // The runtime-selected AVX-512 kernel; see the SAFETY comments there.
mod avx512;
mod fused;
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[allow(unsafe_code)] // The check both kernels share; see the SAFETY comments there.
mod simd;

use fused::{Scan, unmask_scan};

/// Validates a byte stream as UTF-8 piece by piece, failing as soon as an
/// invalid byte is seen, even in the middle of a piece, and accepting
/// characters split across pieces.
///
/// Holds at most three bytes of an unfinished character between pieces.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

/// The input is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

impl core::fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("invalid UTF-8")
    }
}

impl std::error::Error for InvalidUtf8 {}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub const fn new() -> Utf8Validator {
        Utf8Validator { partial: [0; 4], partial_len: 0 }
    }

    /// Whether the stream so far ends between characters.
    pub fn is_complete(&self) -> bool {
        self.partial_len == 0
    }

    /// Checks the next piece. Fails if the stream so far cannot be the prefix
    /// of any valid UTF-8 text; once it fails, the validator must be reset.
    ///
    /// One pass of simdutf8 over the piece: a character cut off by the end
    /// of the piece is set aside first (at most three bytes), and checked as
    /// a prefix at once, so an invalid byte fails here even then.
    #[inline]
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            piece = self.finish_partial(piece)?;
            if self.partial_len > 0 {
                return Ok(());
            }
        }
        let (body, tail) = piece.split_at(complete_prefix_len(piece));
        if simdutf8::basic::from_utf8(body).is_err() {
            return Err(InvalidUtf8);
        }
        if !tail.is_empty() {
            if !is_valid_prefix(tail) {
                return Err(InvalidUtf8);
            }
            self.partial[..tail.len()].copy_from_slice(tail);
            self.partial_len = tail.len() as u8;
        }
        Ok(())
    }

    /// Unmasks `piece` in place, then checks it like [`feed`](Self::feed).
    ///
    /// With `key`, `piece` is XORed with the masking key as if it began
    /// `key_offset` bytes into the payload (as `apply_mask(piece, key,
    /// key_offset)` does); with `None` it is left as is. Either way `piece`
    /// holds the unmasked bytes afterwards, also when the check fails. The
    /// result is that of `feed` on the unmasked piece: the bytes are read
    /// once, unmasked and checked in the same pass.
    #[inline]
    pub(crate) fn feed_unmasking(
        &mut self,
        piece: &mut [u8],
        key: Option<[u8; 4]>,
        key_offset: usize,
    ) -> Result<(), InvalidUtf8> {
        let mut start = 0;
        if self.partial_len > 0 {
            // The few bytes that finish a character begun earlier.
            start = (sequence_len(self.partial[0]) - self.partial_len as usize).min(piece.len());
            if let Some(key) = key {
                crate::frame::apply_mask(&mut piece[..start], key, key_offset);
            }
            let finished = self.finish_partial(&piece[..start]).map(|_| ());
            if finished.is_err() || self.partial_len > 0 {
                if let Some(key) = key {
                    crate::frame::apply_mask(&mut piece[start..], key, key_offset + start);
                }
                return finished;
            }
        }
        let rest = &mut piece[start..];
        let key = key.map(|key| crate::frame::rotate_key(key, key_offset + start));
        match unmask_scan(rest, key) {
            Scan::Complete => Ok(()),
            Scan::Invalid => Err(InvalidUtf8),
            Scan::CutOff => self.hold_tail(rest),
        }
    }

    /// Checks that the stream ends between characters, and resets.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.is_complete();
        self.partial_len = 0;
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Keeps the start of a character that the end of `piece` cuts off, once
    /// `piece` up to it is known valid; fails if those bytes cannot start a
    /// character.
    fn hold_tail(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        let tail = &piece[complete_prefix_len(piece)..];
        if tail.is_empty() || !is_valid_prefix(tail) {
            return Err(InvalidUtf8);
        }
        self.partial[..tail.len()].copy_from_slice(tail);
        self.partial_len = tail.len() as u8;
        Ok(())
    }

    /// Completes a character started in an earlier piece; returns the rest of
    /// `piece`. Leaves `partial_len > 0` when `piece` is too short to finish it.
    fn finish_partial<'a>(&mut self, piece: &'a [u8]) -> Result<&'a [u8], InvalidUtf8> {
        let have = self.partial_len as usize;
        let want = sequence_len(self.partial[0]);
        let take = (want - have).min(piece.len());
        self.partial[have..have + take].copy_from_slice(&piece[..take]);
        let filled = have + take;
        let bytes = &self.partial[..filled];
        if filled == want {
            if simdutf8::basic::from_utf8(bytes).is_err() {
                return Err(InvalidUtf8);
            }
            self.partial_len = 0;
        } else if is_valid_prefix(bytes) {
            self.partial_len = filled as u8;
        } else {
            return Err(InvalidUtf8);
        }
        Ok(&piece[take..])
    }
}

/// Unmasks `buf` in place with `key` (if any, from the start of the key
/// cycle) and tells whether the result is UTF-8, whole: the same as
/// `apply_mask(buf, key, 0)` followed by `simdutf8::basic::from_utf8(buf)`,
/// in one pass. `buf` holds the unmasked bytes afterwards, valid or not.
#[inline]
pub(crate) fn unmask_and_check_utf8(buf: &mut [u8], key: Option<[u8; 4]>) -> bool {
    unmask_scan(buf, key) == Scan::Complete
}

/// Not part of the API: the kernels one by one, open to the crate's fuzz
/// targets and benches. Only with the `__internals` feature, which nothing
/// but those enables.
#[cfg(feature = "__internals")]
#[doc(hidden)]
pub mod __internals;

/// The length of `bytes` without a multi-byte character that its end cuts
/// off, judged from the last three bytes alone: `bytes.len()` unless one of
/// them is a lead byte (0xC2..=0xF4) whose sequence runs past the end. The
/// cut-off bytes are at most three; whether they are valid is checked apart.
#[inline]
fn complete_prefix_len(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // Look back over at most three bytes for the start of the last character.
    for back in 1..=len.min(3) {
        let byte = bytes[len - back];
        if byte < 0x80 {
            return len;
        }
        if byte >= 0xC0 {
            let need = match byte {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                // Never a lead byte: left in place for the validator to refuse.
                _ => return len,
            };
            return if need > back { len - back } else { len };
        }
    }
    len
}

/// Whether `bytes` (one to three bytes) can begin a valid character.
#[inline]
fn is_valid_prefix(bytes: &[u8]) -> bool {
    match core::str::from_utf8(bytes) {
        Ok(_) => false,
        Err(error) => error.valid_up_to() == 0 && error.error_len().is_none(),
    }
}

/// The length of the sequence a lead byte starts; only called on the lead
/// byte of a valid prefix, so 2, 3 or 4.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_split(bytes: &[u8], splits: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &s in splits {
            let end = s.clamp(start, bytes.len());
            v.feed(&bytes[start..end])?;
            start = end;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn known_cases() {
        let text = "κόσμε 😀 ok".as_bytes();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                assert_eq!(check_split(text, &[i, j]), Ok(()));
            }
        }
        // Fails on the first bad byte, before the piece or stream ends.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"abc\xF5"), Err(InvalidUtf8));
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"\xCE"), Ok(()));
        assert_eq!(v.feed(b"\x41"), Err(InvalidUtf8));
        // A surrogate is refused as soon as its second byte is seen.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"\xED"), Ok(()));
        assert_eq!(v.feed(b"\xA0"), Err(InvalidUtf8));
        // A truncated character at the end fails at finish.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"\xF0\x9F\x98"), Ok(()));
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }

    /// Feeds `bytes` in the pieces `splits` cuts, and returns how many bytes
    /// had been fed when the first failure came (`None`: no failure).
    fn fed_at_failure(bytes: &[u8], splits: &[usize]) -> Option<usize> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for end in splits.iter().map(|&s| s.clamp(0, bytes.len())).chain([bytes.len()]) {
            let end = end.max(start);
            if v.feed(&bytes[start..end]).is_err() {
                return Some(end);
            }
            start = end;
        }
        None
    }

    #[test]
    fn cut_characters_and_stray_bytes_at_piece_ends() {
        // Lead bytes that can never start a character, at the very end.
        for bad in [0xC0u8, 0xC1, 0xF5, 0xFF, 0x80] {
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(&[b'a', bad]), Err(InvalidUtf8), "{bad:#x}");
        }
        // Valid prefixes of every length, cut at the end of a long piece.
        for ch in ["é", "€", "😀"] {
            let bytes = ch.as_bytes();
            for cut in 1..bytes.len() {
                let mut piece = vec![b'x'; 100];
                piece.extend_from_slice(&bytes[..cut]);
                let mut v = Utf8Validator::new();
                assert_eq!(v.feed(&piece), Ok(()));
                assert!(!v.is_complete());
                assert_eq!(v.feed(&bytes[cut..]), Ok(()));
                assert_eq!(v.finish(), Ok(()));
            }
        }
        // Invalid prefixes are refused at the end of a piece, not later.
        for bad in [&b"\xED\xA0"[..], b"\xE0\x80", b"\xF4\x90", b"\xF0\x80"] {
            let mut piece = vec![b'x'; 40];
            piece.extend_from_slice(bad);
            let mut v = Utf8Validator::new();
            assert_eq!(v.feed(&piece), Err(InvalidUtf8), "{bad:x?}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_std_at_any_split(bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                        text in ".{0,24}",
                                        a in 0usize..100, b in 0usize..100, use_text: bool) {
            let data = if use_text { text.into_bytes() } else { bytes };
            let (a, b) = (a.min(b), a.max(b));
            let expected = std::str::from_utf8(&data).is_ok();
            prop_assert_eq!(check_split(&data, &[a, b]).is_ok(), expected);
            let one_by_one: Vec<usize> = (0..data.len()).collect();
            prop_assert_eq!(check_split(&data, &one_by_one).is_ok(), expected);
        }

        /// A failure comes with the piece that holds the first byte that
        /// makes the stream invalid, never earlier, never later.
        #[test]
        fn fails_as_soon_as_the_bad_byte_is_seen(prefix in ".{0,40}",
                                                 junk in proptest::collection::vec(any::<u8>(), 1..8),
                                                 a in 0usize..64, b in 0usize..64, c in 0usize..64) {
            let mut data = prefix.into_bytes();
            data.extend_from_slice(&junk);
            let mut splits = [a, b, c];
            splits.sort();
            let Err(error) = std::str::from_utf8(&data) else { return Ok(()) };
            let fed = fed_at_failure(&data, &splits);
            match error.error_len() {
                // Cut off at the end: only `finish` can tell.
                None => prop_assert_eq!(fed, None),
                Some(n) => {
                    let fed = fed.expect("invalid bytes are refused");
                    // The bad sequence ends at `valid_up_to + n`; it is known
                    // bad once its last byte, or the byte after it, is seen.
                    prop_assert!(fed >= error.valid_up_to() + n, "fed {} error {:?}", fed, error);
                    let pieces_end: Vec<usize> = splits.iter().copied().chain([data.len()]).collect();
                    let first_end_after = pieces_end.iter().copied().filter(|&e| e > error.valid_up_to() + n)
                        .min().unwrap_or(data.len());
                    prop_assert!(fed <= first_end_after.max(error.valid_up_to() + n), "fed {} error {:?}", fed, error);
                }
            }
        }
    }
}
