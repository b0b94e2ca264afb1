//! Inputs: bytes, end of stream, timeouts.

use std::time::Instant;

use bytes::BytesMut;

use super::Connection;
use super::receiver::Incoming;
use super::timer::Timer;
use crate::close::CloseCode;
use crate::error::{Error, ProtocolError};
use crate::event::{Closed, Event, MessageKind};
use crate::frame::OpCode;
use crate::role::Role;
use crate::text::Utf8Bytes;

/// An empty input buffer with more capacity than this is released; so is
/// one that held large frames, with the receiver's spare buffer.
const INPUT_KEEP: usize = 128 * 1024;

impl Connection {
    /// Feeds bytes read from the transport.
    ///
    /// Any amount is fine, from one byte to many frames; bytes are kept until
    /// they form something whole. The handshake is read now; frames are
    /// decoded as [`poll_event`](Self::poll_event) asks for them (and all
    /// at once by [`poll_transmit`](Self::poll_transmit), `handle_eof` and
    /// `handle_timeout`), so poll events after every input: pings are
    /// answered and protocol errors found as their frames are decoded.
    /// Input after the connection stopped reading (a close frame received,
    /// a failure) is discarded. [`buffered_input`](Self::buffered_input)
    /// tells how much is held, for a driver that wants to stop reading.
    pub fn handle_input(&mut self, now: Instant, mut data: &[u8]) {
        if self.input_closed || data.is_empty() {
            return;
        }
        self.release_lent();
        self.last_input = now;
        if self.handshake.is_none() {
            data = self.take_large_frames(data);
        }
        self.input.extend_from_slice(data);
        self.process_input(now);
    }

