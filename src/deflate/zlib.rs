//! The deflate backend: C zlib (libz-sys, built from its bundled source),
//! behind two safe owners of a raw stream, [`RawDeflate`] and
//! [`RawInflate`].
//!
//! C zlib is chosen because it honours the memory level: its hash table is
//! `2^(mem_level + 8)` bytes where zlib-rs and zlib-ng keep 128 KiB
//! whatever the settings (see the table in [`crate::deflate`]). Every
//! allocation zlib makes goes through Rust's global allocator
//! ([`zalloc`]), so the memory a connection holds is seen, and counted, like
//! the rest of the crate's.

use core::ffi::{c_int, c_uint, c_void};
use std::alloc::{Layout, alloc, dealloc};

use libz_sys as z;

/// Room kept before each block zlib asks for, holding the block's size so
/// [`zfree`] can rebuild its layout; also the blocks' alignment.
const HEADER: usize = 16;

/// zlib's allocator: `items * size` bytes from the global allocator, with
/// the block's size stored just before the pointer returned. Null when the
/// size overflows or the allocator fails, which zlib reports as
/// `Z_MEM_ERROR`.
unsafe extern "C" fn zalloc(_opaque: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    let Some(total) = (items as usize).checked_mul(size as usize).and_then(|n| n.checked_add(HEADER)) else {
        return core::ptr::null_mut();
    };
    let Ok(layout) = Layout::from_size_align(total, HEADER) else {
        return core::ptr::null_mut();
    };
    // SAFETY: the layout's size is at least HEADER, never zero.
    let block = unsafe { alloc(layout) };
    if block.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: the block is at least HEADER bytes long and aligned to HEADER,
    // which is a multiple of usize's alignment, so the size fits at its
    // start, and the pointer HEADER bytes further is still inside it (or
    // one past its end for a zero-sized request).
    unsafe {
        block.cast::<usize>().write(total);
        block.add(HEADER).cast()
    }
}

/// Frees a block [`zalloc`] returned.
unsafe extern "C" fn zfree(_opaque: *mut c_void, address: *mut c_void) {
    if address.is_null() {
        return;
    }
    // SAFETY: zlib passes back only pointers `zalloc` returned, which are
    // HEADER bytes into a block of the global allocator whose total size
    // was written at its start with the layout's alignment HEADER; that
    // size and alignment formed a valid layout when it was allocated.
    unsafe {
        let block = address.cast::<u8>().sub(HEADER);
        let total = block.cast::<usize>().read();
        dealloc(block, Layout::from_size_align_unchecked(total, HEADER));
    }
}

/// A stream with no state yet, using [`zalloc`] and [`zfree`].
fn blank_stream() -> Box<z::z_stream> {
    Box::new(z::z_stream {
        next_in: core::ptr::null_mut(),
        avail_in: 0,
        total_in: 0,
        next_out: core::ptr::null_mut(),
        avail_out: 0,
        total_out: 0,
        msg: core::ptr::null_mut(),
        state: core::ptr::null_mut(),
        zalloc,
        zfree,
        opaque: core::ptr::null_mut(),
        data_type: 0,
        adler: 0,
        reserved: 0,
    })
}

/// What one call of [`RawDeflate::deflate`] or [`RawInflate::inflate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// Bytes taken from the input.
    pub(crate) consumed: usize,
    /// Bytes appended to the output.
    pub(crate) produced: usize,
    /// (Inflate) The stream ended: a block with BFINAL set was decoded.
    pub(crate) stream_end: bool,
}

/// The backend reported an error (bad data for the inflater, a broken
/// state or no memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ZlibError;

