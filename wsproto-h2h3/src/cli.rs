//! What the `h2_client` and `h3_client` programs share: their command line,
//! and the exchange each WebSocket runs.

use std::error::Error;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite};
use wsproto::CloseCode;
use wsproto_tokio::{Message, WebSocket};

/// `--cert PATH [--streams N] wss://HOST:PORT/PATH [MESSAGE...]`.
#[derive(Debug)]
pub struct ClientArgs {
    /// The server's certificate (its `--cert-out`), trusted as the only root.
    pub cert: CertificateDer<'static>,
    /// How many WebSockets to open on the one connection.
    pub streams: usize,
    /// Where to connect.
    pub url: String,
    /// The text messages each WebSocket sends, one at a time.
    pub messages: Vec<String>,
}

impl ClientArgs {
    /// Reads the process's arguments; `program` names it in the usage text.
    pub fn from_env(program: &str) -> Result<ClientArgs, Box<dyn Error>> {
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
        let usage = format!("usage: {program} --cert PATH [--streams N] wss://HOST:PORT/PATH [MESSAGE...]");
        let url = url.ok_or(usage)?;
        let cert = CertificateDer::from(std::fs::read(cert.ok_or("--cert PATH (the server's --cert-out)")?)?);
        Ok(ClientArgs { cert, streams, url, messages })
    }
}

/// Sends each message on `ws` and prints the text that comes back, then
/// closes cleanly and prints how the connection ended. `stream` labels the
/// output.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut ws: WebSocket<S>,
    stream: usize,
    messages: &[String],
) -> Result<(), Box<dyn Error + Send + Sync>> {
    for message in messages {
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
    Ok(())
}
