//! A line-oriented client on the tokio driver: each stdin line goes out as
//! a text message, each received message prints on its own line. The end of
//! stdin (Ctrl-D, or the end of piped input) closes with 1000; the client
//! exits once the close handshake is over: status 0 after a clean close,
//! 1 after a failure (a refused handshake, a protocol error, the server
//! vanishing), with the reason on stderr.
//!
//! `wss://` URLs are opened over TLS (rustls, the Mozilla roots).
//!
//! ```text
//! cargo run --release -p wsproto-examples --example client -- ws://127.0.0.1:9001/path [--ping-interval SECS]
//! printf 'a\nb\n' | cargo run --release -p wsproto-examples --example client -- ws://127.0.0.1:9001/
//! ```

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use wsproto::handshake::ClientOptions;
use wsproto::{CloseCode, Config};
use wsproto_tokio::Message;

#[tokio::main]
async fn main() {
    // `std::process::exit`: a read of the terminal may still be pending, and
    // the runtime would wait for it on the way out.
    std::process::exit(match run().await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    })
}

/// Whether the connection closed cleanly.
async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let mut url = None;
    let mut ping_interval = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ping-interval" => {
                let secs: f64 = args.next().ok_or("--ping-interval needs SECS")?.parse()?;
                ping_interval = Some(Duration::from_secs_f64(secs));
            }
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or("usage: client ws[s]://HOST:PORT/PATH [--ping-interval SECS]")?;
    let config = Config::default().ping_interval(ping_interval);
    // Lines are read only once the connection is open: none is lost to the handshake.
    let mut ws = wsproto_tokio::connect_with(&url, ClientOptions::new(), config).await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut reading_stdin = true;
    loop {
        tokio::select! {
            // Both are cancel-safe: losing the race loses no line and no byte.
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => println!("{text}"),
                Some(Ok(Message::Binary(data))) => println!("<{} bytes of binary>", data.len()),
                Some(Ok(_)) => {}
                Some(Err(e)) => eprintln!("error: {e}"),
                None => break,
            },
            line = lines.next_line(), if reading_stdin => match line? {
                Some(line) => ws.send(Message::text(line)).await?,
                None => {
                    reading_stdin = false;
                    ws.send(Message::close(CloseCode::NORMAL, "")).await?;
                }
            },
        }
    }
    let closed = ws.closed().ok_or("the connection ended without a close")?;
    eprintln!("closed: code {} reason {:?} clean {}", closed.code, closed.reason, closed.was_clean);
    Ok(closed.was_clean)
}