/// Runs one call of `step` (zlib's `deflate` or `inflate`) over `input` and
/// the spare capacity of `out`, with a sync flush.
fn run(
    stream: &mut z::z_stream,
    input: &[u8],
    out: &mut Vec<u8>,
    step: unsafe extern "C" fn(z::z_streamp, c_int) -> c_int,
) -> Result<Step, ZlibError> {
    let avail_in = c_uint::try_from(input.len()).unwrap_or(c_uint::MAX);
    let spare = out.capacity() - out.len();
    let avail_out = c_uint::try_from(spare).unwrap_or(c_uint::MAX);
    // zlib never writes through next_in; the cast only fits its signature.
    stream.next_in = input.as_ptr().cast_mut();
    stream.avail_in = avail_in;
    // SAFETY: `out.len()` is within the allocation (at most its capacity).
    stream.next_out = unsafe { out.as_mut_ptr().add(out.len()) };
    stream.avail_out = avail_out;
    // SAFETY: the stream was initialised by deflateInit2_/inflateInit2_
    // (the owners only exist once that succeeded) and has not moved since
    // (it is boxed); next_in/avail_in describe readable memory of `input`
    // and next_out/avail_out the spare capacity of `out`, both borrowed for
    // the whole call.
    let code = unsafe { step(stream, z::Z_SYNC_FLUSH) };
    let consumed = (avail_in - stream.avail_in) as usize;
    let produced = (avail_out - stream.avail_out) as usize;
    stream.next_in = core::ptr::null_mut();
    stream.avail_in = 0;
    stream.next_out = core::ptr::null_mut();
    stream.avail_out = 0;
    // SAFETY: zlib wrote `produced` bytes at the old end of `out`, inside
    // its spare capacity, so they are initialised and within capacity.
    unsafe { out.set_len(out.len() + produced) };
    match code {
        // Z_BUF_ERROR: no progress was possible (no input or no room); not fatal.
        z::Z_OK | z::Z_BUF_ERROR => Ok(Step { consumed, produced, stream_end: false }),
        z::Z_STREAM_END => Ok(Step { consumed, produced, stream_end: true }),
        _ => Err(ZlibError),
    }
}

/// An initialised raw deflate stream (no zlib header), freed on drop.
pub(crate) struct RawDeflate {
    stream: Box<z::z_stream>,
}

// SAFETY: the stream's state is owned by this value alone, reached only
// through `&mut self`, and zlib keeps no thread-local or global state.
unsafe impl Send for RawDeflate {}
// SAFETY: no method taking `&self` touches the stream.
unsafe impl Sync for RawDeflate {}

impl RawDeflate {
    /// A deflater at `level` (0–9), with a window of `2^window_bits` bytes
    /// (9–15) and a hash table of `2^(mem_level + 8)` bytes (`mem_level`
    /// 1–9). Allocates all of its state now. `None` if zlib refuses the
    /// parameters or is out of memory.
    pub(crate) fn new(level: u8, window_bits: u8, mem_level: u8) -> Option<RawDeflate> {
        let mut stream = blank_stream();
        let size = c_int::try_from(size_of::<z::z_stream>()).ok()?;
        // SAFETY: `stream` is a blank stream with valid allocator functions;
        // zlibVersion returns a static string; the size is that of the struct
        // the library was built for (libz-sys matches its own build).
        let code = unsafe {
            z::deflateInit2_(
                &mut *stream,
                c_int::from(level),
                z::Z_DEFLATED,
                -c_int::from(window_bits),
                c_int::from(mem_level),
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                size,
            )
        };
        (code == z::Z_OK).then_some(RawDeflate { stream })
    }

    /// Compresses from `input` into the spare capacity of `out`, ending with
    /// a sync flush once all input is in and room is left.
    pub(crate) fn deflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Step, ZlibError> {
        run(&mut self.stream, input, out, z::deflate)
    }

    /// Forgets the window (no context takeover), keeping the memory.
    pub(crate) fn reset(&mut self) -> Result<(), ZlibError> {
        // SAFETY: the stream was initialised by deflateInit2_ and not moved.
        let code = unsafe { z::deflateReset(&mut *self.stream) };
        if code == z::Z_OK { Ok(()) } else { Err(ZlibError) }
    }
}

impl Drop for RawDeflate {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised by deflateInit2_ and is ended once.
        unsafe { z::deflateEnd(&mut *self.stream) };
    }
}

