//! WebSockets over one HTTP/2 connection with the `h2` crate: extended
//! CONNECT (RFC 8441) on as many streams as asked, each sending the given
//! messages and printing what comes back, then closing cleanly.
//!
//! ```text
//! cargo run -p wsproto-h2h3 --bin h2_server -- 127.0.0.1:8443 --cert-out /tmp/cert.der
//! cargo run -p wsproto-h2h3 --bin h2_client -- --cert /tmp/cert.der [--streams N] wss://127.0.0.1:8443/echo hello world
//! ```

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::CertificateDer;
use wsproto::handshake::ClientOptions;
use wsproto::{CloseCode, Config};
use wsproto_h2h3::client::H2Client;
use wsproto_h2h3::tls::{ALPN_H2, client_config};
use wsproto_tokio::Message;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut cert, mut streams, mut url, mut messages) = (None, 1usize, None, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cert" => cert = Some(args.next().ok_or("--cert PATH")?),
            "--streams" => streams = args.next().and_then(|s| s.parse().ok()).ok_or("--streams N")?,
            _ if url.is_none() => url = Some(arg),
            _ => messages.push(arg),
        }
    }
    let url = url.ok_or("usage: h2_client --cert PATH [--streams N] wss://HOST:PORT/PATH [MESSAGE...]")?;
    let cert = CertificateDer::from(std::fs::read(cert.ok_or("--cert PATH (the server's --cert-out)")?)?);
    let parsed = wsproto::handshake::WsUrl::parse(&url)?;
    let addr = tokio::net::lookup_host((parsed.host(), parsed.port())).await?.next().ok_or("no address")?;
    let client = H2Client::connect(addr, parsed.host(), client_config(cert, &[ALPN_H2])?).await?;
    let mut tasks = Vec::new();
    for stream in 0..streams {
        let (client, url, messages) = (client.clone(), url.clone(), messages.clone());
        tasks.push(tokio::spawn(async move {
            let mut ws = client.websocket(&url, ClientOptions::new(), Config::default()).await?;
            for message in &messages {
                ws.send(Message::text(message.as_str())).await?;
                match ws.next().await {
                    Some(Ok(Message::Text(reply))) => println!("stream {stream}: {}", reply.as_str()),
                    other => return Err(format!("stream {stream}: unexpected {other:?}").into()),
                }
            }
            ws.send(Message::close(CloseCode::NORMAL, "bye")).await?;
            while let Some(message) = ws.next().await {
                message?;
            }
            println!("stream {stream}: closed {:?}", ws.closed());
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for task in tasks {
        task.await?.map_err(|e| e.to_string())?;
    }
    Ok(())
}
