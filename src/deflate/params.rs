//! permessage-deflate negotiation (RFC 7692 §5, §7.1): the client's offers,
//! the server's choice and answer, the client's check of that answer.

use core::fmt;

use crate::handshake::ExtensionOffer;

/// The extension token, `permessage-deflate`.
pub const EXTENSION_NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The largest LZ77 window, 2^15 bytes: what a peer may use unless told
/// otherwise (§7.1.2).
pub const MAX_WINDOW_BITS: u8 = 15;
/// The smallest window a peer may be limited to, 2^8 bytes (§7.1.2).
pub const MIN_WINDOW_BITS: u8 = 8;

/// What permessage-deflate a connection offers (client) or accepts (server),
/// and how it compresses. Set in [`Config::deflate`](crate::Config::deflate);
/// the connection negotiates it during the handshake by itself.
///
/// ```
/// use wsproto::deflate::{DeflateConfig, DeflateOffer};
///
/// // A server that keeps memory low: no context kept between messages in
/// // either direction, 4 KiB windows where the client allows it.
/// let server = DeflateConfig::new()
///     .server_no_context_takeover(true)
///     .client_no_context_takeover(true)
///     .server_max_window_bits(12)
///     .client_max_window_bits(12);
/// // A client that prefers a small server window and falls back to the default.
/// let client = DeflateConfig::new()
///     .offers(vec![DeflateOffer::new().server_max_window_bits(10), DeflateOffer::new()]);
/// assert_eq!(
///     wsproto::handshake::ExtensionOffer::format_list(&client.client_offers()),
///     "permessage-deflate; server_max_window_bits=10; client_max_window_bits, \
///      permessage-deflate; client_max_window_bits"
/// );
/// # let _ = server;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Compression level for what we send, 0 (stored) to 9 (smallest).
    /// Default 7: the lowest level that compresses the chat corpus
    /// (`benches/data`) no worse than Python websockets' defaults (0.425 of
    /// its size, where level 1 reaches 0.474), for the same memory.
    pub level: u8,
    /// zlib's memory level for what we send, 1–9 (clamped): the compressor's
    /// hash table and pending buffer take `2^(mem_level + 9)` bytes between
    /// them. Default 5, as Python websockets.
    pub mem_level: u8,
    /// Messages shorter than this many bytes are sent uncompressed (RSV1
    /// clear, which RFC 7692 always allows): compressing a few bytes saves
    /// little and costs a flush. Fragmented messages are always compressed.
    /// Default 32.
    pub min_compress_size: usize,
    /// (Client) The offers, most preferred first, each one
    /// `permessage-deflate` element of `Sec-WebSocket-Extensions`. Default:
    /// one [`DeflateOffer::new`], `permessage-deflate; client_max_window_bits`
    /// (what browsers send).
    pub offers: Vec<DeflateOffer>,
    /// (Server) Answer with `server_no_context_takeover` even when not asked:
    /// our compressor forgets each message after sending it (worse
    /// compression) and holds no state between messages. Default off;
    /// always honoured when the client asks, and implied by
    /// [`shared_compressor`](Self::shared_compressor).
    pub server_no_context_takeover: bool,
    /// (Server) Answer with `client_no_context_takeover`: the client must
    /// compress each message on its own, and our decompressor holds no
    /// state between messages. Default off; always answered when the
    /// client offers it.
    pub client_no_context_takeover: bool,
    /// (Server) The largest window our compressor uses, 8–15 (values
    /// outside are clamped), answered as `server_max_window_bits` when below
    /// 15 or when the client asked for a limit (the smaller one wins). With
    /// 8, messages go out uncompressed: the backend cannot compress with a
    /// 256-byte window. (A client limits its own compressor with
    /// [`client_max_window_bits`](Self::client_max_window_bits).) Default 12.
    pub server_max_window_bits: u8,
    /// (Server) The largest window we let the client compress with, 8–15
    /// (clamped): our decompressor's window. Answered as
    /// `client_max_window_bits` only when the offer carries that parameter
    /// (§7.1.2.2; browsers and this crate's client do) and the value is
    /// below 15; a client whose offer lacks it may use 2^15. (Client) The
    /// largest window our compressor uses: the smaller of this and what the
    /// server allows (a compressor may always use less than it agreed).
    /// Default 12.
    pub client_max_window_bits: u8,
    /// Compress with a state shared by every connection of the thread
    /// (uWebSockets' shared compressor) instead of one per connection: a
    /// server answers `server_no_context_takeover`, and each whole message
    /// is compressed on its own with the thread's state, so a connection
    /// holds no compression memory at any time. A fragmented message gets a
    /// state of its own while it is sent. A client uses it only when
    /// `client_no_context_takeover` is agreed. Default off.
    pub shared_compressor: bool,
}

