//! The Autobahn|TestSuite client testee: fetches the case count, runs every
//! case echoing each message, then asks for the reports.
//!
//! ```text
//! cargo run --release --example autobahn_client -- ws://127.0.0.1:9001 AGENT
//! ```

mod support;

use std::net::TcpStream;
use std::time::Instant;

use wsproto::handshake::{ClientOptions, WsUrl};
use wsproto::{Config, Connection, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().or_else(|| std::env::var("AUTOBAHN_URL").ok()).unwrap_or("ws://127.0.0.1:9001".into());
    let agent = args.next().or_else(|| std::env::var("AUTOBAHN_AGENT").ok()).unwrap_or("wsproto".into());

    let mut count = 0u32;
    run(&format!("{base}/getCaseCount"), |_, event| {
        if let Event::Text(text) = event {
            count = text.trim().parse().unwrap_or(0);
        }
    })?;
    eprintln!("{count} cases");
    for case in 1..=count {
        run(&format!("{base}/runCase?case={case}&agent={agent}"), |conn, event| match event {
            Event::Text(text) => {
                let _ = conn.send_text(text);
            }
            Event::Binary(data) => {
                let _ = conn.send_binary(data);
            }
            _ => {}
        })?;
    }
    run(&format!("{base}/updateReports?agent={agent}"), |_, _| {})?;
    Ok(())
}

/// Opens one connection to `url` and drives it to the end.
fn run(url: &str, mut on_event: impl FnMut(&mut Connection, Event)) -> Result<(), Box<dyn std::error::Error>> {
    let parsed = WsUrl::parse(url)?;
    let mut stream = TcpStream::connect((parsed.host(), parsed.port()))?;
    let mut conn = Connection::connect(url, ClientOptions::new(), Config::default(), Instant::now())?;
    // A case may end with a transport error (the suite drops connections on purpose).
    let _ = support::drive(&mut stream, &mut conn, |conn, event| on_event(conn, event));
    Ok(())
}
