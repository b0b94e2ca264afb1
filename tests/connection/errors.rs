//! A peer's protocol violations: the right close code goes out, the error is
//! reported, and no further input is read. Limits are tested at the boundary.

use std::time::Instant;

use bytes::Bytes;
use wsproto::frame::FrameError;
use wsproto::{Config, Connection, Error, Event, ProtocolError, SendError, State};
use wsproto_test_support::frames::{client_frame, close_frames_in, server_frame};
use wsproto_test_support::pair::{open_client, open_server};

struct Outcome {
    events: Vec<Event>,
    close_sent: Vec<(Option<u16>, String)>,
}

fn run(mut conn: Connection, now: Instant, wire: &[u8]) -> Outcome {
    let masked = conn.role() == wsproto::Role::Client;
    conn.handle_input(now, wire);
    let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
    let out: Vec<u8> = std::iter::from_fn(|| conn.poll_transmit()).flat_map(|b| b.to_vec()).collect();
    Outcome { events, close_sent: close_frames_in(&out, masked) }
}

fn server_gets(config: Config, wire: &[u8]) -> Outcome {
    let now = Instant::now();
    run(open_server(config, now), now, wire)
}

fn assert_failed(outcome: &Outcome, error: ProtocolError, code: u16) {
    assert!(
        outcome.events.contains(&Event::Failed(Error::Protocol(error.clone()))),
        "expected {error:?} in {:?}",
        outcome.events
    );
    assert_eq!(outcome.close_sent.len(), 1);
    assert_eq!(outcome.close_sent[0].0, Some(code));
    assert!(matches!(outcome.events.last(), Some(Event::Closed(c)) if !c.was_clean));
}

#[test]
fn frame_rule_violations_close_with_1002() {
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (server_frame(0x81, b"unmasked"), FrameError::UnmaskedFrame),
        (client_frame(0xC1, b"rsv1"), FrameError::ReservedBits { bits: 0b100 }),
        (client_frame(0x83, b""), FrameError::ReservedOpcode(3)),
        (client_frame(0x8B, b""), FrameError::ReservedOpcode(0xB)),
        (client_frame(0x09, b""), FrameError::FragmentedControlFrame),
        (client_frame(0x89, &[0u8; 126]), FrameError::ControlFrameTooLong),
    ];
    for (wire, error) in cases {
        assert_failed(&server_gets(Config::default(), &wire), ProtocolError::Frame(error), 1002);
    }
    let now = Instant::now();
    let outcome = run(open_client(Config::default(), now), now, &client_frame(0x81, b"masked"));
    assert_failed(&outcome, ProtocolError::Frame(FrameError::MaskedFrame), 1002);
}

#[test]
fn fragment_sequencing_violations_close_with_1002() {
    let outcome = server_gets(Config::default(), &client_frame(0x80, b"orphan"));
    assert_failed(&outcome, ProtocolError::UnexpectedContinuation, 1002);
    let mut wire = client_frame(0x01, b"start");
    wire.extend(client_frame(0x82, b"new message"));
    let outcome = server_gets(Config::default(), &wire);
    assert_failed(&outcome, ProtocolError::ExpectedContinuation(wsproto::frame::OpCode::Binary), 1002);
}

#[test]
fn invalid_utf8_fails_as_soon_as_it_is_seen() {
    // Whole frame.
    let outcome = server_gets(Config::default(), &client_frame(0x81, b"ok \xff"));
    assert_failed(&outcome, ProtocolError::InvalidUtf8, 1007);
    // Mid-frame: only part of a frame has arrived, but the bad byte is in it.
    let wire = client_frame(0x81, &[b"abc\xc0".as_slice(), &[b'x'; 100]].concat());
    let outcome = server_gets(Config::default(), &wire[..10]);
    assert_failed(&outcome, ProtocolError::InvalidUtf8, 1007);
    // Across fragments: a character left unfinished at the end of the message.
    let mut wire = client_frame(0x01, b"\xe2\x82");
    wire.extend(client_frame(0x80, b""));
    assert_failed(&server_gets(Config::default(), &wire), ProtocolError::InvalidUtf8, 1007);
    // Streaming mode too.
    let outcome = server_gets(Config::default().streaming(true), &wire[..8]);
    assert!(outcome.events.iter().all(|e| !matches!(e, Event::Failed(_))), "a valid prefix so far");
    let outcome = server_gets(Config::default().streaming(true), &client_frame(0x01, b"a\xed\xa0\x80"));
    assert_failed(&outcome, ProtocolError::InvalidUtf8, 1007);
}

#[test]
fn a_frame_over_the_limit_fails_from_its_header_alone() {
    let config = Config::default().max_frame_payload(1000);
    // Exactly at the limit: accepted.
    let outcome = server_gets(config.clone(), &client_frame(0x82, &[1u8; 1000]));
    assert_eq!(outcome.events.last(), Some(&Event::Binary(Bytes::from(vec![1u8; 1000]))));
    // One over: refused with only the 8 header bytes given.
    let wire = client_frame(0x82, &[1u8; 1001]);
    let outcome = server_gets(config, &wire[..8]);
    assert_failed(&outcome, ProtocolError::Frame(FrameError::PayloadTooLarge { len: 1001, max: 1000 }), 1009);
}

