//! Per-message compression and decompression (RFC 7692 §7.2), on C zlib
//! ([`super::zlib`]). Each state is allocated on first use and, without
//! context takeover, freed when its message is done, so a connection that
//! negotiated the extension but is idle holds none.

use core::cell::RefCell;
use core::fmt;

use super::zlib::{RawDeflate, RawInflate};

/// The empty stored block that ends every sync flush; the sender removes it
/// from a message's end and the receiver puts it back (§7.2.1, §7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The smallest window the backend compresses with. zlib refuses a raw
/// deflate stream with 8 (its `deflateInit2` once turned 8 into 9
/// silently), so a compressor limited to 8 bits does not compress at all:
/// see [`Compressor::can_compress`].
pub const MIN_COMPRESS_WINDOW_BITS: u8 = 9;

/// How a [`Compressor`] compresses: level, window, memory level, context
/// takeover, and whether it borrows its thread's shared state.
///
/// The state it holds while allocated is about
/// `2^(window_bits + 2) + 2^(mem_level + 9) + 6 KiB` bytes (zlib's window
/// and its hash chains, its hash table and pending buffer, and its fixed
/// state): 38 KiB for 12 bits and memory level 5, 262 KiB for 15 and 8.
///
/// ```
/// use wsproto::deflate::{Compressor, CompressorOptions};
///
/// let options = CompressorOptions::new().level(6).window_bits(12).mem_level(5);
/// let mut compressor = Compressor::new(options);
/// let mut wire = Vec::new();
/// compressor.compress(b"Hello", true, &mut wire)?;
/// assert_eq!(wire, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
/// # Ok::<(), wsproto::deflate::CompressError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CompressorOptions {
    /// Compression level, 0 (stored) to 9 (smallest); values above are
    /// clamped. Default 6 (zlib's default).
    pub level: u8,
    /// The LZ77 window is `2^window_bits` bytes, 8–15 (clamped). 8 cannot
    /// be produced by the backend: such a compressor does not compress
    /// ([`Compressor::can_compress`]). Default 15.
    pub window_bits: u8,
    /// zlib's memory level, 1–9 (clamped): the hash table has
    /// `2^(mem_level + 7)` entries and the pending buffer
    /// `2^(mem_level + 8)` bytes. Lower levels cost memory less and find
    /// fewer matches. Default 8 (zlib's default).
    pub mem_level: u8,
    /// Every message is compressed on its own, and the state is freed when
    /// a message is done. Default off (context takeover: the window carries
    /// over, and the state is kept).
    pub no_context_takeover: bool,
    /// With `no_context_takeover`: a message compressed in one call (`fin`
    /// on its first piece) uses a state shared by every compressor of the
    /// thread with the same level, window and memory level, so a
    /// compressor holds no memory of its own. A message compressed in
    /// several calls still gets its own state for its length. Ignored with
    /// context takeover. Default off.
    pub shared: bool,
}

impl Default for CompressorOptions {
    fn default() -> Self {
        CompressorOptions { level: 6, window_bits: 15, mem_level: 8, no_context_takeover: false, shared: false }
    }
}

impl CompressorOptions {
    /// zlib's defaults: level 6, a 2^15-byte window, memory level 8, context
    /// takeover, a state of its own.
    pub fn new() -> CompressorOptions {
        CompressorOptions::default()
    }

    /// Sets [`CompressorOptions::level`].
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// Sets [`CompressorOptions::window_bits`].
    pub fn window_bits(mut self, bits: u8) -> Self {
        self.window_bits = bits;
        self
    }

    /// Sets [`CompressorOptions::mem_level`].
    pub fn mem_level(mut self, mem_level: u8) -> Self {
        self.mem_level = mem_level;
        self
    }

    /// Sets [`CompressorOptions::no_context_takeover`].
    pub fn no_context_takeover(mut self, on: bool) -> Self {
        self.no_context_takeover = on;
        self
    }

    /// Sets [`CompressorOptions::shared`].
    pub fn shared(mut self, on: bool) -> Self {
        self.shared = on;
        self
    }

    /// The options with every value in its range.
    fn clamped(self) -> CompressorOptions {
        CompressorOptions {
            level: self.level.min(9),
            window_bits: self.window_bits.clamp(8, 15),
            mem_level: self.mem_level.clamp(1, 9),
            ..self
        }
    }

    /// What a shared state is keyed by.
    fn key(&self) -> (u8, u8, u8) {
        (self.level, self.window_bits, self.mem_level)
    }
}

/// Compresses the messages of one direction.
///
/// Messages are compressed with a sync flush and the trailing `00 00 ff ff`
/// removed. With context takeover the window carries over to the next
/// message; without it every message starts afresh and the state is freed
/// (or, [`shared`](CompressorOptions::shared), never owned).
pub struct Compressor {
    options: CompressorOptions,
    state: Option<RawDeflate>,
    /// A message is under way (some of it compressed, `fin` not yet seen).
    in_message: bool,
    /// Tests: the next `compress` fails, as a broken backend would.
    #[cfg(test)]
    pub(crate) fail_next: bool,
}

