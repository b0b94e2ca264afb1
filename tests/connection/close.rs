//! The close handshake from either side, from both at once, and its failures.

use std::time::Duration;

use bytes::Bytes;
use wsproto::{CloseCode, Closed, Config, Error, Event, SendError, State};
use wsproto_test_support::frames::{client_frame, close_frames_in, server_frame};
use wsproto_test_support::pair::{Pair, Side, feed_split, open_client, open_server};

fn closed(events: &[Event]) -> Vec<&Closed> {
    events.iter().filter_map(|e| if let Event::Closed(c) = e { Some(c) } else { None }).collect()
}

#[test]
fn close_started_by_either_side_is_clean_and_reported_once_last() {
    for initiator in [Side::Client, Side::Server] {
        let mut pair = Pair::open(Config::default(), Config::default());
        pair.drive();
        let now = pair.now;
        pair.conn(initiator).close(now, CloseCode(4000), "bye").unwrap();
        assert_eq!(pair.conn(initiator).state(), State::Closing);
        assert_eq!(pair.conn(initiator).send_text("late"), Err(SendError::Closed));
        pair.drive();
        for side in [Side::Client, Side::Server] {
            let events = pair.events(side);
            let all = closed(events);
            assert_eq!(all.len(), 1, "{side:?}");
            assert!(matches!(events.last(), Some(Event::Closed(_))));
            assert_eq!(all[0].code, CloseCode(4000));
            assert!(all[0].was_clean);
            assert_eq!(pair.conn(side).state(), State::Closed);
        }
        // The initiator hears the echoed code; the other side hears the reason.
        let responder = if initiator == Side::Client { Side::Server } else { Side::Client };
        assert_eq!(closed(pair.events(responder))[0].reason, "bye");
        // The server closes the transport first; the client waits for EOF.
        assert!(pair.server.should_close_transport());
        assert!(!pair.client.should_close_transport());
        let now = pair.now;
        pair.client.handle_eof(now);
        assert!(pair.client.should_close_transport());
        pair.collect_events();
        assert_eq!(closed(&pair.client_events).len(), 1);
    }
}

#[test]
fn a_client_gives_up_waiting_for_the_server_to_close_after_close_timeout() {
    let mut pair = Pair::open(Config::default(), Config::default());
    let now = pair.now;
    pair.server.close(now, CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert!(!pair.client.should_close_transport());
    pair.advance(Duration::from_secs(10));
    assert!(pair.client.should_close_transport());
}

#[test]
fn simultaneous_close_completes_cleanly_on_both_sides() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.drive();
    let now = pair.now;
    pair.client.close(now, CloseCode::NORMAL, "c").unwrap();
    pair.server.close(now, CloseCode::GOING_AWAY, "s").unwrap();
    pair.drive();
    let c = closed(&pair.client_events);
    let s = closed(&pair.server_events);
    assert_eq!((c.len(), s.len()), (1, 1));
    assert_eq!((c[0].code, c[0].reason.as_str(), c[0].was_clean), (CloseCode::GOING_AWAY, "s", true));
    assert_eq!((s[0].code, s[0].reason.as_str(), s[0].was_clean), (CloseCode::NORMAL, "c", true));
    // Each side sent exactly one close frame.
    assert_eq!(close_frames_in(&pair.client_wire, true).len(), 1);
    assert_eq!(close_frames_in(&pair.server_wire, false).len(), 1);
}

#[test]
fn a_close_without_a_code_is_echoed_empty_and_reported_as_1005() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default(), now);
    server.handle_input(now, &client_frame(0x88, b""));
    let mut out = Vec::new();
    while let Some(b) = server.poll_transmit() {
        out.extend_from_slice(&b);
    }
    assert_eq!(out, vec![0x88, 0x00]);
    let _ = server.poll_event();
    let Some(Event::Closed(c)) = server.poll_event() else { panic!() };
    assert_eq!((c.code, c.was_clean), (CloseCode::NO_STATUS, true));
}

#[test]
fn messages_still_arrive_while_closing() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.drive();
    let now = pair.now;
    pair.server.send_text("before close").unwrap();
    pair.client.close(now, CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert!(pair.client_events.contains(&Event::Text("before close".into())));
}

