//! Room in the input buffer for large frames: each frame's payload lands
//! contiguous, copied once, and a stream of them reuses two buffers.

use bytes::BytesMut;

/// The most room made beyond the frame in progress, for the frame (or the
/// read) after it. Room for one more frame measured fastest (the buffer
/// stays hot in cache); room for several kept a larger buffer colder.
const ROOM_AHEAD_MAX: usize = 256 * 1024;

/// Room made for a frame also fits the header of the one after it.
const ROOM_SLACK: usize = 64;

/// The largest buffer kept as the spare: room for a 1 MiB frame, a frame or
/// read ahead, and a read. A stream of larger frames allocates a buffer per
/// frame (a small cost next to copying such a frame) rather than keep two
/// of them per connection.
const SPARE_MAX: usize = 2 << 20;

/// The buffers the input moves between while large frames arrive.
#[derive(Debug, Default)]
pub(super) struct FrameRoom {
    /// The buffer the input held before its current one; switched back to
    /// once every message split from it has been dropped.
    spare: BytesMut,
    /// The size of the allocation behind `spare` (its view can be shorter).
    spare_size: usize,
    /// The size of the allocation behind the input buffer when this gave it
    /// the buffer (at least what it asked for); 0 until then, and again
    /// after [`FrameRoom::release`].
    input_size: usize,
}

impl FrameRoom {
    /// Makes room in `input` for the frame whose payload is arriving at its
    /// front, `rest` more bytes of it (`frame_len` in all), in a read of
    /// which `data_len` bytes are left of `read`: the frame ends up
    /// contiguous without being moved read by read, and the bytes after it
    /// in the read are appended without moving it either. A frame that
    /// starts now and runs past this read also gets room for one more read
    /// like this one.
    ///
    /// The room is in `input` if it has it, or can have it back because no
    /// received payload still shares it; else in the spare on the same
    /// terms, or in a new buffer with room for one more frame or read like
    /// this one (at most [`ROOM_AHEAD_MAX`] more). The buffer left behind
    /// becomes the spare, if it is not over [`SPARE_MAX`].
    pub(super) fn make(&mut self, input: &mut BytesMut, rest: usize, data_len: usize, read: usize, frame_len: usize) {
        let need = if rest <= data_len {
            data_len
        } else if input.is_empty() {
            rest.max(data_len + read)
        } else {
            rest
        };
        if input.capacity() - input.len() >= need || input.try_reclaim(need) {
            return;
        }
        let want = input.len() + need + frame_len.max(read).min(ROOM_AHEAD_MAX) + ROOM_SLACK;
        let mut next = core::mem::take(&mut self.spare);
        next.clear();
        let next_size = if next.try_reclaim(want) {
            self.spare_size.max(want)
        } else {
            next = BytesMut::with_capacity(want);
            next.capacity()
        };
        next.extend_from_slice(input);
        let left = core::mem::replace(input, next);
        if self.input_size <= SPARE_MAX {
            (self.spare, self.spare_size) = (left, self.input_size);
        } else {
            self.spare_size = 0;
        }
        self.input_size = next_size;
    }

    /// Lets go of the spare; returns whether the input changed buffers since
    /// the last call, in which case the caller lets go of its input buffer
    /// too once it is empty.
    #[inline]
    pub(super) fn release(&mut self) -> bool {
        let switched = self.input_size > 0;
        // Unconditionally: an empty view can still hold a buffer.
        *self = FrameRoom::default();
        switched
    }
}
