//! Model test with permessage-deflate: random negotiations and random
//! sequences of messages and fragments (empty ones included) arrive whole
//! and identical, in both receive modes, however the wire is chunked.

use bytes::Bytes;
use proptest::prelude::*;
use wsproto::deflate::{DeflateConfig, DeflateOffer};
use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::{Config, Event, MessageKind};
use wsproto_test_support::pair::{Pair, Side};

#[derive(Debug, Clone)]
enum Op {
    Whole(MessageKind, Vec<u8>),
    /// Fragments, each possibly empty, with a ping after the first when set.
    Fragmented(MessageKind, Vec<Vec<u8>>, bool),
}

/// Text made of few distinct words, so it compresses, with some multi-byte
/// characters so fragments split them.
fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just("chat "), Just("hello "), Just("ünïcödé "), Just("☃"), Just("x")],
        0..200,
    )
    .prop_map(|words| words.concat().into_bytes())
}

fn binary() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2000),
        (any::<u8>(), 0usize..20_000).prop_map(|(b, n)| vec![b; n]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let kind_data =
        prop_oneof![text().prop_map(|t| (MessageKind::Text, t)), binary().prop_map(|b| (MessageKind::Binary, b)),];
    prop_oneof![
        kind_data.clone().prop_map(|(k, d)| Op::Whole(k, d)),
        (kind_data, proptest::collection::vec(0usize..100_000, 0..5), any::<bool>()).prop_map(
            |((k, d), mut cuts, ping)| {
                cuts.iter_mut().for_each(|c| *c %= d.len() + 1);
                cuts.sort_unstable();
                let mut pieces = Vec::new();
                let mut start = 0;
                for cut in cuts.into_iter().chain(std::iter::once(d.len())) {
                    pieces.push(d[start..cut].to_vec());
                    start = cut;
                }
                Op::Fragmented(k, pieces, ping)
            }
        ),
    ]
}

fn deflate_config() -> impl Strategy<Value = DeflateConfig> {
    (
        0u8..=9,
        prop_oneof![Just(0usize), 1usize..100],
        any::<(bool, bool, bool, bool)>(),
        prop_oneof![Just(None), (8u8..=15).prop_map(Some)],
        prop_oneof![Just(None), (8u8..=15).prop_map(Some)],
        8u8..=15,
        8u8..=15,
    )
        .prop_map(|(level, min, (osnct, ocnct, snct, cnct), osb, ocb, sb, cb)| {
            let mut offer = DeflateOffer::new().server_no_context_takeover(osnct).client_no_context_takeover(ocnct);
            offer.server_max_window_bits = osb;
            offer.client_max_window_bits = ocb;
            DeflateConfig::new()
                .level(level)
                .min_compress_size(min)
                .offers(vec![offer])
                .server_no_context_takeover(snct)
                .client_no_context_takeover(cnct)
                .server_max_window_bits(sb)
                .client_max_window_bits(cb)
        })
}

fn apply(pair: &mut Pair, side: Side, op: &Op) {
    let conn = pair.conn(side);
    match op.clone() {
        Op::Whole(MessageKind::Text, t) => conn.send_text(String::from_utf8(t).unwrap()).unwrap(),
        Op::Whole(MessageKind::Binary, b) => conn.send_binary(b).unwrap(),
        Op::Fragmented(kind, pieces, ping) => {
            let n = pieces.len();
            for (i, piece) in pieces.into_iter().enumerate() {
                conn.send_fragment(kind, piece, i + 1 == n).unwrap();
                if i == 0 && ping && n > 1 {
                    conn.ping(&b"mid"[..]).unwrap();
                }
            }
        }
    }
}

/// The messages received, whole: fragments (streaming mode) joined.
fn messages(events: &[Event]) -> Vec<(MessageKind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut current: Option<(MessageKind, Vec<u8>)> = None;
    for e in events {
        match e {
            Event::Text(t) => out.push((MessageKind::Text, t.as_bytes().to_vec())),
            Event::Binary(b) => out.push((MessageKind::Binary, b.to_vec())),
            Event::Fragment { kind, data, fin } => {
                let message = current.get_or_insert_with(|| (*kind, Vec::new()));
                assert_eq!(message.0, *kind);
                message.1.extend_from_slice(data);
                if *fin {
                    out.push(current.take().unwrap());
                }
            }
            _ => {}
        }
    }
    assert!(current.is_none(), "an unfinished streamed message");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn compressed_sends_arrive_whole_and_identical(
        client in deflate_config(),
        server in deflate_config(),
        ops in proptest::collection::vec((any::<bool>(), op()), 0..10),
        streaming: bool,
        chunk in prop_oneof![1usize..8, 8usize..500, Just(usize::MAX)],
    ) {
        let client_config = Config::default().streaming(streaming).deflate(Some(client));
        let server_config = Config::default().streaming(streaming).deflate(Some(server));
        let mut pair = Pair::handshake(client_config, server_config, ClientOptions::new(), AcceptOptions::new());
        pair.chunk = chunk;
        pair.drive();
        prop_assert!(pair.client.deflate().is_some());
        let mut want = [Vec::new(), Vec::new()];
        let mut pings = [0, 0];
        for (from_client, op) in &ops {
            let (side, to) = if *from_client { (Side::Client, 1) } else { (Side::Server, 0) };
            apply(&mut pair, side, op);
            match op {
                Op::Whole(k, d) => want[to].push((*k, d.clone())),
                Op::Fragmented(k, pieces, ping) => {
                    want[to].push((*k, pieces.concat()));
                    pings[to] += usize::from(*ping && pieces.len() > 1);
                }
            }
            if *from_client { pair.drive() }
        }
        pair.drive();
        for (events, want, pings) in [(&pair.client_events, &want[0], pings[0]), (&pair.server_events, &want[1], pings[1])] {
            prop_assert!(!events.iter().any(|e| matches!(e, Event::Failed(_))), "{:?}", events.last());
            prop_assert_eq!(&messages(events), want);
            let got_pings = events.iter().filter(|e| matches!(e, Event::Ping(p) if p == &Bytes::from_static(b"mid"))).count();
            prop_assert_eq!(got_pings, pings);
        }
    }
}
