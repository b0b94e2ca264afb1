//! WebSockets over HTTP/2 and HTTP/3 (RFC 8441, RFC 9220): the extended
//! CONNECT handshake on parsed fields, then a connection open on a stream,
//! closing as a stream does. Virtual clock, no socket. The cases expect
//! permessage-deflate, on by default.
#![cfg(feature = "deflate")]

use std::time::Duration;

use wsproto::handshake::{
    AcceptOptions, ClientOptions, ConnectClient, ConnectRequest, ConnectRequestError, ConnectResponseError,
    ExtensionOffer, HeaderName, PseudoHeader,
};
use wsproto::rng::PredictableRandom;
use wsproto::{AnswerError, CloseCode, Config, Connection, Error, Event, Open, Role, State, Transport};
use wsproto_test_support::pair::{Pair, Side};

/// A browser's request, as Chromium sends it over HTTP/2.
fn browser_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "localhost:8443"),
        (":path", "/ws?room=1"),
        ("origin", "https://localhost:8443"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat, superchat"),
        ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
    ]
}

fn request(fields: &[(&str, &str)]) -> Result<ConnectRequest, ConnectRequestError> {
    ConnectRequest::from_fields(fields.iter().map(|(n, v)| (*n, v.as_bytes())))
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    browser_fields().into_iter().filter(|(n, _)| *n != name).collect()
}

fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut fields = without(name);
    fields.push((name, value));
    fields
}

type Fields = Vec<(&'static str, &'static str)>;

fn plus(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut fields = browser_fields();
    fields.push((name, value));
    fields
}

#[test]
fn a_browser_request_is_read_and_accepted_with_deflate() {
    let request = request(&browser_fields()).unwrap();
    assert_eq!(request.scheme(), "https");
    assert_eq!(request.authority(), "localhost:8443");
    assert_eq!((request.target(), request.path(), request.query()), ("/ws?room=1", "/ws", Some("room=1")));
    assert_eq!(request.origin(), Some("https://localhost:8443"));
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert_eq!(request.extensions()[0].name, "permessage-deflate");

    let accepted = request.accept(AcceptOptions::new().with_subprotocol("superchat"), &Config::default()).unwrap();
    assert_eq!(accepted.status, 200);
    assert_eq!(
        accepted.fields,
        [
            ("sec-websocket-protocol".to_owned(), "superchat".to_owned()),
            // The default deflate config answers with 12-bit windows both ways.
            (
                "sec-websocket-extensions".to_owned(),
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12".to_owned()
            ),
        ]
    );
    assert_eq!(accepted.open.transport, Transport::ExtendedConnect);
    assert_eq!(accepted.open.subprotocol.as_deref(), Some("superchat"));

    // No deflate configured: nothing is answered unless the app does.
    let mut plain = Config::default();
    plain.deflate = None;
    let accepted = request.accept(AcceptOptions::new(), &plain).unwrap();
    assert!(accepted.fields.is_empty());
    assert!(accepted.open.extensions.is_empty());
}

#[test]
fn refusals_carry_their_status_and_fields() {
    let cases: Vec<(Fields, ConnectRequestError, u16)> = vec![
        (without(":protocol"), ConnectRequestError::MissingProtocol, 400),
        (with(":protocol", "webtransport"), ConnectRequestError::UnknownProtocol("webtransport".into()), 501),
        (with(":method", "GET"), ConnectRequestError::Method("GET".into()), 405),
        (without(":method"), ConnectRequestError::MissingPseudoHeader(PseudoHeader::Method), 400),
        (with("sec-websocket-version", "8"), ConnectRequestError::UnsupportedVersion("8".into()), 400),
        (without("sec-websocket-version"), ConnectRequestError::MissingHeader(HeaderName::SecWebSocketVersion), 400),
        (without(":path"), ConnectRequestError::MissingPseudoHeader(PseudoHeader::Path), 400),
        (with(":path", ""), ConnectRequestError::InvalidPseudoHeader(PseudoHeader::Path), 400),
        (without(":scheme"), ConnectRequestError::MissingPseudoHeader(PseudoHeader::Scheme), 400),
        (with(":scheme", "ftp"), ConnectRequestError::InvalidPseudoHeader(PseudoHeader::Scheme), 400),
        (without(":authority"), ConnectRequestError::MissingPseudoHeader(PseudoHeader::Authority), 400),
        (with(":status", "200"), ConnectRequestError::UnknownPseudoHeader(":status".into()), 400),
        (plus(":path", "/again"), ConnectRequestError::DuplicatePseudoHeader(PseudoHeader::Path), 400),
        (
            with("sec-websocket-protocol", "a b"),
            ConnectRequestError::InvalidHeader(HeaderName::SecWebSocketProtocol),
            400,
        ),
    ];
    for (fields, error, status) in cases {
        let got = request(&fields).unwrap_err();
        assert_eq!(got, error, "{fields:?}");
        let rejection = got.rejection();
        assert_eq!((got.http_status(), rejection.status), (status, status), "{error:?}");
        assert!(!rejection.body.is_empty());
    }
    // A wrong version is answered with the version we speak; a wrong method with the one to use.
    let version = request(&with("sec-websocket-version", "8")).unwrap_err().rejection();
    assert!(version.headers.contains(&("sec-websocket-version".into(), "13".into())), "{version:?}");
    let method = request(&with(":method", "POST")).unwrap_err().rejection();
    assert!(method.headers.contains(&("allow".into(), "CONNECT".into())));
    // Two versions are one too many.
    assert_eq!(
        request(&plus("sec-websocket-version", "13")).unwrap_err(),
        ConnectRequestError::DuplicateHeader(HeaderName::SecWebSocketVersion)
    );
}

