//! The connection: the state machine an application drives.

mod commands;
mod handshake;
mod input;
mod input_buffer;
mod output;
mod phase;
mod prepared;
mod receiver;
mod send_queue;
mod state;
mod timer;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::close::CloseCode;
use crate::config::Config;
use crate::error::Error;
use crate::event::{Closed, Event, EventRef, MessageKind, Open};
use crate::rng::RandomSource;
use crate::role::Role;
use crate::text::Utf8Bytes;
use crate::text::validated_str;

use self::input::{Decoded, Deferred};
use self::input_buffer::InputBuffer;
use self::phase::Phase;
use self::receiver::Receiver;
use self::send_queue::SendQueue;
use self::timer::{Timer, Timers};

#[cfg(feature = "deflate")]
pub(crate) use self::handshake::with_deflate_offers;
pub use self::prepared::PreparedMessage;
pub use self::state::State;

/// One WebSocket connection, either role, from the first handshake byte to
/// closed. It never touches a socket, a clock or a thread.
///
/// # Driving a connection
/// Methods come in four groups, used in this spirit:
///
/// 1. **Inputs.** Read the transport straight into the room
///    [`read_buf`](Self::read_buf) lends and report the count to
///    [`handle_read`](Self::handle_read), or hand bytes already read to
///    [`handle_input`](Self::handle_input) (a copy); the end of the stream to
///    [`handle_eof`](Self::handle_eof); and when the deadline from
///    [`poll_timeout`](Self::poll_timeout) passes, call
///    [`handle_timeout`](Self::handle_timeout). Every input takes `now`,
///    the only clock the connection knows; the bytes read may instead come
///    with the clock to read it from (`Instant::now`), read only when they
///    can move a timer (see [`Now`](crate::Now)).
/// 2. **Commands.** [`accept`](Self::accept) / [`reject`](Self::reject) (a
///    server, after [`Event::Request`]), [`send_text`](Self::send_text),
///    [`send_binary`](Self::send_binary), [`send_fragment`](Self::send_fragment),
///    [`ping`](Self::ping), [`pong`](Self::pong), [`close`](Self::close),
///    [`abort`](Self::abort), and
///    [`release_idle_buffers`](Self::release_idle_buffers) while the
///    transport is idle.
/// 3. **Outputs.** After any input or command, drain
///    [`poll_event`](Self::poll_event) until `None`, then write out
///    everything from [`poll_transmit`](Self::poll_transmit) (or
///    [`transmit_slices`](Self::transmit_slices) +
///    [`advance_transmit`](Self::advance_transmit) for vectored writes), then
///    sleep until [`poll_timeout`](Self::poll_timeout) or the next read.
///    Once [`should_close_transport`](Self::should_close_transport) is true,
///    close the transport.
/// 4. **Getters.** [`state`](Self::state), [`role`](Self::role),
///    [`subprotocol`](Self::subprotocol), [`extensions`](Self::extensions),
///    [`buffered_amount`](Self::buffered_amount).
///
/// Inputs never write and never call back: replies (pongs, the echoed close
/// frame) are queued and leave through `poll_transmit`. Events come out in
/// the order documented on [`Event`], ending with exactly one
/// [`Event::Closed`].
///
/// See the crate documentation for a complete std::net loop.
pub struct Connection {
    role: Role,
    config: Config,
    phase: Phase,
    /// Received bytes not yet decoded, and room to read more into.
    input: InputBuffer,
    receiver: Receiver,
    queue: SendQueue,
    /// Payloads of unanswered pings, oldest first, at most
    /// `config.max_pending_pongs`: when full, the oldest is dropped, since
    /// only the latest ping needs an answer (RFC 6455 §5.5.3).
    pending_pongs: VecDeque<Bytes>,
    /// A close frame or protocol error that was decoded but waits until the
    /// app has seen the events before it, so replies to earlier messages go
    /// out before our close frame.
    deferred: Option<Deferred>,
    events: VecDeque<Event>,
    timers: Timers,
    rng: Option<Box<dyn RandomSource + Send>>,
    /// The kind of the fragmented message we are sending, if any.
    sending_fragmented: Option<MessageKind>,
    negotiated: Open,
    /// permessage-deflate, once negotiated: our compressor and settings.
    #[cfg(feature = "deflate")]
    deflate: Option<crate::deflate::Deflate>,
    /// When input last arrived, as a client (every client input reads the
    /// time): when a close frame decoded later arrived. A server does not
    /// need it and reads the time of its inputs only for its timers.
    last_input: Instant,
    /// Bytes at the front of `input` lent out by `poll_event_ref`, removed
    /// at the next call.
    lent: usize,
    /// The length of the room the last `read_buf` lent (0 once used).
    read_room: usize,
    /// A message lent out by `poll_event_ref` that was not in the input
    /// buffer (assembled from fragments, inflated, or decoded ahead).
    held: Bytes,
    /// The transport's read side ended while input was left undecoded
    /// behind events the app had not polled: the end is acted on once the
    /// app has polled through that input.
    eof: bool,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state())
            .field("buffered_amount", &self.buffered_amount())
            .field("pending_events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection whose opening handshake happened elsewhere (hyper, an
    /// HTTP/2 extended CONNECT stream per RFC 8441): it starts open, with the
    /// role and negotiation given. [`Event::Open`] is the first event.
    ///
    /// A client needs a random source for mask keys: this uses
    /// [`SecureRandom`](crate::SecureRandom); see [`Connection::open_with_random`].
    #[cfg(feature = "getrandom")]
    pub fn open(role: Role, negotiated: Open, config: Config, now: Instant) -> Connection {
        // A server never masks: it holds no random source.
        let rng: Option<Box<dyn RandomSource + Send>> = match role {
            Role::Client => Some(Box::new(crate::rng::SecureRandom::new())),
            Role::Server => None,
        };
        Connection::open_from(role, negotiated, config, rng, now)
    }

    /// As [`Connection::open`], with mask keys from `rng`.
    pub fn open_with_random(
        role: Role,
        negotiated: Open,
        config: Config,
        rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Connection {
        Connection::open_from(role, negotiated, config, Some(Box::new(rng)), now)
    }

    fn open_from(
        role: Role,
        negotiated: Open,
        config: Config,
        rng: Option<Box<dyn RandomSource + Send>>,
        now: Instant,
    ) -> Connection {
        let mut connection = Connection::new(role, config, rng, Phase::Open, now);
        // A permessage-deflate element that does not parse as an answer is ignored.
        #[cfg(feature = "deflate")]
        if let Ok(Some(params)) = crate::deflate::DeflateParams::from_extensions(&negotiated.extensions) {
            connection.start_deflate(params);
        }
        connection.become_open(negotiated, now);
        connection
    }

    fn new(
        role: Role,
        config: Config,
        rng: Option<Box<dyn RandomSource + Send>>,
        phase: Phase,
        now: Instant,
    ) -> Connection {
        let receiver = Receiver::new(role, &config);
        Connection {
            role,
            config,
            phase,
            input: InputBuffer::default(),
            receiver,
            queue: SendQueue::default(),
            pending_pongs: VecDeque::new(),
            deferred: None,
            events: VecDeque::new(),
            timers: Timers::default(),
            rng,
            sending_fragmented: None,
            negotiated: Open::default(),
            #[cfg(feature = "deflate")]
            deflate: None,
            last_input: now,
            lent: 0,
            read_room: 0,
            held: Bytes::new(),
            eof: false,
        }
    }

    /// Turns permessage-deflate on with the negotiated `params`: RSV1 is
    /// accepted and inflated from now on, and messages we send are
    /// compressed per [`Config::deflate`] (its defaults if unset).
    #[cfg(feature = "deflate")]
    fn start_deflate(&mut self, params: crate::deflate::DeflateParams) {
        let config = self.config.deflate.clone().unwrap_or_default();
        let (deflate, inflater) = crate::deflate::Deflate::new(self.role, params, &config);
        self.receiver.enable_deflate(inflater);
        self.deflate = Some(deflate);
    }

    /// Moves from the handshake to open: records the negotiation, reports
    /// [`Event::Open`], starts keepalive.
    fn become_open(&mut self, negotiated: Open, now: Instant) {
        self.phase = Phase::Open;
        self.timers.stop(Timer::Handshake);
        self.negotiated = negotiated.clone();
        self.events.push_back(Event::Open(negotiated));
        self.arm_keepalive(now);
    }

    // ---- outputs -------------------------------------------------------

    /// The next event, in order. Call until `None` after every input and
    /// command: received frames are decoded here, one message at a time, so
    /// a message goes from the input buffer to the app in one step.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        let Some(decoded) = self.decode_next() else {
            self.caught_up();
            return self.events.pop_front();
        };
        match decoded {
            Decoded::Event(event) => Some(event),
            Decoded::InPlace { kind, payload_at, end } => {
                let payload = self.input.take(payload_at, end);
                Some(match kind {
                    MessageKind::Binary => Event::Binary(payload),
                    // SAFETY: the receiver validated this text payload as
                    // UTF-8 before reporting it in place.
                    #[allow(unsafe_code)]
                    MessageKind::Text => Event::Text(unsafe { Utf8Bytes::from_validated(payload) }),
                })
            }
        }
    }

    /// As [`poll_event`](Self::poll_event), but whole messages are lent
    /// from the connection's buffers ([`EventRef::Text`],
    /// [`EventRef::Binary`]) rather than handed out as reference-counted
    /// [`Bytes`]: the fastest way to read messages that are used and
    /// dropped (parsed, forwarded by copying). The loan ends at the next
    /// call on the connection. The two may be mixed freely.
    #[must_use]
    pub fn poll_event_ref(&mut self) -> Option<EventRef<'_>> {
        if let Some(event) = self.events.pop_front() {
            self.release_lent();
            return Some(self.lend(event));
        }
        let Some(decoded) = self.decode_next() else {
            self.caught_up();
            let event = self.events.pop_front()?;
            return Some(self.lend(event));
        };
        match decoded {
            Decoded::Event(event) => Some(self.lend(event)),
            Decoded::InPlace { kind, payload_at, end } => {
                self.lent = end;
                let payload = &self.input[payload_at..end];
                Some(match kind {
                    // SAFETY: the receiver validated this text payload as
                    // UTF-8 before reporting it in place (`Receiver::next`
                    // returns `InvalidUtf8` otherwise).
                    #[allow(unsafe_code)]
                    MessageKind::Text => EventRef::Text(unsafe { validated_str(payload) }),
                    MessageKind::Binary => EventRef::Binary(payload),
                })
            }
        }
    }

    /// The app has polled every event decodable from the input: what waited
    /// for it (a close frame, an error, the end of the stream) takes effect.
    fn caught_up(&mut self) {
        self.apply_deferred();
        if self.eof {
            self.end_of_input();
        }
    }

    /// The borrowed form of `event`, holding a message's bytes for the loan.
    fn lend(&mut self, event: Event) -> EventRef<'_> {
        match event {
            Event::Text(text) => {
                self.held = text.into_bytes();
                // SAFETY: the bytes of a `Utf8Bytes`, validated by the receiver.
                #[allow(unsafe_code)]
                let text = unsafe { validated_str(&self.held) };
                EventRef::Text(text)
            }
            Event::Binary(data) => {
                self.held = data;
                EventRef::Binary(&self.held)
            }
            other => EventRef::Other(other),
        }
    }

    /// Ends the loan of the last message from `poll_event_ref`.
    #[inline]
    fn release_lent(&mut self) {
        if self.lent > 0 {
            self.input.advance(self.lent);
            self.lent = 0;
        }
        if !self.held.is_empty() {
            self.held = Bytes::new();
        }
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout)
    /// must be called, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ---- getters -------------------------------------------------------

    /// Where the connection is in its life.
    ///
    /// It changes with commands at once (`close` makes it
    /// [`State::Closing`], `accept` [`State::Open`]) and with input as the
    /// input is decoded: received frames are decoded one at a time as events
    /// are polled (and ahead of polling, until 32 events wait, by
    /// `poll_transmit`, `transmit_slices`, `handle_eof` and
    /// `handle_timeout`). So after the peer's close frame has been handed
    /// in, the state is still [`State::Open`] until the events before that
    /// frame have been polled; it is [`State::Closed`] once
    /// [`Event::Closed`] has been queued, which the next
    /// [`poll_event`](Self::poll_event) returns. The end of the stream
    /// ([`handle_eof`](Self::handle_eof)) changes it at once, unless input
    /// beyond those 32 events waits undecoded: then once that input has
    /// been polled.
    #[inline]
    pub fn state(&self) -> State {
        self.phase.state()
    }

    /// Whether the transport should now be closed: the connection is over
    /// and all output has been handed out. A server closes right after the
    /// close handshake; a client waits for the server to close first (its
    /// EOF), up to [`Config::close_timeout`]. On an HTTP/2 or HTTP/3 stream
    /// ([`Transport::ExtendedConnect`](crate::Transport::ExtendedConnect))
    /// both roles finish right after the close handshake: the driver then
    /// ends its half of the stream (END_STREAM, a QUIC FIN).
    #[inline]
    pub fn should_close_transport(&self) -> bool {
        self.phase.transport_done() && self.buffered_amount() == 0
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The negotiated subprotocol, once open.
    pub fn subprotocol(&self) -> Option<&str> {
        self.negotiated.subprotocol.as_deref()
    }

    /// What carries the connection, as given when it opened: an upgraded
    /// HTTP/1.1 connection, or an HTTP/2 or HTTP/3 stream.
    pub fn transport(&self) -> crate::event::Transport {
        self.negotiated.transport
    }

    /// The negotiated extensions, once open.
    pub fn extensions(&self) -> &[crate::handshake::ExtensionOffer] {
        &self.negotiated.extensions
    }

    /// The negotiated permessage-deflate parameters, once open, if the
    /// extension is in use.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<crate::deflate::DeflateParams> {
        self.deflate.as_ref().map(|d| d.params)
    }

    /// Bytes queued but not yet handed out by `poll_transmit` (the
    /// browser's `bufferedAmount`).
    #[inline]
    pub fn buffered_amount(&self) -> usize {
        self.queue.len() + self.pending_pongs.iter().map(|p| 2 + p.len() + self.mask_len()).sum::<usize>()
    }

    /// Bytes of received input held: undecoded input, a partial frame, a
    /// fragmented message being assembled, or a partial handshake. Bounded
    /// by the limits in [`Config`] (see [`Config::input_limit`]).
    #[inline]
    pub fn buffered_input(&self) -> usize {
        self.input.len() - self.lent + self.receiver.assembled_len()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- shared internals ---------------------------------------------

    /// Ends the connection: reports `error` (if any) and `Closed`, stops
    /// reading and all timers. Idempotent.
    fn finish(&mut self, error: Option<Error>, closed: Closed) {
        if self.phase.is_closed() {
            return;
        }
        if let Some(error) = error {
            self.events.push_back(Event::Failed(error));
        }
        self.events.push_back(Event::Closed(closed));
        self.phase = Phase::Closed { transport_done: false };
        self.deferred = None;
        self.pending_pongs.clear();
        self.input = InputBuffer::default();
        self.lent = 0;
        self.timers.stop_all();
    }

    /// Ends the connection abnormally (code 1006); the transport may close
    /// as soon as the output is drained.
    fn fail(&mut self, error: Error) {
        self.finish(Some(error), Closed { code: CloseCode::ABNORMAL, reason: String::new(), was_clean: false });
        self.phase = Phase::Closed { transport_done: true };
    }

    /// Whether received input is no longer read: a close frame or a
    /// protocol error waits in `deferred`, the stream ended, or the
    /// connection is over.
    #[inline]
    fn input_closed(&self) -> bool {
        self.deferred.is_some() || self.eof || self.phase.is_closed()
    }

    /// (Re)starts the keepalive ping timer after receiving something.
    fn arm_keepalive(&mut self, now: Instant) {
        if let Some(interval) = self.config.ping_interval
            && self.phase == Phase::Open
        {
            self.timers.set(Timer::Keepalive, now + interval);
        }
        self.timers.stop(Timer::PongTimeout);
    }
}
