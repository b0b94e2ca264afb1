//! Ending a connection in any phase: `abort`, and `close` during the
//! opening handshake (which aborts). Sends before open are refused.
mod common;

use std::time::{Duration, Instant};

use common::Pair;
use wsproto::handshake::ClientOptions;
use wsproto::rng::PredictableRandom;
use wsproto::{CloseCode, Config, Connection, Event, SendError, State};

fn client(now: Instant) -> Connection {
    let options = ClientOptions::new();
    Connection::connect_with_random("ws://example.com/", options, Config::default(), PredictableRandom::new(3), now)
        .unwrap()
}

fn drain(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn assert_aborted(conn: &mut Connection, what: &str) {
    let events = drain(conn);
    assert!(!events.iter().any(|e| matches!(e, Event::Failed(_))), "{what}: {events:?}");
    let closed: Vec<_> = events.iter().filter(|e| matches!(e, Event::Closed(_))).collect();
    assert_eq!(closed.len(), 1, "{what}: {events:?}");
    match events.last() {
        Some(Event::Closed(c)) => {
            assert_eq!((c.code, c.was_clean, c.reason.as_str()), (CloseCode::ABNORMAL, false, ""), "{what}")
        }
        other => panic!("{what}: last event {other:?}"),
    }
    assert_eq!(conn.state(), State::Closed, "{what}");
    assert!(conn.should_close_transport(), "{what}");
    assert_eq!(conn.buffered_amount(), 0, "{what}");
    assert!(conn.poll_transmit().is_none(), "{what}");
    assert!(conn.poll_timeout().is_none(), "{what}: timers stop");
    assert_eq!(conn.send_text("late"), Err(SendError::Closed), "{what}");
    assert!(conn.read_buf().is_none(), "{what}: no more input");
}

#[test]
fn a_client_aborts_mid_handshake_before_and_after_its_request_went_out() {
    let now = Instant::now();
    for sent_request in [false, true] {
        let mut conn = client(now);
        if sent_request {
            while conn.poll_transmit().is_some() {}
        }
        conn.abort(now);
        assert_aborted(&mut conn, &format!("request sent: {sent_request}"));
        // A response arriving afterwards changes nothing.
        conn.handle_input(now, b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
        assert!(drain(&mut conn).is_empty());
    }
}

#[test]
fn close_during_the_client_handshake_aborts_and_checks_its_arguments() {
    let now = Instant::now();
    let mut conn = client(now);
    assert_eq!(conn.close(now, CloseCode::ABNORMAL, ""), Err(SendError::InvalidCloseCode(CloseCode::ABNORMAL)));
    assert_eq!(conn.state(), State::Connecting, "a refused close changes nothing");
    assert_eq!(conn.close(now, CloseCode::NORMAL, "bye"), Ok(()));
    assert_aborted(&mut conn, "close while connecting");
    assert_eq!(conn.close(now, CloseCode::NORMAL, "again"), Err(SendError::Closed));
}

#[test]
fn a_client_cannot_queue_messages_before_open() {
    let now = Instant::now();
    let mut conn = client(now);
    let request_len = conn.buffered_amount();
    assert_eq!(conn.send_text("early"), Err(SendError::NotOpen));
    assert_eq!(conn.send_binary(vec![1, 2]), Err(SendError::NotOpen));
    assert_eq!(conn.ping(Vec::new()), Err(SendError::NotOpen));
    assert_eq!(conn.buffered_amount(), request_len, "nothing queued behind the request");
}

#[test]
fn a_server_aborts_while_reading_the_request_and_while_the_app_decides() {
    let now = Instant::now();
    // Reading the request.
    let mut server = Connection::server(Config::default(), now);
    server.handle_input(now, b"GET / HTTP/1.1\r\n");
    server.abort(now);
    assert_aborted(&mut server, "reading the request");
    // The request was reported; close before answering aborts, sending nothing.
    let mut client = client(now);
    let mut server = Connection::server(Config::default(), now);
    while let Some(bytes) = client.poll_transmit() {
        server.handle_input(now, &bytes);
    }
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.close(now, CloseCode::NORMAL, "").unwrap();
    assert_aborted(&mut server, "waiting for the app");
}

#[test]
fn abort_when_open_drops_queued_output_and_unread_input() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.drive();
    pair.collect_events();
    let now = pair.now;
    // A message received but not yet polled (frames decode as events are polled).
    pair.client.send_text("unread").unwrap();
    while let Some(bytes) = pair.client.poll_transmit() {
        pair.server.handle_input(now, &bytes);
    }
    pair.server.send_text("never sent").unwrap();
    assert!(pair.server.buffered_amount() > 0);
    pair.server.abort(now);
    assert_aborted(&mut pair.server, "open");
}

#[test]
fn abort_after_a_clean_close_lets_a_client_close_the_transport_at_once() {
    let mut pair = Pair::open(Config::default(), Config::default());
    let now = pair.now;
    pair.client.close(now, CloseCode::NORMAL, "bye").unwrap();
    pair.drive();
    pair.collect_events();
    assert_eq!(pair.client.state(), State::Closed);
    assert!(!pair.client.should_close_transport(), "waits for the server's TCP close");
    pair.client.abort(now);
    assert!(pair.client.should_close_transport());
    assert!(drain(&mut pair.client).is_empty(), "Closed came once, clean, before");
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Closed(c) if c.was_clean)));
    // No timer left to fire.
    pair.advance(Duration::from_secs(60));
    assert!(drain(&mut pair.client).is_empty());
}
