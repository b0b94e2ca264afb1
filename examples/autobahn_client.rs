//! The Autobahn|TestSuite client testee, on the tokio driver: fetches the
//! case count, runs every case echoing each message, then asks for the
//! reports.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example autobahn_client -- ws://127.0.0.1:9001 AGENT
//! ```

use futures_util::{FutureExt, SinkExt, StreamExt};
use wsproto_tokio::Message;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().or_else(|| std::env::var("AUTOBAHN_URL").ok()).unwrap_or("ws://127.0.0.1:9001".into());
    let agent = args.next().or_else(|| std::env::var("AUTOBAHN_AGENT").ok()).unwrap_or("wsproto".into());

    let mut ws = wsproto_tokio::connect(&format!("{base}/getCaseCount")).await?;
    let count: u32 = match ws.next().await {
        Some(Ok(Message::Text(text))) => text.trim().parse()?,
        other => return Err(format!("no case count: {other:?}").into()),
    };
    while ws.next().await.is_some() {}
    eprintln!("{count} cases");
    for case in 1..=count {
        // A case may end in a refused handshake or a transport error (the
        // suite drops connections on purpose): the next case runs anyway.
        match wsproto_tokio::connect(&format!("{base}/runCase?case={case}&agent={agent}")).await {
            Ok(ws) => echo(ws).await,
            Err(e) => eprintln!("case {case}: {e}"),
        }
    }
    let mut ws = wsproto_tokio::connect(&format!("{base}/updateReports?agent={agent}")).await?;
    while ws.next().await.is_some() {}
    Ok(())
}

/// Echoes every message until the connection is over, flushing when no
/// more is waiting.
async fn echo(mut ws: wsproto_tokio::WebSocket<wsproto_tokio::MaybeTlsStream>) {
    loop {
        let message = match ws.next().now_or_never() {
            Some(message) => message,
            None => {
                let _ = ws.flush().await;
                ws.next().await
            }
        };
        match message {
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                let _ = ws.feed(message).await;
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}
