//! WebSockets over one HTTP/3 connection (RFC 9220) on quinn: extended
//! CONNECT on as many request streams as asked, each sending the given
//! messages and printing the echoes, then closing cleanly.
//!
//! ```text
//! cargo run -p wsproto-h2h3 --bin h3_client -- --cert /tmp/cert.der [--streams N] wss://localhost:8444/echo hello world
//! ```

use wsproto::Config;
use wsproto::handshake::ClientOptions;
use wsproto_h2h3::cli::{ClientArgs, exchange};
use wsproto_h2h3::h3::H3Client;
use wsproto_h2h3::tls::{ALPN_H3, client_config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = ClientArgs::from_env("h3_client")?;
    let parsed = wsproto::handshake::WsUrl::parse(&args.url)?;
    let addr = tokio::net::lookup_host((parsed.host(), parsed.port())).await?.next().ok_or("no address")?;
    let client =
        std::sync::Arc::new(H3Client::connect(addr, parsed.host(), client_config(args.cert, &[ALPN_H3])?).await?);
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