#[test]
fn a_message_over_the_limit_fails_before_it_is_buffered() {
    let config = Config::default().max_message_size(1000);
    let mut wire = client_frame(0x02, &[0u8; 600]);
    wire.extend(client_frame(0x80, &[0u8; 400]));
    let outcome = server_gets(config.clone(), &wire);
    assert!(matches!(outcome.events.last(), Some(Event::Binary(b)) if b.len() == 1000));
    let mut wire = client_frame(0x02, &[0u8; 600]);
    let second = client_frame(0x80, &[0u8; 401]);
    wire.extend_from_slice(&second[..8]);
    let outcome = server_gets(config, &wire);
    assert_failed(&outcome, ProtocolError::MessageTooLarge { max: 1000 }, 1009);
}

#[test]
fn fragments_per_message_are_limited() {
    let config = Config::default().max_fragments(3);
    let frames = |n: usize| {
        let mut wire = Vec::new();
        for i in 0..n {
            let op = if i == 0 { 0x02 } else { 0x00 };
            let fin = if i + 1 == n { 0x80 } else { 0 };
            wire.extend(client_frame(op | fin, b"x"));
        }
        wire
    };
    let outcome = server_gets(config.clone(), &frames(3));
    assert_eq!(outcome.events.last(), Some(&Event::Binary(Bytes::from_static(b"xxx"))));
    let outcome = server_gets(config, &frames(4));
    assert_failed(&outcome, ProtocolError::TooManyFragments { max: 3 }, 1009);
}

#[test]
fn input_after_a_violation_is_ignored() {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    server.handle_input(now, &client_frame(0x83, b""));
    let _: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    server.handle_input(now, &client_frame(0x81, b"more"));
    assert!(server.poll_event().is_none());
    assert_eq!(server.state(), State::Closed);
    let _: Vec<Bytes> = std::iter::from_fn(|| server.poll_transmit()).collect();
    assert!(server.should_close_transport());
}

#[test]
fn a_ping_flood_leaves_a_bounded_number_of_pongs_pending() {
    let now = Instant::now();
    let mut wire = Vec::new();
    for i in 0..10_000u32 {
        wire.extend(client_frame(0x89, &i.to_be_bytes()));
    }
    for max in [1usize, 16] {
        let mut server = open_server(Config::default().max_pending_pongs(max), now);
        server.handle_input(now, &wire);
        let pings = std::iter::from_fn(|| server.poll_event()).filter(|e| matches!(e, Event::Ping(_))).count();
        assert_eq!(pings, 10_000);
        assert_eq!(server.buffered_amount(), max * (2 + 4), "{max} pongs, for the latest pings");
        let out: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
        let mut expected = Vec::new();
        for i in 10_000 - max as u32..10_000 {
            expected.extend([0x8a, 0x04]);
            expected.extend(i.to_be_bytes());
        }
        assert_eq!(out, expected);
    }
}

#[test]
fn the_output_queue_is_bounded() {
    let now = Instant::now();
    let limit = 1000;
    let mut server = open_server(Config::default().max_output_buffer(limit), now);
    // 4-byte header + 996 bytes = exactly the limit.
    server.send_binary(vec![0u8; 996]).unwrap();
    assert_eq!(server.buffered_amount(), limit);
    assert_eq!(server.send_binary(vec![0u8; 1]), Err(SendError::OutputFull { queued: 1000, needed: 3, limit }));
    let _ = server.poll_transmit();
    assert_eq!(server.buffered_amount(), 0);
    assert!(server.send_binary(vec![0u8; 1]).is_ok());
    // Automatic replies are exempt (and bounded by construction).
    server.send_binary(vec![0u8; 993]).unwrap();
    server.handle_input(now, &client_frame(0x89, b"p"));
    assert!(std::iter::from_fn(|| server.poll_event()).any(|e| matches!(e, Event::Ping(_))));
    assert_eq!(server.buffered_amount(), limit + 3);
}

#[test]
fn control_payloads_over_125_bytes_are_refused() {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    assert_eq!(server.ping(vec![0u8; 126]), Err(SendError::ControlPayloadTooLong(126)));
    assert!(server.ping(vec![0u8; 125]).is_ok());
    assert_eq!(server.pong(vec![0u8; 126]), Err(SendError::ControlPayloadTooLong(126)));
}

/// Asking for output before polling events is correct too: a protocol
/// error that follows messages takes effect only once they have been
/// polled, so the answers to them go out before the close frame.
#[test]
fn answers_to_messages_before_an_error_go_out_first_whatever_the_order_of_calls() {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    let mut wire = client_frame(0x81, b"a");
    wire.extend_from_slice(&client_frame(0x81, b"b"));
    wire.extend_from_slice(&client_frame(0x83, b"")); // a reserved opcode
    server.handle_input(now, &wire);
    // Output first: the messages are decoded, the error waits for them.
    let early: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
    assert!(close_frames_in(&early, false).is_empty(), "the close frame went out before the messages were seen");
    let mut texts = Vec::new();
    while let Some(event) = server.poll_event() {
        if let Event::Text(text) = event {
            server.send_text(text.clone()).unwrap();
            texts.push(text);
        }
    }
    assert_eq!(texts.len(), 2);
    let out: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
    let echoes = [server_frame(0x81, b"a"), server_frame(0x81, b"b")].concat();
    assert!(out.starts_with(&echoes), "the echoes go out first");
    assert_eq!(close_frames_in(&out[echoes.len()..], false)[0].0, Some(1002));
}
