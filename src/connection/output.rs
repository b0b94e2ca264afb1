//! Outputs toward the transport: framing what we send, the queue, pongs.

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};

use super::Connection;
use super::input::MAX_DECODED_AHEAD;
use super::phase::Phase;
use crate::close::{CloseCode, truncate_reason};
use crate::event::Event;
use crate::frame::{FrameHeader, OpCode, encode_frame};
use crate::payload::Repr;
use crate::role::Role;

impl Connection {
    /// The next bytes to write to the transport, in order. The caller must
    /// write all of them before asking for more. `None` when nothing is
    /// queued.
    ///
    /// Each call hands out owned bytes; for many small messages the
    /// vectored pair [`transmit_slices`](Self::transmit_slices) +
    /// [`advance_transmit`](Self::advance_transmit) is faster (it lends the
    /// queued bytes and allocates nothing).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        // Asking again means what was lent before was reported (or not written).
        self.queue.forget_lent();
        self.prepare_transmit();
        self.queue.pop()
    }

    /// Writes the queued output with `write`, a vectored write to the
    /// transport, until everything is written or `write` fails, and returns
    /// how many bytes were written. This is the way to flush: no slice array
    /// to build, and output queued together (small frames coalesce into one
    /// buffer) leaves in one call.
    ///
    /// `write` gets the next bytes, in order, as one or more slices, and
    /// returns how many it wrote from their front, like
    /// [`Write::write_vectored`](std::io::Write::write_vectored). A writer
    /// that is not vectored writes from the first slice. Returning `Ok(0)`
    /// stops the flush (a transport that takes nothing now); an error is
    /// returned as it is, after what was written before it is accounted
    /// for, so a `WouldBlock` can be retried later by calling this again.
    ///
    /// ```no_run
    /// # fn flush(conn: &mut wsproto::Connection, socket: &mut std::net::TcpStream) -> std::io::Result<()> {
    /// use std::io::Write;
    /// conn.transmit_with(|bufs| socket.write_vectored(bufs))?;
    /// # Ok(()) }
    /// ```
    pub fn transmit_with<E>(&mut self, mut write: impl FnMut(&[IoSlice<'_>]) -> Result<usize, E>) -> Result<usize, E> {
        let mut total = 0;
        loop {
            self.queue.forget_lent();
            self.prepare_transmit();
            let result = match self.queue.single() {
                // The steady state for small messages: one buffer.
                Some([]) => return Ok(total),
                Some(bytes) => write(std::slice::from_ref(&IoSlice::new(bytes))),
                None => self.write_pieces(&mut write),
            };
            match result {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    self.queue.advance(n);
                    total += n;
                    if self.queue.len() == 0 && !self.may_queue_before_transmit() {
                        return Ok(total);
                    }
                }
                Err(e) => {
                    self.queue.forget_lent();
                    return Err(e);
                }
            }
        }
    }

    /// One call of `write` with the front of queued output made of several
    /// pieces (or a masked payload), as up to 64 slices. A few large
    /// messages (the usual case: each is a header and a payload) take a
    /// small array, since the slots are filled in before each write.
    #[inline(never)]
    fn write_pieces<E>(&mut self, write: &mut impl FnMut(&[IoSlice<'_>]) -> Result<usize, E>) -> Result<usize, E> {
        if self.queue.slices_needed() <= 8 {
            self.write_pieces_in::<8, E>(write)
        } else {
            self.write_pieces_in::<64, E>(write)
        }
    }

    #[inline(always)]
    fn write_pieces_in<const N: usize, E>(
        &mut self,
        write: &mut impl FnMut(&[IoSlice<'_>]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        let mut slices = [IoSlice::new(&[]); N];
        let n = self.queue.slices(&mut slices);
        if n == 0 {
            return Ok(0);
        }
        write(&slices[..n])
    }

    /// Fills `slices` with views of the queued output, in order from its
    /// front, for a vectored write, and returns how many were filled (0:
    /// nothing is queued). Nothing is removed: report what the transport
    /// accepted with [`advance_transmit`](Self::advance_transmit) before
    /// asking for output again, then call this again for the rest (the
    /// slices may cover only part of the output: `slices` may be too short,
    /// and a client masks a large payload in pieces as it goes out).
    ///
    /// This is the fast way to send: small frames are lent straight from
    /// the buffer they were written into, large payloads are lent from the
    /// caller's `Bytes` (server) or from a small buffer where each piece is
    /// masked just before it is written (client), and nothing is allocated.
    #[inline]
    pub fn transmit_slices<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> usize {
        // Asking again means what was lent before was reported (or not written).
        self.queue.forget_lent();
        self.prepare_transmit();
        self.queue.slices(slices)
    }

    /// Marks the first `written` bytes of the queued output as sent: those
    /// of the last [`transmit_slices`](Self::transmit_slices), which a
    /// control frame queued meanwhile never goes ahead of.
    #[inline]
    pub fn advance_transmit(&mut self, written: usize) {
        self.queue.advance(written);
    }

    /// Before output is handed out: input not yet decoded is decoded (so
    /// its automatic replies and a close frame are seen) unless messages
    /// decoded earlier still wait to be polled (so an app that never polls
    /// holds at most one input buffer's worth of them), a deferred close or
    /// failure takes effect once every message before it has been polled (so
    /// the app's answers to the messages before it go out first, whatever
    /// the order of calls), and pending
    /// pongs join the queue unless pongs queued earlier are still unsent (so
    /// writes that make no progress never grow the output). Each step is
    /// skipped by a cheap check when it has nothing to do.
    #[inline]
    pub(super) fn prepare_transmit(&mut self) {
        if !self.may_queue_before_transmit() {
            return;
        }
        if !self.input.is_empty() && self.events.len() < MAX_DECODED_AHEAD && !self.messages_unpolled() {
            self.decode_before_transmit();
        }
        if self.deferred.is_some() && !self.messages_unpolled() {
            self.apply_deferred();
        }
        if !self.pending_pongs.is_empty() && !self.queue.has_urgent() {
            self.flush_pongs();
        }
    }

    /// Whether [`prepare_transmit`](Self::prepare_transmit) may have
    /// something to do: input to decode, a deferred close or failure, or
    /// pongs to queue. When not, output written leaves nothing behind it.
    #[inline]
    fn may_queue_before_transmit(&self) -> bool {
        !self.input.is_empty() || self.deferred.is_some() || !self.pending_pongs.is_empty()
    }

    /// Whether messages decoded ahead still wait in the event queue.
    pub(super) fn messages_unpolled(&self) -> bool {
        self.events.iter().any(|event| matches!(event, Event::Text(_) | Event::Binary(_) | Event::Fragment { .. }))
    }

    /// Input still undecoded (events not yet polled) is decoded first.
    #[cold]
    #[inline(never)]
    fn decode_before_transmit(&mut self) {
        self.decode_ahead();
    }

    pub(super) fn mask_len(&self) -> usize {
        if self.role.masks_output() { 4 } else { 0 }
    }

    /// Queues one frame, masked if we are a client.
    #[inline]
    pub(super) fn queue_frame(&mut self, opcode: OpCode, fin: bool, payload: Bytes) {
        self.queue_frame_rsv(opcode, fin, 0, payload);
    }

    /// Queues one frame with RSV bits `rsv` (RSV1: a compressed message),
    /// masked with a fresh key if we are a client.
    #[inline]
    pub(super) fn queue_frame_rsv(&mut self, opcode: OpCode, fin: bool, rsv: u8, payload: Bytes) {
        let header = self.frame_header(opcode, fin, rsv, payload.len());
        self.queue.push_frame(&header, payload);
    }

    /// Queues one frame of a payload the caller lent or gave, masked with a
    /// fresh key if we are a client.
    #[inline]
    pub(super) fn queue_payload(&mut self, opcode: OpCode, fin: bool, payload: Repr<'_>) {
        let header = self.frame_header(opcode, fin, 0, payload.len());
        self.queue.push_payload(&header, payload);
    }

    /// The header of a frame we send: masked with a fresh key if we are a client.
    #[inline]
    fn frame_header(&mut self, opcode: OpCode, fin: bool, rsv: u8, len: usize) -> FrameHeader {
        let mask = match (&mut self.rng, self.role) {
            (Some(rng), Role::Client) => Some(rng.mask_key()),
            _ => None,
        };
        FrameHeader { fin, rsv, opcode, mask, payload_len: len as u64 }
    }

    /// The encoded size of a frame with this payload.
    pub(super) fn frame_size(&self, payload_len: usize) -> usize {
        let header =
            FrameHeader { fin: true, rsv: 0, opcode: OpCode::Binary, mask: None, payload_len: payload_len as u64 };
        header.encoded_len() + self.mask_len() + payload_len
    }

    /// Puts the pending automatic pongs into the output, in order, ahead of
    /// queued data (never inside a frame).
    pub(super) fn flush_pongs(&mut self) {
        if self.pending_pongs.is_empty() {
            return;
        }
        let mut frames = BytesMut::new();
        while let Some(payload) = self.pending_pongs.pop_front() {
            let mask = match (&mut self.rng, self.role) {
                (Some(rng), Role::Client) => Some(rng.mask_key()),
                _ => None,
            };
            let header =
                FrameHeader { fin: true, rsv: 0, opcode: OpCode::Pong, mask, payload_len: payload.len() as u64 };
            encode_frame(&header, &payload, &mut frames);
        }
        self.queue.push_urgent(frames.freeze());
    }

    /// Queues our close frame (after any pending pong: nothing may follow it).
    /// Every close frame we send is built here: `reason` is cut to
    /// [`MAX_CLOSE_REASON`](crate::close::MAX_CLOSE_REASON) bytes at a character boundary, so the payload
    /// never passes the 125 bytes of a control frame (RFC 6455 §5.5).
    pub(super) fn queue_close(&mut self, code: Option<CloseCode>, reason: &str) {
        self.flush_pongs();
        let mut payload = BytesMut::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.0.to_be_bytes());
            payload.extend_from_slice(truncate_reason(reason).as_bytes());
        }
        self.queue_frame(OpCode::Close, true, payload.freeze());
        if self.phase == Phase::Open {
            self.phase = Phase::Closing;
        }
    }
}
