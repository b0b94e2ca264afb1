//! The connection's input buffer: the transport is read straight into its
//! spare room, frames are decoded and unmasked where they landed, and whole
//! messages are split off (owned) or lent from it without a copy.
//!
//! Reading into spare capacity needs initialized memory (`std::io::Read`
//! takes `&mut [u8]`), and zero-filling the room before every read would
//! cost a pass over every byte received. So this type keeps one invariant,
//! which its two `unsafe` blocks rely on:
//!
//! **Every byte of every allocation behind `buf` and `spare` has been
//! initialized.**
//!
//! It holds because allocations are only ever made here, zero-filled
//! ([`zeroed`]), and the only `BytesMut` operations used on them never
//! allocate: `split_to`, `advance`, `truncate`, `clear`, `try_reclaim`
//! (which reuses the same allocation), and `extend_from_slice` within the
//! capacity checked just before. Nothing else can reach the buffers: they
//! are private, and no `&mut BytesMut` is handed out.

#![allow(unsafe_code)] // Two blocks, each with the invariant it rests on.

use bytes::{Buf, Bytes, BytesMut};

/// The room offered to a read when no frame in progress asks for more; the
/// most the benches' and the drivers' reads return.
pub(crate) const READ_ROOM: usize = 64 * 1024;

/// The room offered to the first read into a buffer that was given back
/// (see [`InputBuffer::release`]): a connection waking from idle mostly
/// reads a small message, so it allocates little; a read that fills it is
/// followed by [`READ_ROOM`].
pub(crate) const FIRST_READ_ROOM: usize = 4096;

/// The most room made ahead of the bytes that have arrived, whatever a
/// frame header claims: a peer makes us hold memory only by sending bytes.
pub(crate) const ROOM_AHEAD_MAX: usize = 256 * 1024;

/// Room made for a frame also fits the header of the one after it.
pub(crate) const ROOM_SLACK: usize = 64;

/// The largest buffer kept as the spare. A stream of larger frames
/// allocates per frame rather than keep two such buffers per connection.
const SPARE_MAX: usize = 2 << 20;

/// Received bytes not yet taken, and room after them to read into.
#[derive(Debug, Default)]
pub(crate) struct InputBuffer {
    /// The bytes received, from `start` on not yet taken, then the room.
    buf: BytesMut,
    /// Bytes at the front of `buf` already taken: dropped from `buf` lazily
    /// ([`normalize`](Self::normalize)), so taking a message costs an add.
    start: usize,
    /// The buffer used before `buf`, kept empty for reuse once every message
    /// split from it has been dropped (at most [`SPARE_MAX`]).
    spare: BytesMut,
    /// The size of the allocation behind `buf`, when this made it.
    buf_size: usize,
    /// The size of the allocation behind `spare`.
    spare_size: usize,
}

/// A new buffer of `capacity` bytes, every one of them initialized.
fn zeroed(capacity: usize) -> BytesMut {
    let mut buf = BytesMut::zeroed(capacity);
    buf.clear();
    buf
}

impl InputBuffer {
    /// Bytes received and not yet taken.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether no buffer is allocated (new, or given back).
    #[inline]
    pub(crate) fn is_unallocated(&self) -> bool {
        self.buf_size == 0 && self.buf.capacity() == 0
    }

    /// Whether nothing received is waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the bytes already taken from `buf` itself.
    #[inline]
    fn normalize(&mut self) {
        if self.start > 0 {
            self.buf.advance(self.start);
            self.start = 0;
        }
    }

    /// The capacity of the buffer in use, from its first received byte.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Room after the received bytes, at least `want` bytes long unless
    /// `want` is 0. The room is made, in order of preference, where it
    /// already is, by moving the received bytes to the front of the same
    /// buffer or of the spare when nothing else still shares it, or in a
    /// new buffer of exactly the received bytes plus `want` (plus a little
    /// slack), the received bytes copied over.
    ///
    /// The caller chooses `want`: the frame in progress, or a read's worth,
    /// and never more than [`ROOM_AHEAD_MAX`] for a frame whose bytes have
    /// not arrived. An existing buffer may offer more room than `want`.
    #[inline]
    pub(crate) fn room(&mut self, want: usize) -> &mut [u8] {
        self.room_growing(want, want)
    }

