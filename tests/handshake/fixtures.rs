//! Real handshakes parse: the seed's request and response, requests as
//! current browsers send them, 101 responses from common servers. Every
//! fixture is also fed split at every byte position and one byte at a time.

use wsproto::frame::Decoded;
use wsproto::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ExtensionOffer, Request, RequestParser, Response, ResponseError,
    derive_accept, write_accept_response,
};
use wsproto_test_support::handshake::{agree, fixture, nonce_for};

fn parse_request(input: &[u8]) -> (Request, usize) {
    match agree(input, RequestParser::default, |p, b| p.parse(b)) {
        Ok(Decoded::Complete(done)) => done,
        other => panic!("{other:?}"),
    }
}

fn client(key: &str, options: ClientOptions) -> ClientHandshake {
    ClientHandshake::new("ws://localhost:8080/chat", options, &mut nonce_for(key)).unwrap()
}

fn parse_response(client: &ClientHandshake, input: &[u8]) -> Result<Decoded<(Response, usize)>, ResponseError> {
    agree(input, || client.clone(), |c, b| c.parse_response(b))
}

fn accept(request: &Request, options: &AcceptOptions) -> String {
    let mut out = Vec::new();
    write_accept_response(request, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn seed_request_parses_and_is_answered() {
    let input = fixture("seed_request.http");
    let (request, used) = parse_request(&input);
    assert_eq!(used, input.len());
    assert_eq!((request.method(), request.path(), request.query()), ("GET", "/", None));
    assert_eq!(request.host(), "127.0.0.1:8088");
    assert_eq!(request.origin(), Some("null"));
    assert_eq!(request.key(), "puVOuWb7rel6z2AVZBKnfw==");
    assert_eq!(request.extensions(), [ExtensionOffer::new("x-webkit-deflate-frame")]);
    assert!(request.subprotocols().is_empty());
    assert_eq!(request.headers().len(), 7);

    // The accept value for this key. The seed's response says
    // FCKgUr8c7OsDsLFeJTWrJw6WO8Q=, which does not match it.
    assert_eq!(derive_accept(request.key()), "lt1/FHuL6o2V8tma5G4mOcqYBFA=");
    assert_ne!(derive_accept(request.key()), "FCKgUr8c7OsDsLFeJTWrJw6WO8Q=");

    // x-webkit-deflate-frame is offered but never accepted by default.
    assert_eq!(
        accept(&request, &AcceptOptions::new()),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: lt1/FHuL6o2V8tma5G4mOcqYBFA=\r\n\r\n"
    );
}

#[test]
fn seed_response_has_a_wrong_accept_but_its_capital_websocket_is_fine() {
    let seed = fixture("seed_response.http");
    let c = client("puVOuWb7rel6z2AVZBKnfw==", ClientOptions::new());
    assert_eq!(
        parse_response(&c, &seed),
        Err(ResponseError::AcceptMismatch {
            expected: "lt1/FHuL6o2V8tma5G4mOcqYBFA=".into(),
            received: "FCKgUr8c7OsDsLFeJTWrJw6WO8Q=".into(),
        })
    );
    // The same response with the accept value that matches the seed's key:
    // `Upgrade:WebSocket`, no spaces after colons and the trailing space pass.
    let fixed =
        String::from_utf8(seed).unwrap().replace("FCKgUr8c7OsDsLFeJTWrJw6WO8Q=", "lt1/FHuL6o2V8tma5G4mOcqYBFA=");
    let Ok(Decoded::Complete((response, used))) = parse_response(&c, fixed.as_bytes()) else {
        panic!("seed response refused")
    };
    assert_eq!(used, fixed.len());
    assert_eq!(response.subprotocol(), None);
    assert_eq!(response.headers().get_str("server"), Some("beetle websocket server"));
}

#[test]
fn chrome_request() {
    let (request, _) = parse_request(&fixture("chrome_request.http"));
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.host(), "localhost:8080");
    assert_eq!(request.origin(), Some("http://localhost:8080"));
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert_eq!(request.extensions(), [ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits")]);
    assert_eq!(request.headers().get_str("cookie"), Some("session=abc123; theme=dark"));
    let answer = accept(&request, &AcceptOptions::new().with_subprotocol("superchat"));
    assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert!(answer.contains("Sec-WebSocket-Protocol: superchat\r\n"));
    assert!(!answer.contains("Extensions"));
}

/// Captured byte for byte from headless Chromium 156 (Debian) opening
/// `new WebSocket('ws://127.0.0.1:9611/chat?room=1', ['chat', 'superchat'])`.
#[test]
fn captured_chromium_request() {
    let input = fixture("chromium_156_captured_request.http");
    let (request, used) = parse_request(&input);
    assert_eq!(used, input.len());
    assert_eq!((request.path(), request.query()), ("/chat", Some("room=1")));
    assert_eq!(request.host(), "127.0.0.1:9611");
    assert_eq!(request.origin(), Some("http://127.0.0.1:9611"));
    assert_eq!(request.subprotocols(), ["chat", "superchat"]);
    assert_eq!(request.extensions(), [ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits")]);
    assert_eq!(request.key(), "51VxurfGtNLrnokRiLmzsw==");
    let answer = accept(&request, &AcceptOptions::new().with_subprotocol("chat"));
    assert!(answer.contains(&format!("Sec-WebSocket-Accept: {}\r\n", derive_accept("51VxurfGtNLrnokRiLmzsw=="))));
}

#[test]
fn firefox_request_with_keep_alive_upgrade() {
    let (request, _) = parse_request(&fixture("firefox_request.http"));
    assert_eq!(request.target(), "/socket?room=42&user=ann");
    assert_eq!((request.path(), request.query()), ("/socket", Some("room=42&user=ann")));
    assert_eq!(request.headers().get_str("Connection"), Some("keep-alive, Upgrade"));
    assert_eq!(request.extensions(), [ExtensionOffer::new("permessage-deflate")]);
    assert_eq!(request.headers().get_str("sec-fetch-mode"), Some("websocket"));
}

#[test]
fn safari_request_with_ipv6_host() {
    let (request, _) = parse_request(&fixture("safari_request.http"));
    assert_eq!(request.host(), "[::1]:9001");
    assert_eq!(request.path(), "/live");
    assert_eq!(request.extensions()[0].name, "permessage-deflate");
}

#[test]
fn pipelined_frames_after_a_request_are_left_to_the_caller() {
    let mut input = fixture("chrome_request.http");
    let head = input.len();
    input.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    let (_, used) = parse_request(&input);
    assert_eq!(used, head);
}

fn offering_client() -> ClientHandshake {
    client(
        "dGhlIHNhbXBsZSBub25jZQ==",
        ClientOptions::new()
            .with_subprotocol("chat")
            .with_subprotocol("superchat")
            .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits")),
    )
}

fn complete(result: Result<Decoded<(Response, usize)>, ResponseError>, len: usize) -> Response {
    match result {
        Ok(Decoded::Complete((response, used))) => {
            assert_eq!(used, len);
            response
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nginx_proxied_node_ws_response() {
    let input = fixture("nginx_node_ws_response.http");
    let response = complete(parse_response(&offering_client(), &input), input.len());
    assert_eq!(response.subprotocol(), None);
    assert_eq!(response.extensions(), [ExtensionOffer::new("permessage-deflate")]);
}

#[test]
fn python_websockets_response() {
    let input = fixture("python_websockets_response.http");
    let response = complete(parse_response(&offering_client(), &input), input.len());
    assert_eq!(response.subprotocol(), Some("chat"));
    let ext = &response.extensions()[0];
    assert_eq!(ext.param("server_max_window_bits"), Some(Some("12")));
    assert_eq!(ext.param("client_max_window_bits"), Some(Some("12")));
}

#[test]
fn gorilla_response_with_frames_after_it() {
    let mut input = fixture("gorilla_response.http");
    let head = input.len();
    input.extend_from_slice(b"\x81\x05Hello");
    let response = complete(parse_response(&offering_client(), &input), head);
    assert_eq!(
        response.extensions(),
        [ExtensionOffer::new("permessage-deflate")
            .with_flag("server_no_context_takeover")
            .with_flag("client_no_context_takeover")]
    );
}

#[test]
fn our_own_client_and_server_bytes_agree_under_every_split() {
    let c = offering_client();
    let mut request = Vec::new();
    c.write_request(&mut request);
    let (parsed, _) = parse_request(&request);
    let mut answer = Vec::new();
    let options = AcceptOptions::new().with_subprotocol("chat").with_extension(parsed.extensions()[0].clone());
    write_accept_response(&parsed, &options, &mut answer).unwrap();
    let response = complete(parse_response(&c, &answer), answer.len());
    assert_eq!(response.subprotocol(), Some("chat"));
    assert_eq!(response.extensions(), parsed.extensions());
}
