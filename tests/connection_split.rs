//! Every behaviour survives the wire being split anywhere: a whole
//! conversation, fed to a fresh connection in two pieces at every byte
//! boundary and one byte at a time, gives the same events as in one piece.
mod common;

use std::time::Instant;

use common::Pair;
use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::rng::PredictableRandom;
use wsproto::{CloseCode, Config, Connection, Event, MessageKind};

/// Runs a conversation with every kind of traffic and returns both wires.
fn conversation(config: &Config) -> (Vec<u8>, Vec<u8>) {
    let options = ClientOptions::new().with_subprotocol("chat");
    let mut pair =
        Pair::handshake(config.clone(), config.clone(), options, AcceptOptions::new().with_subprotocol("chat"));
    pair.drive();
    for conn in [&mut pair.client, &mut pair.server] {
        conn.send_text("héllo").unwrap();
        conn.send_binary(vec![7u8; 300]).unwrap();
        conn.send_fragment(MessageKind::Text, "日本".as_bytes()[..4].to_vec(), false).unwrap();
        conn.ping(&b"between"[..]).unwrap();
        conn.send_fragment(MessageKind::Text, "日本".as_bytes()[4..].to_vec(), true).unwrap();
        conn.send_binary(Vec::new()).unwrap();
    }
    pair.drive();
    let now = pair.now;
    pair.client.close(now, CloseCode(4001), "done").unwrap();
    pair.drive();
    (pair.client_wire, pair.server_wire)
}

fn fresh_server(config: &Config, now: Instant) -> Connection {
    Connection::server(config.clone(), now)
}

fn fresh_client(config: &Config, now: Instant) -> Connection {
    let options = ClientOptions::new().with_subprotocol("chat");
    // The same seed as the pair's client: the same key, so the same accept value.
    Connection::connect_with_random("ws://example.com/chat", options, config.clone(), PredictableRandom::new(1), now)
        .unwrap()
}

/// Feeds `pieces` in order, accepting any upgrade request, and returns the events.
fn feed(mut conn: Connection, now: Instant, pieces: &[&[u8]]) -> Vec<Event> {
    let mut events = Vec::new();
    for piece in pieces {
        conn.handle_input(now, piece);
        while let Some(event) = conn.poll_event() {
            if let Event::Request(_) = event {
                conn.accept(now, AcceptOptions::new().with_subprotocol("chat")).unwrap();
            }
            events.push(event);
        }
        while conn.poll_transmit().is_some() {}
    }
    events
}

fn check_every_split(config: Config) {
    let now = Instant::now();
    let (client_wire, server_wire) = conversation(&config);
    for (wire, make) in [
        (&client_wire, fresh_server as fn(&Config, Instant) -> Connection),
        (&server_wire, fresh_client as fn(&Config, Instant) -> Connection),
    ] {
        let whole = feed(make(&config, now), now, &[wire]);
        assert!(matches!(whole.last(), Some(Event::Closed(c)) if c.was_clean), "{whole:?}");
        for split in 0..=wire.len() {
            let (a, b) = wire.split_at(split);
            assert_eq!(feed(make(&config, now), now, &[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(feed(make(&config, now), now, &bytes), whole, "one byte at a time");
    }
}

#[test]
fn whole_messages_survive_any_split() {
    check_every_split(Config::default());
}

#[test]
fn streamed_messages_reassemble_identically_at_any_split() {
    // In streaming mode the pieces differ with the split, but joined per
    // message they must not.
    let config = Config::default().streaming(true);
    let now = Instant::now();
    let (client_wire, _) = conversation(&config);
    let join = |events: Vec<Event>| {
        let mut messages = Vec::new();
        let mut current = Vec::new();
        for event in events {
            match event {
                Event::Fragment { data, fin, .. } => {
                    current.extend_from_slice(&data);
                    if fin {
                        messages.push(std::mem::take(&mut current));
                    }
                }
                Event::Ping(_) | Event::Closed(_) => messages.push(format!("{event:?}").into_bytes()),
                _ => {}
            }
        }
        messages
    };
    let whole = join(feed(fresh_server(&config, now), now, &[&client_wire]));
    assert_eq!(whole.len(), 6, "four messages, a ping, the close");
    for split in 0..=client_wire.len() {
        let (a, b) = client_wire.split_at(split);
        assert_eq!(join(feed(fresh_server(&config, now), now, &[a, b])), whole, "split at {split}");
    }
}
