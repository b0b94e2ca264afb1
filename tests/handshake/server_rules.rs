//! Each rule a server checks in an upgrade request, broken one at a time,
//! with the status and response the error answers with; and the misuse
//! errors of the accept and reject writers.

use wsproto::frame::Decoded;
use wsproto::handshake::{
    AcceptOptions, ExtensionOffer, ExtensionParseError, HandshakeLimits, HeaderName, Headers, Rejection, Request,
    RequestError, RequestParser, SyntaxError, UsageError, accept_headers, write_accept_response,
};
use wsproto_test_support::handshake::{agree, head};

const VALID: &[&str] = &[
    "GET /chat HTTP/1.1",
    "Host: server.example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
];

/// VALID with the lines starting with `prefix` (any case) removed and `extra` added.
fn variant(drop: &[&str], extra: &[&str]) -> Vec<u8> {
    let mut lines: Vec<&str> = VALID
        .iter()
        .copied()
        .filter(|l| !drop.iter().any(|d| l.to_ascii_lowercase().starts_with(&d.to_ascii_lowercase())))
        .collect();
    lines.extend_from_slice(extra);
    head(&lines)
}

fn parse_with(input: &[u8], limits: HandshakeLimits) -> Result<Request, RequestError> {
    match agree(input, || RequestParser::new(limits), |p, b| p.parse(b)) {
        Ok(Decoded::Complete((request, used))) => {
            assert_eq!(used, input.len());
            Ok(request)
        }
        Ok(Decoded::Incomplete { needed }) => panic!("incomplete, {needed} needed"),
        Err(e) => Err(e),
    }
}

fn parse(input: &[u8]) -> Result<Request, RequestError> {
    parse_with(input, HandshakeLimits::default())
}

fn refused(input: &[u8]) -> RequestError {
    parse(input).expect_err("request accepted")
}

#[test]
fn the_valid_base_request_passes() {
    let request = parse(&variant(&[], &[])).unwrap();
    assert_eq!(request.host(), "server.example.com");
    assert_eq!(request.origin(), None);
    assert!(request.subprotocols().is_empty() && request.extensions().is_empty());
}

#[test]
fn method_must_be_get() {
    let mut post = b"POST".to_vec();
    post.extend_from_slice(&variant(&[], &[])[3..]);
    let e = refused(&post);
    assert_eq!(e, RequestError::Method("POST".into()));
    assert_eq!(e.http_status(), 405);
    assert!(e.rejection().headers.contains(&("Allow".into(), "GET".into())));
    // Methods are case-sensitive.
    let mut lower = variant(&[], &[]);
    lower[..3].copy_from_slice(b"get");
    assert_eq!(refused(&lower), RequestError::Method("get".into()));
}

#[test]
fn http_1_0_is_refused() {
    let mut input = variant(&[], &[]);
    let at = input.windows(8).position(|w| w == b"HTTP/1.1").unwrap();
    input[at + 7] = b'0';
    let e = refused(&input);
    assert_eq!((e.clone(), e.http_status()), (RequestError::HttpVersion, 400));
    input[at + 5] = b'2';
    assert_eq!(refused(&input), RequestError::Syntax(SyntaxError::Version));
}

/// §4.2.1: the Request-URI is the /resource name/, as a path or inside an
/// absolute HTTP/HTTPS URI; `path()` is the resource's path either way.
#[test]
fn the_target_must_name_a_resource() {
    let with_target = |target: &str| {
        let line = format!("GET {target} HTTP/1.1");
        let mut lines: Vec<&str> = VALID.to_vec();
        lines[0] = &line;
        parse(&head(&lines))
    };
    for (target, path, query) in [
        ("/chat?room=1", "/chat", Some("room=1")),
        ("/", "/", None),
        ("http://server.example.com/chat?room=1", "/chat", Some("room=1")),
        ("HTTPS://server.example.com:8443/a/b", "/a/b", None),
        ("ws://server.example.com", "/", None),
        ("wss://server.example.com?x", "/", Some("x")),
    ] {
        let request = with_target(target).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!((request.target(), request.path(), request.query()), (target, path, query));
    }
    for target in ["*", "chat", "server.example.com:443", "ftp://server.example.com/chat", "http:///chat", "http://"] {
        let e = with_target(target).expect_err(target);
        assert_eq!((e.clone(), e.http_status()), (RequestError::InvalidTarget, 400), "{target}");
    }
}

