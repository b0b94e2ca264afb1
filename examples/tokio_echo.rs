//! The echo server on the tokio driver: one task per connection, any number
//! of concurrent connections.
//!
//! Every text and binary message comes straight back; the first offered
//! subprotocol is chosen. How each connection ended goes to stderr.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example tokio_echo -- 127.0.0.1:9001
//! ```

mod driver_echo;

use tokio::net::TcpListener;
use wsproto::Config;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("tokio echo server listening on ws://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors, a reset before accept: skip it.
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match wsproto_tokio::accept_with(stream, Config::default(), driver_echo::answer).await {
                Ok(ws) => driver_echo::echo(ws, &peer).await,
                Err(e) => eprintln!("{peer}: {e}"),
            }
        });
    }
}
