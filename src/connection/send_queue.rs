//! The output queue: frames waiting to be handed to the transport, in order.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

/// Payloads at least this long are queued by reference instead of copied.
const SHARE_THRESHOLD: usize = 1024;

/// Queued output. Small pieces are coalesced into one buffer; large payloads
/// are kept as the caller's `Bytes`, uncopied. Frame boundaries are tracked
/// so a control frame can be slipped in between frames, never inside one.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    /// Frozen pieces, each marked with whether it ends a frame.
    pieces: VecDeque<(Bytes, bool)>,
    /// Small writes not yet frozen; always holds whole frames when frozen,
    /// except between `begin_shared_payload` and the payload it announces.
    tail: BytesMut,
    /// Bytes of the front piece already handed out.
    front_sent: usize,
    /// Whether the bytes handed out so far end in the middle of a frame.
    mid_frame: bool,
    /// Unsent bytes, in `pieces` and `tail`.
    len: usize,
}

impl SendQueue {
    /// Unsent bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a whole frame: `header`, then `payload` (copied if small).
    pub(crate) fn push_frame(&mut self, header: &[u8], payload: Bytes) {
        self.len += header.len() + payload.len();
        self.tail.extend_from_slice(header);
        if payload.len() < SHARE_THRESHOLD {
            self.tail.extend_from_slice(&payload);
        } else {
            self.freeze_tail(false);
            self.pieces.push_back((payload, true));
        }
    }

    /// Appends bytes that are not a frame (the handshake's HTTP head).
    pub(crate) fn push_raw(&mut self, bytes: &[u8]) {
        self.len += bytes.len();
        self.tail.extend_from_slice(bytes);
    }

    /// Appends a whole frame written by `write` into the coalescing buffer
    /// (used for masked frames, which are masked in place). `write` must
    /// append exactly one whole frame.
    pub(crate) fn push_with(&mut self, write: impl FnOnce(&mut BytesMut)) {
        let before = self.tail.len();
        write(&mut self.tail);
        self.len += self.tail.len() - before;
    }

    /// Queues a whole frame to go out as soon as the frame being sent (if
    /// any) is finished, ahead of other queued frames.
    pub(crate) fn push_urgent(&mut self, frame: Bytes) {
        self.freeze_tail(true);
        self.len += frame.len();
        let at = if self.front_sent == 0 && !self.mid_frame {
            0
        } else {
            // After the piece that finishes the frame being sent.
            self.pieces.iter().position(|(_, ends_frame)| *ends_frame).map_or(self.pieces.len(), |i| i + 1)
        };
        self.pieces.insert(at, (frame, true));
    }

    /// Removes and returns the next piece of output.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        self.freeze_tail(true);
        let (mut piece, ends_frame) = self.pieces.pop_front()?;
        piece.advance(self.front_sent);
        self.front_sent = 0;
        self.mid_frame = !ends_frame;
        self.len -= piece.len();
        Some(piece)
    }

    /// Fills `slices` with the queued output, in order, and returns how many
    /// were filled.
    pub(crate) fn slices<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> usize {
        self.freeze_tail(true);
        let mut filled = 0;
        for (i, ((piece, _), slot)) in self.pieces.iter().zip(slices.iter_mut()).enumerate() {
            let skip = if i == 0 { self.front_sent } else { 0 };
            *slot = IoSlice::new(&piece[skip..]);
            filled += 1;
        }
        filled
    }

    /// Marks `n` bytes from the front as handed to the transport.
    pub(crate) fn advance(&mut self, mut n: usize) {
        self.freeze_tail(true);
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some((front, ends_frame)) = self.pieces.front() else { break };
            let left = front.len() - self.front_sent;
            if n < left {
                self.front_sent += n;
                self.mid_frame = true;
                return;
            }
            n -= left;
            self.mid_frame = !*ends_frame;
            self.front_sent = 0;
            self.pieces.pop_front();
        }
    }

    fn freeze_tail(&mut self, ends_frame: bool) {
        if !self.tail.is_empty() {
            let frozen = self.tail.split().freeze();
            self.pieces.push_back((frozen, ends_frame));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut SendQueue) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(piece) = queue.pop() {
            out.extend_from_slice(&piece);
        }
        out
    }

    #[test]
    fn urgent_frames_never_split_a_frame() {
        let mut q = SendQueue::default();
        q.push_frame(b"H1", Bytes::from(vec![1u8; 2000]));
        q.push_frame(b"H2", Bytes::from_static(b"small"));
        q.advance(1); // mid-way through H1's header
        q.push_urgent(Bytes::from_static(b"PONG"));
        let mut expected = b"1".to_vec();
        expected.extend_from_slice(&[1u8; 2000]);
        expected.extend_from_slice(b"PONGH2small");
        assert_eq!(q.len(), expected.len());
        assert_eq!(drain(&mut q), expected);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn slices_cover_everything_in_order() {
        let mut q = SendQueue::default();
        q.push_frame(b"AB", Bytes::from(vec![7u8; 1500]));
        q.push_frame(b"CD", Bytes::new());
        q.advance(1);
        let mut slots = [IoSlice::new(&[]); 8];
        let n = q.slices(&mut slots);
        let joined: Vec<u8> = slots[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(joined.len(), q.len());
        assert_eq!(joined[0], b'B');
        assert_eq!(&joined[joined.len() - 2..], b"CD");
    }
}