    /// As [`room`](Self::room): at least `want` bytes; when the room has to
    /// be made, it is made for `grow` bytes (at least `want`), so a frame
    /// arriving read by read does not move at every read.
    #[inline]
    pub(crate) fn room_growing(&mut self, want: usize, grow: usize) -> &mut [u8] {
        self.normalize();
        if self.buf.is_empty() && self.buf.capacity() < self.buf_size {
            // Nothing waiting: read at the start of the buffer again (where
            // the last reads were, still in cache) if nothing shares it.
            let _ = self.buf.try_reclaim(self.buf_size);
        }
        if self.buf.capacity() - self.buf.len() < want {
            self.make_room(grow.max(want));
        }
        let spare = self.buf.spare_capacity_mut();
        let len = spare.len();
        // SAFETY: by the invariant of this type (module docs), every byte of
        // the allocation behind `buf` is initialized, so its spare capacity
        // is `len` initialized bytes; `MaybeUninit<u8>` has the layout of
        // `u8`, and the slice borrows `self` mutably for its whole life.
        unsafe { core::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<u8>(), len) }
    }

    /// Makes room for `whole` bytes after the received ones if a buffer
    /// already allocated has it (moving the received bytes to its front),
    /// without allocating; returns whether there is such room now.
    pub(crate) fn reuse_room(&mut self, whole: usize) -> bool {
        self.normalize();
        self.buf.try_reclaim(whole)
    }

    /// Records that the first `n` bytes of the last [`room`](Self::room)
    /// now hold received data.
    ///
    /// # Panics
    /// If `n` is more than that room.
    #[inline]
    pub(crate) fn commit(&mut self, n: usize) {
        let len = self.buf.len();
        assert!(n <= self.buf.capacity() - len, "reported more bytes than the room holds");
        // SAFETY: `len + n` is within the capacity (checked above) and the
        // bytes up to it are initialized (the invariant of this type: every
        // byte of the allocation is), so they may become part of the buffer.
        unsafe { self.buf.set_len(len + n) };
    }

    /// Appends `data`, making room for it first.
    pub(crate) fn extend_from_slice(&mut self, data: &[u8]) {
        let room = self.room(data.len());
        room[..data.len()].copy_from_slice(data);
        self.commit(data.len());
    }

    /// Takes the first `n` bytes, without a copy.
    #[inline]
    pub(crate) fn split_to(&mut self, n: usize) -> Bytes {
        self.take(0, n)
    }

    /// Takes bytes `at..end` of what is waiting, without a copy, and drops
    /// the first `end`.
    #[inline]
    pub(crate) fn take(&mut self, at: usize, end: usize) -> Bytes {
        assert!(at <= end && end <= self.len(), "take past the received bytes");
        let mut taken = self.buf.split_to(self.start + end).freeze();
        taken.advance(self.start + at);
        self.start = 0;
        taken
    }

    /// Drops the first `n` bytes.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        assert!(n <= self.len(), "advance past the received bytes");
        self.start += n;
    }

    /// Drops every received byte (input after the connection stopped reading).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Gives back both buffers' memory when nothing received is waiting;
    /// returns whether it did.
    pub(crate) fn release(&mut self) -> bool {
        if !self.is_empty() {
            return false;
        }
        *self = InputBuffer::default();
        true
    }

    /// Moves to a buffer with room for `want` bytes after the received ones:
    /// the same one from its start, the spare, or a new one. The buffer left
    /// becomes the spare if it is as large as this one needs (it is then
    /// only still shared by messages the app holds), else it is dropped (it
    /// was too small: a frame is growing), so a frame arriving never holds
    /// two buffers.
    #[inline(never)]
    fn make_room(&mut self, want: usize) {
        debug_assert_eq!(self.start, 0, "normalized first");
        if self.buf.try_reclaim(want) {
            return;
        }
        let len = self.buf.len();
        let need = len + want;
        let mut next = core::mem::take(&mut self.spare);
        next.clear();
        let next_size = if next.try_reclaim(need) {
            self.spare_size
        } else {
            // Slack for the partial frame that ends a read, so this buffer
            // can be reused for the next read.
            let size = (need + ROOM_SLACK + 4096).next_multiple_of(4096);
            next = zeroed(size);
            size
        };
        next.extend_from_slice(&self.buf);
        let left = core::mem::replace(&mut self.buf, next);
        let left_size = core::mem::replace(&mut self.buf_size, next_size);
        (self.spare, self.spare_size) = if left_size >= need && left_size <= SPARE_MAX {
            let mut left = left;
            left.clear();
            (left, left_size)
        } else {
            (BytesMut::new(), 0)
        };
    }
}

impl core::ops::Deref for InputBuffer {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

impl core::ops::DerefMut for InputBuffer {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_read_into_and_committed() {
        let mut input = InputBuffer::default();
        let room = input.room(10);
        assert!(room.len() >= 10);
        room[..3].copy_from_slice(b"abc");
        input.commit(3);
        assert_eq!(&input[..], b"abc");
        input.extend_from_slice(b"def");
        assert_eq!(input.split_to(4), &b"abcd"[..]);
        assert_eq!(&input[..], b"ef");
    }

    #[test]
    fn room_moves_received_bytes_and_keeps_them() {
        let mut input = InputBuffer::default();
        input.extend_from_slice(&[7; 100]);
        let held = input.split_to(60);
        // The first buffer is shared by `held`: a new one is made.
        let room = input.room(1000);
        assert!(room.len() >= 1000);
        assert_eq!(&input[..], &[7; 40][..]);
        // Room in a reused buffer is initialized memory: readable, writable.
        let room = input.room(50);
        assert!(room.iter().all(|_| true));
        room.fill(1);
        input.commit(5);
        assert_eq!(&input[40..], &[1; 5][..]);
        assert_eq!(held, &[7; 60][..]);
    }

    #[test]
    fn a_buffer_no_longer_shared_is_reused() {
        let mut input = InputBuffer::default();
        input.extend_from_slice(&[1; 1000]);
        let ptr = input.as_ptr();
        let size = input.capacity();
        drop(input.split_to(1000));
        // More room than is left after the taken bytes: the buffer is
        // reused from its start rather than replaced.
        assert!(input.room(size - 100).len() >= size - 100);
        assert_eq!(input.as_ptr(), ptr);
    }

    #[test]
    fn release_needs_an_empty_buffer() {
        let mut input = InputBuffer::default();
        input.extend_from_slice(b"x");
        assert!(!input.release());
        input.advance(1);
        assert!(input.release());
        assert_eq!(input.capacity(), 0);
        assert_eq!(input.spare.capacity(), 0);
    }

    #[test]
    #[should_panic(expected = "reported more bytes")]
    fn committing_past_the_room_panics() {
        let mut input = InputBuffer::default();
        let len = input.room(8).len();
        input.commit(len + 1);
    }
}
