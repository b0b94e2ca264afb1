//! Handshake bytes: captured fixtures, header heads, a fixed nonce, and a
//! check that an incremental parser gives one answer however its input is
//! split.

use std::fmt::Debug;

use wsproto::frame::Decoded;
use wsproto::rng::RandomSource;

/// The bytes of `test-support/fixtures/handshake/<name>`: requests and
/// responses captured from browsers and other servers, CRLF kept.
///
/// # Panics
/// If the file cannot be read.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/handshake/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A random source that hands out the bytes of a fixed nonce, over and
/// over, so a client's `Sec-WebSocket-Key` is known.
#[derive(Debug)]
pub struct FixedNonce(pub [u8; 16]);

impl RandomSource for FixedNonce {
    fn fill(&mut self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.0[i % 16];
        }
    }
}

/// A nonce whose base64 is `key`.
///
/// # Panics
/// If `key` is not the base64 of 16 bytes.
pub fn nonce_for(key: &str) -> FixedNonce {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(key).expect("base64");
    FixedNonce(bytes.try_into().expect("16 bytes"))
}

/// Joins header lines into a head: CRLF after each, then the blank line.
pub fn head(lines: &[&str]) -> Vec<u8> {
    let mut out = String::new();
    for line in lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Feeds `input` to fresh parsers made by `new` three ways (whole; split in
/// two at every position; one byte at a time), asserts all three agree and
/// returns the result.
///
/// `parse` is called with the input so far (a parser sees each prefix
/// again, grown, as the crate's head parsers expect).
///
/// # Panics
/// If two ways disagree.
pub fn agree<P, T: PartialEq + Debug, E: PartialEq + Debug>(
    input: &[u8],
    new: impl Fn() -> P,
    parse: impl Fn(&mut P, &[u8]) -> Result<Decoded<T>, E>,
) -> Result<Decoded<T>, E> {
    let whole = parse(&mut new(), input);
    for cut in 0..=input.len() {
        let mut p = new();
        let result = match parse(&mut p, &input[..cut]) {
            Ok(Decoded::Incomplete { .. }) => parse(&mut p, input),
            done => done,
        };
        assert_eq!(result, whole, "split at {cut}");
    }
    let mut p = new();
    let mut result = parse(&mut p, &[]);
    for end in 1..=input.len() {
        if !matches!(result, Ok(Decoded::Incomplete { .. })) {
            break;
        }
        result = parse(&mut p, &input[..end]);
    }
    assert_eq!(result, whole, "one byte at a time");
    whole
}

/// A browser-like upgrade request for `/chat` on `example.com`, with the
/// RFC 6455 sample key and, unless empty, `extensions` as its
/// `Sec-WebSocket-Extensions`.
pub fn upgrade_request(extensions: &str) -> Vec<u8> {
    let mut lines = vec![
        "GET /chat HTTP/1.1".to_owned(),
        "Host: example.com".to_owned(),
        "Upgrade: websocket".to_owned(),
        "Connection: Upgrade".to_owned(),
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==".to_owned(),
        "Sec-WebSocket-Version: 13".to_owned(),
    ];
    if !extensions.is_empty() {
        lines.push(format!("Sec-WebSocket-Extensions: {extensions}"));
    }
    head(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}