impl fmt::Debug for Compressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compressor")
            .field("options", &self.options)
            .field("allocated", &self.state.is_some())
            .finish_non_exhaustive()
    }
}

/// The backend refused to compress (a broken state, or no memory for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressError;

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deflate compressor failed")
    }
}

impl std::error::Error for CompressError {}

/// Shared compressor states per thread, at most this many (one per
/// combination of level, window and memory level in use).
const MAX_SHARED: usize = 4;

/// A shared state's key (level, window bits, memory level) and the state.
type SharedState = ((u8, u8, u8), RawDeflate);

thread_local! {
    /// The states of shared compressors on this thread, with their key,
    /// oldest first.
    static SHARED: RefCell<Vec<SharedState>> = const { RefCell::new(Vec::new()) };
}

impl Compressor {
    /// A compressor with `options` (values out of range are clamped).
    /// Allocates nothing until the first message.
    pub fn new(options: CompressorOptions) -> Compressor {
        Compressor {
            options: options.clamped(),
            state: None,
            in_message: false,
            #[cfg(test)]
            fail_next: false,
        }
    }

    /// The options in force, clamped.
    pub fn options(&self) -> CompressorOptions {
        self.options
    }

    /// Whether this compressor can honour its window: false for 8 bits,
    /// which the backend cannot produce. Messages are then sent
    /// uncompressed, which RFC 7692 always allows (RSV1 clear).
    pub fn can_compress(&self) -> bool {
        self.options.window_bits >= MIN_COMPRESS_WINDOW_BITS
    }

    /// Whether this compressor holds a backend state of its own.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Frees the backend state (it is allocated again on the next message).
    /// Only between messages, and only without context takeover: with it,
    /// the window the peer still refers to would be lost. Done by itself
    /// after each message without context takeover.
    pub fn release(&mut self) {
        if self.options.no_context_takeover && !self.in_message {
            self.state = None;
        }
    }

    /// The most bytes `compress` can append for `len` bytes of input: a
    /// block of static Huffman codes expands incompressible data by up to
    /// 9/8; block headers and the flush add a few bytes.
    pub fn bound(len: usize) -> usize {
        len.saturating_add(len / 8).saturating_add(64)
    }

    /// Compresses `data`, the next piece of a message, and appends the
    /// output to `out`. `fin` ends the message: its trailing `00 00 ff ff`
    /// is removed and, without context takeover, the state is freed.
    ///
    /// Must not be called when [`can_compress`](Self::can_compress) is
    /// false. An error leaves the compressor unusable for the connection
    /// (the peer's window no longer matches ours).
    pub fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) -> Result<(), CompressError> {
        debug_assert!(self.can_compress());
        #[cfg(test)]
        if core::mem::take(&mut self.fail_next) {
            return Err(CompressError);
        }
        let options = self.options;
        let bits = options.window_bits.max(MIN_COMPRESS_WINDOW_BITS);
        if fin
            && !self.in_message
            && options.shared
            && options.no_context_takeover
            && self.state.is_none()
            && let Some(result) = compress_shared(options, bits, data, out)
        {
            return result;
        }
        let state = match self.state.as_mut() {
            Some(state) => state,
            None => self.state.insert(RawDeflate::new(options.level, bits, options.mem_level).ok_or(CompressError)?),
        };
        self.in_message = !fin;
        compress_into(state, data, fin, out)?;
        if fin && options.no_context_takeover {
            self.state = None;
        }
        Ok(())
    }
}

/// Compresses a whole message with the thread's shared state for
/// `options`, reset after it. `None` when the shared states are in use
/// (never, unless a compressor is used from inside another's call).
fn compress_shared(
    options: CompressorOptions,
    bits: u8,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Option<Result<(), CompressError>> {
    SHARED
        .try_with(|shared| {
            let mut shared = shared.try_borrow_mut().ok()?;
            let key = options.key();
            let index = match shared.iter().position(|(k, _)| *k == key) {
                Some(index) => index,
                None => {
                    let Some(state) = RawDeflate::new(options.level, bits, options.mem_level) else {
                        return Some(Err(CompressError));
                    };
                    if shared.len() == MAX_SHARED {
                        shared.remove(0);
                    }
                    shared.push((key, state));
                    shared.len() - 1
                }
            };
            let state = &mut shared[index].1;
            let result = compress_into(state, data, true, out);
            // A failed reset leaves a state that must not be used again.
            if result.is_err() || state.reset().is_err() {
                shared.remove(index);
                return Some(Err(CompressError));
            }
            Some(result)
        })
        .ok()
        .flatten()
}

/// Compresses `data` with `state` into `out`, with a sync flush; `fin`
/// removes the flush's trailing `00 00 ff ff`.
fn compress_into(state: &mut RawDeflate, data: &[u8], fin: bool, out: &mut Vec<u8>) -> Result<(), CompressError> {
    let start = out.len();
    let mut consumed = 0;
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve((data.len() - consumed).max(64));
        }
        let step = state.deflate(&data[consumed..], out).map_err(|_| CompressError)?;
        consumed += step.consumed;
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
    }
    Ok(())
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

