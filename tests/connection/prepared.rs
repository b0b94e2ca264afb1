//! Prepared messages: one frame (compressed once where the parameters
//! allow) shared by every server connection it is sent to, with each
//! connection's own state still respected.

use wsproto::handshake::{AcceptOptions, ClientOptions};
use wsproto::{CloseCode, Config, Event, MessageKind, PreparedMessage, SendError};
use wsproto_test_support::pair::{Pair, Side};

fn chat(len: usize) -> String {
    let mut text = String::from(r#"{"type":"message","text":""#);
    while text.len() < len - 2 {
        text.push_str("see you at the standup ");
    }
    text.truncate(len - 2);
    text.push_str(r#""}"#);
    text
}

/// The text messages `side` received.
fn texts(pair: &Pair, side: Side) -> Vec<String> {
    pair.events(side)
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

/// Pairs that went through the real handshake, with the server's config.
fn pairs(n: usize, server: &Config, client: &Config) -> Vec<Pair> {
    (0..n)
        .map(|_| {
            let mut pair = Pair::handshake(client.clone(), server.clone(), ClientOptions::new(), AcceptOptions::new());
            pair.drive();
            pair
        })
        .collect()
}

/// Sends `message` on every pair's server and returns the bytes each
/// handed out (one piece each), then delivers them.
fn broadcast(pairs: &mut [Pair], message: &PreparedMessage) -> Vec<bytes::Bytes> {
    let mut out = Vec::new();
    for pair in pairs.iter_mut() {
        pair.server.send_prepared(message).expect("send_prepared");
        let piece = pair.server.poll_transmit().expect("output");
        pair.client.handle_input(pair.now, &piece);
        assert!(pair.server.poll_transmit().is_none(), "one piece");
        pair.drive();
        out.push(piece);
    }
    out
}

#[test]
fn without_compression_every_connection_shares_one_frame() {
    let off = Config::default();
    #[cfg(feature = "deflate")]
    let off = off.deflate(None);
    let mut pairs = pairs(3, &off, &off);
    let text = chat(1024);
    let message = PreparedMessage::text(text.clone());
    let pieces = broadcast(&mut pairs, &message);
    for (pair, piece) in pairs.iter().zip(&pieces) {
        assert_eq!(&piece[..], message.frame());
        // The very bytes of the prepared message: no copy per connection.
        assert_eq!(piece.as_ptr(), message.frame().as_ptr());
        assert_eq!(texts(pair, Side::Client), [text.as_str()]);
    }
}

#[test]
fn a_connection_in_the_middle_of_a_fragmented_message_refuses_it() {
    let mut pairs = pairs(1, &Config::default(), &Config::default());
    let pair = &mut pairs[0];
    let message = PreparedMessage::binary(vec![7u8; 100]);
    pair.server.send_fragment(MessageKind::Binary, vec![1u8; 10], false).unwrap();
    assert_eq!(pair.server.send_prepared(&message), Err(SendError::FragmentInProgress));
    pair.server.send_fragment(MessageKind::Binary, vec![2u8; 10], true).unwrap();
    pair.server.send_prepared(&message).unwrap();
    pair.drive();
    let binaries: Vec<_> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            Event::Binary(b) => Some(b.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(binaries, [[vec![1u8; 10], vec![2u8; 10]].concat(), vec![7u8; 100]]);
}

#[test]
fn a_closing_or_unopened_connection_refuses_it() {
    let message = PreparedMessage::text("hi");
    let mut pairs = pairs(1, &Config::default(), &Config::default());
    let pair = &mut pairs[0];
    pair.server.close(pair.now, CloseCode::NORMAL, "").unwrap();
    assert_eq!(pair.server.send_prepared(&message), Err(SendError::Closed));
    let mut waiting = Pair::handshake(Config::default(), Config::default(), ClientOptions::new(), AcceptOptions::new());
    assert_eq!(waiting.server.send_prepared(&message), Err(SendError::NotOpen));
}

#[test]
fn the_output_limit_holds_to_the_byte() {
    let off = Config::default();
    #[cfg(feature = "deflate")]
    let off = off.deflate(None);
    let message = PreparedMessage::binary(vec![0u8; 1000]);
    let frame = message.frame().len();
    for (limit, ok) in [(frame, true), (frame - 1, false)] {
        let mut pairs = pairs(1, &off.clone().max_output_buffer(limit), &off);
        let result = pairs[0].server.send_prepared(&message);
        assert_eq!(result.is_ok(), ok, "limit {limit}: {result:?}");
        assert_eq!(pairs[0].server.buffered_amount(), if ok { frame } else { 0 });
    }
}

#[test]
fn a_client_masks_it_like_any_message() {
    let mut pairs = pairs(1, &Config::default(), &Config::default());
    let pair = &mut pairs[0];
    let message = PreparedMessage::text(chat(300));
    pair.client.send_prepared(&message).unwrap();
    pair.drive();
    assert_eq!(texts(pair, Side::Server), [chat(300)]);
}

#[cfg(feature = "deflate")]
mod deflate {
    use wsproto::deflate::{DeflateConfig, DeflateOffer};

    use super::*;

    fn server(deflate: DeflateConfig) -> Config {
        Config::default().deflate(Some(deflate))
    }

    fn client(offer: DeflateOffer) -> Config {
        Config::default().deflate(Some(DeflateConfig::new().offers(vec![offer])))
    }

    /// Without context takeover on the server's side, the message is
    /// compressed once and that frame goes to every connection.
    #[test]
    fn with_server_no_context_takeover_one_compressed_frame_serves_all() {
        for deflate in
            [DeflateConfig::new().server_no_context_takeover(true), DeflateConfig::new().shared_compressor(true)]
        {
            let mut pairs = pairs(3, &server(deflate), &Config::default());
            let text = chat(1024);
            let message = PreparedMessage::text(text.clone());
            let pieces = broadcast(&mut pairs, &message);
            assert_eq!(pieces[0][0], 0xc1, "FIN, RSV1, text");
            assert!(pieces[0].len() < text.len() / 2);
            for (pair, piece) in pairs.iter().zip(&pieces) {
                assert_eq!(piece.as_ptr(), pieces[0].as_ptr(), "the same bytes for everyone");
                assert_eq!(texts(pair, Side::Client), [text.as_str()]);
            }
            // Sent again: the same compressed frame.
            let again = broadcast(&mut pairs, &message);
            assert_eq!(again[0].as_ptr(), pieces[0].as_ptr());
        }
    }

    /// With context takeover each connection compresses it itself, keeping
    /// its window in step with the peer's; messages before and after still
    /// arrive intact.
    #[test]
    fn with_context_takeover_each_connection_compresses_it_itself() {
        let mut pairs = pairs(2, &Config::default(), &Config::default());
        let text = chat(1024);
        let message = PreparedMessage::text(text.clone());
        for pair in &mut pairs {
            pair.server.send_text(chat(500)).unwrap();
            pair.drive();
        }
        let pieces = broadcast(&mut pairs, &message);
        assert_ne!(pieces[0].as_ptr(), pieces[1].as_ptr());
        for pair in &mut pairs {
            pair.server.send_text(chat(700)).unwrap();
            pair.drive();
            assert_eq!(texts(pair, Side::Client), [chat(500), text.clone(), chat(700)]);
        }
    }

    /// A frame made for a larger window does not go to a connection that
    /// agreed to a smaller one; a frame made for a smaller one serves a
    /// larger.
    #[test]
    fn a_smaller_window_gets_its_own_compression() {
        let deflate = DeflateConfig::new().server_no_context_takeover(true);
        let narrow = client(DeflateOffer::new().server_max_window_bits(9));
        let mut wide = pairs(1, &server(deflate.clone()), &Config::default());
        let mut small = pairs(1, &server(deflate), &narrow);
        let text = chat(2000);
        let message = PreparedMessage::text(text.clone());
        let first = broadcast(&mut wide, &message);
        let second = broadcast(&mut small, &message);
        assert_ne!(first[0].as_ptr(), second[0].as_ptr());
        assert_eq!(texts(&wide[0], Side::Client), [text.as_str()]);
        assert_eq!(texts(&small[0], Side::Client), [text.as_str()]);

        // Made first for 2^9, the frame serves both.
        let message = PreparedMessage::text(text.clone());
        let first = broadcast(&mut small, &message);
        let second = broadcast(&mut wide, &message);
        assert_eq!(first[0].as_ptr(), second[0].as_ptr());
        assert_eq!(texts(&wide[0], Side::Client), [text.clone(), text.clone()]);
    }

    /// A message under the connection's `min_compress_size` goes out as the
    /// shared plain frame.
    #[test]
    fn a_short_message_goes_uncompressed() {
        let mut pairs = pairs(2, &server(DeflateConfig::new().server_no_context_takeover(true)), &Config::default());
        let message = PreparedMessage::text("hi");
        let pieces = broadcast(&mut pairs, &message);
        assert_eq!(pieces[0].as_ptr(), message.frame().as_ptr());
        assert_eq!(texts(&pairs[1], Side::Client), ["hi"]);
    }
}