/// The default compression level (see [`DeflateConfig::level`]).
pub const DEFAULT_LEVEL: u8 = 7;
/// The default memory level (see [`DeflateConfig::mem_level`]).
pub const DEFAULT_MEM_LEVEL: u8 = 5;
/// The default windows (see [`DeflateConfig::server_max_window_bits`]).
pub const DEFAULT_WINDOW_BITS: u8 = 12;

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            level: DEFAULT_LEVEL,
            mem_level: DEFAULT_MEM_LEVEL,
            min_compress_size: 32,
            offers: vec![DeflateOffer::new()],
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: DEFAULT_WINDOW_BITS,
            client_max_window_bits: DEFAULT_WINDOW_BITS,
            shared_compressor: false,
        }
    }
}

impl DeflateConfig {
    /// The defaults: level 7, memory level 5, 2^12-byte windows where the
    /// peer allows them, messages from 32 bytes compressed, the browser's
    /// offer, context takeover unless the peer asks otherwise.
    pub fn new() -> DeflateConfig {
        DeflateConfig::default()
    }

    /// Sets [`DeflateConfig::level`].
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// Sets [`DeflateConfig::mem_level`].
    pub fn mem_level(mut self, mem_level: u8) -> Self {
        self.mem_level = mem_level;
        self
    }

    /// Sets [`DeflateConfig::shared_compressor`].
    pub fn shared_compressor(mut self, on: bool) -> Self {
        self.shared_compressor = on;
        self
    }

    /// Sets [`DeflateConfig::min_compress_size`].
    pub fn min_compress_size(mut self, bytes: usize) -> Self {
        self.min_compress_size = bytes;
        self
    }

    /// Sets [`DeflateConfig::offers`].
    pub fn offers(mut self, offers: Vec<DeflateOffer>) -> Self {
        self.offers = offers;
        self
    }

