//! Close status codes (RFC 6455 §7.4) and the close-frame payload rules (§5.5.1).

use core::fmt;

/// A close status code: an open newtype over the `u16` on the wire, with the
/// registered codes as named constants.
///
/// Any `u16` can be represented, so a peer's code is never lost; whether a
/// code may appear on the wire is answered by [`CloseCode::is_valid_on_wire`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: the endpoint received a data type it cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present. Reported locally, never sent.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a close frame. Reported locally, never sent.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: a message's data was inconsistent with its type (bad UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later.
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway received an invalid response upstream.
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Reported locally, never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether this code may appear in a close frame on the wire.
    ///
    /// Valid: 1000–1003, 1007–1014 and 3000–4999. Everything else (1004–1006,
    /// 1015, anything else below 3000, anything above 4999) is a protocol
    /// error when received and is refused when sending.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            CloseCode::NORMAL => "NORMAL",
            CloseCode::GOING_AWAY => "GOING_AWAY",
            CloseCode::PROTOCOL_ERROR => "PROTOCOL_ERROR",
            CloseCode::UNSUPPORTED_DATA => "UNSUPPORTED_DATA",
            CloseCode::NO_STATUS => "NO_STATUS",
            CloseCode::ABNORMAL => "ABNORMAL",
            CloseCode::INVALID_PAYLOAD => "INVALID_PAYLOAD",
            CloseCode::POLICY_VIOLATION => "POLICY_VIOLATION",
            CloseCode::MESSAGE_TOO_BIG => "MESSAGE_TOO_BIG",
            CloseCode::MANDATORY_EXTENSION => "MANDATORY_EXTENSION",
            CloseCode::INTERNAL_ERROR => "INTERNAL_ERROR",
            CloseCode::SERVICE_RESTART => "SERVICE_RESTART",
            CloseCode::TRY_AGAIN_LATER => "TRY_AGAIN_LATER",
            CloseCode::BAD_GATEWAY => "BAD_GATEWAY",
            CloseCode::TLS_HANDSHAKE => "TLS_HANDSHAKE",
            _ => return write!(f, "CloseCode({})", self.0),
        };
        write!(f, "CloseCode::{name}({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The largest close reason that fits a control frame: 125 bytes of payload
/// minus the 2-byte code.
pub const MAX_CLOSE_REASON: usize = 123;

/// The longest prefix of `reason` that fits [`MAX_CLOSE_REASON`] bytes
/// without splitting a character.
pub(crate) fn truncate_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_matches_rfc_ranges() {
        for code in 0..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(code).is_valid_on_wire(), expected, "code {code}");
        }
        assert!(!CloseCode::NO_STATUS.is_valid_on_wire());
        assert!(!CloseCode::ABNORMAL.is_valid_on_wire());
        assert!(!CloseCode::TLS_HANDSHAKE.is_valid_on_wire());
        assert!(!CloseCode(1004).is_valid_on_wire());
    }

    #[test]
    fn reasons_are_cut_at_a_character_boundary() {
        assert_eq!(truncate_reason("bye"), "bye");
        let fits = "a".repeat(MAX_CLOSE_REASON);
        assert_eq!(truncate_reason(&fits), fits);
        assert_eq!(truncate_reason(&format!("{fits}b")), fits);
        // 'é' is two bytes: the one that would straddle byte 123 goes.
        let straddles = format!("{}é", "a".repeat(MAX_CLOSE_REASON - 1));
        assert_eq!(truncate_reason(&straddles), "a".repeat(MAX_CLOSE_REASON - 1));
        // '€' is three bytes: 41 of them are exactly 123.
        let euros = "€".repeat(42);
        assert_eq!(truncate_reason(&euros), "€".repeat(41));
    }
}
