//! Heartbeats on a virtual clock: pings after silence, failure when the peer
//! stops answering. No real time passes.

use std::time::Duration;

use bytes::Bytes;
use wsproto::{CloseCode, Config, Error, Event, State};
use wsproto_test_support::pair::{Pair, Side, open_client};

fn keepalive() -> Config {
    Config::default().ping_interval(Some(Duration::from_secs(20))).pong_timeout(Duration::from_secs(5))
}

#[test]
fn a_live_peer_keeps_the_connection_open_for_hours() {
    let mut pair = Pair::open(keepalive(), Config::default());
    pair.drive();
    pair.advance(Duration::from_secs(3 * 3600));
    assert_eq!(pair.client.state(), State::Open);
    assert_eq!(pair.server.state(), State::Open);
    // One ping per interval went out and was answered.
    let pings = pair.server_events.iter().filter(|e| matches!(e, Event::Ping(_))).count();
    let pongs = pair.client_events.iter().filter(|e| matches!(e, Event::Pong(_))).count();
    assert!((3 * 3600 / 20 - 1..=3 * 3600 / 20).contains(&pings), "{pings} pings");
    assert_eq!(pings, pongs);
}

#[test]
fn traffic_postpones_the_ping() {
    let now = std::time::Instant::now();
    let mut client = open_client(keepalive(), now);
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(20)));
    let later = now + Duration::from_secs(15);
    client.handle_input(later, &[0x8a, 0x00]); // an unsolicited pong
    assert_eq!(client.poll_timeout(), Some(later + Duration::from_secs(20)));
    client.handle_timeout(now + Duration::from_secs(20));
    assert!(client.poll_transmit().is_none(), "no ping yet");
}

#[test]
fn a_silent_peer_fails_the_connection_after_pong_timeout() {
    let now = std::time::Instant::now();
    let mut client = open_client(keepalive(), now);
    let _ = client.poll_event();
    client.handle_timeout(now + Duration::from_secs(20));
    let ping = client.poll_transmit().expect("a ping");
    assert_eq!(ping[0], 0x89);
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(25)));
    client.handle_timeout(now + Duration::from_secs(24));
    assert_eq!(client.state(), State::Open);
    client.handle_timeout(now + Duration::from_secs(25));
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert_eq!(events[0], Event::Failed(Error::KeepaliveTimeout));
    assert!(matches!(&events[1], Event::Closed(c) if c.code == CloseCode::ABNORMAL && !c.was_clean));
    assert_eq!(client.state(), State::Closed);
    assert!(client.should_close_transport());
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn a_dead_server_is_detected_by_the_client_pair() {
    let mut pair = Pair::open(keepalive(), Config::default().auto_pong(false));
    pair.drive();
    pair.advance(Duration::from_secs(26));
    assert!(pair.client_events.contains(&Event::Failed(Error::KeepaliveTimeout)));
    // The server saw the ping but did not answer it.
    assert!(pair.events(Side::Server).contains(&Event::Ping(Bytes::new())));
}
