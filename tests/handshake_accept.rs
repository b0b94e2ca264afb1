//! `derive_accept` and the client nonce.

use wsproto::handshake::{WEBSOCKET_GUID, derive_accept, generate_key, is_valid_key};
use wsproto::rng::PredictableRandom;

#[test]
fn rfc_6455_example() {
    assert_eq!(derive_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(derive_accept(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(derive_accept(String::from("dGhlIHNhbXBsZSBub25jZQ==")), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(WEBSOCKET_GUID, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
}

#[test]
fn the_seeds_key() {
    // The seed's article prints FCKgUr8c7OsDsLFeJTWrJw6WO8Q= for this key;
    // the RFC derivation gives another value, so that response was not for
    // this request (or was altered).
    assert_eq!(derive_accept("puVOuWb7rel6z2AVZBKnfw=="), "lt1/FHuL6o2V8tma5G4mOcqYBFA=");
}

#[test]
fn generated_keys_are_valid_and_reproducible_with_a_seeded_source() {
    let key = generate_key(&mut PredictableRandom::new(42));
    assert_eq!(key.len(), 24);
    assert!(is_valid_key(key.as_bytes()));
    assert_eq!(key, generate_key(&mut PredictableRandom::new(42)));
    // (PredictableRandom forces the low bit of its seed to 1, so 42 and 43 would be the same source.)
    assert_ne!(key, generate_key(&mut PredictableRandom::new(44)));
    assert_eq!(derive_accept(&key).len(), 28);
}
