//! The client side: URLs, the request it writes, and each rule of the
//! response broken one at a time.

mod handshake_support;

use handshake_support::{agree, head, nonce_for};
use wsproto::frame::Decoded;
use wsproto::handshake::{
    ClientHandshake, ClientOptions, ExtensionOffer, ExtensionParseError, HandshakeLimits, HeaderName, Response,
    ResponseError, SyntaxError, UrlError, UsageError, WsUrl,
};
use wsproto::rng::PredictableRandom;

#[test]
fn urls_with_default_and_explicit_ports() {
    let cases = [
        // url, secure, host, port, Host header, resource
        ("ws://example.com", false, "example.com", 80, "example.com", "/"),
        ("wss://example.com", true, "example.com", 443, "example.com", "/"),
        ("ws://example.com:80/x", false, "example.com", 80, "example.com", "/x"),
        ("wss://example.com:443/x", true, "example.com", 443, "example.com", "/x"),
        ("ws://example.com:443/x", false, "example.com", 443, "example.com:443", "/x"),
        ("wss://example.com:80", true, "example.com", 80, "example.com:80", "/"),
        ("ws://example.com:/", false, "example.com", 80, "example.com", "/"),
        ("ws://EXAMPLE.com:8080/Path?Q=1", false, "example.com", 8080, "example.com:8080", "/Path?Q=1"),
        ("WSS://h?q", true, "h", 443, "h", "/?q"),
        ("ws://127.0.0.1:9001/a/b/", false, "127.0.0.1", 9001, "127.0.0.1:9001", "/a/b/"),
        ("ws://[::1]:9001/x", false, "::1", 9001, "[::1]:9001", "/x"),
        ("wss://[2001:DB8::1]/", true, "2001:db8::1", 443, "[2001:db8::1]", "/"),
        ("ws://[::ffff:10.0.0.1]:80", false, "::ffff:10.0.0.1", 80, "[::ffff:10.0.0.1]", "/"),
    ];
    for (url, secure, host, port, host_header, resource) in cases {
        let parsed = WsUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            (parsed.is_secure(), parsed.host(), parsed.port(), parsed.host_header().as_str(), parsed.resource()),
            (secure, host, port, host_header, resource),
            "{url}"
        );
    }
}

#[test]
fn bad_urls_are_typed_errors() {
    let cases = [
        ("http://example.com/", UrlError::UnsupportedScheme("http".into())),
        ("https://example.com/", UrlError::UnsupportedScheme("https".into())),
        ("example.com/chat", UrlError::MissingScheme),
        ("ws:/example.com", UrlError::MissingScheme),
        ("ws://example.com/chat#top", UrlError::Fragment),
        ("ws://example.com#", UrlError::Fragment),
        ("ws://user:pass@example.com/", UrlError::UserInfo),
        ("ws://user@example.com/", UrlError::UserInfo),
        ("ws:///chat", UrlError::MissingHost),
        ("ws://:80/chat", UrlError::MissingHost),
        ("ws://exa mple.com/", UrlError::InvalidHost),
        ("ws://exam<ple.com/", UrlError::InvalidHost),
        ("ws://[::1/", UrlError::InvalidHost),
        ("ws://[nope]/", UrlError::InvalidHost),
        ("ws://[::1]x/", UrlError::InvalidHost),
        ("ws://h:65536/", UrlError::InvalidPort),
        ("ws://h:0/", UrlError::InvalidPort),
        ("ws://h:8o/", UrlError::InvalidPort),
        ("ws://h:-1/", UrlError::InvalidPort),
        ("ws://a:1:2/", UrlError::InvalidPort),
    ];
    for (url, expected) in cases {
        assert_eq!(WsUrl::parse(url), Err(expected.clone()), "{url}");
        let e = ClientHandshake::new(url, ClientOptions::new(), &mut PredictableRandom::new(1)).unwrap_err();
        assert_eq!(e, UsageError::Url(expected));
    }
}

fn client(url: &str, options: ClientOptions) -> ClientHandshake {
    ClientHandshake::new(url, options, &mut nonce_for("dGhlIHNhbXBsZSBub25jZQ==")).unwrap()
}

#[test]
fn the_request_carries_every_required_header_and_the_options() {
    let c = client(
        "ws://[::1]:9001/x?y=1",
        ClientOptions::new()
            .with_subprotocol("chat")
            .with_subprotocol("superchat")
            .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"))
            .with_extension(ExtensionOffer::new("x-foo").with_param("a", "1"))
            .with_origin("https://example.com")
            .with_header("Authorization", "Bearer t0ken"),
    );
    let mut out = Vec::new();
    c.write_request(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "GET /x?y=1 HTTP/1.1\r\nHost: [::1]:9001\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Origin: https://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a=1\r\n\
         Authorization: Bearer t0ken\r\n\r\n"
    );
    // Also into a BytesMut.
    let mut buf = bytes::BytesMut::new();
    client("wss://example.com", ClientOptions::new()).write_request(&mut buf);
    assert!(buf.starts_with(b"GET / HTTP/1.1\r\nHost: example.com\r\n"));
}

