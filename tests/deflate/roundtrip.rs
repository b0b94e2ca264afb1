//! Compressed messages both ways through a real handshake, for every
//! combination of the four parameters, with the wire checked: RSV1 only on
//! the first frame of a compressed message, window sizes kept to, context
//! kept or not as negotiated.

use bytes::Bytes;
use flate2::{Decompress, FlushDecompress};
use wsproto::deflate::{DeflateConfig, DeflateOffer, DeflateParams, TAIL};
use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::{Config, Event, MessageKind};
use wsproto_test_support::frames::{RSV1, WireFrame, frames_after_head as frames, opcode};
use wsproto_test_support::noise::noise;
use wsproto_test_support::pair::{Pair, Side};

/// Inflates the compressed messages in `frames` with a window of exactly
/// 2^`bits` bytes, writing 16 bytes at a time so a reference further back
/// than the window (plus those 16 bytes) fails. `reset`: a fresh window for
/// every message. Returns the inflated messages and how many went
/// uncompressed.
fn inflate_strictly(frames: &[WireFrame], bits: u8, reset: bool) -> (Vec<Vec<u8>>, usize) {
    let mut inflater = Decompress::new_with_window_bits(false, bits.max(9));
    let mut messages = Vec::new();
    let mut plain = 0;
    let mut current: Option<Vec<u8>> = None;
    for f in frames.iter().filter(|f| !f.is_control()) {
        if f.opcode != opcode::CONTINUATION {
            current = (f.rsv & RSV1 != 0).then(Vec::new);
        } else {
            assert_eq!(f.rsv, 0, "RSV1 on a continuation frame");
        }
        let Some(compressed) = current.as_mut() else {
            plain += usize::from(f.fin);
            continue;
        };
        compressed.extend_from_slice(&f.payload);
        if !f.fin {
            continue;
        }
        compressed.extend_from_slice(&TAIL);
        let mut out = Vec::new();
        let mut chunk = [0u8; 16];
        let start_in = inflater.total_in();
        loop {
            let consumed = (inflater.total_in() - start_in) as usize;
            let before = inflater.total_out();
            inflater
                .decompress(&compressed[consumed..], &mut chunk, FlushDecompress::Sync)
                .unwrap_or_else(|e| panic!("not decodable with a 2^{bits} window: {e}"));
            let wrote = (inflater.total_out() - before) as usize;
            out.extend_from_slice(&chunk[..wrote]);
            if (inflater.total_in() - start_in) as usize == compressed.len() && wrote < chunk.len() {
                break;
            }
        }
        messages.push(out);
        current = None;
        if reset {
            inflater.reset(false);
        }
    }
    (messages, plain)
}

/// What each side sends: a short text under the threshold, a text whose
/// repeats lie 3000 bytes apart (beyond a 2^9 window, within 2^12), the
/// same text again (context takeover can refer back to it), a binary
/// message, a fragmented text.
fn script(seed: u64) -> (Vec<Event>, Vec<Vec<u8>>) {
    let block: String = noise(3000, seed).iter().map(|b| char::from(b'a' + b % 26)).collect();
    let long = block.repeat(4);
    let binary = noise(5000, seed + 1).into_iter().map(|b| b % 4).collect::<Vec<u8>>();
    let pieces = ["fragmented ", "message ", &long[..1000]];
    let whole = pieces.concat();
    let events = vec![
        Event::Text("hi".into()),
        Event::Text(long.clone().into()),
        Event::Text(long.clone().into()),
        Event::Binary(binary.clone().into()),
        Event::Text(whole.clone().into()),
    ];
    let compressed = vec![long.clone().into_bytes(), long.into_bytes(), binary, whole.into_bytes()];
    (events, compressed)
}

fn send_script(pair: &mut Pair, side: Side, seed: u64) {
    let (events, _) = script(seed);
    let conn = pair.conn(side);
    for event in &events[..4] {
        match event {
            Event::Text(t) => conn.send_text(t.clone()).unwrap(),
            Event::Binary(b) => conn.send_binary(b.clone()).unwrap(),
            _ => unreachable!(),
        }
    }
    conn.ping(&b"ping"[..]).unwrap();
    let Event::Text(whole) = &events[4] else { unreachable!() };
    let whole = whole.as_str();
    conn.send_fragment(MessageKind::Text, whole[..11].to_owned(), false).unwrap();
    conn.ping(&b"between"[..]).unwrap();
    conn.send_fragment(MessageKind::Text, whole[11..19].to_owned(), false).unwrap();
    conn.send_fragment(MessageKind::Text, whole[19..].to_owned(), true).unwrap();
}

fn data_events(events: &[Event]) -> Vec<Event> {
    events.iter().filter(|e| matches!(e, Event::Text(_) | Event::Binary(_))).cloned().collect()
}