/// An initialised raw inflate stream, freed on drop.
pub(crate) struct RawInflate {
    stream: Box<z::z_stream>,
}

// SAFETY: as for RawDeflate: owned state, reached only through `&mut self`.
unsafe impl Send for RawInflate {}
// SAFETY: no method taking `&self` touches the stream.
unsafe impl Sync for RawInflate {}

impl RawInflate {
    /// An inflater for streams made with a window of at most
    /// `2^window_bits` bytes (8–15); a back reference further than that is
    /// an error. The window itself is allocated when output first needs it.
    pub(crate) fn new(window_bits: u8) -> Option<RawInflate> {
        let mut stream = blank_stream();
        let size = c_int::try_from(size_of::<z::z_stream>()).ok()?;
        // SAFETY: as in RawDeflate::new.
        let code = unsafe { z::inflateInit2_(&mut *stream, -c_int::from(window_bits), z::zlibVersion(), size) };
        (code == z::Z_OK).then_some(RawInflate { stream })
    }

    /// Inflates from `input` into the spare capacity of `out`.
    pub(crate) fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Step, ZlibError> {
        run(&mut self.stream, input, out, z::inflate)
    }

    /// Starts a new stream with the same window, keeping the memory.
    pub(crate) fn reset(&mut self) -> Result<(), ZlibError> {
        // SAFETY: the stream was initialised by inflateInit2_ and not moved.
        let code = unsafe { z::inflateReset(&mut *self.stream) };
        if code == z::Z_OK { Ok(()) } else { Err(ZlibError) }
    }
}

impl Drop for RawInflate {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised by inflateInit2_ and is ended once.
        unsafe { z::inflateEnd(&mut *self.stream) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_at_every_window() {
        let text = b"a chat message, a chat message, a chat message with some words".repeat(20);
        for bits in 9..=15 {
            for mem_level in [1, 5, 9] {
                let mut deflater = RawDeflate::new(6, bits, mem_level).unwrap();
                let mut wire = Vec::with_capacity(4096);
                let step = deflater.deflate(&text, &mut wire).unwrap();
                assert_eq!(step.consumed, text.len());
                let mut inflater = RawInflate::new(bits).unwrap();
                let mut back = Vec::with_capacity(text.len() + 1);
                let step = inflater.inflate(&wire, &mut back).unwrap();
                assert_eq!(step.consumed, wire.len());
                assert_eq!(back, text);
            }
        }
    }

    #[test]
    fn refuses_what_zlib_refuses() {
        // A raw stream with a 256-byte window, and memory levels outside 1–9.
        assert!(RawDeflate::new(6, 8, 8).is_none());
        assert!(RawDeflate::new(6, 15, 0).is_none());
        assert!(RawDeflate::new(6, 15, 10).is_none());
        assert!(RawInflate::new(16).is_none());
    }

    #[test]
    fn a_reference_past_the_window_is_an_error() {
        // 2000 distinct bytes, then a repeat of the first 64 of them: at
        // window 15 the repeat is a back reference 2000 bytes away.
        let mut seed = 1u32;
        let mut data: Vec<u8> = (0..2000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8
            })
            .collect();
        data.extend_from_within(..200);
        let mut deflater = RawDeflate::new(9, 15, 9).unwrap();
        let mut wire = Vec::with_capacity(8192);
        deflater.deflate(&data, &mut wire).unwrap();
        // Output taken 1000 bytes at a time: the reference reaches into
        // what the window kept of earlier calls.
        let inflate_in_pieces = |bits| {
            let mut inflater = RawInflate::new(bits).unwrap();
            let mut offset = 0;
            for _ in 0..8 {
                let mut back = Vec::with_capacity(1000);
                offset += inflater.inflate(&wire[offset..], &mut back)?.consumed;
            }
            Ok(())
        };
        assert_eq!(inflate_in_pieces(15), Ok(()));
        assert_eq!(inflate_in_pieces(9), Err(ZlibError));
    }
}