#[test]
fn the_nonce_comes_from_the_callers_random_source() {
    let a = ClientHandshake::new("ws://h", ClientOptions::new(), &mut PredictableRandom::new(9)).unwrap();
    let b = ClientHandshake::new("ws://h", ClientOptions::new(), &mut PredictableRandom::new(9)).unwrap();
    let c = ClientHandshake::new("ws://h", ClientOptions::new(), &mut PredictableRandom::new(10)).unwrap();
    assert_eq!(a.key(), b.key());
    assert_ne!(a.key(), c.key());
    assert!(wsproto::handshake::is_valid_key(a.key().as_bytes()));
    let mut dynamic: Box<dyn wsproto::RandomSource> = Box::new(PredictableRandom::new(9));
    let d = ClientHandshake::new("ws://h", ClientOptions::new(), &mut *dynamic).unwrap();
    assert_eq!(d.key(), a.key());
}

#[test]
fn bad_client_options_are_misuse() {
    let bad = |options: ClientOptions| {
        ClientHandshake::new("ws://h/", options, &mut PredictableRandom::new(1)).expect_err("options accepted")
    };
    assert_eq!(bad(ClientOptions::new().with_subprotocol("")), UsageError::InvalidSubprotocol("".into()));
    assert_eq!(bad(ClientOptions::new().with_subprotocol("a,b")), UsageError::InvalidSubprotocol("a,b".into()));
    assert_eq!(
        bad(ClientOptions::new().with_subprotocol("x").with_subprotocol("x")),
        UsageError::DuplicateSubprotocol("x".into())
    );
    assert_eq!(
        bad(ClientOptions::new().with_extension(ExtensionOffer::new("a b"))),
        UsageError::InvalidExtension("a b".into())
    );
    assert_eq!(
        bad(ClientOptions::new().with_header("Sec-WebSocket-Key", "x")),
        UsageError::ReservedHeader("Sec-WebSocket-Key".into())
    );
    assert_eq!(bad(ClientOptions::new().with_header("X", "a\nb")), UsageError::InvalidHeaderValue("X".into()));
}

const OK: &[&str] = &[
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
];

fn offering() -> ClientHandshake {
    client(
        "ws://h/",
        ClientOptions::new()
            .with_subprotocol("chat")
            .with_subprotocol("superchat")
            .with_extension(ExtensionOffer::new("permessage-deflate")),
    )
}

fn response(drop: &[&str], extra: &[&str]) -> Vec<u8> {
    let mut lines: Vec<&str> = OK.iter().copied().filter(|l| !drop.iter().any(|d| l.starts_with(d))).collect();
    lines.extend_from_slice(extra);
    head(&lines)
}

fn check(c: &ClientHandshake, input: &[u8]) -> Result<Response, ResponseError> {
    match agree(input, || c.clone(), |c, b| c.parse_response(b)) {
        Ok(Decoded::Complete((r, used))) => {
            assert_eq!(used, input.len());
            Ok(r)
        }
        Ok(Decoded::Incomplete { needed }) => panic!("incomplete, {needed} needed"),
        Err(e) => Err(e),
    }
}

#[test]
fn a_minimal_101_passes() {
    let r = check(&offering(), &response(&[], &[])).unwrap();
    assert_eq!(r.subprotocol(), None);
    assert!(r.extensions().is_empty());
}

#[test]
fn other_statuses_carry_status_headers_and_body() {
    let input = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nX-Why: origin\r\n\r\nforbiddenEXTRA";
    let mut c = offering();
    let Err(ResponseError::UnexpectedStatus { status, reason, headers, head_len, body }) = c.parse_response(input)
    else {
        panic!()
    };
    assert_eq!((status, reason.as_str(), head_len), (403, "Forbidden", input.len() - 14));
    assert_eq!(headers.get_str("x-why"), Some("origin"));
    assert_eq!(body, b"forbidden", "cut at Content-Length");

    // Without Content-Length: the body bytes seen so far.
    let input = b"HTTP/1.1 302 Found\r\nLocation: wss://elsewhere/\r\n\r\n<html>";
    let Err(ResponseError::UnexpectedStatus { status, body, .. }) = offering().parse_response(input) else { panic!() };
    assert_eq!((status, body.as_slice()), (302, &b"<html>"[..]));

    // The kept body is bounded.
    let limits = HandshakeLimits::default().with_max_error_body(3);
    let mut c = client("ws://h", ClientOptions::new().with_limits(limits));
    let Err(ResponseError::UnexpectedStatus { body, .. }) = c.parse_response(b"HTTP/1.1 500 Oops\r\n\r\n123456") else {
        panic!()
    };
    assert_eq!(body, b"123");
    // Even a 101 over HTTP/1.0 is not accepted.
    assert_eq!(check(&offering(), &head(&["HTTP/1.0 101 Switching Protocols"])), Err(ResponseError::HttpVersion));
}

