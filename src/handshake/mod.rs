//! The opening handshake (RFC 6455 §4): the HTTP/1.1 upgrade, sans-IO.
//!
//! Usable on its own, and driven by the connection. Nothing here reads a
//! socket, a clock or a random source of its own: bytes come in as slices,
//! responses go out into the caller's buffer, and the client nonce comes
//! from the caller's [`RandomSource`](crate::RandomSource).
//!
//! # Server
//! [`RequestParser::parse`] takes the input buffered so far and answers
//! `Incomplete` until the head's blank line has arrived, then a validated
//! [`Request`] and the number of bytes the head took (the rest, frames a
//! client pipelined, stays with the caller). The application then answers
//! with [`write_accept_response`] and its [`AcceptOptions`], or with a
//! [`Rejection`]. A faulty request is a [`RequestError`] that knows its
//! status (400, 405, 426 or 431) and writes its own response. Servers that
//! parse HTTP themselves call [`Request::from_parts`] and [`accept_headers`].
//!
//! # Client
//! [`ClientHandshake`] parses a `ws://` or `wss://` URL ([`WsUrl`]), writes
//! the request, and validates the response incrementally in the same way,
//! returning the negotiated [`Response`] and the bytes the head took.
//!
//! # HTTP/2 and HTTP/3
//! [`extended_connect`] speaks RFC 8441 and RFC 9220 on fields an HTTP/2
//! or HTTP/3 stack has parsed: [`ConnectRequest`] and [`ConnectClient`].
//!
//! # Limits
//! [`HandshakeLimits`] bounds the head's size and header count. Input is
//! scanned once, however it is split, and httparse runs only on a whole
//! head, so a peer feeding one byte at a time costs linear time.
//!
//! # Errors
//! Faults of the peer ([`RequestError`], [`ResponseError`]) are separate
//! from misuse of this API ([`UsageError`]: choosing a subprotocol the
//! client did not offer, a header with a line break, a bad URL).
//!
//! ```
//! use wsproto::frame::Decoded;
//! use wsproto::handshake::{AcceptOptions, RequestParser, write_accept_response};
//!
//! let input = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
//! let mut parser = RequestParser::default();
//! let Decoded::Complete((request, used)) = parser.parse(input)? else { panic!("incomplete") };
//! assert_eq!((request.path(), used), ("/chat", input.len()));
//!
//! let mut out = Vec::new();
//! write_accept_response(&request, &AcceptOptions::new().with_subprotocol("chat"), &mut out)?;
//! assert_eq!(
//!     out,
//!     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
//!       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accept;
mod client;
mod client_options;
mod error;
pub mod extended_connect;
mod extensions;
mod head;
mod headers;
mod limits;
mod offers;
mod request;
mod response;
mod url;

pub use accept::{WEBSOCKET_GUID, WEBSOCKET_VERSION, derive_accept, generate_key, is_valid_key};
pub use client::{ClientHandshake, Response};
pub use client_options::ClientOptions;
pub use error::{RequestError, ResponseError, UsageError};
pub use extended_connect::{
    ConnectAccepted, ConnectClient, ConnectRequest, ConnectRequestError, ConnectResponseError, PseudoHeader,
    WEBSOCKET_PROTOCOL,
};
pub use extensions::{ExtensionOffer, ExtensionParseError};
pub use head::SyntaxError;
pub use headers::{HeaderName, Headers};
pub use limits::{DEFAULT_MAX_ERROR_BODY, DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS, HandshakeLimits};
pub use request::{Request, RequestParser};
pub use response::{AcceptOptions, Rejection, accept_headers, reason_phrase, write_accept_response};
pub use url::{UrlError, WsUrl};
