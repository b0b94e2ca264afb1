//! What the std::net echo server (the bare core) does with each event; the
//! driver's echo servers (tokio_echo, hyper_upgrade) do the same in
//! `examples/driver_echo`, so all three behave alike for the interop tests
//! and the Autobahn suite.

use std::time::Instant;

use wsproto::handshake::AcceptOptions;
use wsproto::{Connection, Event};

/// Accepts an upgrade request (choosing the first offered subprotocol: a
/// testee, not a policy), echoes every text and binary message, and logs
/// failures and the close (code, reason, cleanliness, subprotocol) to
/// stderr, prefixed with `peer`.
pub fn on_event(peer: &dyn std::fmt::Display, conn: &mut Connection, event: Event) {
    match event {
        Event::Request(request) => {
            let mut options = AcceptOptions::new();
            if let Some(first) = request.subprotocols().first() {
                options = options.with_subprotocol(first.clone());
            }
            if let Err(e) = conn.accept(Instant::now(), options) {
                eprintln!("{peer}: accept failed: {e}");
            }
        }
        Event::Text(text) => {
            let _ = conn.send_text(text);
        }
        Event::Binary(data) => {
            let _ = conn.send_binary(data);
        }
        Event::Failed(error) => eprintln!("{peer}: {error}"),
        Event::Closed(closed) => eprintln!(
            "{peer}: closed: code {} reason {:?} clean {} subprotocol {:?}",
            closed.code,
            closed.reason,
            closed.was_clean,
            conn.subprotocol()
        ),
        _ => {}
    }
}
