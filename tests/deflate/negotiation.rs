//! permessage-deflate negotiation (RFC 7692 §7.1): what a server accepts
//! and answers, what a client accepts from the answer, and the connection
//! doing both by itself.

use std::time::Instant;

use wsproto::deflate::{DeflateConfig, DeflateOffer, DeflateParams, NegotiationError, check_response};
use wsproto::handshake::{AcceptOptions, ClientOptions, ExtensionOffer, derive_accept};
use wsproto::rng::PredictableRandom;
use wsproto::{AnswerError, Config, Connection, Error, Event, State};
use wsproto_test_support::pair::Pair;

fn list(value: &str) -> Vec<ExtensionOffer> {
    ExtensionOffer::parse_list(value.as_bytes()).unwrap()
}

/// The server's answer to `offers` with `config`, as a header value.
fn answer(config: &DeflateConfig, offers: &str) -> Option<String> {
    config.accept(&list(offers)).map(|a| a.response.to_string())
}

fn params(snct: bool, cnct: bool, server_bits: u8, client_bits: u8) -> DeflateParams {
    let mut p = DeflateParams::default();
    p.server_no_context_takeover = snct;
    p.client_no_context_takeover = cnct;
    p.server_max_window_bits = server_bits;
    p.client_max_window_bits = client_bits;
    p
}

/// A server that accepts offers as asked: windows up to 2^15.
fn as_asked() -> DeflateConfig {
    DeflateConfig::new().server_max_window_bits(15).client_max_window_bits(15)
}

#[test]
fn a_default_server_answers_small_windows_and_honours_no_context_takeover() {
    let config = DeflateConfig::new();
    let cases = [
        ("permessage-deflate", "permessage-deflate; server_max_window_bits=12"),
        // What browsers send: the client's window can be limited too.
        (
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        ),
        // The smaller of the offer and ours wins.
        ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        (
            "permessage-deflate; client_max_window_bits=9",
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9",
        ),
        // §7.1.1.2: the client's offer not to take context over is answered,
        // so our decompressor may drop its state between messages.
        (
            "permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=12",
        ),
    ];
    for (offer, expected) in cases {
        assert_eq!(answer(&config, offer).as_deref(), Some(expected), "{offer}");
    }
    let agreement = config.accept(&list("permessage-deflate; client_no_context_takeover")).unwrap();
    assert_eq!(agreement.params, params(false, true, 12, 15));
}

