//! Feeds arbitrary bytes in arbitrary chunks to the server's request parser:
//! it never panics, and the chunked result equals the one-shot result.
//! Accepted requests are answered, refused ones get their error response,
//! and both must be well-formed HTTP.
//!
//! Input layout: byte 0 picks the limits, bytes 1..5 a cycle of chunk sizes;
//! the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsproto::frame::Decoded;
use wsproto::handshake::{AcceptOptions, HandshakeLimits, RequestParser, write_accept_response};

const CONFIG_LEN: usize = 5;

const HEAD_BYTES: [usize; 8] = [0, 1, 16, 64, 256, 1024, 16 * 1024, usize::MAX];
const HEADERS: [usize; 8] = [0, 1, 2, 3, 5, 8, 64, usize::MAX];

fuzz_target!(|input: &[u8]| {
    if input.len() < CONFIG_LEN {
        return;
    }
    let (config, data) = input.split_at(CONFIG_LEN);
    let limits = HandshakeLimits::default()
        .with_max_head_bytes(HEAD_BYTES[usize::from(config[0] & 7)])
        .with_max_headers(HEADERS[usize::from((config[0] >> 3) & 7)]);
    let chunks: Vec<usize> = config[1..].iter().map(|&b| 1 + usize::from(b % 32)).collect();

    let whole = RequestParser::new(limits).parse(data);

    let mut parser = RequestParser::new(limits);
    let mut end = 0;
    let mut i = 0;
    let chunked = loop {
        end = (end + chunks[i % chunks.len()]).min(data.len());
        i += 1;
        match parser.parse(&data[..end]) {
            Ok(Decoded::Incomplete { needed }) if end < data.len() => assert!(needed >= 1),
            result => break result,
        }
    };
    assert_eq!(chunked, whole);
    assert!(parser.bytes_scanned() <= data.len().min(limits.max_head_bytes));
    assert!(parser.httparse_calls() <= 1);

    match whole {
        Ok(Decoded::Complete((request, used))) => {
            assert!(used <= data.len() && used <= limits.max_head_bytes);
            // Answer with the first offered subprotocol and extension.
            let mut options = AcceptOptions::new();
            options.subprotocol = request.subprotocols().first().cloned();
            options.extensions = request.extensions().iter().take(1).cloned().collect();
            let mut out = Vec::new();
            write_accept_response(&request, &options, &mut out).expect("offered choices are accepted");
            assert_well_formed(&out, 101);
        }
        Ok(Decoded::Incomplete { needed }) => assert!(needed >= 1),
        Err(e) => {
            let mut out = Vec::new();
            e.write_response(&mut out);
            assert_well_formed(&out, e.http_status());
        }
    }
});

fn assert_well_formed(response: &[u8], status: u16) {
    let mut slots = [httparse::EMPTY_HEADER; 16];
    let mut parsed = httparse::Response::new(&mut slots);
    match parsed.parse(response) {
        Ok(httparse::Status::Complete(_)) => assert_eq!(parsed.code, Some(status)),
        other => panic!("malformed response {other:?}: {:?}", String::from_utf8_lossy(response)),
    }
}