#[test]
fn a_key_is_ignored_and_names_compare_in_any_case() {
    let mut fields = with("Sec-WebSocket-Key", "not even base64");
    fields.push((":PROTOCOL", "WebSocket"));
    fields.retain(|(n, _)| *n != ":protocol");
    let request = request(&fields).unwrap();
    assert_eq!(request.headers().get_str("sec-websocket-key"), Some("not even base64"));
}

#[test]
fn the_server_answer_is_checked_against_the_offers() {
    let request = request(&browser_fields()).unwrap();
    let config = Config::default();
    let err = request.accept(AcceptOptions::new().with_subprotocol("other"), &config).unwrap_err();
    assert!(matches!(err, AnswerError::Invalid(_)), "{err:?}");
    let err = request.accept(AcceptOptions::new().with_header("connection", "close"), &config).unwrap_err();
    assert!(matches!(err, AnswerError::Invalid(_)), "{err:?}");
    let bad = ExtensionOffer::new("permessage-deflate").with_param("server_max_window_bits", "99");
    let err = request.accept(AcceptOptions::new().with_extension(bad), &config).unwrap_err();
    assert!(matches!(err, AnswerError::Deflate(_)), "{err:?}");
    let extra = request.accept(AcceptOptions::new().with_header("X-Server", "wsproto"), &config).unwrap();
    assert_eq!(extra.fields.last(), Some(&("x-server".to_owned(), "wsproto".to_owned())));
}

#[test]
fn the_client_request_has_every_field_in_order() {
    let options =
        ClientOptions::new().with_subprotocol("chat").with_origin("https://a.example").with_header("X-Id", "7");
    let client = ConnectClient::new("wss://a.example:8443/ws?x=1", options, &Config::default()).unwrap();
    let fields = client.request_fields();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            ":method",
            ":protocol",
            ":scheme",
            ":authority",
            ":path",
            "sec-websocket-version",
            "origin",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
            "x-id"
        ]
    );
    assert_eq!(
        &fields[1..5],
        &[
            (":protocol".to_owned(), "websocket".to_owned()),
            (":scheme".to_owned(), "https".to_owned()),
            (":authority".to_owned(), "a.example:8443".to_owned()),
            (":path".to_owned(), "/ws?x=1".to_owned()),
        ]
    );
    // The server of this crate reads what the client of this crate writes.
    let request = ConnectRequest::from_fields(fields.iter().map(|(n, v)| (n, v))).unwrap();
    assert_eq!(request.subprotocols(), ["chat"]);
    assert!(
        ConnectClient::new("ws://h/", ClientOptions::new().with_header("upgrade", "x"), &Config::default()).is_err()
    );
    let plain = ConnectClient::new("ws://h/", ClientOptions::new(), &Config::default()).unwrap();
    assert_eq!(plain.request_fields()[2].1, "http");
}

