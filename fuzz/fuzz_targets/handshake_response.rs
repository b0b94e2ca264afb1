//! Feeds arbitrary bytes in arbitrary chunks to the client's response
//! validator: it never panics, and the chunked result equals the one-shot
//! result (except that a refusal's body holds only the bytes seen when the
//! head completed, so the chunked body is a prefix of the one-shot body).
//!
//! Input layout: byte 0 picks the limits, bytes 1..5 a cycle of chunk sizes;
//! the rest is the stream, in which every `$A` is replaced by the accept
//! value of the client's key, so the fuzzer can reach the checks after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsproto::frame::Decoded;
use wsproto::handshake::{
    ClientHandshake, ClientOptions, ExtensionOffer, HandshakeLimits, ResponseError, derive_accept,
};
use wsproto::rng::PredictableRandom;

const CONFIG_LEN: usize = 5;

const HEAD_BYTES: [usize; 4] = [16, 256, 16 * 1024, usize::MAX];
const HEADERS: [usize; 4] = [0, 3, 64, usize::MAX];
const ERROR_BODY: [usize; 4] = [0, 3, 64, 16 * 1024];

fuzz_target!(|input: &[u8]| {
    if input.len() < CONFIG_LEN {
        return;
    }
    let (config, raw) = input.split_at(CONFIG_LEN);
    let limits = HandshakeLimits::default()
        .with_max_head_bytes(HEAD_BYTES[usize::from(config[0] & 3)])
        .with_max_headers(HEADERS[usize::from((config[0] >> 2) & 3)])
        .with_max_error_body(ERROR_BODY[usize::from((config[0] >> 4) & 3)]);
    let chunks: Vec<usize> = config[1..].iter().map(|&b| 1 + usize::from(b % 32)).collect();
    let options = ClientOptions::new()
        .with_subprotocol("chat")
        .with_subprotocol("superchat")
        .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("client_max_window_bits"))
        .with_extension(ExtensionOffer::new("x-foo"))
        .with_limits(limits);
    let client = ClientHandshake::new("ws://example.com/chat", options, &mut PredictableRandom::new(0)).unwrap();
    let accept = derive_accept(client.key());
    let mut data = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        if rest.starts_with(b"$A") {
            data.extend_from_slice(accept.as_bytes());
            rest = &rest[2..];
        } else {
            data.push(rest[0]);
            rest = &rest[1..];
        }
    }

    let whole = client.clone().parse_response(&data);

    let mut chunked_client = client.clone();
    let mut end = 0;
    let mut i = 0;
    let chunked = loop {
        end = (end + chunks[i % chunks.len()]).min(data.len());
        i += 1;
        match chunked_client.parse_response(&data[..end]) {
            Ok(Decoded::Incomplete { needed }) if end < data.len() => assert!(needed >= 1),
            result => break result,
        }
    };
    assert!(chunked_client.bytes_scanned() <= data.len().min(limits.max_head_bytes));
    assert!(chunked_client.httparse_calls() <= 1);

    match (chunked, whole) {
        (
            Err(ResponseError::UnexpectedStatus { status, reason, headers, head_len, body }),
            Err(ResponseError::UnexpectedStatus { status: s2, reason: r2, headers: h2, head_len: l2, body: b2 }),
        ) => {
            assert_eq!((status, reason, headers, head_len), (s2, r2, h2, l2));
            assert!(b2.starts_with(&body), "chunked body is a prefix");
            assert!(b2.len() <= limits.max_error_body);
            assert!(head_len <= data.len());
        }
        (chunked, whole) => {
            assert_eq!(chunked, whole);
            if let Ok(Decoded::Complete((response, used))) = whole {
                assert!(used <= data.len() && used <= limits.max_head_bytes);
                if let Some(p) = response.subprotocol() {
                    assert!(p == "chat" || p == "superchat");
                }
                for ext in response.extensions() {
                    assert!(ext.same_name("permessage-deflate") || ext.same_name("x-foo"));
                }
            }
        }
    }
});
