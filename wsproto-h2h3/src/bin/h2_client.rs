//! WebSockets over one HTTP/2 connection with the `h2` crate: extended
//! CONNECT (RFC 8441) on as many streams as asked, each sending the given
//! messages and printing what comes back, then closing cleanly.
//!
//! ```text
//! cargo run -p wsproto-h2h3 --bin h2_server -- 127.0.0.1:8443 --cert-out /tmp/cert.der
//! cargo run -p wsproto-h2h3 --bin h2_client -- --cert /tmp/cert.der [--streams N] wss://127.0.0.1:8443/echo hello world
//! ```

use wsproto::Config;
use wsproto::handshake::ClientOptions;
use wsproto_h2h3::cli::{ClientArgs, exchange};
use wsproto_h2h3::client::H2Client;
use wsproto_h2h3::tls::{ALPN_H2, client_config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = ClientArgs::from_env("h2_client")?;
    let parsed = wsproto::handshake::WsUrl::parse(&args.url)?;
    let addr = tokio::net::lookup_host((parsed.host(), parsed.port())).await?.next().ok_or("no address")?;
    let client = H2Client::connect(addr, parsed.host(), client_config(args.cert, &[ALPN_H2])?).await?;
    let mut tasks = Vec::new();
    for stream in 0..args.streams {
        let (client, url, messages) = (client.clone(), args.url.clone(), args.messages.clone());
        tasks.push(tokio::spawn(async move {
            let ws = client.websocket(&url, ClientOptions::new(), Config::default()).await?;
            exchange(ws, stream, &messages).await
        }));
    }
    for task in tasks {
        task.await?.map_err(|e| e.to_string())?;
    }
    Ok(())
}
