//! An echo server: every text and binary message comes straight back.
//! The Autobahn server testee and the README's demo.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example echo_server -- 127.0.0.1:9001
//! ```

mod echo;
mod support;

use std::net::TcpListener;
use std::time::Instant;

use wsproto::{Config, Connection};

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo server listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        std::thread::spawn(move || {
            let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            let mut conn = Connection::server(Config::default(), Instant::now());
            let result = support::drive(&mut stream, &mut conn, |conn, event| echo::on_event(&peer, conn, event));
            if let Err(e) = result {
                eprintln!("{peer}: transport error: {e}");
            }
        });
    }
    Ok(())
}
