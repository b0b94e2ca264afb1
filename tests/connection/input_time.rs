//! The clock handed in with an input (`handle_read(Instant::now, n)`): read
//! only when the input can move a timer, and then its time is the input's.
//! The clocks here are virtual and count their reads.

use std::cell::Cell;
use std::time::{Duration, Instant};

use wsproto::handshake::AcceptOptions;
use wsproto::{CloseCode, Config, Connection, Event};
use wsproto_test_support::pair::{drain_events, drain_output, open_client, open_server};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A virtual clock that counts how often it was read.
struct Clock {
    at: Cell<Instant>,
    reads: Cell<usize>,
}

impl Clock {
    fn new(at: Instant) -> Clock {
        Clock { at: Cell::new(at), reads: Cell::new(0) }
    }

    fn read(&self) -> Instant {
        self.reads.set(self.reads.get() + 1);
        self.at.get()
    }

    fn set(&self, at: Instant) {
        self.at.set(at);
    }
}

/// Reads `wire` into `conn` through `read_buf`, at most `max` bytes at a
/// time (less when the room offered is shorter), each read reported with
/// `clock`; returns the number of reads.
fn read_in(conn: &mut Connection, clock: &Clock, mut wire: &[u8], max: usize) -> usize {
    let mut reads = 0;
    while !wire.is_empty() {
        let room = conn.read_buf().expect("room to read into");
        let n = room.len().min(max).min(wire.len());
        room[..n].copy_from_slice(&wire[..n]);
        conn.handle_read(|| clock.read(), n);
        wire = &wire[n..];
        reads += 1;
    }
    reads
}

/// What a client sends: two messages, a ping and a close, masked.
fn client_traffic(now: Instant) -> Vec<u8> {
    let mut client = open_client(Config::default(), now);
    client.send_binary(&vec![7u8; 100_000][..]).unwrap();
    client.send_text("hello").unwrap();
    client.ping("are you there").unwrap();
    client.close(now, CloseCode::NORMAL, "bye").unwrap();
    drain_output(&mut client)
}

#[test]
fn a_server_without_keepalive_reads_the_clock_only_during_the_handshake() {
    let start = Instant::now();
    let clock = Clock::new(start);
    let mut server = Connection::server(Config::default(), start);
    read_in(&mut server, &clock, REQUEST, 16);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    let handshake_reads = clock.reads.get();
    assert!(handshake_reads >= 1, "the handshake has a timer: its input reads the clock");
    server.accept(start, AcceptOptions::new()).unwrap();
    assert!(matches!(drain_events(&mut server)[..], [Event::Open(_)]));
    drain_output(&mut server);

    read_in(&mut server, &clock, &client_traffic(start), 4096);
    assert_eq!(clock.reads.get(), handshake_reads, "messages, a ping and a close moved no timer");
    let events = drain_events(&mut server);
    assert!(matches!(&events[0], Event::Binary(b) if b.len() == 100_000));
    assert!(matches!(&events[1], Event::Text(t) if t == "hello"));
    assert!(matches!(&events[2], Event::Ping(_)));
    assert!(matches!(&events[3], Event::Closed(c) if c.code == CloseCode::NORMAL && c.was_clean));
    // The pong and the close reply were queued all the same, and the
    // server closes the transport first, with no timer.
    let out = drain_output(&mut server);
    assert_eq!(out[0], 0x8a, "the pong");
    assert!(server.should_close_transport());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn with_keepalive_each_input_reads_the_clock_and_postpones_the_ping_from_its_time() {
    let start = Instant::now();
    let interval = Duration::from_secs(20);
    let clock = Clock::new(start);
    let mut server = open_server(Config::default().ping_interval(Some(interval)), start);
    assert_eq!(server.poll_timeout(), Some(start + interval));

    let wire = client_traffic(start);
    let (messages, _) = wire.split_at(wire.len() - 60); // not the ping and close
    let later = start + Duration::from_secs(15);
    clock.set(later);
    let reads = read_in(&mut server, &clock, messages, 8192);
    assert!(reads >= messages.len().div_ceil(8192));
    assert_eq!(clock.reads.get(), reads, "one clock read per input, no more");
    assert_eq!(server.poll_timeout(), Some(later + interval), "silence counts from the last input");
}

#[test]
fn a_client_reads_the_clock_at_every_input_and_waits_for_the_server_from_its_close() {
    let start = Instant::now();
    let config = Config::default();
    let clock = Clock::new(start);
    let mut client = open_client(config.clone(), start);
    assert!(matches!(drain_events(&mut client)[..], [Event::Open(_)]));
    let mut server = open_server(config.clone(), start);
    server.send_text("welcome").unwrap();
    server.close(start, CloseCode::GOING_AWAY, "restarting").unwrap();
    let wire = drain_output(&mut server);

    let (message, close) = wire.split_at(9);
    read_in(&mut client, &clock, message, 4096);
    assert_eq!(clock.reads.get(), 1);
    let closed_at = start + Duration::from_secs(7);
    clock.set(closed_at);
    read_in(&mut client, &clock, close, 4096);
    assert_eq!(clock.reads.get(), 2);
    let events = drain_events(&mut client);
    assert!(matches!(&events[0], Event::Text(t) if t == "welcome"));
    assert!(matches!(&events[1], Event::Closed(c) if c.code == CloseCode::GOING_AWAY && c.was_clean));
    // The client waits for the server to close the transport, from the
    // time the server's close frame arrived.
    assert_eq!(client.poll_timeout(), Some(closed_at + config.close_timeout));
    assert_eq!(drain_output(&mut client)[0], 0x88, "the close reply");
    assert!(!client.should_close_transport());
    client.handle_timeout(closed_at + config.close_timeout);
    assert!(client.should_close_transport());
}

#[test]
fn an_instant_and_a_clock_that_returns_it_are_the_same_input() {
    let start = Instant::now();
    let config = Config::default().ping_interval(Some(Duration::from_secs(20)));
    let wire = client_traffic(start);
    let at = start + Duration::from_secs(3);
    let mut given = open_server(config.clone(), start);
    let mut read = open_server(config, start);
    given.handle_input(at, &wire);
    read.handle_input(|| at, &wire);
    assert_eq!(drain_events(&mut given), drain_events(&mut read));
    assert_eq!(drain_output(&mut given), drain_output(&mut read));
    assert_eq!(given.poll_timeout(), read.poll_timeout());
    assert_eq!(given.state(), read.state());
}