    /// Copies the payload of large frames straight from `data` into the
    /// input buffer, unmasked and checked on the way (see
    /// [`Receiver::take_payload`](super::receiver::Receiver::take_payload)),
    /// and returns the rest of `data`, to be appended as it is. A large
    /// frame whose header starts `data`, or follows a frame that ends inside
    /// it, is begun here (the frame before it decoded now) so its payload
    /// takes the same path.
    fn take_large_frames<'a>(&mut self, mut data: &'a [u8]) -> &'a [u8] {
        let read = data.len();
        loop {
            let taken = self.receiver.take_payload(&mut self.input, data, read);
            data = &data[taken..];
            let idle = taken == 0 && self.input.is_empty() && self.receiver.is_idle_between_frames();
            let ended = taken > 0 && self.receiver.frame_payload_complete();
            if data.is_empty() || !(idle || ended) {
                return data;
            }
            let Some((header, header_len)) = self.receiver.large_frame_header(data) else { return data };
            while let Some(event) = self.decode_next_keeping_room() {
                self.events.push_back(event);
            }
            if !self.input.is_empty() || self.input_closed || !self.receiver.is_idle_between_frames() {
                return data;
            }
            data = &data[header_len..];
            // The frame is now in progress, with no payload yet; the next
            // round makes room for it and takes its payload.
            self.receiver.begin_large_frame(&header);
        }
    }

    /// As [`handle_input`](Self::handle_input), taking ownership of a buffer
    /// so payloads can be split from it without a copy when nothing else is
    /// buffered.
    pub fn handle_input_owned(&mut self, now: Instant, data: BytesMut) {
        if self.input_closed || data.is_empty() {
            return;
        }
        self.release_lent();
        self.last_input = now;
        if self.input.is_empty() {
            self.input = data;
        } else {
            self.input.extend_from_slice(&data);
        }
        self.process_input(now);
    }

    /// Reports that the transport's read side ended.
    ///
    /// After a finished close handshake this is the expected end (a client
    /// now may close the transport). Before it, the connection fails with
    /// [`Error::UnexpectedEof`] and closes with code 1006, `was_clean: false`.
    pub fn handle_eof(&mut self, _now: Instant) {
        self.decode_all();
        self.apply_deferred();
        if self.finished {
            self.transport_done = true;
            return;
        }
        self.fail(Error::UnexpectedEof);
    }

    /// Acts on every deadline at or before `now`: keepalive pings and
    /// timeouts, the close and handshake timeouts. Calling it early is
    /// harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.decode_all();
        self.apply_deferred();
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::Handshake => self.fail(Error::HandshakeTimeout),
                Timer::Keepalive => {
                    if !self.close_sent && !self.finished {
                        self.queue_frame(OpCode::Ping, true, bytes::Bytes::new());
                        self.timers.set(Timer::PongTimeout, now + self.config.pong_timeout);
                    }
                }
                Timer::PongTimeout => self.fail(Error::KeepaliveTimeout),
                Timer::CloseReply => self.fail(Error::CloseTimeout),
                Timer::Linger => self.transport_done = true,
            }
        }
    }

    /// Decodes everything decodable in the input buffer.
    pub(super) fn process_input(&mut self, now: Instant) {
        if self.handshake.is_some() {
            self.process_handshake(now);
            if self.handshake.is_some() || self.input_closed {
                return;
            }
        }
        self.arm_keepalive(now);
    }

    /// Decodes the next received item into an event, if one is whole.
    /// Frames are decoded as events are polled, not as bytes arrive, so a
    /// message goes from the input buffer to the app in one step.
    #[inline]
    pub(super) fn decode_next(&mut self) -> Option<Event> {
        self.decode_next_in(true)
    }

    /// [`decode_next`](Self::decode_next), keeping the room made for large
    /// frames: for use between two of them.
    #[inline]
    fn decode_next_keeping_room(&mut self) -> Option<Event> {
        self.decode_next_in(false)
    }

    #[inline(always)]
    fn decode_next_in(&mut self, release_room: bool) -> Option<Event> {
        if self.handshake.is_some() {
            return None;
        }
        self.release_lent();
        while !self.input_closed {
            match self.receiver.next(&mut self.input) {
                // Messages first, the common case, without the general match.
                Ok(Some(Incoming::Message(MessageKind::Binary, data))) => return Some(Event::Binary(data)),
                Ok(Some(Incoming::Message(MessageKind::Text, data))) => {
                    return Some(Event::Text(Utf8Bytes::from_validated(data)));
                }
                Ok(Some(item)) => {
                    if let Some(event) = self.on_incoming(item) {
                        return Some(event);
                    }
                }
                Ok(None) => {
                    if release_room && self.input.is_empty() {
                        self.release_room();
                    }
                    break;
                }
                Err(error) => self.defer(Deferred::Protocol(error)),
            }
        }
        None
    }

    /// Room made for large frames goes back once they are through.
    #[inline(never)]
    fn release_room(&mut self) {
        if self.receiver.release_spare() || self.input.capacity() > INPUT_KEEP {
            self.input = BytesMut::new();
        }
    }

    /// Decodes everything decodable into the event queue: before output is
    /// handed out and before the end of input or a deadline is acted on,
    /// so replies and limits see every frame already received.
    pub(super) fn decode_all(&mut self) {
        while let Some(event) = self.decode_next() {
            self.events.push_back(event);
        }
    }

    /// Stops reading; `item` takes effect once the events before it are polled.
    /// Once our close frame is out, the app can send nothing more, so there
    /// is nothing to wait for.
    pub(super) fn defer(&mut self, item: Deferred) {
        self.input_closed = true;
        self.deferred = Some(item);
        if self.close_sent {
            self.apply_deferred();
        }
    }

    /// Applies a deferred close frame or failure.
    pub(super) fn apply_deferred(&mut self) {
        match self.deferred.take() {
            Some(Deferred::Close(code, reason, at)) => self.on_close_frame(code, reason, at),
            Some(Deferred::Protocol(error)) => self.fail_protocol(error),
            None => {}
        }
    }

    /// The event for a received item (a close frame has none: it waits).
    fn on_incoming(&mut self, item: Incoming) -> Option<Event> {
        let event = match item {
            Incoming::Message(MessageKind::Text, data) => Event::Text(Utf8Bytes::from_validated(data)),
            Incoming::Message(MessageKind::Binary, data) => Event::Binary(data),
            Incoming::Fragment { kind, data, fin } => Event::Fragment { kind, data, fin },
            Incoming::Ping(payload) => {
                if self.config.auto_pong && !self.close_sent && self.config.max_pending_pongs > 0 {
                    if self.pending_pongs.len() == self.config.max_pending_pongs {
                        self.pending_pongs.pop_front();
                    }
                    self.pending_pongs.push_back(payload.clone());
                }
                Event::Ping(payload)
            }
            Incoming::Pong(payload) => Event::Pong(payload),
            Incoming::Close(code, reason) => {
                self.defer(Deferred::Close(code, reason, self.last_input));
                return None;
            }
        };
        Some(event)
    }

    /// The peer's close frame: answer it (unless it answers ours) and end.
    fn on_close_frame(&mut self, code: Option<CloseCode>, reason: String, now: Instant) {
        if !self.close_sent {
            self.queue_close(code, "");
        }
        self.finish(None, Closed { code: code.unwrap_or(CloseCode::NO_STATUS), reason, was_clean: true });
        match self.role {
            // The server closes the transport first (RFC 6455 §7.1.1).
            Role::Server => self.transport_done = true,
            Role::Client => self.timers.set(Timer::Linger, now + self.config.close_timeout),
        }
    }

    /// The peer broke the protocol: send the matching close code, report,
    /// stop reading (RFC 6455 §7.1.7).
    fn fail_protocol(&mut self, error: ProtocolError) {
        if !self.close_sent {
            let reason = error.to_string();
            self.queue_close(Some(error.close_code()), &reason);
        }
        self.fail(Error::Protocol(error));
    }
}

/// What waits for the app to catch up with the events before it.
#[derive(Debug)]
pub(super) enum Deferred {
    /// The peer's close frame, and when it arrived.
    Close(Option<CloseCode>, String, Instant),
    /// The peer broke the protocol.
    Protocol(ProtocolError),
}