fn offers() -> Vec<DeflateOffer> {
    let mut all = Vec::new();
    for snct in [false, true] {
        for cnct in [false, true] {
            for server_bits in [None, Some(8), Some(9), Some(12), Some(15)] {
                for client_bits in [None, Some(8), Some(9), Some(15)] {
                    let mut offer =
                        DeflateOffer::new().server_no_context_takeover(snct).client_no_context_takeover(cnct);
                    offer.server_max_window_bits = server_bits;
                    offer.client_max_window_bits = client_bits;
                    all.push(offer);
                }
            }
        }
    }
    all
}

fn server_configs() -> Vec<DeflateConfig> {
    vec![
        DeflateConfig::new(),
        DeflateConfig::new()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(10)
            .client_max_window_bits(9),
        DeflateConfig::new().server_max_window_bits(8).client_max_window_bits(12).level(9),
        DeflateConfig::new().server_max_window_bits(15).client_max_window_bits(15).level(1).mem_level(9),
        DeflateConfig::new().shared_compressor(true).mem_level(1),
    ]
}

/// What RFC 7692 makes of `offer` and a server configured with `server`:
/// (the server's view, the client's view).
fn expected(offer: &DeflateOffer, server: &DeflateConfig) -> (DeflateParams, DeflateParams) {
    let mut p = DeflateParams::default();
    p.server_no_context_takeover =
        offer.server_no_context_takeover || server.server_no_context_takeover || server.shared_compressor;
    // The client's offer not to take context over is answered.
    p.client_no_context_takeover = server.client_no_context_takeover || offer.client_no_context_takeover;
    p.server_max_window_bits = offer.server_max_window_bits.unwrap_or(15).min(server.server_max_window_bits);
    p.client_max_window_bits = offer.client_max_window_bits.unwrap_or(15).min(server.client_max_window_bits);
    let mut client = p;
    // The client keeps the promise of its own offer.
    client.client_no_context_takeover |= offer.client_no_context_takeover;
    (p, client)
}

#[test]
fn every_parameter_combination_round_trips_in_both_directions() {
    let mut combinations = 0;
    for (s, server) in server_configs().into_iter().enumerate() {
        for (o, offer) in offers().into_iter().enumerate() {
            let client_config = Config::default().deflate(Some(DeflateConfig::new().offers(vec![offer])));
            let server_config = Config::default().deflate(Some(server.clone()));
            let mut pair = Pair::handshake(client_config, server_config, ClientOptions::new(), AcceptOptions::new());
            pair.drive();
            let (server_view, client_view) = expected(&offer, &server);
            let context = format!("server config {s}, offer {o}: {offer:?}");
            assert_eq!(pair.server.deflate(), Some(server_view), "{context}");
            assert_eq!(pair.client.deflate(), Some(client_view), "{context}");

            let seed = (s * 1000 + o) as u64;
            send_script(&mut pair, Side::Client, seed);
            send_script(&mut pair, Side::Server, seed + 7);
            pair.drive();
            assert_eq!(data_events(&pair.server_events), script(seed).0, "{context}");
            assert_eq!(data_events(&pair.client_events), script(seed + 7).0, "{context}");

            // Each direction on the wire: RSV1 where expected, windows and
            // context takeover as negotiated.
            for (wire, bits, reset, seed) in [
                (&pair.client_wire, client_view.client_max_window_bits, client_view.client_no_context_takeover, seed),
                (
                    &pair.server_wire,
                    server_view.server_max_window_bits,
                    server_view.server_no_context_takeover,
                    seed + 7,
                ),
            ] {
                let frames = frames(wire);
                for f in &frames {
                    if f.is_control() || f.opcode == opcode::CONTINUATION {
                        assert_eq!(f.rsv, 0, "{context}: {f:?}");
                    }
                }
                let (inflated, plain) = inflate_strictly(&frames, bits, reset);
                if bits == 8 {
                    // The backend cannot keep to 256 bytes: nothing is compressed.
                    assert!(inflated.is_empty(), "{context}");
                    assert_eq!(plain, 5, "{context}");
                } else {
                    assert_eq!(inflated, script(seed).1, "{context}");
                    assert_eq!(plain, 1, "{context}: the short text goes uncompressed");
                }
            }
            combinations += 1;
        }
    }
    assert_eq!(combinations, 5 * 80);
}

