//! Feeding a head one byte at a time costs linear work: each byte is scanned
//! once and httparse runs once (RUSTSEC-2023-0065 was the quadratic version).
//! Work is counted, not timed.

use wsproto::frame::Decoded;
use wsproto::handshake::{ClientHandshake, ClientOptions, HandshakeLimits, RequestError, RequestParser, derive_accept};
use wsproto::rng::PredictableRandom;

/// A valid request of about 16 KiB: one long header and many short ones.
fn big_request() -> Vec<u8> {
    let mut out = String::from(
        "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
    );
    out.push_str(&format!("Cookie: {}\r\n", "c".repeat(12 * 1024)));
    for i in 0..50 {
        out.push_str(&format!("X-Filler-{i:02}: {}\r\n", "f".repeat(60)));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

#[test]
fn a_16_kib_request_fed_one_byte_at_a_time_is_parsed_once() {
    let input = big_request();
    assert!(input.len() > 15 * 1024 && input.len() <= 16 * 1024, "{}", input.len());
    let mut parser = RequestParser::default();
    let mut calls = 0;
    for end in 0..input.len() {
        calls += 1;
        assert!(matches!(parser.parse(&input[..end]), Ok(Decoded::Incomplete { .. })));
        assert_eq!(parser.httparse_calls(), 0);
        assert_eq!(parser.bytes_scanned(), end);
    }
    let Ok(Decoded::Complete((request, used))) = parser.parse(&input) else { panic!() };
    assert_eq!((used, request.headers().len()), (input.len(), 56));
    assert_eq!(calls, input.len());
    assert_eq!(parser.httparse_calls(), 1);
    assert_eq!(parser.bytes_scanned(), input.len());
}

#[test]
fn a_head_that_never_ends_is_refused_at_the_limit_after_one_scan() {
    let mut parser = RequestParser::default();
    let mut input = b"GET / HTTP/1.1\r\nX: ".to_vec();
    input.resize(16 * 1024, b'a');
    for end in 0..=input.len() {
        assert!(matches!(parser.parse(&input[..end]), Ok(Decoded::Incomplete { .. })));
    }
    input.push(b'a');
    assert_eq!(parser.parse(&input), Err(RequestError::HeadTooLarge { limit: 16 * 1024 }));
    assert_eq!(parser.bytes_scanned(), 16 * 1024);
    assert_eq!(parser.httparse_calls(), 0);
    // Input far past the limit is not scanned.
    let mut parser = RequestParser::new(HandshakeLimits::default());
    input.resize(1 << 20, b'a');
    assert!(parser.parse(&input).is_err());
    assert_eq!(parser.bytes_scanned(), 16 * 1024);
}

#[test]
fn the_client_response_parser_is_linear_too() {
    let mut client = ClientHandshake::new("ws://h", ClientOptions::new(), &mut PredictableRandom::new(1)).unwrap();
    let mut input = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSet-Cookie: {}\r\n",
        derive_accept(client.key()),
        "s".repeat(15 * 1024)
    );
    input.push_str("\r\n");
    let input = input.into_bytes();
    for end in 0..input.len() {
        assert!(matches!(client.parse_response(&input[..end]), Ok(Decoded::Incomplete { .. })));
    }
    assert!(matches!(client.parse_response(&input), Ok(Decoded::Complete(_))));
    assert_eq!(client.httparse_calls(), 1);
    assert_eq!(client.bytes_scanned(), input.len());
}
