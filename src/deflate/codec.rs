//! Per-message compression and decompression (RFC 7692 §7.2), on the
//! zlib-rs backend of flate2. Each state is allocated on first use, so a
//! connection that negotiated the extension but is idle holds none.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use core::fmt;

/// The empty stored block that ends every sync flush; the sender removes it
/// from a message's end and the receiver puts it back (§7.2.1, §7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The smallest window the backend compresses with. zlib and zlib-rs refuse
/// a raw deflate stream with 8 (zlib's `deflateInit2` once turned 8 into 9
/// silently; flate2 panics on it), so a compressor limited to 8 bits does
/// not compress at all: see [`Compressor::can_compress`].
pub const MIN_COMPRESS_WINDOW_BITS: u8 = 9;

/// Compresses the messages of one direction.
///
/// Messages are compressed with a sync flush and the trailing `00 00 ff ff`
/// removed. With context takeover the window carries over to the next
/// message; without it the state is reset after each message.
pub struct Compressor {
    level: u8,
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<Compress>,
    /// Tests: the next `compress` fails, as a broken backend would.
    #[cfg(test)]
    pub(crate) fail_next: bool,
}

impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("level", &self.level)
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish()
    }
}

/// The backend refused to compress (a broken state; never expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressError;

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deflate compressor failed")
    }
}

impl std::error::Error for CompressError {}

impl Compressor {
    /// A compressor with `level` (0–9, clamped), an LZ77 window of
    /// `2^window_bits` bytes (8–15, clamped) and context takeover unless
    /// `no_context_takeover`. Allocates nothing until the first message.
    pub fn new(level: u8, window_bits: u8, no_context_takeover: bool) -> Compressor {
        Compressor {
            level: level.min(9),
            window_bits: window_bits.clamp(8, 15),
            no_context_takeover,
            state: None,
            #[cfg(test)]
            fail_next: false,
        }
    }

    /// Whether this compressor can honour its window: false for 8 bits,
    /// which the backend cannot produce. Messages are then sent
    /// uncompressed, which RFC 7692 always allows (RSV1 clear).
    pub fn can_compress(&self) -> bool {
        self.window_bits >= MIN_COMPRESS_WINDOW_BITS
    }

    /// Whether the backend state has been allocated.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Frees the backend state (it is allocated again on the next message).
    /// Only valid between messages; with context takeover the window is lost,
    /// so it is only done without it.
    pub fn release(&mut self) {
        self.state = None;
    }

    /// The most bytes `compress` can append for `len` bytes of input: level 1
    /// (zlib-rs's quick strategy, static Huffman codes) expands incompressible
    /// data by up to 9/8; a block header and the flush add a few bytes.
    pub fn bound(len: usize) -> usize {
        len.saturating_add(len / 8).saturating_add(64)
    }

    /// Compresses `data`, the next piece of a message, and appends the
    /// output to `out`. `fin` ends the message: its trailing `00 00 ff ff`
    /// is removed and, without context takeover, the state is reset.
    ///
    /// Must not be called when [`can_compress`](Self::can_compress) is false.
    pub fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) -> Result<(), CompressError> {
        debug_assert!(self.can_compress());
        #[cfg(test)]
        if core::mem::take(&mut self.fail_next) {
            return Err(CompressError);
        }
        let level = Compression::new(u32::from(self.level));
        let bits = self.window_bits.max(MIN_COMPRESS_WINDOW_BITS);
        let state = self.state.get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let start = out.len();
        let mut consumed = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve((data.len() - consumed).max(64));
            }
            let before = state.total_in();
            state.compress_vec(&data[consumed..], out, FlushCompress::Sync).map_err(|_| CompressError)?;
            consumed += (state.total_in() - before) as usize;
            // The flush is complete once all input is in and output room is left.
            if consumed == data.len() && out.len() < out.capacity() {
                break;
            }
        }
        if fin {
            // §7.2.1: the message must end with an empty stored block, whose
            // last 4 bytes are removed. A flush that had nothing to write (the
            // previous fragment's flush already ended with one, sent) leaves
            // that block's first byte to write: with the receiver's 00 00 ff ff
            // it makes one more empty stored block.
            if out[start..].ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            } else if out.len() == start {
                out.push(0x00);
            }
            if self.no_context_takeover {
                state.reset();
            }
        }
        Ok(())
    }
}

