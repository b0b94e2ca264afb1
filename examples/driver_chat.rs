//! The chat room of the driver issue on wsproto-tokio, as the README teaches it: each
//! text message is broadcast to everyone. Keepalive (a ping after 20 s of silence, the
//! member dropped if silent 30 s more) is the connection's; permessage-deflate is on.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use wsproto::handshake::AcceptOptions;
use wsproto::{CloseCode, Config, Utf8Bytes};
use wsproto_tokio::{Error, Message};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9003".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("chat on ws://{addr}/");
    let (room, _) = broadcast::channel::<Utf8Bytes>(1 << 16);
    loop {
        let (stream, peer) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            if let Err(e) = member(stream, room).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

async fn member(io: TcpStream, room: broadcast::Sender<Utf8Bytes>) -> Result<(), Error> {
    io.set_nodelay(true)?;
    let config = Config::default().ping_interval(Some(Duration::from_secs(20)));
    let mut ws = wsproto_tokio::accept_with(io, config, |_| Ok(AcceptOptions::new())).await?;
    let mut inbox = room.subscribe();
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => { let _ = room.send(text); }
                Some(Ok(_)) => {}
                None => return Ok(()),
                Some(Err(e)) => return Err(e),
            },
            msg = inbox.recv() => {
                // Everything waiting in the inbox goes out in one write.
                let mut msg = msg;
                loop {
                    match msg {
                        Ok(text) => ws.feed(Message::Text(text)).await?,
                        Err(RecvError::Lagged(_)) => break ws.feed(Message::close(CloseCode::POLICY_VIOLATION, "too slow")).await?,
                        Err(RecvError::Closed) => unreachable!("the room lives forever"),
                    }
                    msg = match inbox.try_recv() {
                        Ok(text) => Ok(text),
                        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                        Err(_) => break,
                    };
                }
                ws.flush().await?;
            }
        }
    }
}
