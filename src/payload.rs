//! What a send takes: a payload the caller lends or gives.
//!
//! One send method serves every way a caller holds a message. A lent
//! payload (`&[u8]`, `&str`, `&Bytes`, `&Utf8Bytes`) is copied into the
//! output as it is queued, unless it is a large `&Bytes` or `&Utf8Bytes`,
//! which is queued by reference (one reference count) and never copied. A
//! given payload (`Bytes`, `Vec<u8>`, `String`, `Utf8Bytes`) is queued by
//! reference when large and copied (then dropped) when small. Small frames
//! are always copied, because they coalesce into one buffer that leaves in
//! one write. The caller never chooses between a copying and a sharing
//! method, and a broadcast lends the one message to every connection.

use bytes::{Bytes, BytesMut};

use crate::text::Utf8Bytes;

/// The payload of a binary message or of a fragment, lent or given: what
/// [`Connection::send_binary`](crate::Connection::send_binary) and
/// [`Connection::send_fragment`](crate::Connection::send_fragment) take.
///
/// Made by `From` from `&[u8]`, `&[u8; N]`, `&Vec<u8>`, `&str`,
/// `&BytesMut`, `&Bytes` (lent) and from `Bytes`, `BytesMut`, `Vec<u8>`,
/// `Box<[u8]>`, `String` (given).
///
/// What the send does with it: a payload under 8 KiB is copied into the
/// output buffer, where queued frames coalesce into one write (a given one
/// is then dropped). From 8 KiB, a lent `&Bytes` or a given buffer is
/// queued by reference (one reference count, no copy; a client masks it
/// piece by piece as it goes out), and a lent slice is copied. So a
/// broadcast lends the one `Bytes` to every connection, and a caller that
/// reuses a buffer lends a slice of it. A message that permessage-deflate
/// compresses is read once by the compressor, whatever its form.
#[derive(Debug, Clone)]
pub struct Payload<'a>(pub(crate) Repr<'a>);

/// The payload of a text message, lent or given: what
/// [`Connection::send_text`](crate::Connection::send_text) takes. Always
/// UTF-8, since it is made only from text.
///
/// Made by `From` from `&str`, `&String`, `&Utf8Bytes` (lent) and from
/// `Utf8Bytes`, `String` (given). Copied or queued by reference as a
/// [`Payload`] is: a large `&Utf8Bytes` or `Utf8Bytes` by reference.
#[derive(Debug, Clone)]
pub struct TextPayload<'a>(pub(crate) Repr<'a>);

/// How a payload is held.
#[derive(Debug, Clone)]
pub(crate) enum Repr<'a> {
    /// Lent, in no shared buffer: copied when queued.
    Borrowed(&'a [u8]),
    /// Lent in a shared buffer: a large one is queued by reference.
    Shared(&'a Bytes),
    /// Given.
    Owned(Bytes),
}

impl Repr<'_> {
    /// The payload's bytes.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Repr::Borrowed(bytes) => bytes,
            Repr::Shared(bytes) => bytes,
            Repr::Owned(bytes) => bytes,
        }
    }

    /// The payload's length in bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }
}

impl Payload<'_> {
    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TextPayload<'_> {
    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `From` conversions into a payload type, each one line: `lent` types
/// become `Repr::Borrowed` through `AsRef<[u8]>`, `given` ones
/// `Repr::Owned` through `Into<Bytes>`.
macro_rules! payload_from {
    ($payload:ident; lent: $($lent:ty),*; given: $($given:ty),*) => {
        $(impl<'a> From<$lent> for $payload<'a> {
            #[inline]
            fn from(payload: $lent) -> Self {
                $payload(Repr::Borrowed(payload.as_ref()))
            }
        })*
        $(impl From<$given> for $payload<'_> {
            #[inline]
            fn from(payload: $given) -> Self {
                $payload(Repr::Owned(payload.into()))
            }
        })*
    };
}

payload_from!(Payload; lent: &'a [u8], &'a Vec<u8>, &'a str, &'a BytesMut; given: Bytes, BytesMut, Vec<u8>, Box<[u8]>, String);
payload_from!(TextPayload; lent: &'a str, &'a String; given: Utf8Bytes, String);

impl<'a, const N: usize> From<&'a [u8; N]> for Payload<'a> {
    #[inline]
    fn from(payload: &'a [u8; N]) -> Self {
        Payload(Repr::Borrowed(payload))
    }
}

impl<'a> From<&'a Bytes> for Payload<'a> {
    #[inline]
    fn from(payload: &'a Bytes) -> Self {
        Payload(Repr::Shared(payload))
    }
}

impl<'a> From<&'a Utf8Bytes> for TextPayload<'a> {
    #[inline]
    fn from(payload: &'a Utf8Bytes) -> Self {
        TextPayload(Repr::Shared(payload.as_bytes()))
    }
}

impl<'a> From<TextPayload<'a>> for Payload<'a> {
    #[inline]
    fn from(text: TextPayload<'a>) -> Self {
        Payload(text.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(payload: impl Into<Payload<'static>>) -> Repr<'static> {
        payload.into().0
    }

    #[test]
    fn lent_slices_are_borrowed_lent_buffers_shared_given_ones_owned() {
        static WORDS: Bytes = Bytes::from_static(b"words");
        assert!(matches!(repr(&b"abc"[..]), Repr::Borrowed(b"abc")));
        assert!(matches!(repr(b"abc"), Repr::Borrowed(b"abc")));
        assert!(matches!(repr("abc"), Repr::Borrowed(b"abc")));
        assert!(matches!(repr(&WORDS), Repr::Shared(bytes) if bytes.as_ptr() == WORDS.as_ptr()));
        let given = Bytes::from(vec![1, 2, 3]);
        let at = given.as_ptr();
        assert!(matches!(repr(given), Repr::Owned(bytes) if bytes.as_ptr() == at));
        assert!(matches!(repr(vec![4u8]), Repr::Owned(bytes) if bytes[..] == [4]));
    }

    #[test]
    fn text_payloads_keep_their_bytes() {
        let text = Utf8Bytes::from("héllo");
        let lent = TextPayload::from(&text);
        assert!(matches!(lent.0, Repr::Shared(bytes) if bytes.as_ptr() == text.as_bytes().as_ptr()));
        assert_eq!(lent.len(), 6);
        let owned = TextPayload::from(String::from("hé"));
        assert_eq!(owned.0.as_slice(), "hé".as_bytes());
        assert!(TextPayload::from("").is_empty());
        assert_eq!(Payload::from(TextPayload::from("ab")).0.as_slice(), b"ab");
    }
}