    /// Sets [`DeflateConfig::server_no_context_takeover`].
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::client_no_context_takeover`].
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::server_max_window_bits`].
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits;
        self
    }

    /// Sets [`DeflateConfig::client_max_window_bits`].
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits;
        self
    }

    /// (Client) The `Sec-WebSocket-Extensions` elements for
    /// [`DeflateConfig::offers`], in order, for
    /// [`ClientOptions::extensions`](crate::handshake::ClientOptions::extensions).
    pub fn client_offers(&self) -> Vec<ExtensionOffer> {
        self.offers.iter().map(DeflateOffer::to_extension).collect()
    }

    /// (Server) Chooses among the client's offers (`extensions` as the
    /// request carried them, any extension): the first `permessage-deflate`
    /// offer this server can honour wins. Offers with a parameter RFC 7692
    /// does not define, a repeated parameter or an invalid value are
    /// declined (§7.1), as are offers that are not `permessage-deflate`.
    /// `None`: nothing to accept; the connection runs uncompressed.
    pub fn accept(&self, extensions: &[ExtensionOffer]) -> Option<Agreement> {
        extensions
            .iter()
            .filter(|e| e.same_name(EXTENSION_NAME))
            .find_map(|e| parse(e, Form::Offer).ok())
            .map(|offer| self.answer(&offer))
    }

    /// The answer to a valid offer (§7.1.1, §7.1.2).
    fn answer(&self, offer: &Parsed) -> Agreement {
        let own_server_bits = self.server_max_window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let own_client_bits = self.client_max_window_bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        let params = DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover
                || self.shared_compressor,
            // §7.1.1.2: the client offered not to take context over; saying
            // so in the answer lets our decompressor drop its state.
            client_no_context_takeover: offer.client_no_context_takeover || self.client_no_context_takeover,
            server_max_window_bits: offer.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS).min(own_server_bits),
            client_max_window_bits: match offer.client_max_window_bits {
                // §7.1.2.2: without the parameter in the offer, the answer must not carry it.
                ClientBits::Absent => MAX_WINDOW_BITS,
                ClientBits::Bare => own_client_bits,
                ClientBits::Value(bits) => bits.min(own_client_bits),
            },
        };
        let mut response = ExtensionOffer::new(EXTENSION_NAME);
        if params.server_no_context_takeover {
            response = response.with_flag(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if params.client_no_context_takeover {
            response = response.with_flag(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        // §7.1.2.1: an offer with the parameter is accepted by answering it.
        if offer.server_max_window_bits.is_some() || params.server_max_window_bits < MAX_WINDOW_BITS {
            response = response.with_param(SERVER_MAX_WINDOW_BITS, params.server_max_window_bits.to_string());
        }
        if params.client_max_window_bits < MAX_WINDOW_BITS {
            response = response.with_param(CLIENT_MAX_WINDOW_BITS, params.client_max_window_bits.to_string());
        }
        Agreement { response, params }
    }
}

/// One `permessage-deflate` offer of a client, RFC 7692 §7.1. It always
/// carries `client_max_window_bits` (with a value, or bare): this crate can
/// compress with any window the server asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DeflateOffer {
    /// Ask the server to compress each message on its own
    /// (`server_no_context_takeover`).
    pub server_no_context_takeover: bool,
    /// Promise to compress each message on our own
    /// (`client_no_context_takeover`); we then do so whatever the answer.
    pub client_no_context_takeover: bool,
    /// Ask the server to use a window of at most 2^N bytes, 8–15
    /// (`server_max_window_bits=N`; values outside are clamped). `None`:
    /// no limit.
    pub server_max_window_bits: Option<u8>,
    /// Our compressor's window, 8–15 (clamped), as
    /// `client_max_window_bits=N`; `None`: `client_max_window_bits` without
    /// a value (2^15, and the server may lower it).
    pub client_max_window_bits: Option<u8>,
}

impl DeflateOffer {
    /// `permessage-deflate; client_max_window_bits`.
    pub fn new() -> DeflateOffer {
        DeflateOffer::default()
    }

    /// Sets [`DeflateOffer::server_no_context_takeover`].
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateOffer::client_no_context_takeover`].
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateOffer::server_max_window_bits`].
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = Some(bits);
        self
    }

    /// Sets [`DeflateOffer::client_max_window_bits`].
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = Some(bits);
        self
    }

    /// The offer as one `Sec-WebSocket-Extensions` element, parameters in
    /// the order of RFC 7692 §7.1.
    pub fn to_extension(&self) -> ExtensionOffer {
        let mut ext = ExtensionOffer::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            ext = ext.with_flag(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            ext = ext.with_flag(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if let Some(bits) = self.server_max_window_bits {
            ext = ext.with_param(SERVER_MAX_WINDOW_BITS, clamp_bits(bits).to_string());
        }
        match self.client_max_window_bits {
            Some(bits) => ext.with_param(CLIENT_MAX_WINDOW_BITS, clamp_bits(bits).to_string()),
            None => ext.with_flag(CLIENT_MAX_WINDOW_BITS),
        }
    }
}

fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// The negotiated parameters as they bind both directions. Window sizes are
/// base-2 logarithms, 15 when the answer did not name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateParams {
    /// The server compresses each message on its own.
    pub server_no_context_takeover: bool,
    /// The client compresses each message on its own.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with (8–15).
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with (8–15).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// Context takeover both ways, 2^15-byte windows: `permessage-deflate`
    /// with no parameters.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl DeflateParams {
    /// Reads a server's answer (one `permessage-deflate` element) without
    /// checking it against any offer: every parameter known, none repeated,
    /// flags without values, window sizes 8–15 in decimal.
    pub fn from_response(extension: &ExtensionOffer) -> Result<DeflateParams, NegotiationError> {
        if !extension.same_name(EXTENSION_NAME) {
            return Err(NegotiationError::NotDeflate(extension.name.clone()));
        }
        let parsed = parse(extension, Form::Response)?;
        Ok(DeflateParams {
            server_no_context_takeover: parsed.server_no_context_takeover,
            client_no_context_takeover: parsed.client_no_context_takeover,
            server_max_window_bits: parsed.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
            client_max_window_bits: match parsed.client_max_window_bits {
                ClientBits::Value(bits) => bits,
                _ => MAX_WINDOW_BITS,
            },
        })
    }

    /// Finds the negotiated permessage-deflate among the extensions of an
    /// opening handshake done elsewhere ([`Open::extensions`](crate::Open)):
    /// `None` if absent, an error if it appears twice or does not parse
    /// ([`DeflateParams::from_response`]).
    pub fn from_extensions(extensions: &[ExtensionOffer]) -> Result<Option<DeflateParams>, NegotiationError> {
        let mut found = extensions.iter().filter(|e| e.same_name(EXTENSION_NAME));
        let Some(first) = found.next() else { return Ok(None) };
        if found.next().is_some() {
            return Err(NegotiationError::DuplicateExtension);
        }
        DeflateParams::from_response(first).map(Some)
    }
}