/// What follows an upgrade request's head is the client's first frames, so
/// a request that announces a body is refused rather than having its body
/// read as frames (an intermediary that took it for HTTP would have let
/// them through unseen).
#[test]
fn a_request_announcing_a_body_is_refused() {
    for extra in [
        "Content-Length: 5",
        "Content-Length: 00",
        "Content-Length: 0, 0",
        "Transfer-Encoding: chunked",
        "transfer-encoding: identity",
    ] {
        let e = refused(&variant(&[], &[extra]));
        assert_eq!((e.clone(), e.http_status()), (RequestError::BodyNotAllowed, 400), "{extra}");
    }
    let e = refused(&variant(&[], &["Content-Length: 0", "Content-Length: 3"]));
    assert_eq!(e, RequestError::BodyNotAllowed);
    for ok in ["Content-Length: 0", "content-length: \t0 "] {
        assert!(parse(&variant(&[], &[ok])).is_ok(), "{ok}");
    }
    // The same rule for a head parsed elsewhere (hyper).
    let mut headers = Headers::new();
    for line in &VALID[1..] {
        let (name, value) = line.split_once(": ").unwrap();
        headers.push(name, value.as_bytes());
    }
    assert!(Request::from_parts("GET", "/chat", 1, headers.clone()).is_ok());
    headers.push("Content-Length", b"12");
    assert_eq!(Request::from_parts("GET", "/chat", 1, headers), Err(RequestError::BodyNotAllowed));
}

#[test]
fn host_is_required_once_and_non_empty() {
    assert_eq!(refused(&variant(&["Host"], &[])), RequestError::MissingHeader(HeaderName::Host));
    assert_eq!(refused(&variant(&[], &["Host: other"])), RequestError::DuplicateHeader(HeaderName::Host));
    assert_eq!(refused(&variant(&["Host"], &["Host:"])), RequestError::InvalidHeader(HeaderName::Host));
    assert_eq!(refused(&variant(&["Host"], &[])).http_status(), 400);
}

#[test]
fn upgrade_must_hold_websocket() {
    assert_eq!(refused(&variant(&["Upgrade"], &[])), RequestError::UpgradeNotWebSocket);
    assert_eq!(refused(&variant(&["Upgrade"], &["Upgrade: h2c"])), RequestError::UpgradeNotWebSocket);
    assert_eq!(refused(&variant(&["Upgrade"], &["Upgrade: websockets"])), RequestError::UpgradeNotWebSocket);
    for ok in ["Upgrade: WebSocket", "upgrade:websocket", "UPGRADE: h2c, WEBSOCKET", "Upgrade: \t websocket \t"] {
        assert!(parse(&variant(&["Upgrade"], &[ok])).is_ok(), "{ok}");
    }
}

#[test]
fn connection_must_hold_upgrade() {
    assert_eq!(refused(&variant(&["Connection"], &[])), RequestError::ConnectionNotUpgrade);
    assert_eq!(refused(&variant(&["Connection"], &["Connection: keep-alive"])), RequestError::ConnectionNotUpgrade);
    assert_eq!(refused(&variant(&["Connection"], &["Connection: Upgraded"])), RequestError::ConnectionNotUpgrade);
    for ok in [
        &["Connection: keep-alive, Upgrade"][..],
        &["connection: upgrade"],
        &["Connection:keep-alive,upgrade"],
        &["Connection: keep-alive", "Connection: Upgrade"],
        &["Connection: , Upgrade ,"],
    ] {
        assert!(parse(&variant(&["Connection"], ok)).is_ok(), "{ok:?}");
    }
}

