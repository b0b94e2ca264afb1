//! `Utf8Bytes`: a `Bytes` that is known to hold UTF-8.

use bytes::Bytes;
use core::fmt;

/// Bytes that are valid UTF-8: the payload of a text message.
///
/// Cheap to clone (a reference count). Received text is validated once, on
/// receipt; the accessors never fail.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps `bytes` if they are UTF-8, otherwise hands them back.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Utf8Bytes, Bytes> {
        if simdutf8::basic::from_utf8(&bytes).is_ok() { Ok(Utf8Bytes(bytes)) } else { Err(bytes) }
    }

    /// Wraps bytes that the caller has already validated.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8: [`as_str`](Self::as_str) trusts them
    /// (see [`validated_str`]). Debug builds check again.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn from_validated(bytes: Bytes) -> Utf8Bytes {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }

    /// A static string, without copying.
    pub const fn from_static(text: &'static str) -> Utf8Bytes {
        Utf8Bytes(Bytes::from_static(text.as_bytes()))
    }

    /// The text. Free: the bytes were validated when the value was made.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: a `Utf8Bytes` holds UTF-8: `try_from_bytes` checks it,
        // `from_validated` is given bytes the receiver checked, the other
        // constructors start from a `str`, `Default` is empty. The bytes
        // never change after.
        #[allow(unsafe_code)]
        unsafe {
            validated_str(&self.0)
        }
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps the underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `bytes` as text, without checking them again.
///
/// Checking again would cost a full pass over every message (simdutf8 runs
/// at about 15 GiB/s: 67 µs per 1 MiB), which is what this saves. Debug
/// builds, and so the test suite, check every call again.
///
/// # Safety
/// `bytes` must be UTF-8: a received text payload (checked as it arrived,
/// by [`crate::utf8`], whose kernels `fuzz/fuzz_targets/utf8.rs` compares
/// with `core::str::from_utf8`), or the contents of a [`Utf8Bytes`]
/// (checked when it was made). Anything else is undefined behaviour.
#[inline]
#[allow(unsafe_code)]
pub(crate) unsafe fn validated_str(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok(), "text that was not validated");
    // SAFETY: `bytes` is UTF-8, this function's contract.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl core::ops::Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Utf8Bytes(Bytes::from(text))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Utf8Bytes(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Self {
        text.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validated_text_reads_back_unchanged() {
        for text in ["", "a", "héllo", "日本語", "😀 and more", "\u{10FFFF}"] {
            let bytes = Utf8Bytes::try_from_bytes(Bytes::copy_from_slice(text.as_bytes())).unwrap();
            assert_eq!(bytes.as_str(), text);
            assert_eq!(&*bytes, text);
            // SAFETY: `text` is a `str`.
            #[allow(unsafe_code)]
            let checked = unsafe { validated_str(text.as_bytes()) };
            assert_eq!(checked, text);
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_handed_back() {
        let bad = Bytes::from_static(&[b'a', 0xC3, 0x28]);
        assert_eq!(Utf8Bytes::try_from_bytes(bad.clone()), Err(bad));
    }
}
