//! Inputs: bytes, end of stream, timeouts.

use std::collections::VecDeque;
use std::time::Instant;

use super::Connection;
use super::phase::Phase;
use super::receiver::{Incoming, RoomWanted, Whole};
use super::timer::Timer;
use crate::close::CloseCode;
use crate::error::{Error, ProtocolError};
use crate::event::{Closed, Event, MessageKind};
use crate::frame::OpCode;
use crate::now::Now;
use crate::role::Role;
use crate::text::Utf8Bytes;

/// At most this many events are decoded ahead of the app's polling (by the
/// transmit path, `handle_timeout` and `handle_eof`); the rest of the input
/// waits, undecoded, until the app polls.
pub(super) const MAX_DECODED_AHEAD: usize = 32;

impl Connection {
    /// Room in the connection's input buffer to read the transport into,
    /// for a read that copies straight from the kernel (or a TLS layer)
    /// into the place the frames are decoded from: pass it to `read`, then
    /// report how many bytes arrived with [`handle_read`](Self::handle_read).
    /// A payload that arrives this way reaches the app without another copy,
    /// owned ([`poll_event`](Self::poll_event)) or lent
    /// ([`poll_event_ref`](Self::poll_event_ref)).
    ///
    /// The room is 64 KiB, or what a large frame arriving needs (at most
    /// 256 KiB beyond the bytes received, whatever its header claims; a
    /// large frame is read up to its end and no further), or 4 KiB for the
    /// first read after the buffer was given back. The memory is reused: a connection receiving continuously
    /// allocates nothing per message. Call
    /// [`release_idle_buffers`](Self::release_idle_buffers) when the
    /// transport has nothing to read for now, so an idle connection holds no
    /// input buffer.
    ///
    /// `None` when the connection will not take more input now: it holds
    /// [`Config::input_limit`](crate::Config::input_limit) bytes not yet decoded (poll events first), or
    /// it stops reading (a close frame or a protocol error was received; the
    /// connection is over). A driver then reads no more into it; once the
    /// connection is over, reading only serves to see the end of the stream.
    #[must_use]
    pub fn read_buf(&mut self) -> Option<&mut [u8]> {
        self.release_lent();
        if self.input_closed() || self.input.len() >= self.config.input_limit() {
            return None;
        }
        let wanted = if self.input.is_unallocated() {
            RoomWanted::first_read()
        } else if self.phase.is_handshake() {
            RoomWanted::read()
        } else {
            self.receiver.room_wanted(&self.input)
        };
        if wanted.whole > wanted.grow {
            // A large frame arriving: room for all of it if the buffer has
            // it already, so the frame lands in one place and is never moved.
            self.input.reuse_room(wanted.whole);
        }
        let limit = self.config.input_limit() - self.input.len();
        let room = self.input.room_growing(wanted.least.min(limit), wanted.grow.min(limit));
        let len = room.len().min(limit).min(wanted.most.max(1));
        self.read_room = len;
        Some(&mut room[..len])
    }

    /// Reports that the first `n` bytes of the room from
    /// [`read_buf`](Self::read_buf) now hold bytes read from the transport.
    /// They are then handled as [`handle_input`](Self::handle_input) would
    /// handle them. `n` = 0 is no input (a read of 0 bytes is the end of
    /// the stream: report that with [`handle_eof`](Self::handle_eof)).
    ///
    /// # Panics
    /// If `n` is larger than the room last given by `read_buf`, or no room
    /// was given since the last input.
    ///
    /// `now` is the time of the read, or a clock to read it from
    /// (`Instant::now`), called only if this input can move a timer (see
    /// [`Now`]).
    pub fn handle_read(&mut self, now: impl Now, n: usize) {
        let room = core::mem::take(&mut self.read_room);
        if n == 0 || self.input_closed() {
            return;
        }
        assert!(n <= room, "handle_read: {n} bytes reported, the room from read_buf held {room}");
        self.input.commit(n);
        self.process_input(now);
    }

    /// Feeds bytes read from the transport, copying them into the input
    /// buffer (a driver that reads into [`read_buf`](Self::read_buf) saves
    /// that copy).
    ///
    /// Any amount is fine, from one byte to many frames; bytes are kept until
    /// they form something whole. The handshake is read now; frames are
    /// decoded as [`poll_event`](Self::poll_event) asks for them (and,
    /// up to 32 events waiting, ahead of polling by
    /// [`poll_transmit`](Self::poll_transmit), `handle_eof` and
    /// `handle_timeout`). Input after the connection stopped reading (a
    /// close frame received, a failure, the end of the stream) is discarded.
    ///
    /// At most [`Config::input_limit`](crate::Config::input_limit) bytes are held undecoded: poll
    /// events between inputs. Input that would pass that limit fails the
    /// connection with [`Error::InputOverflow`](crate::Error::InputOverflow), so memory stays bounded even
    /// for an app that never polls.
    ///
    /// `now` is the time of the input, or a clock to read it from, as for
    /// [`handle_read`](Self::handle_read).
    pub fn handle_input(&mut self, now: impl Now, data: &[u8]) {
        self.read_room = 0;
        if self.input_closed() || data.is_empty() {
            return;
        }
        self.release_lent();
        let limit = self.config.input_limit();
        if self.input.len().saturating_add(data.len()) > limit {
            self.overflow(limit);
            return;
        }
        self.input.extend_from_slice(data);
        self.process_input(now);
    }

