//! A client and a server connection wired back to back on a virtual clock.
//! No real time passes and no socket is opened.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Event, Open, Role};

/// Which side of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Two connections and the wire between them.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    /// Every event each side has reported, in order.
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Everything each side has written, in order.
    pub client_wire: Vec<u8>,
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

    pub fn conn(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

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

/// Encodes one frame as a client would send it (masked with a fixed key).
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame_bytes(first_byte, payload, Some([0x11, 0x22, 0x33, 0x44]))
}

/// Encodes one frame as a server would send it (unmasked).
pub fn server_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame_bytes(first_byte, payload, None)
}

fn frame_bytes(first_byte: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![first_byte];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= 0xFFFF {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// The close frame (code, reason) found in a server's or client's output.
pub fn close_frames_in(wire: &[u8], masked: bool) -> Vec<(Option<u16>, String)> {
    use bytes::BytesMut;
    use wsproto::frame::{Decoded, FrameDecoder, FrameRules, OpCode};
    let rules = FrameRules { require_mask: Some(masked), ..FrameRules::structural() };
    let decoder = FrameDecoder::new(rules);
    let mut buf = BytesMut::from(wire);
    let mut found = Vec::new();
    while let Ok(Decoded::Complete(frame)) = decoder.decode(&mut buf) {
        if frame.header.opcode == OpCode::Close {
            let p = &frame.payload;
            let code = (p.len() >= 2).then(|| u16::from_be_bytes([p[0], p[1]]));
            let reason = String::from_utf8_lossy(p.get(2..).unwrap_or_default()).into_owned();
            found.push((code, reason));
        }
    }
    found
}