#[test]
fn version_must_be_13() {
    let e = refused(&variant(&["Sec-WebSocket-Version"], &["Sec-WebSocket-Version: 8"]));
    assert_eq!(e, RequestError::UnsupportedVersion("8".into()));
    assert_eq!(e.http_status(), 426);
    let mut out = Vec::new();
    e.write_response(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(text.contains("\r\nUpgrade: websocket\r\n"));
    assert_eq!(
        refused(&variant(&["Sec-WebSocket-Version"], &["Sec-WebSocket-Version: 13, 8"])),
        RequestError::UnsupportedVersion("13, 8".into())
    );
    assert_eq!(
        refused(&variant(&["Sec-WebSocket-Version"], &[])),
        RequestError::MissingHeader(HeaderName::SecWebSocketVersion)
    );
    assert_eq!(
        refused(&variant(&[], &["Sec-WebSocket-Version: 13"])),
        RequestError::DuplicateHeader(HeaderName::SecWebSocketVersion)
    );
}

#[test]
fn key_must_be_base64_of_16_bytes() {
    let with_key = |k: &str| variant(&["Sec-WebSocket-Key"], &[&format!("Sec-WebSocket-Key: {k}")]);
    for bad in [
        "dGhlIHNhbXBsZSBub25jZQ=",      // truncated
        "dGhlIHNhbXBsZSBub25jZQ",       // no padding
        "dGhlIHNhbXBsZSBub25jZXgxMg==", // 19 bytes
        "dGhlIHNhbXBsZSBub25j",         // 15 bytes
        "dGhlIHNhbXBsZSBub25jZR==",     // non-canonical trailing bits
        "dGhlIHNhbXBsZSBub25j!!==",     // not base64
        "dGhlIHNhbXBs ZSBub25jZQ==",    // space inside
    ] {
        assert_eq!(refused(&with_key(bad)), RequestError::InvalidKey, "{bad}");
    }
    assert_eq!(
        refused(&variant(&["Sec-WebSocket-Key"], &[])),
        RequestError::MissingHeader(HeaderName::SecWebSocketKey)
    );
    assert_eq!(
        refused(&variant(&[], &["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="])),
        RequestError::DuplicateHeader(HeaderName::SecWebSocketKey)
    );
    // Optional whitespace around the value is not part of it.
    let request = parse(&with_key(" \tdGhlIHNhbXBsZSBub25jZQ== ")).unwrap();
    assert_eq!(request.key(), "dGhlIHNhbXBsZSBub25jZQ==");
}

#[test]
fn header_names_are_case_insensitive() {
    let input = head(&[
        "GET / HTTP/1.1",
        "HOST: h",
        "uPGRADE: websocket",
        "CONNECTION: upgrade",
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
        "SEC-WEBSOCKET-VERSION: 13",
        "origin: https://a.example",
        "Sec-Websocket-Protocol: chat",
    ]);
    let request = parse(&input).unwrap();
    assert_eq!(request.origin(), Some("https://a.example"));
    assert_eq!(request.subprotocols(), ["chat"]);
}

#[test]
fn origin_at_most_once() {
    assert_eq!(
        refused(&variant(&[], &["Origin: https://a", "Origin: https://b"])),
        RequestError::DuplicateHeader(HeaderName::Origin)
    );
}

#[test]
fn subprotocols_are_gathered_across_lines() {
    let request = parse(&variant(
        &[],
        &["Sec-WebSocket-Protocol: chat,  superchat", "Sec-WebSocket-Protocol: ,v2.json.example ,"],
    ))
    .unwrap();
    assert_eq!(request.subprotocols(), ["chat", "superchat", "v2.json.example"]);
    assert_eq!(
        refused(&variant(&[], &["Sec-WebSocket-Protocol: chat, not a token"])),
        RequestError::InvalidHeader(HeaderName::SecWebSocketProtocol)
    );
}

#[test]
fn extensions_are_gathered_with_parameters() {
    let request = parse(&variant(
        &[],
        &[
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\"",
            "Sec-WebSocket-Extensions: x-webkit-deflate-frame, foo;a=1 ;b",
        ],
    ))
    .unwrap();
    assert_eq!(
        request.extensions(),
        [
            ExtensionOffer::new("permessage-deflate")
                .with_flag("client_max_window_bits")
                .with_param("server_max_window_bits", "10"),
            ExtensionOffer::new("x-webkit-deflate-frame"),
            ExtensionOffer::new("foo").with_param("a", "1").with_flag("b"),
        ]
    );
    let e = refused(&variant(&[], &["Sec-WebSocket-Extensions: foo; a=\"1 2\""]));
    assert_eq!(e, RequestError::InvalidExtensions(ExtensionParseError::QuotedValueNotToken { at: 7 }));
    assert_eq!(e.http_status(), 400);
}

#[test]
fn malformed_heads_are_400() {
    for input in [
        &b"\x00\x01\x02\r\n\r\n"[..],
        b"GET /chat HTTP/1.1\r\nHost h\r\n\r\n",
        b"GET /chat HTTP/1.1\r\nHost: h\r\n folded: continuation\r\n\r\n",
        b"GET  HTTP/1.1\r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
    ] {
        let e = refused(input);
        assert!(matches!(e, RequestError::Syntax(_)), "{e:?}");
        assert_eq!(e.http_status(), 400);
    }
}

#[test]
fn bare_lf_and_leading_blank_lines_are_tolerated() {
    let lf = String::from_utf8(variant(&[], &[])).unwrap().replace("\r\n", "\n");
    assert!(parse(lf.as_bytes()).is_ok());
    let mut leading = b"\r\n".to_vec();
    leading.extend(variant(&[], &[]));
    assert!(parse(&leading).is_ok());
}

#[test]
fn head_size_limit_refuses_without_waiting_for_the_end() {
    let limits = HandshakeLimits::default().with_max_head_bytes(200);
    let mut input = variant(&[], &[]);
    let fits = 200 - input.len();
    let padded = variant(&[], &[&format!("X-Pad: {}", "a".repeat(fits - "X-Pad: \r\n".len()))]);
    assert_eq!(padded.len(), 200);
    assert!(parse_with(&padded, limits).is_ok());

    // One byte more is refused, and so is a head that never ends.
    let over = variant(&[], &[&format!("X-Pad: {}", "a".repeat(fits - "X-Pad: \r\n".len() + 1))]);
    assert_eq!(parse_with(&over, limits), Err(RequestError::HeadTooLarge { limit: 200 }));
    input.truncate(input.len() - 2);
    input.resize(201, b'a');
    let mut parser = RequestParser::new(limits);
    assert_eq!(parser.parse(&input[..200]), Ok(Decoded::Incomplete { needed: 2 }));
    let e = parser.parse(&input).unwrap_err();
    assert_eq!((e.clone(), e.http_status()), (RequestError::HeadTooLarge { limit: 200 }, 431));
    // Errors are final.
    assert_eq!(parser.parse(b"GET / HTTP/1.1\r\n\r\n"), Err(e));
    // The default is 16 KiB.
    assert_eq!(HandshakeLimits::default().max_head_bytes, 16 * 1024);
}

#[test]
fn header_count_limit() {
    // VALID has 5 headers.
    let limits = HandshakeLimits::default().with_max_headers(7);
    assert!(parse_with(&variant(&[], &["X-A: 1", "X-B: 2"]), limits).is_ok());
    let e = parse_with(&variant(&[], &["X-A: 1", "X-B: 2", "X-C: 3"]), limits).unwrap_err();
    assert_eq!((e.clone(), e.http_status()), (RequestError::TooManyHeaders { limit: 7 }, 431));
    // Refused at the eighth header line, before the head ends.
    let mut parser = RequestParser::new(limits);
    let mut partial = variant(&[], &["X-A: 1", "X-B: 2", "X-C: 3"]);
    partial.truncate(partial.len() - 2);
    assert_eq!(parser.parse(&partial), Err(RequestError::TooManyHeaders { limit: 7 }));
    assert_eq!(HandshakeLimits::default().max_headers, 64);
}

#[test]
fn a_request_line_alone_is_incomplete_not_an_error() {
    let mut parser = RequestParser::default();
    assert_eq!(parser.parse(b""), Ok(Decoded::Incomplete { needed: 2 }));
    assert_eq!(parser.parse(b"GET / HTTP/1.1\r\n"), Ok(Decoded::Incomplete { needed: 1 }));
    assert_eq!(parser.parse(b"GET / HTTP/1.1\r\n\r"), Ok(Decoded::Incomplete { needed: 1 }));
}

fn offered() -> Request {
    parse(&variant(
        &[],
        &[
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Extensions: permessage-deflate, x-webkit-deflate-frame",
        ],
    ))
    .unwrap()
}

fn write(request: &Request, options: &AcceptOptions) -> Result<String, UsageError> {
    let mut out = b"kept".to_vec();
    let result = write_accept_response(request, options, &mut out);
    if result.is_err() {
        assert_eq!(out, b"kept", "nothing is written on error");
    }
    result.map(|()| String::from_utf8(out[4..].to_vec()).unwrap())
}

#[test]
fn accept_writes_the_chosen_subprotocol_extensions_and_headers() {
    let options = AcceptOptions::new()
        .with_subprotocol("superchat")
        .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("server_no_context_takeover"))
        .with_header("Set-Cookie", "id=1; HttpOnly");
    assert_eq!(
        write(&offered(), &options).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nSet-Cookie: id=1; HttpOnly\r\n\r\n"
    );
    // By default nothing is chosen, though both were offered.
    let plain = write(&offered(), &AcceptOptions::new()).unwrap();
    assert!(!plain.contains("Sec-WebSocket-Protocol") && !plain.contains("Sec-WebSocket-Extensions"));
}

