//! Property: for any valid offer, client writer → server parser → server
//! answer → client validator agree on the negotiated subprotocol and
//! extensions, whatever the split of the bytes.

use proptest::collection::vec;
use proptest::prelude::*;
use wsproto::frame::Decoded;
use wsproto::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ExtensionOffer, RequestParser, write_accept_response,
};
use wsproto::rng::PredictableRandom;

const TCHARS: &str = "[a-zA-Z0-9!#$%&'*+.^_`|~-]";

fn token() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{TCHARS}{{1,10}}")).unwrap()
}

fn extension() -> impl Strategy<Value = ExtensionOffer> {
    (token(), vec((token(), proptest::option::of(token())), 0..4))
        .prop_map(|(name, params)| ExtensionOffer { name, params })
}

fn unique(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|p| {
        let fresh = !seen.contains(p);
        seen.push(p.clone());
        fresh
    });
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn negotiation_agrees_end_to_end(
        protocols in vec(token(), 0..5).prop_map(unique),
        extensions in vec(extension(), 0..4),
        path in "(/[a-zA-Z0-9._~%-]{0,8}){0,3}",
        query in proptest::option::of("[a-zA-Z0-9=&]{0,12}"),
        pick_protocol in any::<Option<prop::sample::Index>>(),
        pick_extensions in any::<u8>(),
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let url = format!("ws://example.com:9001{path}{}", query.as_ref().map(|q| format!("?{q}")).unwrap_or_default());
        let mut options = ClientOptions::new();
        options.subprotocols = protocols.clone();
        options.extensions = extensions.clone();
        let mut client = ClientHandshake::new(&url, options, &mut PredictableRandom::new(seed)).unwrap();
        let mut request_bytes = Vec::new();
        client.write_request(&mut request_bytes);
        request_bytes.extend_from_slice(b"\x81\x80\x00\x00\x00\x00"); // a pipelined frame

        let mut server = RequestParser::default();
        let Ok(Decoded::Complete((request, used))) = server.parse(&request_bytes) else {
            panic!("request refused: {:?}", String::from_utf8_lossy(&request_bytes))
        };
        prop_assert_eq!(&request_bytes[used..], b"\x81\x80\x00\x00\x00\x00");
        prop_assert_eq!(request.subprotocols(), &protocols[..]);
        prop_assert_eq!(request.extensions(), &extensions[..]);
        prop_assert_eq!(request.target(), client.url().resource());
        prop_assert_eq!(request.host(), "example.com:9001");
        prop_assert_eq!(request.key(), client.key());

        let chosen = pick_protocol.filter(|_| !protocols.is_empty()).map(|i| i.get(&protocols).clone());
        let accepted: Vec<ExtensionOffer> = request
            .extensions()
            .iter()
            .enumerate()
            .filter(|(i, _)| pick_extensions & (1 << (i % 8)) != 0)
            .map(|(_, e)| e.clone())
            .collect();
        let mut accept = AcceptOptions::new();
        accept.subprotocol = chosen.clone();
        accept.extensions = accepted.clone();
        let mut response_bytes = Vec::new();
        write_accept_response(&request, &accept, &mut response_bytes).unwrap();
        let head = response_bytes.len();
        response_bytes.extend_from_slice(b"\x81\x00");

        let cut = cut.index(response_bytes.len() + 1);
        let first = client.parse_response(&response_bytes[..cut]).unwrap();
        let result = match first {
            Decoded::Incomplete { .. } => client.parse_response(&response_bytes).unwrap(),
            done => done,
        };
        let Decoded::Complete((response, used)) = result else { panic!("incomplete") };
        prop_assert_eq!(used, head);
        prop_assert_eq!(response.subprotocol(), chosen.as_deref());
        prop_assert_eq!(response.extensions(), &accepted[..]);
    }

    #[test]
    fn extension_lists_survive_whitespace_and_quoting(
        extensions in vec(extension(), 1..4),
        spaces in vec(0usize..3, 64),
        quote in any::<u64>(),
    ) {
        // Rewrite the formatted list with optional whitespace around every
        // separator and some values quoted (escaping one character).
        let mut text = String::new();
        let mut n = 0;
        let mut ws = |text: &mut String| {
            n += 1;
            text.push_str(&" \t "[..spaces[n % spaces.len()]]);
        };
        for (i, ext) in extensions.iter().enumerate() {
            if i > 0 {
                ws(&mut text);
                text.push(',');
                ws(&mut text);
            }
            text.push_str(&ext.name);
            for (j, (name, value)) in ext.params.iter().enumerate() {
                ws(&mut text);
                text.push(';');
                ws(&mut text);
                text.push_str(name);
                if let Some(v) = value {
                    ws(&mut text);
                    text.push('=');
                    ws(&mut text);
                    if quote & (1 << ((i * 4 + j) % 64)) != 0 {
                        text.push_str(&format!("\"\\{v}\""));
                    } else {
                        text.push_str(v);
                    }
                }
            }
        }
        prop_assert_eq!(ExtensionOffer::parse_list(text.as_bytes()).unwrap(), extensions.clone());
        prop_assert_eq!(ExtensionOffer::parse_list(ExtensionOffer::format_list(&extensions).as_bytes()).unwrap(), extensions);
    }
}