    /// Gives back the memory of the input buffer when it holds nothing
    /// received (no partial frame, no undecoded input), of the output
    /// buffer when nothing is queued, and of the event queue when every
    /// event was polled; call it when the transport has nothing
    /// more to read for now (a non-blocking read returned `WouldBlock`, an
    /// async read `Pending`), so an idle connection holds neither. The next
    /// read or send allocates them again. Returns whether the input buffer
    /// was released.
    pub fn release_idle_buffers(&mut self) -> bool {
        self.release_lent();
        self.queue.release_idle();
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        self.input.release()
    }

    /// The app handed in more undecoded input than the limit allows.
    #[cold]
    fn overflow(&mut self, limit: usize) {
        self.input.clear();
        self.lent = 0;
        if !self.phase.close_sent() && !self.phase.is_handshake() {
            self.queue_close(Some(CloseCode::INTERNAL_ERROR), "");
        }
        self.fail(Error::InputOverflow { limit });
    }

    /// Reports that the transport's read side ended.
    ///
    /// After a finished close handshake this is the expected end (a client
    /// now may close the transport). Before it, the connection fails with
    /// [`Error::UnexpectedEof`] and closes with code 1006, `was_clean: false`.
    ///
    /// Frames received before the end are reported first. At most 32
    /// events are decoded ahead of the app's polling; when input is left
    /// beyond them, it is decoded as the app polls, and the end is acted
    /// on (the state changes, `Closed` is queued) once all of it has been.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.eof {
            // Already waiting for the app to poll through the input left.
            return;
        }
        self.decode_ahead();
        if self.events.len() >= MAX_DECODED_AHEAD && !self.input.is_empty() && !self.input_closed() {
            self.eof = true;
            return;
        }
        self.end_of_input();
    }

    /// The end of the stream, once every frame received before it is decoded.
    #[cold]
    pub(super) fn end_of_input(&mut self) {
        self.eof = false;
        self.apply_deferred();
        if self.phase.is_closed() {
            self.phase = Phase::Closed { transport_done: true };
            return;
        }
        self.fail(Error::UnexpectedEof);
    }

    /// Acts on every deadline at or before `now`: keepalive pings and
    /// timeouts, the close and handshake timeouts. Calling it early is
    /// harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.next().is_none_or(|at| at > now) {
            return;
        }
        if !self.messages_unpolled() {
            // A close frame already received counts before a deadline.
            self.decode_ahead();
        }
        if !self.messages_unpolled() {
            self.apply_deferred();
        }
        while let Some(timer) = self.timers.take_expired(now) {
            match timer {
                Timer::Handshake => self.fail(Error::HandshakeTimeout),
                Timer::Keepalive => {
                    if self.phase == Phase::Open {
                        self.queue_frame(OpCode::Ping, true, bytes::Bytes::new());
                        self.timers.set(Timer::PongTimeout, now + self.config.pong_timeout);
                    }
                }
                Timer::PongTimeout => self.fail(Error::KeepaliveTimeout),
                Timer::CloseReply => self.fail(Error::CloseTimeout),
                Timer::Linger => self.phase = Phase::Closed { transport_done: true },
            }
        }
    }

    /// After new input: reads the handshake from it, and moves the timers
    /// input moves, reading the clock in `now` only if one can move
    /// (frames are decoded later, as events are polled).
    pub(super) fn process_input(&mut self, now: impl Now) {
        // Only these inputs start or move a timer (without keepalive there
        // is no pong timeout to stop either): the rest read no clock.
        let timed = self.phase.is_handshake() || self.config.ping_interval.is_some() || self.role == Role::Client;
        if !timed {
            return;
        }
        let now = now.now();
        self.last_input = now;
        if self.phase.is_handshake() {
            self.process_handshake(now);
            if self.phase.is_handshake() || self.input_closed() {
                return;
            }
        }
        self.arm_keepalive(now);
    }

    /// Decodes the next received item, if one is whole: the one place
    /// frames are decoded from. A whole message that is still in the input
    /// comes back as [`Decoded::InPlace`], for the caller to take or lend.
    #[inline]
    pub(super) fn decode_next(&mut self) -> Option<Decoded> {
        self.release_lent();
        if !self.phase.is_reading() || self.deferred.is_some() {
            return None;
        }
        loop {
            match self.receiver.whole(&mut self.input) {
                Whole::Message { kind, payload_at, end } => {
                    return Some(Decoded::InPlace { kind, payload_at: payload_at as usize, end });
                }
                Whole::InvalidUtf8 => {
                    self.defer(Deferred::Protocol(ProtocolError::InvalidUtf8));
                    return None;
                }
                Whole::No => {}
            }
            match self.receiver.next(&mut self.input) {
                Ok(Some(Incoming::InPlace { kind, payload_at, end })) => {
                    return Some(Decoded::InPlace { kind, payload_at, end });
                }
                Ok(None) => return None,
                Ok(Some(item)) => {
                    if let Some(event) = self.on_incoming(item) {
                        return Some(Decoded::Event(event));
                    }
                    if self.deferred.is_some() {
                        return None;
                    }
                }
                Err(error) => {
                    self.defer(Deferred::Protocol(error));
                    return None;
                }
            }
        }
    }

    /// Decodes what is decodable into the event queue, until
    /// [`MAX_DECODED_AHEAD`] events wait there: before output is handed out
    /// and before the end of input or a deadline is acted on, so replies and
    /// limits see the frames already received. The cap bounds what an app
    /// that does not poll holds: a flood of empty control frames would
    /// otherwise be an event for every 2 bytes received.
    pub(super) fn decode_ahead(&mut self) {
        while self.events.len() < MAX_DECODED_AHEAD
            && let Some(decoded) = self.decode_next()
        {
            let event = match decoded {
                Decoded::Event(event) => event,
                Decoded::InPlace { kind, payload_at, end } => {
                    let payload = self.input.take(payload_at, end);
                    match kind {
                        MessageKind::Binary => Event::Binary(payload),
                        // SAFETY: the receiver validated this text payload as
                        // UTF-8 before reporting it in place.
                        #[allow(unsafe_code)]
                        MessageKind::Text => Event::Text(unsafe { Utf8Bytes::from_validated(payload) }),
                    }
                }
            };
            self.events.push_back(event);
        }
    }

    /// Stops reading; `item` takes effect once the events before it are polled.
    /// Once our close frame is out, the app can send nothing more, so there
    /// is nothing to wait for.
    pub(super) fn defer(&mut self, item: Deferred) {
        self.deferred = Some(item);
        self.input.clear();
        self.lent = 0;
        if self.phase == Phase::Closing {
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
            Incoming::InPlace { .. } => unreachable!("decode_next hands these out"),
            // SAFETY: the receiver validates every fragment of a text message
            // (and the inflated bytes of a compressed one) before it reports
            // the message.
            #[allow(unsafe_code)]
            Incoming::Message(MessageKind::Text, data) => Event::Text(unsafe { Utf8Bytes::from_validated(data) }),
            Incoming::Message(MessageKind::Binary, data) => Event::Binary(data),
            Incoming::Fragment(kind, data, fin) => Event::Fragment { kind, data, fin },
            Incoming::Ping(payload) => {
                if self.config.auto_pong && self.phase == Phase::Open && self.config.max_pending_pongs > 0 {
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
        if !self.phase.close_sent() {
            self.queue_close(code, "");
        }
        self.finish(None, Closed { code: code.unwrap_or(CloseCode::NO_STATUS), reason, was_clean: true });
        match (self.role, self.negotiated.transport) {
            // The server closes the transport first (RFC 6455 §7.1.1).
            (Role::Server, _) => self.phase = Phase::Closed { transport_done: true },
            // On an HTTP/2 or HTTP/3 stream both sides end their half at once
            // (RFC 8441 §5): no TCP connection of our own to wait for.
            (Role::Client, crate::event::Transport::ExtendedConnect) => {
                self.phase = Phase::Closed { transport_done: true }
            }
            (Role::Client, _) => self.timers.set(Timer::Linger, now + self.config.close_timeout),
        }
    }

    /// The peer broke the protocol: send the matching close code, report,
    /// stop reading (RFC 6455 §7.1.7).
    fn fail_protocol(&mut self, error: ProtocolError) {
        if !self.phase.close_sent() {
            let reason = error.to_string();
            self.queue_close(Some(error.close_code()), &reason);
        }
        self.fail(Error::Protocol(error));
    }
}

/// What [`Connection::decode_next`] found.
pub(super) enum Decoded {
    /// An event to report.
    Event(Event),
    /// A whole message at `input[payload_at..end]`, unmasked and checked;
    /// the caller takes or lends it and removes `input[..end]`.
    InPlace { kind: MessageKind, payload_at: usize, end: usize },
}

/// What waits for the app to catch up with the events before it.
#[derive(Debug)]
pub(super) enum Deferred {
    /// The peer's close frame, and when it arrived.
    Close(Option<CloseCode>, String, Instant),
    /// The peer broke the protocol.
    Protocol(ProtocolError),
}