/// How a [`Decompressor`] inflates: what the peer agreed to compress with.
///
/// ```
/// use wsproto::deflate::{Decompressor, DecompressorOptions};
///
/// // A peer that agreed to a 2^12-byte window and no context takeover.
/// let decompressor = Decompressor::new(DecompressorOptions::new().window_bits(12).no_context_takeover(true));
/// assert_eq!(decompressor.window_bits(), 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DecompressorOptions {
    /// The peer compresses with a window of at most `2^window_bits` bytes,
    /// 8–15 (clamped; 8 is inflated with 9). Default 15.
    pub window_bits: u8,
    /// Every message starts afresh (the peer promised not to refer back
    /// across messages), and the state is freed between messages. Default
    /// off.
    pub no_context_takeover: bool,
}

impl Default for DecompressorOptions {
    fn default() -> Self {
        DecompressorOptions { window_bits: 15, no_context_takeover: false }
    }
}

impl DecompressorOptions {
    /// A 2^15-byte window, context takeover: what any peer may send.
    pub fn new() -> DecompressorOptions {
        DecompressorOptions::default()
    }

    /// Sets [`DecompressorOptions::window_bits`].
    pub fn window_bits(mut self, bits: u8) -> Self {
        self.window_bits = bits;
        self
    }

    /// Sets [`DecompressorOptions::no_context_takeover`].
    pub fn no_context_takeover(mut self, on: bool) -> Self {
        self.no_context_takeover = on;
        self
    }
}

/// Inflates the messages of one direction, with the output bounded by the
/// caller: each call writes at most the spare capacity of its output
/// vector, so a small message that would inflate to gigabytes costs at most
/// what the caller allows before it is refused.
///
/// The window is the one the peer agreed to compress with (at least 2^9
/// bytes: zlib before 1.2.9 turned a requested 8 into 9 without saying), so
/// the state is about `2^window_bits + 7 KiB` while allocated; a back
/// reference past what that window kept of earlier output is refused as
/// invalid data.
pub struct Decompressor {
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<RawInflate>,
    /// Bytes of [`TAIL`] already fed for the current message.
    tail_fed: usize,
    /// The peer ended its deflate stream (a block with BFINAL set): the
    /// rest of the message is ignored and the state is reset after it.
    stream_ended: bool,
}

impl fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decompressor")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish_non_exhaustive()
    }
}

impl Decompressor {
    /// A decompressor for a peer that compresses as `options` say (see
    /// [`DecompressorOptions`]). Allocates nothing until the first message.
    pub fn new(options: DecompressorOptions) -> Decompressor {
        Decompressor {
            window_bits: options.window_bits.clamp(MIN_COMPRESS_WINDOW_BITS, 15),
            no_context_takeover: options.no_context_takeover,
            state: None,
            tail_fed: 0,
            stream_ended: false,
        }
    }

    /// The window inflated with, as a base-2 logarithm.
    pub fn window_bits(&self) -> u8 {
        self.window_bits
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
        let state = match self.state.as_mut() {
            Some(state) => state,
            None => self.state.insert(RawInflate::new(self.window_bits).ok_or(InflateError)?),
        };
        let mut consumed = 0;
        if self.stream_ended {
            // After a final block nothing more belongs to the stream.
            consumed = input.len();
        } else {
            // Runs with empty input too: output held back by a full buffer comes out.
            while out.len() < out.capacity() {
                let step = state.inflate(&input[consumed..], out).map_err(|_| InflateError)?;
                consumed += step.consumed;
                if step.stream_end {
                    self.stream_ended = true;
                    consumed = input.len();
                    break;
                } else if step.consumed == 0 && step.produced == 0 {
                    break;
                }
            }
        }
        let mut done = false;
        if last && consumed == input.len() {
            while !self.stream_ended && out.len() < out.capacity() {
                let step = state.inflate(&TAIL[self.tail_fed..], out).map_err(|_| InflateError)?;
                self.tail_fed += step.consumed;
                if step.stream_end {
                    self.stream_ended = true;
                }
                let progress = step.consumed != 0 || step.produced != 0;
                if self.tail_fed == TAIL.len() && out.len() < out.capacity() || !progress {
                    break;
                }
            }
            // Complete once the tail is in and the output was not cut short.
            if (self.tail_fed == TAIL.len() || self.stream_ended) && out.len() < out.capacity() {
                done = true;
                self.end_message()?;
            }
        }
        Ok(Inflated { consumed, produced: out.len() - start, done })
    }

    /// Between messages: without context takeover the state is freed (an
    /// idle connection then holds none; making it again costs about a
    /// microsecond); after a final block it is reset.
    fn end_message(&mut self) -> Result<(), InflateError> {
        if self.no_context_takeover {
            self.state = None;
        } else if self.stream_ended
            && let Some(state) = self.state.as_mut()
        {
            state.reset().map_err(|_| InflateError)?;
        }
        self.tail_fed = 0;
        self.stream_ended = false;
        Ok(())
    }
}
