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

mod echo;
mod tokio_support;

use std::time::Instant;

use tokio::net::TcpListener;

use wsproto::{Config, Connection};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("tokio echo server listening on ws://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = tokio_support::accept(&listener).await;
        tokio::spawn(async move {
            let mut conn = Connection::server(Config::default(), Instant::now());
            let result =
                tokio_support::drive(stream, &mut conn, |conn, event| echo::on_event(&peer, conn, event)).await;
            if let Err(e) = result {
                eprintln!("{peer}: transport error: {e}");
            }
        });
    }
}
