//! Masking a large payload as it is handed out, one cache-sized piece at a
//! time.
//!
//! A client masks everything it sends (RFC 6455 §5.3). Copying and masking
//! a whole 1 MiB payload when it is queued writes a buffer larger than the
//! CPU's fast caches, which the transport then reads back from slow memory.
//! Instead the payload stays the caller's `Bytes` and is masked at transmit
//! time into one small reused buffer: each byte is read once, masked while
//! the buffer is hot, and copied out from there.

use bytes::{Bytes, BytesMut};

use crate::frame::extend_masked;

/// The most payload bytes masked at once: small enough to stay in the
/// first-level cache while the transport copies it out.
pub(super) const WINDOW: usize = 16 * 1024;

/// A masked copy of part of one payload: `buf` holds payload bytes
/// `start..start + buf.len()`, masked.
#[derive(Debug, Default)]
pub(super) struct MaskWindow {
    buf: BytesMut,
    start: usize,
}

impl MaskWindow {
    /// Forgets what it holds (the payload it was cut from is gone or moved).
    pub(super) fn clear(&mut self) {
        self.buf.clear();
    }

    /// The masked payload from `offset` on, at most [`WINDOW`] bytes of it
    /// but at least one byte if any is left: `payload` masked with `key`,
    /// which must be the payload this window was last filled from unless it
    /// was cleared since.
    pub(super) fn masked_from(&mut self, payload: &[u8], key: [u8; 4], offset: usize) -> &[u8] {
        let end = self.start + self.buf.len();
        if offset < self.start || offset >= end {
            self.fill(payload, key, offset);
        }
        &self.buf[offset - self.start..]
    }

    /// Takes the masked payload from `offset` on (at most [`WINDOW`] bytes)
    /// as owned bytes, appended to `head` (a frame header, or nothing).
    pub(super) fn take(&mut self, head: &[u8], payload: &[u8], key: [u8; 4], offset: usize) -> Bytes {
        self.buf.clear();
        let n = (payload.len() - offset).min(WINDOW);
        self.buf.reserve(head.len() + n);
        self.buf.extend_from_slice(head);
        extend_masked(&mut self.buf, &payload[offset..offset + n], key, offset);
        self.buf.split().freeze()
    }

    fn fill(&mut self, payload: &[u8], key: [u8; 4], offset: usize) {
        let n = (payload.len() - offset).min(WINDOW);
        self.buf.clear();
        extend_masked(&mut self.buf, &payload[offset..offset + n], key, offset);
        self.start = offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(payload: &[u8], key: [u8; 4]) -> Vec<u8> {
        payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect()
    }

    #[test]
    fn any_offset_reads_the_reference_masking() {
        let payload: Vec<u8> = (0..3 * WINDOW + 5).map(|i| (i * 7 + 1) as u8).collect();
        let key = [0x12, 0x34, 0x56, 0x78];
        let expected = reference(&payload, key);
        let mut window = MaskWindow::default();
        for offset in [0, 1, 3, WINDOW - 1, WINDOW, 2, 2 * WINDOW + 9, 3 * WINDOW + 4] {
            let got = window.masked_from(&payload, key, offset).to_vec();
            assert!(!got.is_empty() && got.len() <= WINDOW);
            assert_eq!(got, expected[offset..offset + got.len()], "offset {offset}");
        }
        let taken = window.take(b"HD", &payload, key, 5);
        assert_eq!(&taken[..2], b"HD");
        assert_eq!(taken[2..], expected[5..5 + WINDOW]);
        // Taking empties the window: a later read refills it.
        assert_eq!(window.masked_from(&payload, key, 7)[0], expected[7]);
    }
}
