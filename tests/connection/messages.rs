//! Messages flow both ways, whole, fragmented and streamed.

use bytes::Bytes;
use wsproto::{Config, Event, MessageKind, State};
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::pair::{Pair, Side, feed_split, open_server};

#[test]
fn text_and_binary_both_ways() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.drive();
    assert!(matches!(pair.take_events(Side::Client)[..], [Event::Open(_)]));
    assert!(matches!(pair.take_events(Side::Server)[..], [Event::Open(_)]));

    pair.client.send_text("hello 世界").unwrap();
    pair.client.send_binary(vec![0u8, 1, 2, 255]).unwrap();
    pair.server.send_text(String::from("from server")).unwrap();
    pair.server.send_binary(Bytes::new()).unwrap();
    pair.drive();
    assert_eq!(
        pair.take_events(Side::Server),
        vec![Event::Text("hello 世界".into()), Event::Binary(Bytes::from_static(&[0, 1, 2, 255]))]
    );
    assert_eq!(pair.take_events(Side::Client), vec![Event::Text("from server".into()), Event::Binary(Bytes::new())]);
}

#[test]
fn every_length_form_arrives_intact_in_small_pieces() {
    for len in [0usize, 1, 125, 126, 127, 65535, 65536, 200_000] {
        let mut pair = Pair::open(Config::default(), Config::default());
        pair.chunk = 1000;
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        pair.client.send_binary(payload.clone()).unwrap();
        pair.server.send_binary(payload.clone()).unwrap();
        pair.drive();
        assert_eq!(pair.server_events.last(), Some(&Event::Binary(payload.clone().into())), "len {len}");
        assert_eq!(pair.client_events.last(), Some(&Event::Binary(payload.into())), "len {len}");
    }
}

#[test]
fn fragmented_messages_with_control_frames_between() {
    let mut pair = Pair::open(Config::default(), Config::default());
    pair.drive();
    pair.take_events(Side::Server);
    pair.client.send_fragment(MessageKind::Text, &b"Hel"[..], false).unwrap();
    pair.client.ping(&b"mid"[..]).unwrap();
    // A split character across fragments is fine.
    pair.client.send_fragment(MessageKind::Text, &"lo ñ".as_bytes()[..4], false).unwrap();
    assert_eq!(pair.client.send_text("whole"), Err(wsproto::SendError::FragmentInProgress));
    assert_eq!(
        pair.client.send_fragment(MessageKind::Binary, &b"x"[..], true),
        Err(wsproto::SendError::FragmentInProgress)
    );
    pair.client.send_fragment(MessageKind::Text, &"lo ñ".as_bytes()[4..], true).unwrap();
    pair.drive();
    assert_eq!(
        pair.take_events(Side::Server),
        vec![Event::Ping(Bytes::from_static(b"mid")), Event::Text("Hello ñ".into())]
    );
    // The automatic pong came back.
    assert!(pair.client_events.contains(&Event::Pong(Bytes::from_static(b"mid"))));
}

#[test]
fn streaming_mode_delivers_pieces_as_they_arrive() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default().streaming(true), now);
    let _ = server.poll_event();
    let payload = vec![b'a'; 1000];
    let mut wire = client_frame(0x01, &payload[..600]); // text, not final
    wire.extend(client_frame(0x89, b"p")); // ping between fragments
    wire.extend(client_frame(0x80, &payload[600..])); // final continuation
    // Deliver the first frame in two halves: each half is delivered at once.
    server.handle_input(now, &wire[..300]);
    let first = server.poll_event();
    let Some(Event::Fragment { kind: MessageKind::Text, data, fin: false }) = first else {
        panic!("expected a fragment, got {first:?}")
    };
    assert_eq!(data.len(), 300 - 8);
    server.handle_input(now, &wire[300..]);
    let mut events = Vec::new();
    while let Some(e) = server.poll_event() {
        events.push(e);
    }
    let mut total = data.len();
    let mut saw_ping = false;
    let mut saw_fin = false;
    for e in events {
        match e {
            Event::Fragment { data, fin, .. } => {
                assert!(!saw_fin);
                total += data.len();
                saw_fin = fin;
            }
            Event::Ping(_) => saw_ping = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_ping && saw_fin);
    assert_eq!(total, 1000);
}

#[test]
fn streaming_mode_allows_messages_far_above_the_frame_limit() {
    let now = std::time::Instant::now();
    let config = Config::default().streaming(true).max_frame_payload(1024).max_message_size(u64::MAX);
    let mut server = open_server(config, now);
    let _ = server.poll_event();
    let mut received = 0usize;
    let chunk = vec![7u8; 1024];
    for i in 0..4096 {
        let first = if i == 0 { 0x02 } else { 0x00 };
        let fin = if i == 4095 { 0x80 } else { 0 };
        server.handle_input(now, &client_frame(first | fin, &chunk));
        while let Some(e) = server.poll_event() {
            let Event::Fragment { data, .. } = e else { panic!("{e:?}") };
            received += data.len();
        }
    }
    assert_eq!(received, 4 << 20);
    assert_eq!(server.state(), State::Open);
}

#[test]
fn pipelined_frames_in_one_read_all_arrive() {
    let now = std::time::Instant::now();
    let server = open_server(Config::default(), now);
    let mut wire = Vec::new();
    for i in 0..50u8 {
        wire.extend(client_frame(0x82, &[i; 3]));
    }
    let events = feed_split(server, now, &wire, &[]);
    assert_eq!(events.len(), 51);
    assert_eq!(events[50], Event::Binary(Bytes::from_static(&[49, 49, 49])));
}

#[test]
fn a_server_queues_large_payloads_without_copying() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default(), now);
    let payload = Bytes::from(vec![9u8; 1 << 20]);
    let ptr = payload.as_ptr();
    server.send_binary(payload).unwrap();
    assert_eq!(server.buffered_amount(), 10 + (1 << 20));
    let mut slices = [std::io::IoSlice::new(&[]); 4];
    let n = server.transmit_slices(&mut slices);
    assert_eq!(n, 2);
    assert_eq!(slices[0].len(), 10);
    assert_eq!(slices[1].as_ptr(), ptr, "payload is lent, not copied");
    server.advance_transmit(10 + (1 << 20));
    assert_eq!(server.buffered_amount(), 0);
    assert!(server.poll_transmit().is_none());
}

#[test]
fn received_unfragmented_payloads_share_the_input_buffer() {
    let now = std::time::Instant::now();
    let mut server = open_server(Config::default(), now);
    let _ = server.poll_event();
    let wire = client_frame(0x82, &[5u8; 4000]);
    // Read straight into the connection's buffer: the payload the app gets
    // is where the read put it.
    let room = server.read_buf().expect("room");
    room[..wire.len()].copy_from_slice(&wire);
    let start = room.as_ptr() as usize;
    server.handle_read(now, wire.len());
    let Some(Event::Binary(data)) = server.poll_event() else { panic!() };
    let at = data.as_ptr() as usize;
    assert!(at >= start && at < start + 4008, "payload was split from the input, not copied");
    assert!(data.iter().all(|&b| b == 5));
}
