//! The end-to-end echo server: one library's idiomatic tokio echo server on a
//! single-threaded runtime, one task per connection, for `benches/e2e.py`.
//!
//! ```text
//! e2e_server --lib wsproto|tungstenite|fastwebsockets|tokio-websockets [--addr 127.0.0.1:9100]
//! ```
//!
//! Each server is written the way its library's docs and examples teach:
//! - wsproto: `wsproto_tokio::accept`, then the `Stream` + `Sink` echo of
//!   the driver's echo example (`examples/driver_echo`): echoes are fed as
//!   messages arrive and flushed when no more is ready.
//! - tokio-tungstenite: `accept_async`, then the same feed-then-flush echo
//!   (what its echo example's `forward` does).
//! - tokio-websockets: `ServerBuilder::accept`, then the same feed-then-flush
//!   echo; inside `tokio::task::unconstrained`, as its echo example.
//! - fastwebsockets: hyper 1 serves the upgrade (`upgrade::upgrade`), the
//!   socket is read with `read_frame` and each frame written back with
//!   `write_frame` (it has no batching), inside `unconstrained`, as its echo
//!   example.
//!
//! Every accepted socket gets `TCP_NODELAY`. No extension is negotiated (the
//! load generator offers none). The server prints `listening <addr>` once
//! bound, then runs until killed.

use std::io;

use futures_util::{FutureExt, SinkExt, Stream, StreamExt};
use tokio::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    let mut lib = None;
    let mut addr = "127.0.0.1:9100".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lib" => lib = args.next(),
            "--addr" => addr = args.next().expect("--addr needs a value"),
            other => panic!("unknown argument {other}"),
        }
    }
    let lib = lib.expect("--lib wsproto|tungstenite|fastwebsockets|tokio-websockets");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening {}", listener.local_addr()?);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match lib.as_str() {
                "wsproto" => drop(tokio::spawn(wsproto_echo(stream))),
                "tungstenite" => drop(tokio::spawn(tungstenite_echo(stream))),
                "tokio-websockets" => drop(tokio::spawn(tokio::task::unconstrained(tokio_websockets_echo(stream)))),
                "fastwebsockets" => drop(tokio::spawn(fastwebsockets::serve(stream))),
                other => panic!("unknown library {other}"),
            }
        }
    })
}

/// Feeds every text and binary message back as it arrives and flushes when
/// no more is ready, so a burst of echoes leaves in one write; ends at the
/// stream's end or first error.
async fn feed_echo<M, E, W>(ws: &mut W, is_data: impl Fn(&M) -> bool)
where
    W: Stream<Item = Result<M, E>> + futures_util::Sink<M> + Unpin,
{
    loop {
        // `next` is cancel-safe in all three: trying it without waiting loses nothing.
        let message = match ws.next().now_or_never() {
            Some(message) => message,
            None => {
                if ws.flush().await.is_err() {
                    return;
                }
                ws.next().await
            }
        };
        match message {
            Some(Ok(message)) if is_data(&message) => {
                if ws.feed(message).await.is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

async fn wsproto_echo(stream: TcpStream) {
    use wsproto_tokio::Message;
    let Ok(mut ws) = wsproto_tokio::accept(stream).await else { return };
    feed_echo(&mut ws, |m| matches!(m, Message::Text(_) | Message::Binary(_))).await;
}

async fn tungstenite_echo(stream: TcpStream) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    feed_echo(&mut ws, |m: &tokio_tungstenite::tungstenite::Message| m.is_text() || m.is_binary()).await;
}

async fn tokio_websockets_echo(stream: TcpStream) {
    let Ok((_request, mut ws)) = tokio_websockets::ServerBuilder::new().accept(stream).await else { return };
    feed_echo(&mut ws, |m: &tokio_websockets::Message| m.is_text() || m.is_binary()).await;
}

/// fastwebsockets' echo server, as its `examples/echo_server.rs`.
mod fastwebsockets {
    use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
    use http_body_util::Empty;
    use hyper::body::{Bytes, Incoming};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response};
    use tokio::net::TcpStream;

    pub async fn serve(stream: TcpStream) {
        let io = hyper_util::rt::TokioIo::new(stream);
        let _ = http1::Builder::new().serve_connection(io, service_fn(server_upgrade)).with_upgrades().await;
    }

    async fn server_upgrade(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
        let (response, fut) = upgrade::upgrade(&mut req)?;
        tokio::task::spawn(tokio::task::unconstrained(async move {
            let _ = handle_client(fut).await;
        }));
        Ok(response)
    }

    async fn handle_client(fut: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
        let mut ws = FragmentCollector::new(fut.await?);
        loop {
            let frame = ws.read_frame().await?;
            match frame.opcode {
                OpCode::Close => break,
                OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
                _ => {}
            }
        }
        Ok(())
    }
}
