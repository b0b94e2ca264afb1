//! The output queue: frames waiting to be handed to the transport, in order.

mod window;

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use self::window::MaskWindow;
use crate::frame::{EncodedHeader, FrameHeader, encode_frame};
use crate::payload::Repr;

/// Payloads at least this long are queued by reference instead of copied
/// (and, when masked, masked as they are handed out).
const SHARE_THRESHOLD: usize = 8 << 10;

/// A drained coalescing buffer keeps its memory up to this size, so the
/// next messages copied into it (small ones, and large lent slices up to
/// this size) reuse it without allocating; a larger one is
/// given back once written. `release_idle` gives back any size.
const KEEP_CAPACITY: usize = 2 << 20;

/// Queued output: `pieces`, then `tail`.
///
/// Small frames are coalesced into `tail`, which the vectored path lends as
/// it is and clears once written: no allocation in steady state. Large
/// payloads are kept as the caller's `Bytes` with their header beside them;
/// a masked one is masked only as it is handed out. Every piece holds whole
/// frames, so a control frame can be slipped in between pieces, never inside
/// a frame.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    /// Output ahead of `tail`, oldest first.
    pieces: VecDeque<Piece>,
    /// Small whole frames (and the handshake's HTTP head), after `pieces`.
    tail: BytesMut,
    /// Bytes of the front piece already handed out.
    front_sent: usize,
    /// The front of the output (the front piece, or `tail` when there are no
    /// pieces) is partly handed out: a frame is in progress there.
    started: bool,
    /// Bytes lent by the last [`slices`](Self::slices) and not yet reported
    /// written: they may already be on the wire, so nothing may go before them.
    lent: usize,
    /// Unsent bytes, in `pieces` and `tail`.
    len: usize,
    /// The masked part of the front piece's payload, when it is masked.
    window: MaskWindow,
}

/// Whole frames: `head` then `body`, the body masked with `key` if set.
#[derive(Debug)]
struct Piece {
    head: Option<EncodedHeader>,
    body: Bytes,
    key: Option<[u8; 4]>,
    /// A control frame slipped in ahead of data; later ones go after it.
    urgent: bool,
}

impl Piece {
    fn head(&self) -> &[u8] {
        self.head.as_ref().map_or(&[], EncodedHeader::as_bytes)
    }

    fn len(&self) -> usize {
        self.head().len() + self.body.len()
    }
}

impl SendQueue {
    /// Unsent bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends one whole frame: `header` (which carries the masking key, if
    /// any), then `payload`, as [`push_payload`](Self::push_payload) does
    /// with a given payload.
    #[inline]
    pub(crate) fn push_frame(&mut self, header: &FrameHeader, payload: Bytes) {
        self.push_payload(header, Repr::Owned(payload));
    }

    /// Appends one frame of a payload lent or given by the caller. A shared
    /// or given buffer of [`SHARE_THRESHOLD`] bytes or more is kept by
    /// reference and masked as it is handed out; anything else is copied
    /// (and masked) now.
    #[inline]
    pub(crate) fn push_payload(&mut self, header: &FrameHeader, payload: Repr<'_>) {
        let body = match payload {
            Repr::Shared(body) if body.len() >= SHARE_THRESHOLD => body.clone(),
            Repr::Owned(body) if body.len() >= SHARE_THRESHOLD => body,
            small_or_lent => return self.push_frame_copy(header, small_or_lent.as_slice()),
        };
        self.push_piece(Piece { head: Some(header.encode()), body, key: header.mask, urgent: false });
    }

    /// Appends one frame, copying (and masking) `payload` into the
    /// coalescing buffer whatever its size.
    #[inline]
    pub(crate) fn push_frame_copy(&mut self, header: &FrameHeader, payload: &[u8]) {
        let before = self.tail.len();
        encode_frame(header, payload, &mut self.tail);
        self.len += self.tail.len() - before;
    }

    /// Appends whole unmasked frames shared with other connections (a
    /// prepared message), by reference: never copied.
    pub(crate) fn push_shared(&mut self, frames: Bytes) {
        self.push_piece(Piece { head: None, body: frames, key: None, urgent: false });
    }

