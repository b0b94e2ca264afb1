//! `poll_event_ref` lends messages instead of handing them out, and must
//! report exactly what `poll_event` reports, in the same order, however the
//! input is split and however the two are mixed.

use std::time::Instant;

use proptest::prelude::*;
use wsproto::{CloseCode, Config, Event, EventRef, ProtocolError};
use wsproto_test_support::frames::client_frame;
use wsproto_test_support::pair::{drain_output, open_server};

/// The owned form of a lent event.
fn owned(event: EventRef<'_>) -> Event {
    match event {
        EventRef::Text(text) => Event::Text(text.into()),
        EventRef::Binary(data) => Event::Binary(data.to_vec().into()),
        EventRef::Other(event) => event,
        other => panic!("unexpected {other:?}"),
    }
}

/// A wire with every kind of traffic a server receives: small and large,
/// text and binary, fragmented with a ping between fragments, empty, and a
/// close frame.
fn wire() -> Vec<u8> {
    let mut wire = Vec::new();
    wire.extend(client_frame(0x81, "héllo".as_bytes()));
    wire.extend(client_frame(0x82, &[9u8; 125]));
    wire.extend(client_frame(0x82, &vec![5u8; 70_000]));
    wire.extend(client_frame(0x01, &"日本".as_bytes()[..4]));
    wire.extend(client_frame(0x89, b"ping"));
    wire.extend(client_frame(0x80, &"日本".as_bytes()[4..]));
    wire.extend(client_frame(0x82, b""));
    wire.extend(client_frame(0x81, "x".repeat(3000).as_bytes()));
    wire.extend(client_frame(0x88, &[0x03, 0xE8, b'b', b'y', b'e']));
    wire
}

/// Feeds `wire` in pieces at `cuts`, polling with `poll_event_ref` when
/// `use_ref(i)` is true for the i-th poll and `poll_event` otherwise.
fn receive(wire: &[u8], cuts: &[usize], use_ref: impl Fn(usize) -> bool) -> (Vec<Event>, Vec<u8>) {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    let mut events = Vec::new();
    let mut polls = 0;
    let mut start = 0;
    let mut ends: Vec<usize> = cuts.iter().copied().filter(|&c| c > 0 && c < wire.len()).collect();
    ends.sort_unstable();
    ends.push(wire.len());
    for end in ends {
        if end <= start {
            continue;
        }
        server.handle_input(now, &wire[start..end]);
        start = end;
        loop {
            polls += 1;
            let event = if use_ref(polls) { server.poll_event_ref().map(owned) } else { server.poll_event() };
            let Some(event) = event else { break };
            events.push(event);
        }
    }
    let out = drain_output(&mut server);
    (events, out)
}

#[test]
fn lent_events_equal_owned_events() {
    let wire = wire();
    let (expected, expected_out) = receive(&wire, &[], |_| false);
    assert_eq!(expected.len(), 9);
    assert!(matches!(expected.last(), Some(Event::Closed(c)) if c.code == CloseCode::NORMAL && c.was_clean));
    for cuts in [vec![], vec![1], vec![65536, 131072], (1..wire.len()).step_by(997).collect()] {
        let (events, out) = receive(&wire, &cuts, |_| true);
        assert_eq!(events, expected, "cuts {cuts:?}");
        assert_eq!(out, expected_out);
    }
}

#[test]
fn a_lent_message_is_not_counted_as_buffered_input() {
    let now = Instant::now();
    let mut server = open_server(Config::default(), now);
    assert!(matches!(server.poll_event(), Some(Event::Open(_))));
    let mut wire = client_frame(0x82, &[1u8; 100]);
    wire.extend(&client_frame(0x82, &[2u8; 10])[..5]);
    server.handle_input(now, &wire);
    assert!(matches!(server.poll_event_ref(), Some(EventRef::Binary(data)) if data == [1u8; 100]));
    assert_eq!(server.buffered_input(), 5);
    assert_eq!(server.poll_event_ref(), None);
    assert_eq!(server.buffered_input(), 5);
}

#[test]
fn invalid_utf8_fails_the_same_way_when_lent() {
    let mut wire = client_frame(0x81, b"fine");
    wire.extend(client_frame(0x81, &[b'a', 0xC3, 0x28]));
    wire.extend(client_frame(0x81, b"never"));
    let (expected, expected_out) = receive(&wire, &[], |_| false);
    let (events, out) = receive(&wire, &[], |_| true);
    assert_eq!(events, expected);
    assert_eq!(out, expected_out);
    assert!(events.contains(&Event::Failed(wsproto::Error::Protocol(ProtocolError::InvalidUtf8))));
    assert!(!events.contains(&Event::Text("never".into())));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_split_and_any_mix_gives_the_same_events(
        cuts in proptest::collection::vec(0usize..80_000, 0..6),
        pattern in any::<u32>(),
    ) {
        let wire = wire();
        let (expected, expected_out) = receive(&wire, &[], |_| false);
        let (events, out) = receive(&wire, &cuts, |i| pattern >> (i % 32) & 1 == 1);
        prop_assert_eq!(events, expected);
        prop_assert_eq!(out, expected_out);
    }
}
