//! The connection from the first handshake byte: request, answer, open,
//! refusals, pipelined frames, and a connection that starts open.

use std::time::{Duration, Instant};

use bytes::Bytes;
use wsproto::handshake::{
    AcceptOptions, ClientOptions, ExtensionOffer, Rejection, RequestError, ResponseError, UsageError,
};
use wsproto::{AnswerError, CloseCode, Config, Connection, Error, Event, Open, SendError, State};
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::pair::{Pair, Side, connecting_client, drain_events, drain_output};

const REQUEST: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nOrigin: https://example.com\r\n\r\n";

#[test]
fn client_and_server_negotiate_and_open() {
    let options = ClientOptions::new().with_subprotocol("chat").with_subprotocol("superchat");
    let mut pair = Pair::handshake(
        Config::default(),
        Config::default(),
        options,
        AcceptOptions::new().with_subprotocol("superchat"),
    );
    assert_eq!(pair.client.state(), State::Connecting);
    pair.drive();
    let Event::Request(request) = &pair.server_events[0] else { panic!("{:?}", pair.server_events) };
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert!(matches!(&pair.server_events[1], Event::Open(open) if open.subprotocol.as_deref() == Some("superchat")));
    assert!(matches!(&pair.client_events[0], Event::Open(open) if open.subprotocol.as_deref() == Some("superchat")));
    assert_eq!((pair.client.state(), pair.server.state()), (State::Open, State::Open));
    assert_eq!(pair.client.subprotocol(), Some("superchat"));
    pair.client.send_text("hi").unwrap();
    pair.drive();
    assert_eq!(pair.server_events.last(), Some(&Event::Text("hi".into())));
}

#[test]
fn sends_before_open_are_refused() {
    let mut pair = Pair::handshake(Config::default(), Config::default(), ClientOptions::new(), AcceptOptions::new());
    assert_eq!(pair.client.send_text("early"), Err(SendError::NotOpen));
    assert_eq!(pair.server.send_text("early"), Err(SendError::NotOpen));
    let now = pair.now;
    assert_eq!(pair.server.accept(now, AcceptOptions::new()), Err(AnswerError::NoRequestYet));
    assert_eq!(pair.server.reject(now, Rejection::new(403)), Err(AnswerError::NoRequestYet));
    assert_eq!(pair.client.accept(now, AcceptOptions::new()), Err(AnswerError::NotServer));
    assert_eq!(pair.client.reject(now, Rejection::new(403)), Err(AnswerError::NotServer));
}

#[test]
fn frames_pipelined_behind_the_request_are_kept() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default(), now);
    let mut wire = REQUEST.to_vec();
    wire.extend(client_frame(0x81, b"early bird"));
    server.handle_input(now, &wire);
    let first = drain_events(&mut server);
    assert!(matches!(&first[..], [Event::Request(_)]));
    server.accept(now, AcceptOptions::new()).unwrap();
    let after = drain_events(&mut server);
    assert_eq!(after[1], Event::Text("early bird".into()));
    let out = drain_output(&mut server);
    assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(String::from_utf8_lossy(&out).contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
}

#[test]
fn choosing_a_subprotocol_that_was_not_offered_is_refused_and_changes_nothing() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default(), now);
    server.handle_input(now, REQUEST);
    let _ = drain_events(&mut server);
    let err = server.accept(now, AcceptOptions::new().with_subprotocol("mqtt")).unwrap_err();
    assert_eq!(err, AnswerError::Invalid(UsageError::SubprotocolNotOffered("mqtt".into())));
    assert_eq!(server.state(), State::Connecting);
    assert!(drain_output(&mut server).is_empty());
    server.accept(now, AcceptOptions::new().with_subprotocol("chat")).unwrap();
    assert_eq!(server.state(), State::Open);
    assert_eq!(server.accept(now, AcceptOptions::new()), Err(AnswerError::HandshakeOver));
    assert_eq!(server.reject(now, Rejection::new(403)), Err(AnswerError::HandshakeOver));
}

#[test]
fn unoffered_extensions_are_never_accepted_by_default() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default(), now);
    let seed_request = b"GET / HTTP/1.1\r\nConnection:Upgrade\r\nHost:127.0.0.1:8088\r\nOrigin: null\r\n\
Sec-WebSocket-Extensions:x-webkit-deflate-frame\r\nSec-WebSocket-Key:puVOuWb7rel6z2AVZBKnfw==\r\n\
Sec-WebSocket-Version:13\r\nUpgrade:websocket\r\n\r\n";
    server.handle_input(now, seed_request);
    let Event::Request(request) = &drain_events(&mut server)[0] else { panic!() };
    assert_eq!(request.extensions(), [ExtensionOffer::new("x-webkit-deflate-frame")]);
    server.accept(now, AcceptOptions::new()).unwrap();
    let out = String::from_utf8(drain_output(&mut server)).unwrap();
    assert!(!out.to_ascii_lowercase().contains("sec-websocket-extensions"), "{out}");
    assert!(server.extensions().is_empty());
}

