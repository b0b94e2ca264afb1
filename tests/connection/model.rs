//! Model test: random sequences of sends on one side arrive on the other
//! complete, in order and byte-identical, however the wire is chunked.

use bytes::Bytes;
use proptest::prelude::*;
use wsproto::{CloseCode, Config, Event, MessageKind};
use wsproto_test_support::pair::{Pair, Side};

#[derive(Debug, Clone)]
enum Op {
    Text(String),
    Binary(Vec<u8>),
    /// A message sent as fragments, cut at these byte offsets, with a ping
    /// after the first fragment when `ping` is set.
    Fragmented {
        kind: MessageKind,
        data: Vec<u8>,
        cuts: Vec<usize>,
        ping: bool,
    },
    Ping(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        ".{0,40}".prop_map(Op::Text),
        proptest::collection::vec(any::<u8>(), 0..3000).prop_map(Op::Binary),
        (
            any::<bool>(),
            ".{0,60}",
            proptest::collection::vec(any::<u8>(), 0..600),
            proptest::collection::vec(0usize..600, 0..5),
            any::<bool>()
        )
            .prop_map(|(text, s, b, mut cuts, ping)| {
                let (kind, data) = if text { (MessageKind::Text, s.into_bytes()) } else { (MessageKind::Binary, b) };
                cuts.iter_mut().for_each(|c| *c = (*c).min(data.len()));
                cuts.sort_unstable();
                Op::Fragmented { kind, data, cuts, ping }
            }),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Op::Ping),
    ]
}

/// The events the receiver should report for `op`.
fn expected(op: &Op) -> Vec<Event> {
    match op {
        Op::Text(s) => vec![Event::Text(s.as_str().into())],
        Op::Binary(b) => vec![Event::Binary(Bytes::from(b.clone()))],
        Op::Fragmented { kind, data, ping, .. } => {
            let mut events = Vec::new();
            if *ping {
                events.push(Event::Ping(Bytes::from_static(b"mid")));
            }
            events.push(match kind {
                MessageKind::Text => Event::Text(String::from_utf8(data.clone()).unwrap().into()),
                MessageKind::Binary => Event::Binary(Bytes::from(data.clone())),
            });
            events
        }
        Op::Ping(p) => vec![Event::Ping(Bytes::from(p.clone()))],
    }
}

fn apply(pair: &mut Pair, side: Side, op: &Op) {
    let conn = pair.conn(side);
    match op.clone() {
        Op::Text(s) => conn.send_text(s).unwrap(),
        Op::Binary(b) => conn.send_binary(b).unwrap(),
        Op::Fragmented { kind, data, cuts, ping } => {
            let mut start = 0;
            let mut first = true;
            for cut in cuts.into_iter().chain(std::iter::once(data.len())) {
                let last = cut == data.len();
                if cut < start || (cut == start && !last) {
                    continue;
                }
                conn.send_fragment(kind, data[start..cut].to_vec(), last).unwrap();
                if first && ping && !last {
                    conn.ping(&b"mid"[..]).unwrap();
                }
                first = false;
                start = cut;
                if last {
                    break;
                }
            }
            if ping && first {
                unreachable!("at least one fragment is always sent");
            }
        }
        Op::Ping(p) => conn.ping(p).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sends_arrive_complete_in_order_and_identical(
        ops in proptest::collection::vec(op(), 0..12),
        from_client: bool,
        chunk in prop_oneof![1usize..8, 8usize..200, Just(usize::MAX)],
        close: bool,
    ) {
        let (sender, receiver) = if from_client { (Side::Client, Side::Server) } else { (Side::Server, Side::Client) };
        let mut pair = Pair::open(Config::default(), Config::default());
        pair.chunk = chunk;
        pair.drive();
        pair.take_events(receiver);
        let mut want = Vec::new();
        for op in &ops {
            apply(&mut pair, sender, op);
            want.extend(expected(op));
            // Ping payloads in fragmented ops appear only when a ping was really sent mid-message.
            if let Op::Fragmented { ping: true, data, cuts, .. } = op {
                let sent_mid = cuts.iter().any(|&c| c > 0 && c < data.len());
                if !sent_mid {
                    let at = want.iter().rposition(|e| matches!(e, Event::Ping(p) if p.as_ref() == b"mid")).unwrap();
                    want.remove(at);
                }
            }
        }
        if close {
            let now = pair.now;
            pair.conn(sender).close(now, CloseCode(4321), "bye").unwrap();
        }
        pair.drive();
        let mut got = pair.take_events(receiver);
        if close {
            let Some(Event::Closed(c)) = got.pop() else { panic!("no Closed event") };
            prop_assert!(c.was_clean);
            prop_assert_eq!(c.code, CloseCode(4321));
            prop_assert_eq!(c.reason.as_str(), "bye");
        }
        prop_assert_eq!(got, want);
    }
}