    /// Appends bytes that are not a frame (the handshake's HTTP head).
    pub(crate) fn push_raw(&mut self, bytes: &[u8]) {
        self.len += bytes.len();
        self.tail.extend_from_slice(bytes);
    }

    /// Queues whole frames (control frames) to go out as soon as possible:
    /// after the frame being sent and after bytes lent but not yet reported
    /// written, after earlier urgent frames, ahead of everything else.
    pub(crate) fn push_urgent(&mut self, frames: Bytes) {
        let protect = self.lent.max(usize::from(self.started));
        let mut at = 0;
        if protect > 0 {
            let mut covered = 0;
            while at < self.pieces.len() && covered < protect {
                covered += self.remaining(at);
                at += 1;
            }
            if covered < protect {
                // The protected bytes reach into the tail: it goes first, whole.
                self.freeze_tail();
                at = self.pieces.len();
            }
        }
        while self.pieces.get(at).is_some_and(|p| p.urgent) {
            at += 1;
        }
        if at == 0 {
            self.window.clear();
        }
        self.len += frames.len();
        self.pieces.insert(at, Piece { head: None, body: frames, key: None, urgent: true });
    }

    /// Whether control frames queued with [`push_urgent`](Self::push_urgent)
    /// are still (partly) unsent.
    pub(crate) fn has_urgent(&self) -> bool {
        self.pieces.iter().any(|piece| piece.urgent)
    }

    /// Gives back the coalescing buffer's memory when nothing is queued.
    pub(crate) fn release_idle(&mut self) {
        if self.len == 0 && self.lent == 0 {
            self.tail = BytesMut::new();
            self.window.clear();
        }
    }

