//! The driver issue's client on wsproto-tokio, as the README teaches it: 10,000
//! text messages of 100 bytes to an echo server with a ping every second, a clean
//! close, messages/s (tokio-tungstenite's: ../shared/baseline).
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use wsproto::{CloseCode, Utf8Bytes};
use wsproto_tokio::Message;

const WINDOW: usize = 1000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001/".into());
    let total: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let name = args.next().unwrap_or_default();

    let mut ws = wsproto_tokio::connect(&url).await?;
    let payload = Utf8Bytes::from(format!("{name:-<100}"));
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let (mut sent, mut received, mut foreign, mut pings, mut pongs) = (0, 0, 0, 0, 0);
    while received < total {
        while sent < total && sent - received < WINDOW {
            ws.feed(Message::Text(payload.clone())).await?;
            sent += 1;
        }
        ws.flush().await?;
        tokio::select! {
            msg = ws.next() => match msg.ok_or("connection ended")?? {
                Message::Text(text) if text == payload => received += 1,
                Message::Text(_) => foreign += 1,
                Message::Pong(_) => pongs += 1,
                _ => {}
            },
            _ = ticker.tick() => {
                ws.send(Message::Ping("hb".into())).await?;
                pings += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{total} echoes in {secs:.3} s: {:.0} messages/s", total as f64 / secs);
    ws.send(Message::close(CloseCode::NORMAL, "done")).await?;
    while let Some(msg) = ws.next().await {
        msg?;
    }
    eprintln!("closed: {:?} (pings {pings}, pongs {pongs}, foreign {foreign})", ws.closed());
    Ok(())
}
