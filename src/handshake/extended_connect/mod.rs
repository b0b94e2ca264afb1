//! WebSockets over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220): the extended
//! CONNECT handshake, sans-IO, on header fields an HTTP stack has already
//! parsed.
//!
//! There is no key, no accept hash and no `Upgrade`: a client opens a
//! stream with `:method CONNECT` and `:protocol websocket`, the server
//! answers `200` (any 2xx), and the stream carries WebSocket frames from
//! then on, each direction ending with END_STREAM (a QUIC FIN for HTTP/3)
//! after the close frames. Both HTTP versions use the same fields; which
//! one carries them is the caller's business.
//!
//! The HTTP/2 or HTTP/3 stack (h2, hyper, h3, ...) does the framing and
//! must advertise `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` (a server), or see
//! the peer's (a client), before such a request may be sent. Fields are
//! given and returned as name and value pairs; pseudo-header fields
//! (`:method`, `:protocol`, `:scheme`, `:authority`, `:path`, `:status`)
//! come first, as on the wire. Names compare case-insensitively here;
//! the fields we build have the lower-case names HTTP/2 and HTTP/3 require.
//!
//! # Server
//! [`ConnectRequest::from_fields`] validates a request ([`ConnectRequestError`]
//! knows its refusal: a status and fields); [`ConnectRequest::accept`]
//! builds the `200` and its fields, and the [`Open`](crate::Open) to give
//! [`Connection::open`](crate::Connection::open), permessage-deflate
//! answered per [`Config::deflate`](crate::Config).
//!
//! # Client
//! [`ConnectClient::new`] prepares the request's fields from a URL, the
//! [`ClientOptions`](super::ClientOptions) and the permessage-deflate offers
//! of the [`Config`](crate::Config); [`ConnectClient::check_response`]
//! validates the server's answer and returns the [`Open`](crate::Open).
//!
//! ```
//! use std::time::Instant;
//! use wsproto::handshake::{AcceptOptions, ClientOptions, ConnectClient, ConnectRequest};
//! use wsproto::{Config, Connection, Role, Transport};
//!
//! // The client's HEADERS frame.
//! let client = ConnectClient::new("wss://example.com/chat", ClientOptions::new().with_subprotocol("chat"), &Config::default())?;
//! let fields = client.request_fields();
//! assert_eq!(fields[0], (":method".to_owned(), "CONNECT".to_owned()));
//!
//! // The server: validate, answer 200, open on the stream.
//! let request = ConnectRequest::from_fields(fields.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))?;
//! let accepted = request.accept(AcceptOptions::new().with_subprotocol("chat"), &Config::default())?;
//! assert_eq!(accepted.status, 200);
//! assert_eq!(accepted.fields[0], ("sec-websocket-protocol".to_owned(), "chat".to_owned()));
//! let server = Connection::open(Role::Server, accepted.open.clone(), Config::default(), Instant::now());
//!
//! // The client checks the answer and opens too.
//! let open = client.check_response(accepted.status, accepted.fields.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))?;
//! assert_eq!((open.subprotocol.as_deref(), open.transport), (Some("chat"), Transport::ExtendedConnect));
//! assert!(server.deflate().is_some());
//! let client = Connection::open(Role::Client, open, Config::default(), Instant::now());
//! # drop(client);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod error;
mod server;

pub use client::ConnectClient;
pub use error::{ConnectRequestError, ConnectResponseError, PseudoHeader};
#[cfg(feature = "deflate")]
pub(crate) use server::answer_deflate;
pub use server::{ConnectAccepted, ConnectRequest};

/// The `:protocol` value that asks for a WebSocket (RFC 8441 §4).
pub const WEBSOCKET_PROTOCOL: &str = "websocket";
