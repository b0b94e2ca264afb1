//! The echo server on the tokio driver: one task per connection, any number
//! of concurrent connections.
//!
//! Every text and binary message comes straight back; the first offered
//! subprotocol is chosen. How each connection ended goes to stderr.
//!
//! With `--tls CERT KEY` (PEM files: the certificate chain, then its
//! private key) it serves `wss://`: TLS by rustls in front of the same
//! `accept_with`, which takes any stream.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example tokio_echo -- 127.0.0.1:9001
//! cargo run --release -p wsproto-examples --example tokio_echo -- 127.0.0.1:9443 \
//!     --tls interop/tls/localhost.pem interop/tls/localhost.key
//! ```

mod driver_echo;
mod tls;

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use wsproto::Config;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut acceptor = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => {
                let usage = "--tls needs CERT.pem KEY.pem";
                let (cert, key) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
                acceptor = Some(tls::acceptor(&cert, &key)?);
            }
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr).await?;
    let scheme = if acceptor.is_some() { "wss" } else { "ws" };
    eprintln!("tokio echo server listening on {scheme}://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors, a reset before accept: skip it.
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let Some(acceptor) = acceptor else { return serve(stream, peer).await };
            match tls::accept(&acceptor, stream).await {
                Ok(stream) => serve(stream, peer).await,
                Err(e) => eprintln!("{peer}: {e}"),
            }
        });
    }
}

/// Answers the upgrade on `stream` (TCP, or TLS over it), then echoes.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, peer: SocketAddr) {
    match wsproto_tokio::accept_with(stream, Config::default(), driver_echo::answer).await {
        Ok(ws) => driver_echo::echo(ws, &peer).await,
        Err(e) => eprintln!("{peer}: {e}"),
    }
}