/// A server's accepted offer: the answer to send and what it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Agreement {
    /// The `permessage-deflate` element for the 101's
    /// `Sec-WebSocket-Extensions`
    /// ([`AcceptOptions::with_extension`](crate::handshake::AcceptOptions::with_extension)).
    pub response: ExtensionOffer,
    /// The parameters in force once the connection opens.
    pub params: DeflateParams,
}

/// (Client) Checks the server's answer against our offers (RFC 7692 §7.1):
/// `offers` are the extensions we sent (any; the `permessage-deflate` ones
/// count), `accepted` those the server's `Sec-WebSocket-Extensions` named.
///
/// `Ok(None)`: the server declined compression. `Ok(Some(params))`: the
/// answer is valid and one of our offers allows it; where the answer is
/// silent, that offer's promises stand (its `client_max_window_bits=N`, its
/// `client_no_context_takeover`). Any fault fails the handshake: an unknown,
/// repeated or malformed parameter, `permessage-deflate` accepted twice,
/// `client_max_window_bits` when no offer carried it, a
/// `server_max_window_bits` larger than we asked for.
///
/// A server may add `server_no_context_takeover`,
/// `client_no_context_takeover` or `server_max_window_bits` unasked
/// (§7.1.1.1, §7.1.1.2, §7.1.2.1); those are accepted. An answer that leaves
/// out a limit we asked for is accepted too and read as it stands (we
/// inflate with a full window, which decodes any stream).
pub fn check_response(
    offers: &[ExtensionOffer],
    accepted: &[ExtensionOffer],
) -> Result<Option<DeflateParams>, NegotiationError> {
    let mut answers = accepted.iter().filter(|e| e.same_name(EXTENSION_NAME));
    let Some(answer) = answers.next() else { return Ok(None) };
    if answers.next().is_some() {
        return Err(NegotiationError::DuplicateExtension);
    }
    let response = parse(answer, Form::Response)?;
    let mut first_fault = None;
    for offer in offers.iter().filter(|e| e.same_name(EXTENSION_NAME)) {
        let Ok(offer) = parse(offer, Form::Offer) else { continue };
        match allowed_by(&offer, &response) {
            Ok(params) => return Ok(Some(params)),
            Err(fault) => {
                first_fault.get_or_insert(fault);
            }
        }
    }
    Err(first_fault.unwrap_or(NegotiationError::NotOffered))
}

/// Whether `offer` allows `response`, and what the two bind together.
fn allowed_by(offer: &Parsed, response: &Parsed) -> Result<DeflateParams, NegotiationError> {
    let client_max_window_bits = match (offer.client_max_window_bits, response.client_max_window_bits) {
        (ClientBits::Absent, ClientBits::Value(_)) => {
            return Err(NegotiationError::NotAllowed(CLIENT_MAX_WINDOW_BITS));
        }
        (ClientBits::Value(ours), ClientBits::Value(theirs)) if theirs > ours => {
            return Err(NegotiationError::NotAllowed(CLIENT_MAX_WINDOW_BITS));
        }
        (_, ClientBits::Value(theirs)) => theirs,
        (ClientBits::Value(ours), _) => ours,
        _ => MAX_WINDOW_BITS,
    };
    if let (Some(ours), Some(theirs)) = (offer.server_max_window_bits, response.server_max_window_bits)
        && theirs > ours
    {
        return Err(NegotiationError::NotAllowed(SERVER_MAX_WINDOW_BITS));
    }
    Ok(DeflateParams {
        server_no_context_takeover: response.server_no_context_takeover,
        client_no_context_takeover: response.client_no_context_takeover || offer.client_no_context_takeover,
        server_max_window_bits: response.server_max_window_bits.unwrap_or(MAX_WINDOW_BITS),
        client_max_window_bits,
    })
}