#[test]
fn the_app_can_reject_with_any_status() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default(), now);
    server.handle_input(now, REQUEST);
    let _ = drain_events(&mut server);
    // 101 is acceptance, not a refusal: nothing changes.
    assert_eq!(server.reject(now, Rejection::new(101)), Err(AnswerError::Invalid(UsageError::InvalidStatus(101))));
    assert_eq!(server.state(), State::Connecting);
    server.reject(now, Rejection::new(403).with_body("no")).unwrap();
    assert_eq!(server.reject(now, Rejection::new(403)), Err(AnswerError::HandshakeOver));
    assert_eq!(server.accept(now, AcceptOptions::new()), Err(AnswerError::HandshakeOver));
    let out = drain_output(&mut server);
    assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    assert!(out.ends_with(b"\r\n\r\nno"));
    let after = drain_events(&mut server);
    assert!(matches!(&after[..], [Event::Closed(c)] if c.code == CloseCode::ABNORMAL && !c.was_clean));
    assert!(server.should_close_transport());
}

#[test]
fn a_bad_request_is_answered_with_its_status_and_fails() {
    let now = Instant::now();
    let cases: [(&[u8], u16); 3] = [
        (b"POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405),
        (b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426),
        (b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
    ];
    for (request, status) in cases {
        let mut server = Connection::server(Config::default(), now);
        server.handle_input(now, request);
        let evs = drain_events(&mut server);
        assert!(matches!(&evs[0], Event::Failed(Error::Request(e)) if e.http_status() == status), "{evs:?}");
        assert!(matches!(&evs[1], Event::Closed(_)));
        let out = String::from_utf8(drain_output(&mut server)).unwrap();
        assert!(out.starts_with(&format!("HTTP/1.1 {status} ")), "{out}");
        if status == 426 {
            assert!(out.contains("Sec-WebSocket-Version: 13\r\n"));
        }
        assert!(server.should_close_transport());
    }
}

#[test]
fn an_oversized_request_is_refused_with_431_without_reading_on() {
    let now = Instant::now();
    let limits = wsproto::handshake::HandshakeLimits::new().with_max_head_bytes(1024);
    let mut server = Connection::server(Config::default().handshake_limits(limits), now);
    let mut request = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    request.extend(vec![b'a'; 1100]);
    server.handle_input(now, &request);
    let evs = drain_events(&mut server);
    assert!(matches!(&evs[0], Event::Failed(Error::Request(RequestError::HeadTooLarge { limit: 1024 }))), "{evs:?}");
    assert!(drain_output(&mut server).starts_with(b"HTTP/1.1 431 "));
}

#[test]
fn a_refused_upgrade_reaches_the_client_with_status_and_body() {
    let now = Instant::now();
    let mut client = connecting_client(Config::default(), now);
    let request = drain_output(&mut client);
    assert!(request.starts_with(b"GET / HTTP/1.1\r\n"));
    client.handle_input(now, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope");
    let evs = drain_events(&mut client);
    let Event::Failed(Error::Response(ResponseError::UnexpectedStatus { status, body, .. })) = &evs[0] else {
        panic!("{evs:?}")
    };
    assert_eq!((*status, body.as_slice()), (403, &b"nope"[..]));
    assert!(matches!(&evs[1], Event::Closed(c) if c.code == CloseCode::ABNORMAL));
}

#[test]
fn a_wrong_accept_value_fails_the_client() {
    let now = Instant::now();
    let mut client = connecting_client(Config::default(), now);
    client.handle_input(
        now,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    let evs = drain_events(&mut client);
    assert!(matches!(&evs[0], Event::Failed(Error::Response(ResponseError::AcceptMismatch { .. }))), "{evs:?}");
}

/// A peer that speaks no HTTP (TLS sent to a plain port, either way) is
/// refused at the first byte that shows it, not after the handshake timer:
/// a server answers 400, a client fails, both close the transport.
#[test]
fn a_peer_speaking_no_http_is_refused_at_its_first_bytes() {
    let now = Instant::now();
    let client_hello: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
    let mut server = Connection::server(Config::default(), now);
    server.handle_input(now, client_hello);
    let evs = drain_events(&mut server);
    assert!(
        matches!(&evs[0], Event::Failed(Error::Request(e @ RequestError::Syntax(_))) if e.http_status() == 400),
        "{evs:?}"
    );
    assert!(drain_output(&mut server).starts_with(b"HTTP/1.1 400 "));
    assert!(server.should_close_transport());

    let alert: &[u8] = &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];
    let mut client = connecting_client(Config::default(), now);
    drain_output(&mut client);
    client.handle_input(now, alert);
    let evs = drain_events(&mut client);
    assert!(matches!(&evs[0], Event::Failed(Error::Response(ResponseError::Syntax(_)))), "{evs:?}");
    assert!(matches!(&evs[1], Event::Closed(c) if c.code == CloseCode::ABNORMAL), "{evs:?}");
    assert!(client.should_close_transport());
}

/// A masked frame sent as the "body" of an upgrade request is not taken as
/// a message: the request is refused with 400 before anything after its
/// head is read.
#[test]
fn a_body_on_the_upgrade_request_is_refused_not_read_as_frames() {
    let now = Instant::now();
    let frame = client_frame(0x81, b"smuggled");
    let head = String::from_utf8(REQUEST.to_vec()).unwrap();
    let head = head.replace("\r\n\r\n", &format!("\r\nContent-Length: {}\r\n\r\n", frame.len()));
    let mut input = head.into_bytes();
    input.extend_from_slice(&frame);
    let mut server = Connection::server(Config::default(), now);
    server.handle_input(now, &input);
    let evs = drain_events(&mut server);
    assert!(matches!(&evs[0], Event::Failed(Error::Request(RequestError::BodyNotAllowed))), "{evs:?}");
    assert!(!evs.iter().any(|e| matches!(e, Event::Text(_) | Event::Request(_))), "{evs:?}");
    assert!(drain_output(&mut server).starts_with(b"HTTP/1.1 400 "));
    assert!(server.should_close_transport());
}

#[test]
fn a_slow_handshake_times_out() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default().handshake_timeout(Some(Duration::from_secs(5))), now);
    server.handle_input(now, &REQUEST[..20]);
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(5)));
    server.handle_timeout(now + Duration::from_secs(5));
    let evs = drain_events(&mut server);
    assert_eq!(evs[0], Event::Failed(Error::HandshakeTimeout));
    assert!(server.should_close_transport());
}