#[test]
fn eof_before_close_is_abnormal() {
    let now = std::time::Instant::now();
    for mut conn in [open_server(Config::default(), now), open_client(Config::default(), now)] {
        conn.handle_eof(now);
        let events: Vec<Event> = std::iter::from_fn(|| conn.poll_event()).collect();
        assert_eq!(events[events.len() - 2], Event::Failed(Error::UnexpectedEof));
        assert_eq!(
            events.last(),
            Some(&Event::Closed(Closed { code: CloseCode::ABNORMAL, reason: String::new(), was_clean: false }))
        );
        assert!(conn.should_close_transport());
        // Nothing more, ever.
        conn.handle_eof(now);
        conn.handle_input(now, &[0x81, 0x00]);
        assert!(conn.poll_event().is_none());
    }
}

#[test]
fn an_unanswered_close_times_out() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default().close_timeout(Duration::from_secs(3)), now);
    server.close(now, CloseCode::NORMAL, "").unwrap();
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(3)));
    server.handle_timeout(now + Duration::from_secs(2));
    assert_eq!(server.state(), State::Closing);
    server.handle_timeout(now + Duration::from_secs(3));
    let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(events.contains(&Event::Failed(Error::CloseTimeout)));
    assert!(matches!(events.last(), Some(Event::Closed(c)) if !c.was_clean && c.code == CloseCode::ABNORMAL));
}

#[test]
fn close_codes_on_the_wire_follow_rfc_6455() {
    let now = std::time::Instant::now();
    let codes = [
        0u16, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015, 1016, 2000, 2999, 3000,
        4999, 5000, 65535,
    ];
    for code in codes {
        let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(b"why");
        let server = open_server(Config::default(), now);
        let mut server = server;
        server.handle_input(now, &client_frame(0x88, &payload));
        let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
        let wire: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
        let sent = close_frames_in(&wire, false);
        if valid {
            assert_eq!(sent, vec![(Some(code), String::new())], "code {code} is echoed");
            assert!(
                matches!(events.last(), Some(Event::Closed(c)) if c.was_clean && c.code.0 == code && c.reason == "why")
            );
        } else {
            assert_eq!(sent[0].0, Some(1002), "code {code} is a protocol error");
            assert!(events.iter().any(|e| matches!(e, Event::Failed(Error::Protocol(_)))));
        }
    }
}

#[test]
fn bad_close_payloads_are_protocol_errors() {
    let now = std::time::Instant::now();
    // One byte: 1002. Reason not UTF-8: 1007.
    for (payload, expected) in [(&b"\x03"[..], 1002u16), (&b"\x03\xe8\xff\xfe"[..], 1007)] {
        let events_and_wire = {
            let mut server = open_server(Config::default(), now);
            server.handle_input(now, &client_frame(0x88, payload));
            let wire: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
            wire
        };
        assert_eq!(close_frames_in(&events_and_wire, false)[0].0, Some(expected));
    }
}

#[test]
fn sending_a_close_checks_its_arguments() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default(), now);
    assert_eq!(server.close(now, CloseCode::ABNORMAL, ""), Err(SendError::InvalidCloseCode(CloseCode::ABNORMAL)));
    assert_eq!(server.close(now, CloseCode(1005), ""), Err(SendError::InvalidCloseCode(CloseCode(1005))));
    let long = "x".repeat(124);
    assert_eq!(server.close(now, CloseCode::NORMAL, &long), Err(SendError::CloseReasonTooLong(124)));
    assert!(server.close(now, CloseCode::NORMAL, &long[..123]).is_ok());
    assert_eq!(server.close(now, CloseCode::NORMAL, ""), Err(SendError::Closed));
    assert_eq!(server.ping(Bytes::new()), Err(SendError::Closed));
}

#[test]
fn a_client_receiving_close_from_the_server_echoes_it_masked() {
    let now = std::time::Instant::now();
    let client = open_client(Config::default(), now);
    let mut frame = server_frame(0x88, &[0x03, 0xe8]);
    frame.extend(server_frame(0x81, b"ignored after close"));
    let events = feed_split(client, now, &frame, &[1, 3]);
    assert!(matches!(events.last(), Some(Event::Closed(c)) if c.was_clean && c.code == CloseCode::NORMAL));
    assert!(!events.iter().any(|e| matches!(e, Event::Text(_))));
}