/// A `permessage-deflate` negotiation that fails the handshake (RFC 7692
/// §7.1), or an answer an application gave that no offer allows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// A parameter RFC 7692 does not define.
    UnknownParameter(String),
    /// A parameter given more than once.
    DuplicateParameter(&'static str),
    /// A parameter with a value it may not have, without a value it needs,
    /// or with a window size that is not 8–15 in decimal.
    InvalidValue(&'static str),
    /// An answer with a parameter none of the offers allows:
    /// `client_max_window_bits` when no offer carried it, or a window larger
    /// than the offer's.
    NotAllowed(&'static str),
    /// `permessage-deflate` accepted when it was not offered.
    NotOffered,
    /// `permessage-deflate` accepted more than once.
    DuplicateExtension,
    /// An element that is not `permessage-deflate` was given as its answer.
    NotDeflate(String),
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::UnknownParameter(p) => write!(f, "unknown permessage-deflate parameter {p:?}"),
            NegotiationError::DuplicateParameter(p) => write!(f, "permessage-deflate parameter {p} repeated"),
            NegotiationError::InvalidValue(p) => write!(f, "invalid value for permessage-deflate parameter {p}"),
            NegotiationError::NotAllowed(p) => {
                write!(f, "permessage-deflate answer has {p}, which no offer allows")
            }
            NegotiationError::NotOffered => f.write_str("permessage-deflate accepted but not offered"),
            NegotiationError::DuplicateExtension => f.write_str("permessage-deflate accepted more than once"),
            NegotiationError::NotDeflate(name) => write!(f, "extension {name:?} is not permessage-deflate"),
        }
    }
}

impl std::error::Error for NegotiationError {}

/// Whether an element is read as a client's offer or a server's answer:
/// only an offer may carry `client_max_window_bits` without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Offer,
    Response,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientBits {
    Absent,
    Bare,
    Value(u8),
}

#[derive(Debug, Clone, Copy)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: ClientBits,
}

/// Reads the parameters of one element (§7.1): each at most once, flags
/// without a value, window sizes `8`..`15` exactly (no sign, no leading
/// zero), a bare `client_max_window_bits` only in an offer.
fn parse(extension: &ExtensionOffer, form: Form) -> Result<Parsed, NegotiationError> {
    let mut parsed = Parsed {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: None,
        client_max_window_bits: ClientBits::Absent,
    };
    let mut seen = [false; 4];
    for (name, value) in &extension.params {
        let (index, known) =
            [SERVER_NO_CONTEXT_TAKEOVER, CLIENT_NO_CONTEXT_TAKEOVER, SERVER_MAX_WINDOW_BITS, CLIENT_MAX_WINDOW_BITS]
                .into_iter()
                .enumerate()
                .find(|(_, known)| name.eq_ignore_ascii_case(known))
                .ok_or_else(|| NegotiationError::UnknownParameter(name.clone()))?;
        if core::mem::replace(&mut seen[index], true) {
            return Err(NegotiationError::DuplicateParameter(known));
        }
        let value = value.as_deref();
        match index {
            0 | 1 => {
                if value.is_some() {
                    return Err(NegotiationError::InvalidValue(known));
                }
                if index == 0 {
                    parsed.server_no_context_takeover = true;
                } else {
                    parsed.client_no_context_takeover = true;
                }
            }
            2 => {
                let bits = value.and_then(window_bits).ok_or(NegotiationError::InvalidValue(known))?;
                parsed.server_max_window_bits = Some(bits);
            }
            _ => {
                parsed.client_max_window_bits = match value {
                    None if form == Form::Offer => ClientBits::Bare,
                    None => return Err(NegotiationError::InvalidValue(known)),
                    Some(v) => ClientBits::Value(window_bits(v).ok_or(NegotiationError::InvalidValue(known))?),
                };
            }
        }
    }
    Ok(parsed)
}

/// `8` to `15`, exactly as RFC 7692 §7.1.2 writes them (`%x38-39 / "1" %x30-35`).
fn window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [d @ b'8'..=b'9'] => Some(d - b'0'),
        [b'1', d @ b'0'..=b'5'] => Some(10 + d - b'0'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bits_follow_the_abnf() {
        for (text, bits) in [("8", Some(8)), ("9", Some(9)), ("10", Some(10)), ("15", Some(15))] {
            assert_eq!(window_bits(text), bits);
        }
        for bad in ["7", "16", "08", "+9", "9 ", "", "1", "150", "0x9"] {
            assert_eq!(window_bits(bad), None, "{bad:?}");
        }
    }
}
