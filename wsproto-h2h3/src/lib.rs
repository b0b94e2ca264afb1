//! WebSockets over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220) extended
//! CONNECT, on the sans-IO `wsproto` core and its tokio driver.
//!
//! Every HTTP/2, HTTP/3 and TLS dependency of the workspace lives in this
//! package (examples and tests, never published); the core only sees the
//! parsed header fields ([`wsproto::handshake::extended_connect`]).
//!
//! - [`server`]: hyper over TLS (ALPN `h2` and `http/1.1` on one port),
//!   the chat page, the chat and an echo over either an HTTP/2 stream or
//!   an HTTP/1.1 upgrade, and a record of how each WebSocket came;
//! - [`client`]: extended CONNECT with the `h2` crate, several WebSockets
//!   on one HTTP/2 connection;
//! - [`h2_stream`]: an `h2` stream as a tokio byte stream for the driver;
//! - [`h3`]: WebSockets over HTTP/3 (RFC 9220) on quinn, server and
//!   client;
//! - [`tls`]: a certificate generated at start, rustls on ring.

pub mod chat;
pub mod cli;
pub mod client;
pub mod h2_stream;
pub mod h3;
pub mod server;
pub mod tls;