#[test]
fn upgrade_and_connection_are_required_in_any_case() {
    assert_eq!(check(&offering(), &response(&["Upgrade"], &[])), Err(ResponseError::UpgradeNotWebSocket));
    assert_eq!(check(&offering(), &response(&["Upgrade"], &["Upgrade: h2c"])), Err(ResponseError::UpgradeNotWebSocket));
    assert_eq!(check(&offering(), &response(&["Connection"], &[])), Err(ResponseError::ConnectionNotUpgrade));
    assert_eq!(
        check(&offering(), &response(&["Connection"], &["Connection: close"])),
        Err(ResponseError::ConnectionNotUpgrade)
    );
    let relaxed = response(&["Upgrade", "Connection"], &["upgrade:WebSocket", "connection:upgrade"]);
    assert!(check(&offering(), &relaxed).is_ok());
}

#[test]
fn accept_must_match_our_key() {
    assert_eq!(
        check(&offering(), &response(&["Sec-WebSocket-Accept"], &[])),
        Err(ResponseError::MissingHeader(HeaderName::SecWebSocketAccept))
    );
    assert_eq!(
        check(
            &offering(),
            &response(&["Sec-WebSocket-Accept"], &["Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOQ="])
        ),
        Err(ResponseError::AcceptMismatch {
            expected: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            received: "s3pPLMBiTxaQ9kYGzzhZRbK+xOQ=".into(),
        })
    );
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="])),
        Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketAccept))
    );
    // A client with another key refuses this accept value.
    let other = ClientHandshake::new("ws://h", ClientOptions::new(), &mut PredictableRandom::new(5)).unwrap();
    assert!(matches!(check(&other, &response(&[], &[])), Err(ResponseError::AcceptMismatch { .. })));
}

#[test]
fn only_an_offered_subprotocol_is_accepted() {
    let r = check(&offering(), &response(&[], &["Sec-WebSocket-Protocol: superchat"])).unwrap();
    assert_eq!(r.subprotocol(), Some("superchat"));
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Protocol: mqtt"])),
        Err(ResponseError::UnexpectedSubprotocol("mqtt".into()))
    );
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Protocol: Chat"])),
        Err(ResponseError::UnexpectedSubprotocol("Chat".into()))
    );
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Protocol: chat, superchat"])),
        Err(ResponseError::InvalidSubprotocol)
    );
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat"])),
        Err(ResponseError::DuplicateHeader(HeaderName::SecWebSocketProtocol))
    );
    let none_offered = client("ws://h", ClientOptions::new());
    assert_eq!(
        check(&none_offered, &response(&[], &["Sec-WebSocket-Protocol: chat"])),
        Err(ResponseError::UnexpectedSubprotocol("chat".into()))
    );
}

#[test]
fn only_offered_extensions_are_accepted_by_name() {
    let r = check(
        &offering(),
        &response(&[], &["Sec-WebSocket-Extensions: Permessage-Deflate; server_no_context_takeover"]),
    )
    .unwrap();
    assert_eq!(r.extensions()[0].param("server_no_context_takeover"), Some(None));
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Extensions: x-webkit-deflate-frame"])),
        Err(ResponseError::UnexpectedExtension("x-webkit-deflate-frame".into()))
    );
    assert_eq!(
        check(&offering(), &response(&[], &["Sec-WebSocket-Extensions: permessage-deflate;"])),
        Err(ResponseError::InvalidExtensions(ExtensionParseError::ExpectedToken { at: 19 }))
    );
    let none_offered = client("ws://h", ClientOptions::new());
    assert_eq!(
        check(&none_offered, &response(&[], &["Sec-WebSocket-Extensions: permessage-deflate"])),
        Err(ResponseError::UnexpectedExtension("permessage-deflate".into()))
    );
}

#[test]
fn limits_and_syntax() {
    let limits = HandshakeLimits::default().with_max_head_bytes(64).with_max_headers(4);
    let c = client("ws://h", ClientOptions::new().with_limits(limits));
    let long = response(&[], &[&format!("Server: {}", "x".repeat(64))]);
    assert_eq!(check(&c, &long), Err(ResponseError::HeadTooLarge { limit: 64 }));
    // OK has 3 headers.
    let c = client("ws://h", ClientOptions::new().with_limits(HandshakeLimits::default().with_max_headers(3)));
    assert_eq!(check(&c, &response(&[], &["A: 1"])), Err(ResponseError::TooManyHeaders { limit: 3 }));
    assert!(check(&c, &response(&[], &[])).is_ok());
    assert_eq!(check(&offering(), b"HTTP/1.1 1O1 Nope\r\n\r\n"), Err(ResponseError::Syntax(SyntaxError::Status)));
    assert_eq!(check(&offering(), b"SSH-2.0-OpenSSH\r\n\r\n"), Err(ResponseError::Syntax(SyntaxError::Version)));
}

#[test]
fn errors_are_final_and_incomplete_is_not_an_error() {
    let mut c = offering();
    assert_eq!(c.parse_response(b"HTTP/1.1 101 Switching"), Ok(Decoded::Incomplete { needed: 2 }));
    let e = c.parse_response(&response(&["Upgrade"], &[])).unwrap_err();
    assert_eq!(c.parse_response(&response(&[], &[])), Err(e));
}