#[test]
fn a_shared_compressor_answers_server_no_context_takeover() {
    let config = as_asked().shared_compressor(true);
    assert_eq!(
        answer(&config, "permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
}

#[test]
fn a_server_accepting_as_asked_accepts_every_valid_offer() {
    let config = as_asked();
    let cases = [
        ("permessage-deflate", "permessage-deflate"),
        // What browsers send.
        ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
        ("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
        // The client's promise, answered.
        ("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover"),
        ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        // §7.1.2.1: an offered server_max_window_bits is answered, even at 15.
        ("permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15"),
        ("permessage-deflate; client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9"),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=12",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; \
             client_max_window_bits=12",
        ),
        // Quoted values and any case are the same parameters.
        ("Permessage-Deflate; SERVER_MAX_WINDOW_BITS=\"11\"", "permessage-deflate; server_max_window_bits=11"),
    ];
    for (offer, expected) in cases {
        assert_eq!(answer(&config, offer).as_deref(), Some(expected), "{offer}");
    }
    // Not permessage-deflate: nothing to accept.
    assert_eq!(answer(&config, "x-webkit-deflate-frame"), None);
    assert_eq!(answer(&config, ""), None);
}

#[test]
fn invalid_offers_are_declined_and_the_next_one_is_taken() {
    let config = as_asked();
    let invalid = [
        "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=abc",
    ];
    for bad in invalid {
        assert_eq!(answer(&config, bad), None, "{bad}");
        let both = format!("{bad}, permessage-deflate; server_max_window_bits=12");
        assert_eq!(answer(&config, &both).as_deref(), Some("permessage-deflate; server_max_window_bits=12"), "{bad}");
    }
}

#[test]
fn several_offers_the_first_acceptable_wins() {
    let config = as_asked();
    // Autobahn's case 13.7 offers, in its preference order.
    let offers = "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                  server_no_context_takeover; server_max_window_bits=9, \
                  permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, \
                  permessage-deflate; client_no_context_takeover; client_max_window_bits";
    let agreement = config.accept(&list(offers)).unwrap();
    assert_eq!(
        agreement.response.to_string(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9"
    );
    assert_eq!(agreement.params, params(true, true, 9, 15));
    // Other extensions in between do not matter.
    let mixed = "foo, permessage-deflate; bar, permessage-deflate; client_max_window_bits=10";
    assert_eq!(answer(&config, mixed).as_deref(), Some("permessage-deflate; client_max_window_bits=10"));
}

#[test]
fn a_server_config_adds_its_own_limits() {
    let config = DeflateConfig::new()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(12)
        .client_max_window_bits(10);
    let cases = [
        // §7.1.2.2: no client_max_window_bits in the offer, none in the answer.
        (
            "permessage-deflate",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
            params(true, true, 12, 15),
        ),
        (
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=10",
            params(true, true, 12, 10),
        ),
        // The smaller of the two limits wins, either way round.
        (
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=8",
            params(true, true, 9, 8),
        ),
        (
            "permessage-deflate; server_max_window_bits=14; client_max_window_bits=15",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=10",
            params(true, true, 12, 10),
        ),
    ];
    for (offer, expected, bound) in cases {
        let agreement = config.accept(&list(offer)).unwrap();
        assert_eq!(agreement.response.to_string(), expected, "{offer}");
        assert_eq!(agreement.params, bound, "{offer}");
        // The answer is one the client accepts, with the same meaning.
        assert_eq!(check_response(&list(offer), &[agreement.response]), Ok(Some(bound)), "{offer}");
    }
}

#[test]
fn the_client_offers_all_four_parameters_in_order() {
    let config = DeflateConfig::new().offers(vec![
        DeflateOffer::new()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(10)
            .client_max_window_bits(11),
        DeflateOffer::new().server_max_window_bits(8),
        DeflateOffer::new(),
    ]);
    assert_eq!(
        ExtensionOffer::format_list(&config.client_offers()),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; \
         client_max_window_bits=11, permessage-deflate; server_max_window_bits=8; client_max_window_bits, \
         permessage-deflate; client_max_window_bits"
    );
    // Out-of-range values are clamped, never written as they are.
    let clamped = DeflateOffer::new().server_max_window_bits(3).client_max_window_bits(99).to_extension();
    assert_eq!(clamped.to_string(), "permessage-deflate; server_max_window_bits=8; client_max_window_bits=15");
}

#[test]
fn the_client_checks_the_answer() {
    let offered = list("permessage-deflate; server_max_window_bits=10; client_max_window_bits");
    let check = |answer: &str| check_response(&offered, &list(answer));
    // Declined: no compression.
    assert_eq!(check(""), Ok(None));
    assert_eq!(check("permessage-deflate; server_max_window_bits=10"), Ok(Some(params(false, false, 10, 15))));
    assert_eq!(check("permessage-deflate; server_max_window_bits=8"), Ok(Some(params(false, false, 8, 15))));
    // A server may add these unasked (§7.1.1.1, §7.1.1.2, §7.1.2.2 with the bare offer).
    assert_eq!(
        check("permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9"),
        Ok(Some(params(true, true, 15, 9)))
    );
    let faults = [
        ("permessage-deflate; server_max_window_bits=11", NegotiationError::NotAllowed("server_max_window_bits")),
        ("permessage-deflate; mystery", NegotiationError::UnknownParameter("mystery".into())),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            NegotiationError::DuplicateParameter("server_no_context_takeover"),
        ),
        ("permessage-deflate; server_max_window_bits=16", NegotiationError::InvalidValue("server_max_window_bits")),
        ("permessage-deflate; server_max_window_bits=7", NegotiationError::InvalidValue("server_max_window_bits")),
        ("permessage-deflate; server_max_window_bits", NegotiationError::InvalidValue("server_max_window_bits")),
        // In an answer, client_max_window_bits needs its value.
        ("permessage-deflate; client_max_window_bits", NegotiationError::InvalidValue("client_max_window_bits")),
        (
            "permessage-deflate; client_no_context_takeover=1",
            NegotiationError::InvalidValue("client_no_context_takeover"),
        ),
        ("permessage-deflate, permessage-deflate", NegotiationError::DuplicateExtension),
    ];
    for (answer, expected) in faults {
        assert_eq!(check(answer), Err(expected.clone()), "{answer}");
        assert!(!expected.to_string().is_empty());
    }
    // client_max_window_bits only where an offer carried it, and no larger than its value.
    let plain = list("permessage-deflate");
    assert_eq!(
        check_response(&plain, &list("permessage-deflate; client_max_window_bits=10")),
        Err(NegotiationError::NotAllowed("client_max_window_bits"))
    );
    let valued = list("permessage-deflate; client_max_window_bits=10");
    assert_eq!(
        check_response(&valued, &list("permessage-deflate; client_max_window_bits=11")),
        Err(NegotiationError::NotAllowed("client_max_window_bits"))
    );
    // Silent on our offered value: we keep to what we offered.
    assert_eq!(check_response(&valued, &list("permessage-deflate")), Ok(Some(params(false, false, 15, 10))));
    // Not offered at all.
    assert_eq!(check_response(&[], &list("permessage-deflate")), Err(NegotiationError::NotOffered));
}

#[test]
fn any_of_several_offers_may_be_the_one_answered() {
    let offered = list("permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits");
    // Only the second offer allows a client window.
    assert_eq!(
        check_response(&offered, &list("permessage-deflate; client_max_window_bits=12")),
        Ok(Some(params(false, false, 15, 12)))
    );
    // Only the first offer's promise of context reset is kept.
    let offered = list("permessage-deflate; client_no_context_takeover; server_max_window_bits=9, permessage-deflate");
    assert_eq!(
        check_response(&offered, &list("permessage-deflate; server_max_window_bits=9")),
        Ok(Some(params(false, true, 9, 15)))
    );
}

fn open_with(client: Config, server: Config, options: ClientOptions, accept: AcceptOptions) -> Pair {
    let mut pair = Pair::handshake(client, server, options, accept);
    pair.drive();
    pair
}

fn opened_extensions(events: &[Event]) -> Vec<ExtensionOffer> {
    events
        .iter()
        .find_map(|e| match e {
            Event::Open(open) => Some(open.extensions.clone()),
            _ => None,
        })
        .expect("an Open event")
}

#[test]
fn connections_negotiate_by_themselves() {
    let pair = open_with(Config::default(), Config::default(), ClientOptions::new(), AcceptOptions::new());
    let Event::Request(request) = &pair.server_events[0] else { panic!() };
    assert_eq!(request.extensions(), list("permessage-deflate; client_max_window_bits"));
    let answer = list("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
    for events in [&pair.client_events, &pair.server_events] {
        assert_eq!(opened_extensions(events), answer);
    }
    assert_eq!(pair.client.deflate(), Some(params(false, false, 12, 12)));
    assert_eq!(pair.server.deflate(), Some(params(false, false, 12, 12)));
    assert_eq!(pair.client.extensions(), answer);
}

#[test]
fn no_deflate_config_means_no_offer_and_no_answer() {
    let off = Config::default().deflate(None);
    let pair = open_with(off.clone(), Config::default(), ClientOptions::new(), AcceptOptions::new());
    let Event::Request(request) = &pair.server_events[0] else { panic!() };
    assert!(request.extensions().is_empty());
    assert_eq!((pair.client.deflate(), pair.server.deflate()), (None, None));

    let pair = open_with(Config::default(), off, ClientOptions::new(), AcceptOptions::new());
    assert!(opened_extensions(&pair.client_events).is_empty());
    assert_eq!((pair.client.deflate(), pair.server.deflate()), (None, None));
}

#[test]
fn the_apps_own_offer_and_answer_take_precedence() {
    // The client's options already offer permessage-deflate: the config adds nothing.
    let options = ClientOptions::new()
        .with_extension(ExtensionOffer::new("permessage-deflate").with_flag("server_no_context_takeover"));
    // The server app answers by itself, with a limit of its own choice.
    let accept = AcceptOptions::new().with_extension(
        ExtensionOffer::new("permessage-deflate")
            .with_flag("server_no_context_takeover")
            .with_param("server_max_window_bits", "11"),
    );
    let pair = open_with(Config::default(), Config::default(), options, accept);
    let Event::Request(request) = &pair.server_events[0] else { panic!() };
    assert_eq!(request.extensions(), list("permessage-deflate; server_no_context_takeover"));
    assert_eq!(pair.client.deflate(), Some(params(true, false, 11, 15)));
    assert_eq!(pair.server.deflate(), Some(params(true, false, 11, 15)));
}

#[test]
fn a_server_app_answer_that_no_offer_allows_is_refused() {
    let accept = AcceptOptions::new()
        .with_extension(ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", "9"));
    let client = Config::default()
        .deflate(Some(DeflateConfig::new().offers(vec![DeflateOffer::new().server_max_window_bits(10)])));
    let mut pair = Pair::handshake(client, Config::default(), ClientOptions::new(), AcceptOptions::new());
    pair.accept = None;
    pair.drive();
    let now = pair.now;
    // The client asked for server_max_window_bits=10: an answer of 12 is
    // refused, nothing is queued and the request still waits.
    let too_big = AcceptOptions::new()
        .with_extension(ExtensionOffer::new("permessage-deflate").with_param("server_max_window_bits", "12"));
    assert_eq!(
        pair.server.accept(now, too_big),
        Err(AnswerError::Deflate(NegotiationError::NotAllowed("server_max_window_bits")))
    );
    let malformed = AcceptOptions::new().with_extension(ExtensionOffer::new("permessage-deflate").with_flag("foo"));
    assert!(matches!(pair.server.accept(now, malformed), Err(AnswerError::Deflate(_))));
    assert_eq!(pair.server.state(), State::Connecting);
    assert_eq!(pair.server.poll_transmit(), None);
    // A valid answer still works.
    pair.server.accept(now, accept).unwrap();
    pair.drive();
    assert_eq!(pair.client.deflate(), Some(params(false, false, 15, 9)));
}

/// A client connection with our default offers, fed `answer` as the
/// server's Sec-WebSocket-Extensions.
fn client_given(answer: &str) -> Vec<Event> {
    let now = Instant::now();
    let mut client = Connection::connect_with_random(
        "ws://example.com/",
        ClientOptions::new(),
        Config::default(),
        PredictableRandom::new(5),
        now,
    )
    .unwrap();
    let request: Vec<u8> = std::iter::from_fn(|| client.poll_transmit()).flatten().collect();
    let request = String::from_utf8(request).unwrap();
    assert!(request.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Extensions: {answer}\r\n\r\n",
        derive_accept(key)
    );
    client.handle_input(now, response.as_bytes());
    std::iter::from_fn(|| client.poll_event()).collect()
}

#[test]
fn a_client_fails_the_handshake_on_a_bad_answer() {
    let bad = [
        ("permessage-deflate; server_max_window_bits=99", NegotiationError::InvalidValue("server_max_window_bits")),
        ("permessage-deflate; x=1", NegotiationError::UnknownParameter("x".into())),
        (
            "permessage-deflate; client_max_window_bits=9; client_max_window_bits=9",
            NegotiationError::DuplicateParameter("client_max_window_bits"),
        ),
        ("permessage-deflate, permessage-deflate", NegotiationError::DuplicateExtension),
    ];
    for (answer, expected) in bad {
        let events = client_given(answer);
        assert!(
            matches!(&events[..], [Event::Failed(Error::Deflate(e)), Event::Closed(_)] if *e == expected),
            "{answer}: {events:?}"
        );
    }
    let events = client_given("permessage-deflate; client_max_window_bits=8; server_no_context_takeover");
    assert!(matches!(&events[..], [Event::Open(_)]), "{events:?}");
}

#[test]
fn a_connection_opened_elsewhere_reads_the_negotiated_extension() {
    let now = Instant::now();
    let ext = ExtensionOffer::new("permessage-deflate").with_param("client_max_window_bits", "10");
    let open = wsproto::Open::new().with_extension(ext);
    let conn = Connection::open_with_random(
        wsproto::Role::Server,
        open,
        Config::default().deflate(None),
        PredictableRandom::new(1),
        now,
    );
    assert_eq!(conn.deflate(), Some(params(false, false, 15, 10)));
    // An element that is not a valid answer leaves compression off.
    let open = wsproto::Open::new().with_extension(ExtensionOffer::new("permessage-deflate").with_flag("bogus"));
    let conn =
        Connection::open_with_random(wsproto::Role::Client, open, Config::default(), PredictableRandom::new(1), now);
    assert_eq!(conn.deflate(), None);
}

#[test]
fn a_prepared_handshake_gets_the_offers_too() {
    let now = Instant::now();
    let handshake = wsproto::handshake::ClientHandshake::new(
        "ws://example.com/",
        ClientOptions::new(),
        &mut PredictableRandom::new(3),
    )
    .unwrap();
    let mut client = Connection::client(handshake, Config::default(), PredictableRandom::new(4), now);
    let request: Vec<u8> = std::iter::from_fn(|| client.poll_transmit()).flatten().collect();
    let request = String::from_utf8(request).unwrap();
    assert!(
        request.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
        "{request}"
    );
    // Without a deflate config the prepared request goes out as it was.
    let handshake = wsproto::handshake::ClientHandshake::new(
        "ws://example.com/",
        ClientOptions::new(),
        &mut PredictableRandom::new(3),
    )
    .unwrap();
    let key = handshake.key().to_owned();
    let mut client = Connection::client(handshake, Config::default().deflate(None), PredictableRandom::new(4), now);
    let request: Vec<u8> = std::iter::from_fn(|| client.poll_transmit()).flatten().collect();
    let request = String::from_utf8(request).unwrap();
    assert!(!request.contains("Sec-WebSocket-Extensions"));
    assert!(request.contains(&key));
}

#[test]
fn compressed_frames_pipelined_behind_the_handshake_are_inflated() {
    let now = Instant::now();
    let mut server = Connection::server(Config::default(), now);
    let mut wire = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        .to_vec();
    wire.extend(wsproto_test_support::frames::client_frame(0xc1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]));
    server.handle_input(now, &wire);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.accept(now, AcceptOptions::new()).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(matches!(&events[..], [Event::Open(_), Event::Text(t)] if t == "Hello"), "{events:?}");
}
