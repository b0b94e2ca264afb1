//! `send_text_copy` / `send_binary_copy` put the same bytes on the wire as
//! `send_text` / `send_binary`, in both roles, at every size, and obey the
//! same rules (output limit, no whole message inside a fragmented one).

use std::time::Instant;

use wsproto::{Config, MessageKind, SendError};
use wsproto_test_support::pair::{drain_output, open_client, open_server};

fn text(len: usize) -> String {
    "hé, "
        .chars()
        .cycle()
        .scan(0, |n, c| {
            (*n + c.len_utf8() <= len).then(|| {
                *n += c.len_utf8();
                c
            })
        })
        .collect()
}

#[test]
fn copied_and_owned_payloads_make_the_same_wire() {
    let now = Instant::now();
    for open in [open_client, open_server] {
        for len in [0, 1, 125, 126, 1023, 1024, 70_000, 1 << 20] {
            let body = text(len);
            let data: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
            let mut owned = open(Config::default(), now);
            let mut copied = open(Config::default(), now);
            let _ = (drain_output(&mut owned), drain_output(&mut copied));
            owned.send_text(body.clone()).unwrap();
            owned.send_binary(data.clone()).unwrap();
            copied.send_text_copy(&body).unwrap();
            copied.send_binary_copy(&data).unwrap();
            assert_eq!(copied.buffered_amount(), owned.buffered_amount(), "len {len}");
            assert_eq!(drain_output(&mut copied), drain_output(&mut owned), "len {len}");
        }
    }
}

#[test]
fn copied_payloads_obey_the_same_rules() {
    let now = Instant::now();
    let limit = 1000;
    let mut server = open_server(Config::default().max_output_buffer(limit), now);
    server.send_binary_copy(&[0u8; 996]).unwrap();
    assert_eq!(server.buffered_amount(), limit);
    assert_eq!(server.send_binary_copy(&[0u8; 1]), Err(SendError::OutputFull { queued: 1000, needed: 3, limit }));
    let _ = drain_output(&mut server);
    server.send_fragment(MessageKind::Text, "part", false).unwrap();
    assert_eq!(server.send_text_copy("whole"), Err(SendError::FragmentInProgress));
}
