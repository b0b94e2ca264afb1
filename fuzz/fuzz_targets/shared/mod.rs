//! Pieces the fuzz targets share: a reader over the fuzzer's input and a
//! client frame encoder independent of the crate under test.
#![allow(dead_code)] // Not every target uses every piece.

/// Reads bytes off the front of the fuzzer's input.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// The next byte, if any is left.
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// The next `n` bytes, or all that is left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    /// A size from the next two bytes (big-endian; missing bytes are 0).
    pub fn size(&mut self) -> usize {
        let hi = self.byte().unwrap_or(0) as usize;
        let lo = self.byte().unwrap_or(0) as usize;
        hi << 8 | lo
    }
}

/// A masked client frame around `payload` (at most 65535 bytes), with
/// `first` as its first byte.
pub fn client_frame(first: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut out = vec![first];
    if payload.len() < 126 {
        out.push(0x80 | payload.len() as u8);
    } else {
        out.push(0x80 | 126);
        out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}
