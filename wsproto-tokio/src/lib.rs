//! A tokio driver for the [`wsproto`] WebSocket core: the core speaks the
//! protocol, this crate does the I/O.
//!
//! - [`connect`] / [`connect_with`]: a client from a `ws://` URL over TCP,
//!   or a `wss://` one over TLS with the feature `rustls` (rustls, the
//!   Mozilla roots; `connect_with_tls` for a rustls configuration of your
//!   own); [`client`]: over any stream you opened.
//! - [`accept`] / [`accept_with`]: a server, with a callback that sees the
//!   request and answers it (subprotocol, or a rejection with a status);
//!   [`accept_after`] when you already read the first bytes.
//! - [`WebSocket::from_open`]: take over a stream whose upgrade another
//!   HTTP stack answered (hyper's `Upgraded` in `TokioIo`).
//! - [`WebSocket`]: a `Stream` of received [`Message`]s and a `Sink` of
//!   messages to send, with backpressure, keepalive, a write timeout (a
//!   peer that stops reading fails the connection instead of holding a
//!   sender forever) and the close and handshake timeouts on
//!   `tokio::time`, and `split` for two tasks.
//!
//! Errors are [`Error`]: the transport's, the connection's (a refused
//! handshake, a protocol violation, a timeout: the core's
//! [`wsproto::Error`]), or a send the protocol does not allow.
//!
//! # Features
//! - `deflate` (default): permessage-deflate, negotiated by default.
//! - `rustls`: `wss://` in [`connect`] and [`connect_with`] (rustls; the
//!   Mozilla roots of `webpki-roots`; the process's default rustls
//!   provider, else ring), and `connect_with_tls` for a rustls
//!   `ClientConfig` of your own. Without it, a TLS stream you open yourself
//!   goes to [`client`] (and, on a server, to [`accept`]).
//!
//! # Example
//! An echo client: send two messages, read their echoes, close cleanly.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use wsproto_tokio::Message;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), wsproto_tokio::Error> {
//!     let mut ws = wsproto_tokio::connect("ws://127.0.0.1:9001/").await?;
//!     // Fed messages leave together, in one write, at the flush.
//!     ws.feed(Message::text("hello")).await?;
//!     ws.feed(Message::text("world")).await?;
//!     ws.flush().await?;
//!     for _ in 0..2 {
//!         match ws.next().await {
//!             Some(Ok(Message::Text(text))) => println!("echo: {text}"),
//!             Some(Ok(_)) => {}
//!             Some(Err(e)) => return Err(e),
//!             None => break,
//!         }
//!     }
//!     ws.close().await?; // 1000; the stream then ends with the server's answer
//!     while let Some(message) = ws.next().await {
//!         message?;
//!     }
//!     println!("closed: {:?}", ws.closed());
//!     Ok(())
//! }
//! ```
//!
//! A server answering the request:
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use wsproto::handshake::{AcceptOptions, Rejection};
//! use wsproto::Config;
//!
//! # async fn serve() -> Result<(), wsproto_tokio::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! let (stream, _) = listener.accept().await?;
//! let mut ws = wsproto_tokio::accept_with(stream, Config::default(), |request| {
//!     if request.path() != "/chat" {
//!         return Err(Rejection::new(404));
//!     }
//!     Ok(AcceptOptions::new().with_subprotocol("chat"))
//! })
//! .await?;
//! while let Some(message) = ws.next().await {
//!     ws.send(message?).await?; // an echo (pings are answered by the core)
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod error;
mod message;
mod rng;
mod server;
mod socket;
mod stream;
mod transport;

#[cfg(feature = "rustls")]
pub use client::connect_with_tls;
pub use client::{client, connect, connect_with};
pub use error::Error;
pub use message::Message;
pub use server::{accept, accept_after, accept_with};
pub use socket::{DEFAULT_WRITE_BUFFER_LIMIT, DEFAULT_WRITE_TIMEOUT, WebSocket};
pub use transport::MaybeTlsStream;
pub use wsproto;

/// The time handed to the connection: tokio's clock, so a test that pauses
/// tokio's time moves the connection's timers with it.
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}
