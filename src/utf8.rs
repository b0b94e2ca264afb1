//! Incremental UTF-8 validation for text messages that arrive in pieces.

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
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            piece = self.finish_partial(piece)?;
            if self.partial_len > 0 {
                return Ok(());
            }
        }
        if simdutf8::basic::from_utf8(piece).is_ok() {
            return Ok(());
        }
        match simdutf8::compat::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(error) if error.error_len().is_none() => {
                // A valid prefix of a character is cut off by the end of the piece.
                let tail = &piece[error.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Checks that the stream ends between characters, and resets.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.is_complete();
        self.partial_len = 0;
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Completes a character started in an earlier piece; returns the rest of
    /// `piece`. Leaves `partial_len > 0` when `piece` is too short to finish it.
    fn finish_partial<'a>(&mut self, piece: &'a [u8]) -> Result<&'a [u8], InvalidUtf8> {
        let have = self.partial_len as usize;
        let want = sequence_len(self.partial[0]);
        let take = (want - have).min(piece.len());
        self.partial[have..have + take].copy_from_slice(&piece[..take]);
        let filled = have + take;
        match simdutf8::compat::from_utf8(&self.partial[..filled]) {
            Ok(_) => self.partial_len = 0,
            Err(error) if error.error_len().is_none() && filled < want => self.partial_len = filled as u8,
            Err(_) => return Err(InvalidUtf8),
        }
        Ok(&piece[take..])
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
    }
}
