//! `send_text` / `send_binary` / `send_fragment` take a payload lent
//! (`&str`, `&[u8]`, `&Utf8Bytes`, `&Bytes`) or given (`String`, `Vec<u8>`,
//! `Utf8Bytes`, `Bytes`): every form puts the same bytes on the wire, in
//! both roles, at every size, and obeys the same rules (output limit, no
//! whole message inside a fragmented one). A large lent `Bytes` is queued
//! by reference, never copied.

use std::io::IoSlice;
use std::time::Instant;

use bytes::Bytes;
use wsproto::{Config, MessageKind, SendError, Utf8Bytes};
use wsproto_test_support::frames::parse_frames;
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
fn lent_shared_and_given_payloads_make_the_same_wire() {
    let now = Instant::now();
    for open in [open_client, open_server] {
        for len in [0, 1, 125, 126, 1023, 1024, 8191, 8192, 70_000, 1 << 20] {
            let body = text(len);
            let shared_body = Utf8Bytes::from(body.clone());
            let data: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
            let shared_data = Bytes::from(data.clone());
            let mut given = open(Config::default(), now);
            let mut lent = open(Config::default(), now);
            let mut shared = open(Config::default(), now);
            let _ = (drain_output(&mut given), drain_output(&mut lent), drain_output(&mut shared));
            given.send_text(body.clone()).unwrap();
            given.send_binary(data.clone()).unwrap();
            given.send_fragment(MessageKind::Binary, data.clone(), true).unwrap();
            lent.send_text(body.as_str()).unwrap();
            lent.send_binary(&data).unwrap();
            lent.send_fragment(MessageKind::Binary, &data[..], true).unwrap();
            shared.send_text(&shared_body).unwrap();
            shared.send_binary(&shared_data).unwrap();
            shared.send_fragment(MessageKind::Binary, &shared_data, true).unwrap();
            assert_eq!(lent.buffered_amount(), given.buffered_amount(), "len {len}");
            assert_eq!(shared.buffered_amount(), given.buffered_amount(), "len {len}");
            let wire = drain_output(&mut given);
            assert_eq!(drain_output(&mut lent), wire, "lent, len {len}");
            assert_eq!(drain_output(&mut shared), wire, "shared, len {len}");
        }
    }
}

#[test]
fn a_large_lent_bytes_goes_out_from_the_callers_buffer() {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    let _ = drain_output(&mut server);
    let message = Bytes::from(vec![7u8; 64 << 10]);
    server.send_binary(&message).unwrap();
    let mut slices = [IoSlice::new(&[]); 4];
    let n = server.transmit_slices(&mut slices);
    assert!(
        slices[..n].iter().any(|slice| slice.as_ptr() == message.as_ptr() && slice.len() == message.len()),
        "the payload is lent from the caller's buffer, not copied"
    );
    // A small one is copied, to coalesce with the frames around it.
    let small = Bytes::from(vec![7u8; 100]);
    let mut server = open_server(Config::default(), now);
    let _ = drain_output(&mut server);
    server.send_binary(&small).unwrap();
    let n = server.transmit_slices(&mut slices);
    assert!(slices[..n].iter().all(|slice| slice.as_ptr() != small.as_ptr()));
}

#[test]
fn every_payload_form_obeys_the_same_rules() {
    let now = Instant::now();
    let limit = 1000;
    let shared = Bytes::from_static(b"x");
    let mut server = open_server(Config::default().max_output_buffer(limit), now);
    server.send_binary(&[0u8; 996]).unwrap();
    assert_eq!(server.buffered_amount(), limit);
    assert_eq!(server.send_binary(&[0u8; 1]), Err(SendError::OutputFull { queued: 1000, needed: 3, limit }));
    assert_eq!(server.send_binary(&shared), Err(SendError::OutputFull { queued: 1000, needed: 3, limit }));
    assert_eq!(server.send_text("x"), Err(SendError::OutputFull { queued: 1000, needed: 3, limit }));
    let _ = drain_output(&mut server);
    server.send_fragment(MessageKind::Text, "part", false).unwrap();
    assert_eq!(server.send_text("whole"), Err(SendError::FragmentInProgress));
    assert_eq!(server.send_binary(&shared), Err(SendError::FragmentInProgress));
}

/// Large payloads queued by reference leave through `transmit_with` whole
/// and in order, in both roles, however many are queued (a few go out in a
/// small slice array, many in a large one) and however little the writer
/// takes per call, vectored or not.
#[test]
fn queued_large_payloads_leave_through_transmit_with_in_order() {
    let now = Instant::now();
    for open in [open_client, open_server] {
        for queued in [1, 3, 4, 5, 40] {
            for (per_call, vectored) in [(usize::MAX, true), (7_000, true), (1_000, false)] {
                let mut conn = open(Config::default(), now);
                let _ = drain_output(&mut conn);
                let payloads: Vec<Bytes> = (0..queued).map(|i| Bytes::from(vec![i as u8; 8192 + 1000 * i])).collect();
                for payload in &payloads {
                    conn.send_binary(payload).unwrap();
                }
                let mut wire = Vec::new();
                loop {
                    let before = wire.len();
                    conn.transmit_with(|bufs: &[IoSlice<'_>]| {
                        let bufs = if vectored { bufs } else { &bufs[..1] };
                        let mut left = per_call;
                        for buf in bufs {
                            let n = buf.len().min(left);
                            wire.extend_from_slice(&buf[..n]);
                            left -= n;
                            if left == 0 {
                                break;
                            }
                        }
                        Ok::<usize, ()>(per_call - left)
                    })
                    .unwrap();
                    if wire.len() == before {
                        break;
                    }
                }
                assert_eq!(conn.buffered_amount(), 0);
                let frames = parse_frames(&wire);
                let got: Vec<&[u8]> = frames.iter().map(|f| &f.payload[..]).collect();
                let want: Vec<&[u8]> = payloads.iter().map(|p| &p[..]).collect();
                assert_eq!(got, want, "{queued} queued, {per_call} per call, vectored {vectored}");
            }
        }
    }
}