#[test]
fn accept_misuse_is_a_typed_error_and_writes_nothing() {
    let r = offered();
    let cases = [
        (AcceptOptions::new().with_subprotocol("mqtt"), UsageError::SubprotocolNotOffered("mqtt".into())),
        (AcceptOptions::new().with_subprotocol("CHAT"), UsageError::SubprotocolNotOffered("CHAT".into())),
        (
            AcceptOptions::new().with_extension(ExtensionOffer::new("x-custom")),
            UsageError::ExtensionNotOffered("x-custom".into()),
        ),
        (
            AcceptOptions::new().with_extension(ExtensionOffer::new("permessage-deflate").with_param("a", "b c")),
            UsageError::InvalidExtension("permessage-deflate".into()),
        ),
        (
            AcceptOptions::new().with_header("X-Evil", "a\r\nInjected: yes"),
            UsageError::InvalidHeaderValue("X-Evil".into()),
        ),
        (AcceptOptions::new().with_header("Bad Name", "x"), UsageError::InvalidHeaderName("Bad Name".into())),
        (
            AcceptOptions::new().with_header("sec-websocket-accept", "x"),
            UsageError::ReservedHeader("sec-websocket-accept".into()),
        ),
    ];
    for (options, expected) in cases {
        assert_eq!(write(&r, &options), Err(expected.clone()));
        assert_eq!(accept_headers(&r, &options), Err(expected));
    }
    // With no subprotocol offered, any choice is misuse.
    let bare = parse(&variant(&[], &[])).unwrap();
    assert_eq!(
        write(&bare, &AcceptOptions::new().with_subprotocol("chat")),
        Err(UsageError::SubprotocolNotOffered("chat".into()))
    );
}

