//! The key and accept values of RFC 6455 §4.1 and §4.2.2.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

use crate::rng::RandomSource;

/// The GUID that RFC 6455 §1.3 appends to the key before hashing.
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this crate speaks (`Sec-WebSocket-Version: 13`).
pub const WEBSOCKET_VERSION: &str = "13";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value:
/// base64(SHA-1(key ++ GUID)) (RFC 6455 §4.2.2, step 5.4).
///
/// `key` is used byte for byte, as sent: the caller trims surrounding
/// whitespace, as the parsers in this module do. Never fails; a key that is
/// not valid base64 still has an accept value.
///
/// ```
/// use wsproto::handshake::derive_accept;
///
/// // The example of RFC 6455 §1.3.
/// assert_eq!(derive_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn derive_accept(key: impl AsRef<[u8]>) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_ref());
    sha.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 bytes from `rng`, base64-encoded (24
/// characters). RFC 6455 §4.1 wants the nonce random for each connection.
pub fn generate_key<R: RandomSource + ?Sized>(rng: &mut R) -> String {
    let mut nonce = [0u8; 16];
    rng.fill(&mut nonce);
    STANDARD.encode(nonce)
}

/// Whether `key` is a valid `Sec-WebSocket-Key`: canonical padded base64
/// (standard alphabet) of exactly 16 bytes, hence exactly 24 characters.
pub fn is_valid_key(key: &[u8]) -> bool {
    // Checked before decoding, so a long value costs nothing.
    if key.len() != 24 {
        return false;
    }
    let mut out = [0u8; 18];
    matches!(STANDARD.decode_slice(key, &mut out), Ok(16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::PredictableRandom;

    #[test]
    fn keys_are_valid_and_fresh() {
        let mut rng = PredictableRandom::new(1);
        let a = generate_key(&mut rng);
        let b = generate_key(&mut rng);
        assert_eq!(a.len(), 24);
        assert!(is_valid_key(a.as_bytes()));
        assert_ne!(a, b);
    }

    #[test]
    fn key_validation() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        // 15 and 17 bytes.
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZXgx"));
        // Non-canonical trailing bits, bad alphabet, missing padding.
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZR=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j-_=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_key(b""));
    }
}