#[test]
fn the_client_checks_the_answer() {
    let client =
        ConnectClient::new("wss://h/", ClientOptions::new().with_subprotocol("chat"), &Config::default()).unwrap();
    let none: [(&str, &str); 0] = [];
    let open = client.check_response(200, none).unwrap();
    assert_eq!(open, Open::new().with_transport(Transport::ExtendedConnect));
    match client.check_response(403, [("content-type", "text/plain")]) {
        Err(ConnectResponseError::Refused { status: 403, headers }) => {
            assert_eq!(headers.get_str("content-type"), Some("text/plain"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.check_response(200, [("sec-websocket-protocol", "other")]),
        Err(ConnectResponseError::UnexpectedSubprotocol("other".into()))
    );
    assert_eq!(
        client.check_response(200, [("sec-websocket-protocol", "chat, chat")]),
        Err(ConnectResponseError::InvalidSubprotocol)
    );
    assert_eq!(
        client.check_response(200, [("sec-websocket-extensions", "x-unknown")]),
        Err(ConnectResponseError::UnexpectedExtension("x-unknown".into()))
    );
    assert!(matches!(
        client.check_response(200, [("sec-websocket-extensions", "permessage-deflate; server_max_window_bits=99")]),
        Err(ConnectResponseError::Deflate(_))
    ));
    // A pseudo-header given with the fields is skipped.
    let open = client.check_response(200, [(":status", "200"), ("sec-websocket-protocol", "chat")]).unwrap();
    assert_eq!(open.subprotocol.as_deref(), Some("chat"));
}

/// A client and a server that negotiated over extended CONNECT, open on a
/// stream, wired back to back.
fn stream_pair() -> Pair {
    let config = Config::default();
    let client = ConnectClient::new("wss://h/chat", ClientOptions::new(), &config).unwrap();
    let fields = client.request_fields();
    let request = ConnectRequest::from_fields(fields.iter().map(|(n, v)| (n, v))).unwrap();
    let accepted = request.accept(AcceptOptions::new(), &config).unwrap();
    let open = client.check_response(accepted.status, accepted.fields.iter().map(|(n, v)| (n, v))).unwrap();
    let now = std::time::Instant::now();
    let client = Connection::open_with_random(Role::Client, open, config.clone(), PredictableRandom::new(1), now);
    let server = Connection::open_with_random(Role::Server, accepted.open, config, PredictableRandom::new(2), now);
    Pair::from_connections(client, server, now)
}

#[test]
fn messages_flow_compressed_on_a_stream() {
    let mut pair = stream_pair();
    assert!(pair.client.deflate().is_some() && pair.server.deflate().is_some());
    let text = "hello over a stream ".repeat(50);
    pair.client.send_text(text.as_str()).unwrap();
    pair.server.send_binary(vec![7u8; 3000]).unwrap();
    pair.client.ping(&b"p"[..]).unwrap();
    pair.drive();
    // Compressed: far fewer bytes on the wire than the payloads.
    assert!(
        pair.client_wire.len() < 200 && pair.server_wire.len() < 200,
        "{} {}",
        pair.client_wire.len(),
        pair.server_wire.len()
    );
    assert!(pair.server_events.iter().any(|e| matches!(e, Event::Text(t) if t.as_str() == text)));
    assert!(pair.server_events.iter().any(|e| matches!(e, Event::Ping(p) if p.as_ref() == b"p")));
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Binary(b) if b.len() == 3000)));
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Pong(p) if p.as_ref() == b"p")));
}

#[test]
fn after_the_close_frames_both_ends_finish_the_stream_at_once() {
    for initiator in [Side::Client, Side::Server] {
        let mut pair = stream_pair();
        pair.drive();
        let now = pair.now;
        pair.conn(initiator).close(now, CloseCode::NORMAL, "done").unwrap();
        pair.drive();
        for side in [Side::Client, Side::Server] {
            assert_eq!(pair.conn(side).state(), State::Closed, "{initiator:?} {side:?}");
            // No waiting for the peer to close a TCP connection: END_STREAM now.
            assert!(pair.conn(side).should_close_transport(), "{initiator:?} {side:?}");
            assert_eq!(pair.conn(side).poll_timeout(), None, "{initiator:?} {side:?}");
            match pair.events(side).last() {
                Some(Event::Closed(c)) => assert!(c.was_clean && c.code == CloseCode::NORMAL),
                other => panic!("{other:?}"),
            }
        }
        // The peer's END_STREAM after that is the expected end.
        let now = pair.now;
        pair.client.handle_eof(now);
        pair.collect_events();
        assert!(!pair.client_events.iter().any(|e| matches!(e, Event::Failed(_))));
    }
}

#[test]
fn over_http1_the_client_still_waits_for_the_server() {
    // The same close on an upgraded connection: the client lingers until EOF or the timeout.
    let mut pair = Pair::open(Config::default(), Config::default());
    let now = pair.now;
    pair.server.close(now, CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert!(!pair.client.should_close_transport());
    pair.advance(Duration::from_secs(10));
    assert!(pair.client.should_close_transport());
}

#[test]
fn a_reset_stream_is_a_failure() {
    for side in [Side::Client, Side::Server] {
        let mut pair = stream_pair();
        pair.conn(side).send_text("in flight").unwrap();
        pair.drive();
        // The driver saw RST_STREAM (or a QUIC reset) and reports the end of input.
        let now = pair.now;
        pair.conn(side).handle_eof(now);
        pair.collect_events();
        let events = pair.events(side);
        assert!(events.iter().any(|e| matches!(e, Event::Failed(Error::UnexpectedEof))), "{events:?}");
        match events.last() {
            Some(Event::Closed(c)) => assert!(!c.was_clean && c.code == CloseCode::ABNORMAL),
            other => panic!("{other:?}"),
        }
        assert!(pair.conn(side).should_close_transport());
    }
}
