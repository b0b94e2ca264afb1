//! Commands: sending messages and control frames, closing.

use std::time::Instant;

use bytes::Bytes;

use super::Connection;
use super::phase::Phase;
use super::timer::Timer;
use crate::close::{CloseCode, MAX_CLOSE_REASON};
use crate::error::SendError;
use crate::event::MessageKind;
use crate::frame::{MAX_CONTROL_PAYLOAD, OpCode};
use crate::payload::{Payload, Repr, TextPayload};

impl Connection {
    /// Queues a whole text message.
    ///
    /// `text` may be lent (`&str`, `&String`, `&Utf8Bytes`) or given
    /// (`Utf8Bytes`, `String`); see [`TextPayload`](crate::TextPayload).
    /// A small message is copied into the output, where queued frames
    /// coalesce into one write; a large `Utf8Bytes` is queued by reference
    /// and never copied. To send one message to many connections, lend it
    /// to each: `conn.send_text(&message)`.
    ///
    /// Like every send, it fails with [`SendError::NotOpen`] during the
    /// opening handshake, queuing nothing: as in browsers (`send()` on a
    /// connecting WebSocket throws), a message is never queued for a
    /// connection that may still be refused, so no message is silently lost
    /// with the handshake and none leaves before the negotiated extensions
    /// are known (a permessage-deflate message is compressed as it is
    /// queued). Wait for [`Event::Open`](crate::Event::Open).
    #[inline]
    #[allow(single_use_lifetimes)] // `'_` in `impl Trait` is unstable
    pub fn send_text<'a>(&mut self, text: impl Into<TextPayload<'a>>) -> Result<(), SendError> {
        self.send_message(OpCode::Text, text.into().0)
    }

    /// Queues a whole binary message.
    ///
    /// `data` may be lent (`&[u8]`, `&Bytes`, ...) or given (`Bytes`,
    /// `Vec<u8>`, ...); see [`Payload`](crate::Payload). As with
    /// [`send_text`](Self::send_text), a small message is copied and a
    /// large `Bytes` is queued by reference.
    #[inline]
    #[allow(single_use_lifetimes)] // as in `send_text`
    pub fn send_binary<'a>(&mut self, data: impl Into<Payload<'a>>) -> Result<(), SendError> {
        self.send_message(OpCode::Binary, data.into().0)
    }

    /// Queues one fragment of a message, for messages too large to hold at
    /// once or produced piece by piece. The first call starts a message of
    /// `kind`; later calls must pass the same `kind`; `fin` ends it. A text
    /// message's fragments must add up to valid UTF-8 (a fragment may split
    /// a character). Control frames may be sent between fragments; whole
    /// messages may not.
    #[allow(single_use_lifetimes)] // as in `send_text`
    pub fn send_fragment<'a>(
        &mut self,
        kind: MessageKind,
        data: impl Into<Payload<'a>>,
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_open()?;
        let opcode = match self.sending_fragmented {
            None if kind == MessageKind::Text => OpCode::Text,
            None => OpCode::Binary,
            Some(current) if current == kind => OpCode::Continuation,
            Some(_) => return Err(SendError::FragmentInProgress),
        };
        let data = data.into().0;
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_mut() {
            // A fragmented message is compressed whole or not at all.
            let first = self.sending_fragmented.is_none();
            if first {
                deflate.sending_compressed = deflate.compressor.can_compress();
            }
            if deflate.sending_compressed {
                self.send_compressed(opcode, data.as_slice(), first, fin)?;
                self.sending_fragmented = if fin { None } else { Some(kind) };
                return Ok(());
            }
        }
        self.check_room(data.len())?;
        self.queue_payload(opcode, fin, data);
        self.sending_fragmented = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Queues a ping. Its pong arrives as [`Event::Pong`](crate::Event::Pong).
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        self.send_control(OpCode::Ping, payload.into())
    }

    /// Queues an unsolicited pong (a one-way heartbeat), or answers a ping
    /// by hand when [`Config::auto_pong`](crate::Config::auto_pong) is off.
    pub fn pong(&mut self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        self.send_control(OpCode::Pong, payload.into())
    }

    /// Starts the close handshake: queues a close frame with `code` and
    /// `reason` and waits up to [`Config::close_timeout`](crate::Config::close_timeout)
    /// for the peer's. Messages still arrive meanwhile; none may be sent.
    ///
    /// `code` must be valid on the wire (1000–1003, 1007–1014, 3000–4999)
    /// and `reason` at most 123 bytes.
    ///
    /// **During the opening handshake** (either role) there is no
    /// WebSocket yet to send a close frame on, so `close` aborts, as
    /// [`abort`](Self::abort) does, and returns `Ok`: the handshake is
    /// dropped (a client's request may have gone out; a server sends no
    /// answer), [`Event::Closed`](crate::Event::Closed) follows with 1006,
    /// not clean, and the transport may be closed at once. This is what a
    /// browser does for `close()` on a connecting WebSocket (WHATWG
    /// WebSockets, "fail the WebSocket connection"); waiting for the
    /// handshake only to close right after would hold the transport open
    /// for nothing. A server that wants to answer with a status uses
    /// [`reject`](Self::reject) instead. The arguments are still checked.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if !code.is_valid_on_wire() {
            return Err(SendError::InvalidCloseCode(code));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(SendError::CloseReasonTooLong(reason.len()));
        }
        if self.phase.is_handshake() {
            self.abort(now);
            return Ok(());
        }
        self.check_open()?;
        self.queue_close(Some(code), reason);
        self.timers.stop(Timer::Keepalive);
        self.timers.stop(Timer::PongTimeout);
        self.timers.set(Timer::CloseReply, now + self.config.close_timeout);
        Ok(())
    }

    /// Ends the connection at once, in any phase, without a close
    /// handshake: for a driver giving up (its own deadline passed, the
    /// transport broke, the app is shutting down) or an app dropping a
    /// connection mid-handshake.
    ///
    /// Nothing more is sent: output not yet handed out by
    /// [`poll_transmit`](Self::poll_transmit) is dropped (a frame already
    /// partly handed out is cut off, so the transport must be closed, not
    /// reused), received input not yet decoded (frames are decoded as
    /// events are polled) is dropped, and every timer stops. Events
    /// already queued (a server's `Request`, `Open`) are still delivered;
    /// then, unless the
    /// connection had already ended, [`Event::Closed`](crate::Event::Closed)
    /// with [`CloseCode::ABNORMAL`] (1006), `was_clean: false`, and no
    /// [`Event::Failed`](crate::Event::Failed) (the app asked for it).
    /// [`should_close_transport`](Self::should_close_transport) is true
    /// right away, also for a client that had finished a clean close and
    /// was waiting for the server to close the TCP connection. Sends fail
    /// with [`SendError::Closed`] from now on. Calling it again does
    /// nothing.
    pub fn abort(&mut self, _now: Instant) {
        self.finish(None, crate::event::Closed { code: CloseCode::ABNORMAL, reason: String::new(), was_clean: false });
        self.queue = super::send_queue::SendQueue::default();
        self.sending_fragmented = None;
        self.phase = Phase::Closed { transport_done: true };
    }

    /// The common case (open, no fragmented message or compression in the
    /// way, room in the output) is checked and queued inline, building no
    /// `Result` on the way; everything else, errors included, goes through
    /// [`send_message_in_general`](Self::send_message_in_general).
    #[inline]
    pub(super) fn send_message(&mut self, opcode: OpCode, payload: Repr<'_>) -> Result<(), SendError> {
        if self.may_queue_as_is(payload.len()) {
            self.queue_payload(opcode, true, payload);
            return Ok(());
        }
        self.send_message_in_general(opcode, payload)
    }

    /// [`send_message`](Self::send_message) for every case its fast path
    /// leaves.
    #[inline(never)]
    fn send_message_in_general(&mut self, opcode: OpCode, payload: Repr<'_>) -> Result<(), SendError> {
        if self.check_whole_message(opcode, payload.as_slice())? {
            self.queue_payload(opcode, true, payload);
        }
        Ok(())
    }

    /// Whether [`check_whole_message`](Self::check_whole_message) would
    /// return `Ok(true)` for a message of `len` bytes: the same checks, as
    /// one `bool`.
    #[inline]
    fn may_queue_as_is(&self, len: usize) -> bool {
        #[cfg(feature = "deflate")]
        if self.deflate.as_ref().is_some_and(|d| d.compresses(len)) {
            return false;
        }
        self.phase == Phase::Open
            && self.sending_fragmented.is_none()
            && self.pending_pongs.is_empty()
            && self.queue.len().saturating_add(self.frame_size(len)) <= self.config.max_output_buffer
    }

    /// Checks that a whole message may be sent now and that the output has
    /// room for it. A message that is to be compressed is compressed and
    /// queued here (`Ok(false)`); `Ok(true)`: the caller queues it as is.
    #[inline]
    #[cfg_attr(not(feature = "deflate"), allow(unused_variables))]
    fn check_whole_message(&mut self, opcode: OpCode, payload: &[u8]) -> Result<bool, SendError> {
        self.check_open()?;
        if self.sending_fragmented.is_some() {
            return Err(SendError::FragmentInProgress);
        }
        #[cfg(feature = "deflate")]
        if self.deflate.as_ref().is_some_and(|d| d.compresses(payload.len())) {
            self.send_compressed(opcode, payload, true, true)?;
            return Ok(false);
        }
        self.check_room(payload.len())?;
        Ok(true)
    }

    /// Compresses `data` (RFC 7692 §7.2.1) and queues it as one frame: the
    /// first of a message carries RSV1, `fin` ends it. Room is checked
    /// against the largest output the compressor can make, before it runs:
    /// once compressed, a message must go out, or the peer's window would
    /// no longer match ours.
    ///
    /// A compressor failure fails the connection: the compressor's window
    /// may have taken in data the peer will never see.
    #[cfg(feature = "deflate")]
    fn send_compressed(&mut self, opcode: OpCode, data: &[u8], first: bool, fin: bool) -> Result<(), SendError> {
        self.check_room(crate::deflate::Compressor::bound(data.len()))?;
        let mut out = Vec::new();
        let compressed = match self.deflate.as_mut() {
            Some(deflate) => deflate.compressor.compress(data, fin, &mut out),
            // Never: the callers compress only with the extension running.
            None => Err(crate::deflate::CompressError),
        };
        if let Err(error) = compressed {
            // The callers checked the connection is open: no close was sent.
            self.queue_close(Some(CloseCode::INTERNAL_ERROR), "");
            self.fail(crate::Error::Compressor(error));
            return Err(SendError::Compressor(error));
        }
        let rsv = if first { crate::frame::RSV1 } else { 0 };
        self.queue_frame_rsv(opcode, fin, rsv, out.into());
        Ok(())
    }

    fn send_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), SendError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlPayloadTooLong(payload.len()));
        }
        self.check_open()?;
        self.check_room(payload.len())?;
        self.queue_frame(opcode, true, payload);
        Ok(())
    }

    #[inline]
    pub(super) fn check_open(&self) -> Result<(), SendError> {
        if self.phase.is_handshake() {
            Err(SendError::NotOpen)
        } else if self.phase.close_sent() {
            Err(SendError::Closed)
        } else {
            Ok(())
        }
    }

    /// The output queue has room for a frame with this payload.
    #[inline]
    pub(super) fn check_room(&self, payload_len: usize) -> Result<(), SendError> {
        self.check_output_room(self.frame_size(payload_len))
    }

    /// Checks that `needed` more bytes of whole frames fit the output.
    pub(super) fn check_output_room(&self, needed: usize) -> Result<(), SendError> {
        // Pending pongs count too; there are rarely any.
        let queued = if self.pending_pongs.is_empty() { self.queue.len() } else { self.buffered_amount() };
        let limit = self.config.max_output_buffer;
        if queued.saturating_add(needed) > limit {
            return Err(SendError::OutputFull { queued, needed, limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bytes::Bytes;

    use crate::rng::PredictableRandom;
    use crate::{CloseCode, Config, Connection, MessageKind, Open, Role};
    #[cfg(feature = "deflate")]
    use crate::{Error, Event, SendError, deflate::CompressError};

    fn client(now: Instant) -> Connection {
        let config = Config::default().max_output_buffer(1000);
        Connection::open_with_random(Role::Client, Open::new(), config, PredictableRandom::new(9), now)
    }

    fn wire(conn: &mut Connection) -> Vec<u8> {
        std::iter::from_fn(|| conn.poll_transmit()).flat_map(|b| b.to_vec()).collect()
    }

    /// A compressor failure is not the caller's fault and cannot be
    /// recovered from (the window may hold data the peer never saw): the
    /// send fails with `Compressor`, the connection fails with 1011, and
    /// nothing more may be sent. Whole messages and fragments alike.
    #[cfg(feature = "deflate")]
    #[test]
    fn a_compressor_failure_fails_the_connection_with_1011() {
        let now = Instant::now();
        fn break_compressor(c: &mut Connection) {
            c.deflate.as_mut().unwrap().compressor.fail_next = true;
        }
        type Case = fn(&mut Connection) -> Result<(), SendError>;
        let cases: [Case; 3] = [
            |c| {
                break_compressor(c);
                c.send_text("hello hello hello hello")
            },
            |c| {
                break_compressor(c);
                c.send_binary(&[7; 100])
            },
            // The first fragment is compressed and queued; the second fails.
            |c| {
                c.send_fragment(MessageKind::Text, Bytes::from_static(b"first part"), false).unwrap();
                break_compressor(c);
                c.send_fragment(MessageKind::Text, Bytes::from_static(b"second part"), true)
            },
        ];
        for (i, case) in cases.into_iter().enumerate() {
            let open = Open::new().with_extension(crate::handshake::ExtensionOffer::new("permessage-deflate"));
            let config = Config::default().deflate(Some(crate::deflate::DeflateConfig::new().min_compress_size(0)));
            let mut conn = Connection::open_with_random(Role::Server, open, config, PredictableRandom::new(9), now);
            assert!(conn.deflate().is_some());
            assert_eq!(case(&mut conn), Err(SendError::Compressor(CompressError)), "case {i}");
            let out = wire(&mut conn);
            // The last frame out is our close: 1011, no reason.
            assert!(out.ends_with(&[0x88, 0x02, 0x03, 0xf3]), "case {i}: {out:02x?}");
            let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
            assert!(events.contains(&Event::Failed(Error::Compressor(CompressError))), "case {i}: {events:?}");
            assert!(matches!(events.last(), Some(Event::Closed(c)) if !c.was_clean), "case {i}");
            assert!(conn.should_close_transport());
            assert_eq!(conn.send_text("more"), Err(SendError::Closed), "case {i}");
        }
    }

    /// A lent payload (copied) and a given one decide alike, on the fast
    /// path and the general one, in every state a whole message can meet:
    /// same result, same queued bytes, same wire.
    #[test]
    fn lent_sends_decide_as_given_ones() {
        let now = Instant::now();
        let setups: [fn(&mut Connection, Instant); 5] = [
            |_, _| {},
            |c, now| c.close(now, CloseCode::NORMAL, "bye").unwrap(),
            |c, _| c.send_fragment(MessageKind::Binary, Bytes::from_static(b"part"), false).unwrap(),
            // A ping: its pong waits in the pending queue, and counts against the limit.
            |c, now| {
                c.handle_input(now, &[0x89, 0x01, 0x07]);
                while c.poll_event().is_some() {}
            },
            // 998 bytes queued: room for no frame at all.
            |c, _| c.send_binary(vec![0u8; 990]).unwrap(),
        ];
        for (i, setup) in setups.into_iter().enumerate() {
            for len in [0usize, 1, 3, 16, 17, 125, 126, 990] {
                let (mut owned, mut copied) = (client(now), client(now));
                setup(&mut owned, now);
                setup(&mut copied, now);
                let data: Vec<u8> = (0..len).map(|b| b as u8).collect();
                assert_eq!(copied.send_binary(&data), owned.send_binary(data.clone()), "setup {i} len {len}");
                assert_eq!(copied.buffered_amount(), owned.buffered_amount(), "setup {i} len {len}");
                assert_eq!(wire(&mut copied), wire(&mut owned), "setup {i} len {len}");
            }
        }
    }
}