#[test]
fn a_connection_can_start_open() {
    let now = Instant::now();
    let open = Open::new().with_subprotocol("chat");
    let mut server = Connection::open_with_random(
        wsproto::Role::Server,
        open.clone(),
        Config::default(),
        wsproto::rng::PredictableRandom::new(1),
        now,
    );
    assert_eq!(server.state(), State::Open);
    assert_eq!(server.subprotocol(), Some("chat"));
    server.handle_input(now, &client_frame(0x82, b"\x01"));
    assert_eq!(drain_events(&mut server), vec![Event::Open(open), Event::Binary(Bytes::from_static(b"\x01"))]);
}

#[test]
fn events_come_in_the_documented_order() {
    let mut pair = Pair::handshake(Config::default(), Config::default(), ClientOptions::new(), AcceptOptions::new());
    pair.drive();
    pair.client.send_text("m").unwrap();
    let now = pair.now;
    pair.client.close(now, CloseCode::NORMAL, "").unwrap();
    pair.drive();
    let kinds: Vec<&str> = pair
        .events(Side::Server)
        .iter()
        .map(|e| match e {
            Event::Request(_) => "request",
            Event::Open(_) => "open",
            Event::Text(_) => "text",
            Event::Closed(_) => "closed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["request", "open", "text", "closed"]);
}

#[test]
fn input_pipelined_before_accept_is_bounded_by_one_frame() {
    let now = Instant::now();
    let config = Config::default().max_frame_payload(1000);
    let limit = 1000 + 14;
    // One whole 1000-byte frame (8-byte header) and the first 6 bytes of the next: exactly the limit.
    let mut early = client_frame(0x82, &[7u8; 1000]);
    early.extend(&client_frame(0x81, b"next")[..6]);
    assert_eq!(early.len(), limit);

    let mut server = Connection::server(config.clone(), now);
    server.handle_input(now, REQUEST);
    server.handle_input(now, &early);
    assert!(matches!(&drain_events(&mut server)[..], [Event::Request(_)]));
    server.accept(now, AcceptOptions::new()).unwrap();
    let after = drain_events(&mut server);
    assert_eq!(after[1], Event::Binary(Bytes::from(vec![7u8; 1000])));

    let mut server = Connection::server(config, now);
    server.handle_input(now, REQUEST);
    server.handle_input(now, &early);
    server.handle_input(now, b"x");
    let evs = drain_events(&mut server);
    assert!(matches!(&evs[0], Event::Request(_)));
    assert_eq!(evs[1], Event::Failed(Error::InputBeforeOpen { limit: limit as u64 }));
    assert!(matches!(&evs[2], Event::Closed(c) if !c.was_clean));
    assert_eq!(server.buffered_input(), 0);
    assert!(server.should_close_transport());
    assert!(drain_output(&mut server).is_empty(), "nothing is sent");
    assert_eq!(server.accept(now, AcceptOptions::new()), Err(AnswerError::HandshakeOver));
}
