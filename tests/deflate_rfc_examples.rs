//! RFC 7692 §7.2.3: the worked examples, byte for byte, in both roles.
#![cfg(feature = "deflate")]

mod common;

use std::time::Instant;

use common::{client_frame, server_frame};
use wsproto::deflate::DeflateConfig;
use wsproto::handshake::ExtensionOffer;
use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Event, Open, Role};

const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
const HELLO_AGAIN: [u8; 5] = [0xf2, 0x00, 0x11, 0x00, 0x00];

/// A connection of `role` that starts open with `permessage-deflate`
/// (parameters `params`) negotiated, its Open event drained.
fn open(role: Role, params: &[&str], config: Config) -> Connection {
    let mut ext = ExtensionOffer::new("permessage-deflate");
    for p in params {
        ext = ext.with_flag(*p);
    }
    let mut conn = Connection::open_with_random(
        role,
        Open::new().with_extension(ext),
        config,
        PredictableRandom::new(7),
        Instant::now(),
    );
    assert!(matches!(conn.poll_event(), Some(Event::Open(_))));
    conn
}

/// Feeds each frame (first byte, payload) to both roles, masked as the
/// peer would send it, and returns the events each saw.
fn receive(frames: &[(u8, &[u8])]) -> [Vec<Event>; 2] {
    [Role::Server, Role::Client].map(|role| {
        let mut conn = open(role, &[], Config::default());
        for (first, payload) in frames {
            let wire = if role == Role::Server { client_frame(*first, payload) } else { server_frame(*first, payload) };
            conn.handle_input(Instant::now(), &wire);
        }
        std::iter::from_fn(|| conn.poll_event()).collect()
    })
}

fn hello() -> Event {
    Event::Text("Hello".into())
}

#[test]
fn a_message_compressed_into_one_frame() {
    // §7.2.3.1: 0xc1 0x07 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00
    for events in receive(&[(0xc1, &HELLO)]) {
        assert_eq!(events, [hello()]);
    }
}

#[test]
fn a_compressed_message_fragmented() {
    // §7.2.3.1: 0x41 0x03 0xf2 0x48 0xcd, then 0x80 0x04 0xc9 0xc9 0x07 0x00
    for events in receive(&[(0x41, &HELLO[..3]), (0x80, &HELLO[3..])]) {
        assert_eq!(events, [hello()]);
    }
}

#[test]
fn sharing_the_window_across_messages() {
    // §7.2.3.2: the second "Hello" refers back to the first: 0xc1 0x05 0xf2 0x00 0x11 0x00 0x00
    for events in receive(&[(0xc1, &HELLO), (0xc1, &HELLO_AGAIN)]) {
        assert_eq!(events, [hello(), hello()]);
    }
}

#[test]
fn a_stored_block() {
    // §7.2.3.3: 0xc1 0x0b 0x00 0x05 0x00 0xfa 0xff 0x48 0x65 0x6c 0x6c 0x6f 0x00
    let stored = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
    for events in receive(&[(0xc1, &stored)]) {
        assert_eq!(events, [hello()]);
    }
}

#[test]
fn a_block_with_bfinal_set() {
    // §7.2.3.4: 0xc1 0x08 0xf3 0x48 0xcd 0xc9 0xc9 0x07 0x00 0x00; what follows the
    // final block is ignored, and the next message starts a new stream.
    let last = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    for events in receive(&[(0xc1, &last), (0xc1, &HELLO)]) {
        assert_eq!(events, [hello(), hello()]);
    }
}

#[test]
fn two_blocks_in_one_message() {
    // §7.2.3.5: 0xc1 0x0d 0xf2 0x48 0x05 0x00 0x00 0x00 0xff 0xff 0xca 0xc9 0xc9 0x07 0x00
    let two = [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00];
    for events in receive(&[(0xc1, &two)]) {
        assert_eq!(events, [hello()]);
    }
}

/// The bytes a server writes for `messages`, sent one by one.
fn server_sends(params: &[&str], level: u8, messages: &[&str]) -> Vec<u8> {
    let config = Config::default().deflate(Some(DeflateConfig::new().level(level).min_compress_size(0)));
    let mut server = open(Role::Server, params, config);
    for m in messages {
        server.send_text(*m).unwrap();
    }
    std::iter::from_fn(|| server.poll_transmit()).flatten().collect()
}

#[test]
fn sending_matches_the_rfc_byte_for_byte() {
    // The RFC's bytes are zlib's at its default level; level 1 (zlib-rs's
    // quick strategy, our default) writes other, equally valid, bytes.
    for level in [6, 9] {
        // §7.2.3.1 and §7.2.3.2: with context takeover the second "Hello" is 5 bytes.
        let mut expected = vec![0xc1, 0x07];
        expected.extend(HELLO);
        expected.extend([0xc1, 0x05]);
        expected.extend(HELLO_AGAIN);
        assert_eq!(server_sends(&[], level, &["Hello", "Hello"]), expected, "level {level}");

        // Without context takeover each message stands alone.
        let mut expected = vec![0xc1, 0x07];
        expected.extend(HELLO);
        expected.extend([0xc1, 0x07]);
        expected.extend(HELLO);
        assert_eq!(server_sends(&["server_no_context_takeover"], level, &["Hello", "Hello"]), expected);
    }
}

#[test]
fn a_client_masks_the_compressed_payload() {
    let config = Config::default().deflate(Some(DeflateConfig::new().min_compress_size(0)));
    let mut client = open(Role::Client, &[], config);
    client.send_text("Hello").unwrap();
    let wire: Vec<u8> = std::iter::from_fn(|| client.poll_transmit()).flatten().collect();
    assert_eq!(&wire[..2], [0xc1, 0x87]);
    let key = &wire[2..6];
    let payload: Vec<u8> = wire[6..].iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
    assert_eq!(payload, HELLO);
}

#[test]
fn level_one_output_is_valid_and_uses_the_window() {
    let wire = server_sends(&[], 1, &["Hello", "Hello"]);
    // Two frames with RSV1; the second refers back to the first.
    assert_eq!(wire[..2], [0xc1, 0x07]);
    let second = &wire[2 + 7..];
    assert_eq!(second[0], 0xc1);
    assert!(second.len() - 2 < 7, "{second:02x?}");
    let mut client = open(Role::Client, &[], Config::default());
    client.handle_input(Instant::now(), &wire);
    assert_eq!(std::iter::from_fn(|| client.poll_event()).collect::<Vec<_>>(), [hello(), hello()]);
}