    /// Removes and returns the next piece of output.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        let Some(front) = self.pieces.front() else {
            if self.tail.is_empty() {
                return None;
            }
            let out = self.tail.split().freeze();
            self.handed_out(out.len());
            self.started = false;
            return Some(out);
        };
        let head_len = front.head().len();
        if self.front_sent == 0 && head_len == 0 && front.key.is_none() {
            // Ready bytes, whole (shared frames, control frames): handed out
            // as they are, with no reference count taken or dropped here.
            let body = self.pop_front_piece().map(|piece| piece.body).unwrap_or_default();
            self.handed_out(body.len());
            return Some(body);
        }
        let out = if self.front_sent < head_len || front.key.is_some() {
            let head = &front.head()[self.front_sent.min(head_len)..];
            let offset = self.front_sent.saturating_sub(head_len);
            match front.key {
                Some(key) if offset < front.body.len() => self.window.take(head, &front.body, key, offset),
                _ => Bytes::copy_from_slice(head),
            }
        } else {
            let mut body = front.body.clone();
            body.advance(self.front_sent - head_len);
            body
        };
        self.front_sent += out.len();
        if self.front_sent == front.len() {
            self.pop_front_piece();
        } else {
            self.started = true;
        }
        self.handed_out(out.len());
        Some(out)
    }

    /// Forgets what the last [`slices`](Self::slices) lent: the caller
    /// reported what it wrote, or wrote nothing.
    #[inline]
    pub(crate) fn forget_lent(&mut self) {
        self.lent = 0;
    }

    /// Fills `slices` with the queued output from its front, in order, and
    /// returns how many were filled. Stops early at a masked payload not yet
    /// masked, and at the end of `slices`.
    #[inline]
    pub(crate) fn slices<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> usize {
        if !self.pieces.is_empty() {
            return self.slices_in_general(slices);
        }
        // The steady state for small messages: one buffer, lent as is.
        let Some(slot) = slices.first_mut() else { return 0 };
        if self.tail.is_empty() {
            return 0;
        }
        self.lent = self.tail.len();
        *slot = IoSlice::new(&self.tail);
        1
    }

    /// At most how many slices [`slices`](Self::slices) fills for all of
    /// the queued output: a header and a payload per piece, and the tail.
    #[inline]
    pub(crate) fn slices_needed(&self) -> usize {
        2 * self.pieces.len() + 1
    }

    /// The queued output when it is all in one buffer (possibly empty), lent
    /// as [`slices`](Self::slices) would lend it; `None` when it is in
    /// several pieces.
    #[inline]
    pub(crate) fn single(&mut self) -> Option<&[u8]> {
        if !self.pieces.is_empty() {
            return None;
        }
        self.lent = self.tail.len();
        Some(&self.tail)
    }

    /// [`slices`](Self::slices) when there are pieces ahead of the tail.
    #[inline(never)]
    fn slices_in_general<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> usize {
        let Self { pieces, tail, front_sent, lent, window, .. } = self;
        let (pieces, tail): (&'a VecDeque<Piece>, &'a BytesMut) = (pieces, tail);
        // The front piece's payload, masked now if it is masked.
        let mut masked: &'a [u8] = &[];
        if let Some(front) = pieces.front() {
            let offset = front_sent.saturating_sub(front.head().len());
            if let Some(key) = front.key.filter(|_| offset < front.body.len()) {
                masked = window.masked_from(&front.body, key, offset);
            }
        }
        let mut filled = 0;
        let mut total = 0;
        let mut lend = |slot: &'a [u8]| {
            if slot.is_empty() {
                return true;
            }
            let Some(out) = slices.get_mut(filled) else { return false };
            *out = IoSlice::new(slot);
            filled += 1;
            total += slot.len();
            true
        };
        let mut skip = *front_sent;
        let mut whole = true;
        for (i, piece) in pieces.iter().enumerate() {
            if piece.key.is_some() && i > 0 {
                // Only the front piece's payload is masked.
                whole = false;
                break;
            }
            let head = piece.head();
            let body_skip = skip.saturating_sub(head.len());
            let head_lent = lend(&head[skip.min(head.len())..]);
            skip = 0;
            whole = head_lent
                && if piece.key.is_some() {
                    lend(masked) && body_skip + masked.len() == piece.body.len()
                } else {
                    lend(&piece.body[body_skip..])
                };
            if !whole {
                break;
            }
        }
        if whole {
            lend(tail);
        }
        *lent = total;
        filled
    }

    /// Marks `n` bytes from the front as handed to the transport.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        // What was lent and not reported written was not written: the
        // slices lent are gone once this can be called.
        self.lent = 0;
        if n == self.len && self.pieces.is_empty() && self.tail.capacity() <= KEEP_CAPACITY {
            // Everything written, and it was all in the tail: the steady state.
            self.tail.clear();
            self.len = 0;
            self.lent = 0;
            self.started = false;
            return;
        }
        self.advance_in_general(n);
    }

    /// [`advance`](Self::advance) for every case its fast path leaves.
    #[inline(never)]
    fn advance_in_general(&mut self, n: usize) {
        let mut n = n.min(self.len);
        self.handed_out(n);
        while n > 0 {
            let Some(front) = self.pieces.front() else {
                if n == self.tail.len() {
                    self.tail.clear();
                    self.started = false;
                } else {
                    self.tail.advance(n);
                    self.started = true;
                }
                break;
            };
            let left = front.len() - self.front_sent;
            if n < left {
                self.front_sent += n;
                self.started = true;
                return;
            }
            n -= left;
            self.pop_front_piece();
        }
        if self.len == 0 && self.tail.capacity() > KEEP_CAPACITY {
            self.tail = BytesMut::new();
        }
    }

    /// Unsent bytes of piece `i`.
    fn remaining(&self, i: usize) -> usize {
        let sent = if i == 0 { self.front_sent } else { 0 };
        self.pieces[i].len() - sent
    }

    fn handed_out(&mut self, n: usize) {
        self.len -= n;
        self.lent = self.lent.saturating_sub(n);
    }

    fn pop_front_piece(&mut self) -> Option<Piece> {
        let piece = self.pieces.pop_front();
        self.front_sent = 0;
        self.started = false;
        self.window.clear();
        piece
    }

    /// Moves the tail's frames to the back of `pieces`, so something can
    /// be queued after them.
    fn freeze_tail(&mut self) {
        if !self.tail.is_empty() {
            let body = self.tail.split().freeze();
            self.pieces.push_back(Piece { head: None, body, key: None, urgent: false });
        }
    }

    fn push_piece(&mut self, piece: Piece) {
        self.freeze_tail();
        self.len += piece.len();
        self.pieces.push_back(piece);
    }
}

#[cfg(test)]
mod tests;
