//! Helpers shared by the tests/handshake_*.rs files.
#![allow(dead_code)]

use std::fmt::Debug;

use wsproto::frame::Decoded;
use wsproto::rng::RandomSource;

/// The bytes of tests/fixtures/handshake/`name`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/handshake/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Hands out the bytes of a fixed nonce, so a client's key is known.
pub struct FixedNonce(pub [u8; 16]);

impl RandomSource for FixedNonce {
    fn fill(&mut self, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.0[i % 16];
        }
    }
}

/// A nonce whose base64 is `key`.
pub fn nonce_for(key: &str) -> FixedNonce {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(key).unwrap();
    FixedNonce(bytes.try_into().unwrap())
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
/// two at every position; one byte at a time), checks all agree and returns
/// the result.
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
