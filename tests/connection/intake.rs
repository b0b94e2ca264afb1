//! Payload that continues a frame in progress is unmasked and checked as it
//! is copied in (`handle_input`), not when the frame is whole: the results
//! must be the same as for a frame that arrives in one piece.

use std::time::Instant;

use wsproto::{CloseCode, Config, Event, ProtocolError};
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::pair::open_server;

/// Text of `len` bytes: ASCII with a two-byte character every 16 bytes.
fn text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() + 2 <= len {
        if out.len() % 16 == 14 {
            out.extend("é".as_bytes());
        } else {
            out.push(b'a' + (out.len() % 26) as u8);
        }
    }
    out.resize(len, b'z');
    out
}

/// Feeds `wire` in pieces of `piece` bytes, polling events after each.
fn feed_in_pieces(wire: &[u8], piece: usize, config: Config) -> (Vec<Event>, Vec<u8>) {
    let now = Instant::now();
    let mut server = open_server(config, now);
    let mut events = Vec::new();
    for chunk in wire.chunks(piece) {
        server.handle_input(now, chunk);
        events.extend(std::iter::from_fn(|| server.poll_event()));
    }
    let out: Vec<u8> = std::iter::from_fn(|| server.poll_transmit()).flat_map(|b| b.to_vec()).collect();
    (events, out)
}

#[test]
fn large_frames_arriving_in_pieces_are_received_whole() {
    let big_text = text(200_000);
    let big_binary: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    // Taken in one step once all of it is there (at most 128 KiB).
    let mid_binary: Vec<u8> = (0..100_000u32).map(|i| (i * 13 + i / 97) as u8).collect();
    let mut wire = client_frame(0x81, &big_text);
    wire.extend(client_frame(0x82, &big_binary));
    wire.extend(client_frame(0x82, &mid_binary));
    wire.extend(client_frame(0x81, b"small"));
    for piece in [1000, 4096, 65536, 100_003] {
        let (events, _) = feed_in_pieces(&wire, piece, Config::default());
        let texts: Vec<&Event> = events.iter().filter(|e| !matches!(e, Event::Open(_))).collect();
        assert_eq!(texts.len(), 4, "piece {piece}");
        assert_eq!(texts[0], &Event::Text(String::from_utf8(big_text.clone()).unwrap().into()), "piece {piece}");
        assert_eq!(texts[1], &Event::Binary(big_binary.clone().into()), "piece {piece}");
        assert_eq!(texts[2], &Event::Binary(mid_binary.clone().into()), "piece {piece}");
        assert_eq!(texts[3], &Event::Text("small".into()), "piece {piece}");
    }
}

/// A large binary frame whose reads are cut short (here at 64 KiB, as a
/// reader's limit cuts them) lands in one place: the read after the cut is
/// offered exactly the rest of the frame, and the message is lent from
/// where the first read put it, not moved.
#[test]
fn a_large_binary_frame_cut_by_the_reader_lands_in_one_place() {
    const CUT: usize = 64 * 1024;
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    assert!(matches!(server.poll_event(), Some(Event::Open(_))));
    let payload: Vec<u8> = (0..65_536u32).map(|i| (i * 31 + i / 509) as u8).collect();
    let frame = client_frame(0x82, &payload);
    assert_eq!(frame.len(), 65_536 + 14);
    for round in 0..3 {
        let mut at = 0;
        let mut first: Option<*const u8> = None;
        while at < frame.len() {
            let room = server.read_buf().expect("room");
            if at > 0 && round > 0 {
                assert_eq!(room.len(), frame.len() - at, "the rest of the frame, no more");
            }
            let n = room.len().min(CUT).min(frame.len() - at);
            first.get_or_insert(room.as_ptr());
            room[..n].copy_from_slice(&frame[at..at + n]);
            server.handle_read(now, n);
            at += n;
            if at < frame.len() {
                assert!(server.poll_event_ref().is_none(), "not whole yet");
            }
        }
        match server.poll_event_ref() {
            Some(wsproto::EventRef::Binary(data)) => {
                assert_eq!(data, &payload[..], "round {round}");
                if round > 0 {
                    // The first read of the frame began at `first`; the
                    // payload follows its 14-byte header there.
                    assert_eq!(data.as_ptr(), first.unwrap().wrapping_add(14), "moved in round {round}");
                }
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

#[test]
fn invalid_utf8_in_a_later_piece_fails_after_the_earlier_messages() {
    let mut bad = text(100_000);
    bad[90_000] = 0xFF;
    let mut wire = client_frame(0x81, b"first");
    wire.extend(client_frame(0x81, &bad));
    wire.extend(client_frame(0x81, b"never seen"));
    for piece in [7, 4096, 65536] {
        let (events, out) = feed_in_pieces(&wire, piece, Config::default());
        let data: Vec<&Event> = events.iter().filter(|e| !matches!(e, Event::Open(_))).collect();
        assert_eq!(data[0], &Event::Text("first".into()), "piece {piece}");
        assert_eq!(data[1], &Event::Failed(wsproto::Error::Protocol(ProtocolError::InvalidUtf8)), "piece {piece}");
        assert!(matches!(data[2], Event::Closed(c) if c.code == CloseCode::ABNORMAL && !c.was_clean));
        assert_eq!(data.len(), 3, "piece {piece}");
        // The close frame we send carries 1007.
        assert_eq!(&out[..4], &[0x88, out[1], 0x03, 0xEF], "piece {piece}");
    }
}

#[test]
fn a_control_frame_inside_a_fragmented_text_message_is_not_taken_as_text() {
    // A ping whose payload is not UTF-8, between two fragments of a text
    // message, arriving a byte at a time.
    let mut wire = client_frame(0x01, "日本".as_bytes());
    wire.extend(client_frame(0x89, &[0xFF, 0xFE, 0xC0]));
    wire.extend(client_frame(0x80, "語".as_bytes()));
    let (events, _) = feed_in_pieces(&wire, 1, Config::default());
    let data: Vec<&Event> = events.iter().filter(|e| !matches!(e, Event::Open(_))).collect();
    assert_eq!(data, [&Event::Ping(vec![0xFF, 0xFE, 0xC0].into()), &Event::Text("日本語".into())]);
}
