//! The echo server on tokio: one task per connection, any number of
//! concurrent connections. The sans-IO loop is the same as over std::net;
//! only the waiting changes: a read and a sleep until
//! [`Connection::poll_timeout`] race in `select!` (see
//! `examples/tokio_support/mod.rs`).
//!
//! Every text and binary message comes straight back; the first offered
//! subprotocol is chosen. How each connection ended goes to stderr.
//!
//! ```text
//! cargo run --release --example tokio_echo -- 127.0.0.1:9001
//! ```

mod tokio_support;

use std::time::Instant;

use tokio::net::TcpListener;
use wsproto::handshake::AcceptOptions;
use wsproto::{Config, Connection, Event};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("tokio echo server listening on ws://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let mut conn = Connection::server(Config::default(), Instant::now());
            let result = tokio_support::drive(stream, &mut conn, |conn, event| match event {
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
            })
            .await;
            if let Err(e) = result {
                eprintln!("{peer}: transport error: {e}");
            }
        });
    }
}