#[test]
fn rejections_with_any_status_headers_and_body() {
    let mut out = Vec::new();
    Rejection::new(403).with_header("Content-Type", "text/plain").with_body("no").write(&mut out).unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
    );
    out.clear();
    Rejection::new(599).with_header("Connection", "keep-alive").write(&mut out).unwrap();
    assert_eq!(out, b"HTTP/1.1 599 \r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    for status in [0, 100, 101, 199, 1000] {
        assert_eq!(Rejection::new(status).write(&mut out), Err(UsageError::InvalidStatus(status)));
    }
    assert_eq!(
        Rejection::new(400).with_header("Content-Length", "5").write(&mut out),
        Err(UsageError::ReservedHeader("Content-Length".into()))
    );
}

#[test]
fn every_request_error_writes_a_parseable_response() {
    let errors = [
        RequestError::HeadTooLarge { limit: 1 },
        RequestError::Method("PUT".into()),
        RequestError::UnsupportedVersion("7".into()),
        RequestError::InvalidKey,
        RequestError::InvalidTarget,
        RequestError::Syntax(SyntaxError::NewLine),
    ];
    for e in errors {
        let mut out = bytes::BytesMut::new();
        e.write_response(&mut out);
        let mut slots = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut slots);
        let httparse::Status::Complete(len) = response.parse(&out).unwrap() else { panic!() };
        assert_eq!(response.code, Some(e.http_status()));
        let body = &out[len..];
        assert!(!body.is_empty() && !e.to_string().is_empty());
        // The body never echoes what the peer sent.
        assert!(!String::from_utf8_lossy(body).contains("PUT"));
    }
}

#[test]
fn from_parts_serves_servers_that_parse_http_themselves() {
    let headers: Headers = [
        ("host", "h"),
        ("upgrade", "websocket"),
        ("connection", "upgrade"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ]
    .into_iter()
    .collect();
    let request = Request::from_parts("GET", "/x?y", 1, headers.clone()).unwrap();
    assert_eq!((request.path(), request.query()), ("/x", Some("y")));
    let answer = accept_headers(&request, &AcceptOptions::new()).unwrap();
    assert_eq!(answer[2], ("Sec-WebSocket-Accept".into(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into()));
    assert_eq!(Request::from_parts("GET", "/", 0, headers), Err(RequestError::HttpVersion));
}
