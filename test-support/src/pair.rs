//! A client and a server connection wired back to back on a virtual clock
//! (no real time passes, no socket is opened), open connections with fixed
//! random sources, and the small loops every connection test needs.

use std::time::{Duration, Instant};

use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Event, Open, Role};

/// Which side of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The [`Pair::client`].
    Client,
    /// The [`Pair::server`].
    Server,
}

/// Two connections and the wire between them.
#[derive(Debug)]
pub struct Pair {
    /// The client side.
    pub client: Connection,
    /// The server side.
    pub server: Connection,
    /// The virtual clock: what both sides are told the time is.
    pub now: Instant,
    /// Every event the client has reported, in order.
    pub client_events: Vec<Event>,
    /// Every event the server has reported, in order.
    pub server_events: Vec<Event>,
    /// Everything the client has written, in order.
    pub client_wire: Vec<u8>,
    /// Everything the server has written, in order.
    pub server_wire: Vec<u8>,
    /// Deliver the wire in pieces of at most this many bytes.
    pub chunk: usize,
    /// How the server answers an upgrade request (`None`: leave it waiting).
    pub accept: Option<AcceptOptions>,
}

impl Pair {
    /// A pair that starts open (the handshake done elsewhere).
    pub fn open(client: Config, server: Config) -> Pair {
        let now = Instant::now();
        Pair::from_connections(
            Connection::open_with_random(Role::Client, Open::default(), client, PredictableRandom::new(1), now),
            Connection::open_with_random(Role::Server, Open::default(), server, PredictableRandom::new(2), now),
            now,
        )
    }

    /// A pair of the given connections at `now`, nothing moved yet.
    pub fn from_connections(client: Connection, server: Connection, now: Instant) -> Pair {
        Pair {
            client,
            server,
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            chunk: usize::MAX,
            accept: None,
        }
    }

    /// A pair that performs the real opening handshake: a client for
    /// `ws://example.com/chat` with `options`, a server that answers with
    /// `accept`.
    pub fn handshake(client: Config, server: Config, options: ClientOptions, accept: AcceptOptions) -> Pair {
        let now = Instant::now();
        let client =
            Connection::connect_with_random("ws://example.com/chat", options, client, PredictableRandom::new(1), now)
                .expect("a valid client handshake");
        let server = Connection::server(server, now);
        let mut pair = Pair::from_connections(client, server, now);
        pair.accept = Some(accept);
        pair
    }

    /// The connection on `side`.
    pub fn conn(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// The events collected so far for `side`.
    pub fn events(&self, side: Side) -> &[Event] {
        match side {
            Side::Client => &self.client_events,
            Side::Server => &self.server_events,
        }
    }

    /// Moves bytes both ways and collects events until nothing moves.
    pub fn drive(&mut self) {
        loop {
            self.collect_events();
            let a = transfer(&mut self.client, &mut self.server, &mut self.client_wire, self.now, self.chunk);
            let b = transfer(&mut self.server, &mut self.client, &mut self.server_wire, self.now, self.chunk);
            if !a && !b {
                self.collect_events();
                return;
            }
        }
    }

    /// Collects pending events from both sides.
    pub fn collect_events(&mut self) {
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            if let (Event::Request(_), Some(options)) = (&e, &self.accept) {
                self.server.accept(self.now, options.clone()).expect("accept");
            }
            self.server_events.push(e);
        }
    }

    /// Advances the virtual clock by `by`, firing due timers on both sides
    /// (in deadline order) and driving the wire after each.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()].into_iter().flatten().min();
            match next {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    let now = self.now;
                    self.client.handle_timeout(now);
                    self.server.handle_timeout(now);
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// Takes the events collected so far for `side`.
    pub fn take_events(&mut self, side: Side) -> Vec<Event> {
        match side {
            Side::Client => std::mem::take(&mut self.client_events),
            Side::Server => std::mem::take(&mut self.server_events),
        }
    }
}

/// Moves everything `from` has queued into `to`, in pieces of `chunk`.
/// Returns whether anything moved.
fn transfer(from: &mut Connection, to: &mut Connection, log: &mut Vec<u8>, now: Instant, chunk: usize) -> bool {
    let mut moved = false;
    while let Some(bytes) = from.poll_transmit() {
        moved = true;
        log.extend_from_slice(&bytes);
        for piece in bytes.chunks(chunk.max(1)) {
            to.handle_input(now, piece);
        }
    }
    moved
}

/// Feeds `wire` to `conn` split at each of `splits` and returns all events.
pub fn feed_split(mut conn: Connection, now: Instant, wire: &[u8], splits: &[usize]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut start = 0;
    for &split in splits.iter().chain(std::iter::once(&wire.len())) {
        let end = split.clamp(start, wire.len());
        conn.handle_input(now, &wire[start..end]);
        while let Some(e) = conn.poll_event() {
            events.push(e);
        }
        start = end;
    }
    events
}

/// A server connection that is already open, with a fixed random source.
pub fn open_server(config: Config, now: Instant) -> Connection {
    Connection::open_with_random(Role::Server, Open::default(), config, PredictableRandom::new(3), now)
}

/// A client connection that is already open, with a fixed random source.
pub fn open_client(config: Config, now: Instant) -> Connection {
    Connection::open_with_random(Role::Client, Open::default(), config, PredictableRandom::new(4), now)
}

/// A client connection for `ws://example.com/` with default options,
/// handshake not yet sent, with a fixed random source.
///
/// # Panics
/// Never for these fixed arguments.
pub fn connecting_client(config: Config, now: Instant) -> Connection {
    Connection::connect_with_random("ws://example.com/", ClientOptions::new(), config, PredictableRandom::new(3), now)
        .expect("a valid client handshake")
}

/// Every event `conn` has ready, in order.
pub fn drain_events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Every byte `conn` has queued for the wire, taken with `poll_transmit`.
pub fn drain_output(conn: &mut Connection) -> Vec<u8> {
    std::iter::from_fn(|| conn.poll_transmit()).flat_map(|b| b.to_vec()).collect()
}

/// Takes `conn`'s first event and asserts it is `Open`; returns `conn`, so
/// a test starts from an open connection with nothing left to poll.
///
/// # Panics
/// If the first event is not `Open`.
pub fn past_open(mut conn: Connection) -> Connection {
    match conn.poll_event() {
        Some(Event::Open(_)) => conn,
        other => panic!("expected the Open event, got {other:?}"),
    }
}

/// A server that has read `request`, accepted it with default
/// [`AcceptOptions`], and has no event or output left: an open connection
/// through a real handshake.
///
/// # Panics
/// If `request` is not a complete, acceptable upgrade request.
pub fn accepted_server(config: Config, request: &[u8], now: Instant) -> Connection {
    let mut conn = Connection::server(config, now);
    conn.handle_input(now, request);
    assert!(matches!(conn.poll_event(), Some(Event::Request(_))), "an upgrade request");
    conn.accept(now, AcceptOptions::new()).expect("accept");
    while conn.poll_event().is_some() {}
    while conn.poll_transmit().is_some() {}
    conn
}
