//! A sans-IO WebSocket core: RFC 6455, with RFC 7692 permessage-deflate
//! (feature `deflate`, on by default). Bytes in, events out.
//!
//! The crate never opens a socket, reads a clock, draws random numbers or
//! spawns a task. The caller owns the transport, the time and the event loop
//! (std::net, tokio, an HTTP/2 stream, a test harness, a fuzzer) and hands
//! the protocol what it reads, when it reads it.
//!
//! On tokio, the `wsproto-tokio` crate of this workspace drives connections
//! for you (`connect`, `accept`, a `Stream` + `Sink` of messages); this
//! crate is for driving them yourself.
//!
//! # Layers, each usable on its own
//! - [`frame`]: frame headers, opcodes, masking (RFC 6455 §5).
//! - [`handshake`]: the HTTP/1.1 upgrade, client and server (§4).
//! - `deflate` (feature `deflate`): permessage-deflate negotiation and
//!   per-message compression with the inflated size bounded (RFC 7692).
//! - [`Connection`]: the state machine that drives both, turns frames into
//!   messages, answers pings, keeps a long-lived connection alive and closes
//!   it cleanly.
//!
//! # Driving a connection
//! The contract, for every transport:
//! 1. Read the transport straight into the room [`Connection::read_buf`]
//!    lends and report the count to [`Connection::handle_read`] (or hand
//!    bytes already read to [`Connection::handle_input`], which copies
//!    them); its end to [`Connection::handle_eof`]; when the deadline from
//!    [`Connection::poll_timeout`] has passed, call
//!    [`Connection::handle_timeout`]. Each takes `now`.
//! 2. Drain [`Connection::poll_event`] and act on each [`Event`]; commands
//!    such as [`Connection::send_text`] or [`Connection::close`] only queue.
//! 3. Write out everything queued: [`Connection::transmit_with`] hands it
//!    to your (vectored) write, or take it piece by piece from
//!    [`Connection::poll_transmit`].
//! 4. Close the transport once [`Connection::should_close_transport`].
//!
//! No order of these calls is needed for correctness; this one is the fast
//! one. Frames are decoded as events are polled, so [`Connection::state`]
//! follows the events polled (its docs say exactly when it changes).
//!
//! A complete echo server over `std::net` (one thread per connection):
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::time::Instant;
//! use wsproto::handshake::AcceptOptions;
//! use wsproto::{Config, Connection, Event};
//!
//! fn serve(mut stream: TcpStream) -> std::io::Result<()> {
//!     let mut conn = Connection::server(Config::default(), Instant::now());
//!     let mut discard = [0u8; 512];
//!     // A peer that stops taking our output fails the write within 30 to
//!     // 60 s, rather than holding this thread forever.
//!     stream.set_write_timeout(Some(std::time::Duration::from_secs(30)))?;
//!     loop {
//!         // 2. events
//!         while let Some(event) = conn.poll_event() {
//!             match event {
//!                 Event::Request(_) => conn.accept(Instant::now(), AcceptOptions::new()).unwrap(),
//!                 Event::Text(text) => { let _ = conn.send_text(text); }
//!                 Event::Binary(data) => { let _ = conn.send_binary(data); }
//!                 _ => {}
//!             }
//!         }
//!         // 3. output
//!         conn.transmit_with(|bufs| stream.write_vectored(bufs))?;
//!         // 4. the end
//!         if conn.should_close_transport() {
//!             return Ok(());
//!         }
//!         // 1. input, waiting at most until the next deadline
//!         let timeout = conn.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
//!         stream.set_read_timeout(timeout.map(|t| t.max(std::time::Duration::from_millis(1))))?;
//!         // (into the connection's own buffer; once it reads no more, only
//!         // the end of the stream matters)
//!         let room = conn.read_buf();
//!         let reading = room.is_some();
//!         match stream.read(room.unwrap_or(&mut discard)) {
//!             Ok(0) => conn.handle_eof(Instant::now()),
//!             Ok(n) if reading => conn.handle_read(Instant::now, n),
//!             Ok(_) => {}
//!             Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
//!                 conn.handle_timeout(Instant::now())
//!             }
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//!
//! let listener = TcpListener::bind("127.0.0.1:9001")?;
//! for stream in listener.incoming() {
//!     let stream = stream?;
//!     std::thread::spawn(move || serve(stream));
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # A connection in memory
//!
//! No socket is needed to see the whole life of a connection: here a client
//! and a server pass bytes to each other directly.
//!
//! ```
//! use std::time::Instant;
//! use wsproto::handshake::{AcceptOptions, ClientOptions};
//! use wsproto::rng::PredictableRandom;
//! use wsproto::{CloseCode, Config, Connection, Event, State};
//!
//! let now = Instant::now();
//! let options = ClientOptions::new().with_subprotocol("chat");
//! let mut client = Connection::connect_with_random("ws://example.com/im", options, Config::default(), PredictableRandom::new(1), now)?;
//! let mut server = Connection::server(Config::default(), now);
//!
//! // Moves everything one side has queued to the other.
//! fn pump(from: &mut Connection, to: &mut Connection, now: Instant) {
//!     while let Some(bytes) = from.poll_transmit() {
//!         to.handle_input(now, &bytes);
//!     }
//! }
//!
//! pump(&mut client, &mut server, now); // the upgrade request
//! let Some(Event::Request(request)) = server.poll_event() else { panic!() };
//! assert_eq!(request.path(), "/im");
//! server.accept(now, AcceptOptions::new().with_subprotocol("chat"))?;
//! pump(&mut server, &mut client, now); // the 101 response
//! assert!(matches!(client.poll_event(), Some(Event::Open(open)) if open.subprotocol.as_deref() == Some("chat")));
//!
//! client.send_text("hello")?;
//! pump(&mut client, &mut server, now);
//! assert!(matches!(server.poll_event(), Some(Event::Open(_))));
//! assert_eq!(server.poll_event(), Some(Event::Text("hello".into())));
//!
//! client.close(now, CloseCode::NORMAL, "bye")?;
//! pump(&mut client, &mut server, now); // the close frame...
//! pump(&mut server, &mut client, now); // ...and its echo
//! let Some(Event::Closed(closed)) = server.poll_event() else { panic!() };
//! assert_eq!((closed.code, closed.reason.as_str(), closed.was_clean), (CloseCode::NORMAL, "bye", true));
//! assert_eq!(client.state(), State::Closing); // the server's close frame is decoded when polled
//! assert!(matches!(client.poll_event(), Some(Event::Closed(c)) if c.was_clean));
//! assert_eq!(client.state(), State::Closed);
//! assert!(server.should_close_transport()); // the server closes TCP first
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it guarantees
//! - Every peer fault becomes a typed error with its close code (1002,
//!   1007, 1009) or HTTP status (400, 426, 431), never a panic.
//! - Memory held by a connection is bounded by its [`Config`] limits,
//!   whatever the peer sends.
//! - Time and randomness come in through the API: tests are deterministic.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod close;
mod config;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
mod error;
mod event;
pub mod frame;
pub mod handshake;
mod now;
mod payload;
pub mod rng;
mod role;
mod text;
pub mod utf8;

pub use close::CloseCode;
pub use config::Config;
pub use connection::{Connection, PreparedMessage, State};
pub use error::{AnswerError, CompressionViolation, Error, ProtocolError, SendError};
pub use event::{Closed, Event, EventRef, MessageKind, Open, Transport};
pub use now::Now;
pub use payload::{Payload, TextPayload};
pub use rng::RandomSource;
#[cfg(feature = "getrandom")]
pub use rng::SecureRandom;
pub use role::Role;
pub use text::Utf8Bytes;

// The README's code blocks run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