/// Data that cannot be inflated: not a raw deflate stream, or a back
/// reference past the start of the window (1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflateError;

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid deflate data")
    }
}

impl std::error::Error for InflateError {}

/// What one [`Decompressor::inflate`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inflated {
    /// Bytes taken from the input.
    pub consumed: usize,
    /// Bytes appended to the output.
    pub produced: usize,
    /// The message is complete: only when the input ended it (`last`), all
    /// of it and the restored tail were taken, and all output is out.
    pub done: bool,
}

/// Inflates the messages of one direction, with the output bounded by the
/// caller: each call writes at most the spare capacity of its output
/// vector, so a small message that would inflate to gigabytes costs at most
/// what the caller allows before it is refused.
///
/// The window is always 2^15 bytes: inflating with a window larger than the
/// peer's is always correct, and zlib-rs allocates the full window anyway.
pub struct Decompressor {
    no_context_takeover: bool,
    state: Option<Decompress>,
    /// Bytes of [`TAIL`] already fed for the current message.
    tail_fed: usize,
    /// The peer ended its deflate stream (a block with BFINAL set): the
    /// rest of the message is ignored and the state is reset after it.
    stream_ended: bool,
}

impl fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decompressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish_non_exhaustive()
    }
}

impl Decompressor {
    /// A decompressor; `no_context_takeover` starts every message afresh
    /// (the peer promised not to refer back across messages) and frees the
    /// state between messages. Allocates nothing until the first message.
    pub fn new(no_context_takeover: bool) -> Decompressor {
        Decompressor { no_context_takeover, state: None, tail_fed: 0, stream_ended: false }
    }

    /// Whether the backend state has been allocated.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Frees the backend state between messages (without context takeover).
    pub fn release(&mut self) {
        self.state = None;
    }

    /// Inflates from `input`, the next compressed bytes of a message,
    /// appending at most `out.capacity() - out.len()` bytes to `out`. `last`
    /// says `input` ends the message: once it is all taken, the `00 00 ff ff`
    /// tail is fed too. Call again (with the input not yet consumed) while
    /// output room ran out; when `done` comes back the message is complete
    /// and the next one may start.
    ///
    /// An error is final for the connection.
    pub fn inflate(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) -> Result<Inflated, InflateError> {
        let start = out.len();
        let state = self.state.get_or_insert_with(|| Decompress::new(false));
        let mut consumed = 0;
        if self.stream_ended {
            // After a final block nothing more belongs to the stream.
            consumed = input.len();
        } else {
            // Runs with empty input too: output held back by a full buffer comes out.
            while out.len() < out.capacity() {
                let (before, before_out) = (state.total_in(), state.total_out());
                let status =
                    state.decompress_vec(&input[consumed..], out, FlushDecompress::Sync).map_err(|_| InflateError)?;
                consumed += (state.total_in() - before) as usize;
                if status == Status::StreamEnd {
                    self.stream_ended = true;
                    consumed = input.len();
                    break;
                } else if state.total_in() == before && state.total_out() == before_out {
                    break;
                }
            }
        }
        let mut done = false;
        if last && consumed == input.len() {
            while !self.stream_ended && out.len() < out.capacity() {
                let (before, before_out) = (state.total_in(), state.total_out());
                let status = state
                    .decompress_vec(&TAIL[self.tail_fed..], out, FlushDecompress::Sync)
                    .map_err(|_| InflateError)?;
                self.tail_fed += (state.total_in() - before) as usize;
                if status == Status::StreamEnd {
                    self.stream_ended = true;
                }
                let progress = state.total_in() != before || state.total_out() != before_out;
                if self.tail_fed == TAIL.len() && out.len() < out.capacity() || !progress {
                    break;
                }
            }
            // Complete once the tail is in and the output was not cut short.
            if (self.tail_fed == TAIL.len() || self.stream_ended) && out.len() < out.capacity() {
                done = true;
                self.end_message();
            }
        }
        Ok(Inflated { consumed, produced: out.len() - start, done })
    }

    /// Between messages: without context takeover the state is freed (an
    /// idle connection then holds none; making it again costs about a
    /// microsecond); after a final block it is reset.
    fn end_message(&mut self) {
        if self.no_context_takeover {
            self.state = None;
        } else if self.stream_ended {
            if let Some(state) = self.state.as_mut() {
                state.reset(false);
            }
        }
        self.tail_fed = 0;
        self.stream_ended = false;
    }
}