#[test]
fn context_takeover_shrinks_a_repeated_message_and_its_absence_does_not() {
    let text: String = noise(2000, 9).iter().map(|b| char::from(b'a' + b % 26)).collect();
    let sizes = |offer: DeflateOffer| {
        let client = Config::default().deflate(Some(DeflateConfig::new().offers(vec![offer])));
        let mut pair = Pair::handshake(client, Config::default(), ClientOptions::new(), AcceptOptions::new());
        pair.drive();
        let start = pair.client_wire.len();
        pair.client.send_text(text.clone()).unwrap();
        pair.drive();
        let first = pair.client_wire.len() - start;
        pair.client.send_text(text.clone()).unwrap();
        pair.drive();
        let second = pair.client_wire.len() - start - first;
        assert_eq!(
            data_events(&pair.server_events),
            [Event::Text(text.clone().into()), Event::Text(text.clone().into())]
        );
        (first, second)
    };
    let (first, second) = sizes(DeflateOffer::new());
    assert!(second < first / 10, "with context takeover: {first} then {second}");
    let (first, second) = sizes(DeflateOffer::new().client_no_context_takeover(true));
    assert_eq!(first, second, "without context takeover");
}

#[test]
fn streaming_mode_inflates_piece_by_piece() {
    let block: Vec<u8> = noise(2000, 3).into_iter().map(|b| b % 3).collect();
    let big = block.repeat(150);
    let server = Config::default().streaming(true);
    let mut pair = Pair::handshake(Config::default(), server, ClientOptions::new(), AcceptOptions::new());
    pair.chunk = 1000;
    pair.drive();
    pair.client.send_binary(big.clone()).unwrap();
    pair.client.send_fragment(MessageKind::Text, "Hello, ", false).unwrap();
    pair.client.send_fragment(MessageKind::Text, "world", true).unwrap();
    pair.drive();
    let mut binary = Vec::new();
    let mut text = Vec::new();
    let mut fins = 0;
    for event in &pair.server_events {
        if let Event::Fragment { kind, data, fin } = event {
            assert!(data.len() <= 64 * 1024, "a piece of {} bytes", data.len());
            match kind {
                MessageKind::Binary => binary.extend_from_slice(data),
                MessageKind::Text => text.extend_from_slice(data),
            }
            fins += usize::from(*fin);
        }
    }
    assert_eq!(fins, 2);
    assert!(binary == big);
    assert_eq!(text, b"Hello, world");
    // Compressed on the wire: RSV1 on the first frame of each.
    assert!(pair.client_wire.len() < big.len() / 2);
}

#[test]
fn messages_under_the_threshold_go_uncompressed() {
    let client = Config::default().deflate(Some(DeflateConfig::new().min_compress_size(100)));
    let mut pair = Pair::handshake(client, Config::default(), ClientOptions::new(), AcceptOptions::new());
    pair.drive();
    pair.client.send_text("x".repeat(99)).unwrap();
    pair.client.send_text("x".repeat(100)).unwrap();
    pair.client.send_binary(Bytes::new()).unwrap();
    pair.drive();
    let rsv: Vec<u8> = frames(&pair.client_wire).iter().map(|f| f.rsv).collect();
    assert_eq!(rsv, [0, RSV1, 0]);
    assert_eq!(
        data_events(&pair.server_events),
        [Event::Text("x".repeat(99).into()), Event::Text("x".repeat(100).into()), Event::Binary(Bytes::new())]
    );
}

#[test]
fn empty_compressed_messages_and_fragments() {
    let config = Config::default().deflate(Some(DeflateConfig::new().min_compress_size(0)));
    let mut pair = Pair::handshake(config.clone(), config, ClientOptions::new(), AcceptOptions::new());
    pair.drive();
    pair.server.send_text("").unwrap();
    pair.server.send_fragment(MessageKind::Binary, Bytes::new(), false).unwrap();
    pair.server.send_fragment(MessageKind::Binary, &b"abc"[..], false).unwrap();
    pair.server.send_fragment(MessageKind::Binary, Bytes::new(), false).unwrap();
    pair.server.send_fragment(MessageKind::Binary, Bytes::new(), true).unwrap();
    pair.server.send_text("after").unwrap();
    pair.drive();
    assert_eq!(
        data_events(&pair.client_events),
        [Event::Text("".into()), Event::Binary(Bytes::from_static(b"abc")), Event::Text("after".into())]
    );
    let rsv: Vec<u8> = frames(&pair.server_wire).iter().map(|f| f.rsv).collect();
    assert_eq!(rsv, [RSV1, RSV1, 0, 0, 0, RSV1]);
}

#[test]
fn an_output_full_send_changes_nothing() {
    let client = Config::default().max_output_buffer(300);
    let mut pair = Pair::handshake(client, Config::default(), ClientOptions::new(), AcceptOptions::new());
    pair.drive();
    // Compressed size is checked against the worst case before compressing.
    let err = pair.client.send_text("a".repeat(400)).unwrap_err();
    assert!(matches!(err, wsproto::SendError::OutputFull { .. }), "{err:?}");
    pair.client.send_text("b".repeat(200)).unwrap();
    pair.drive();
    pair.client.send_text("b".repeat(200)).unwrap();
    pair.drive();
    assert_eq!(
        data_events(&pair.server_events),
        [Event::Text("b".repeat(200).into()), Event::Text("b".repeat(200).into())]
    );
}
