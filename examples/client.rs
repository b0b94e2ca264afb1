//! A line-oriented client on the tokio driver: each stdin line goes out as
//! a text message, each received message prints on its own line. The end of
//! stdin (Ctrl-D, or the end of piped input) closes with 1000; the client
//! exits once the close handshake is over: status 0 after a clean close,
//! 1 after a failure (a refused handshake, a protocol error, the server
//! vanishing), with the reason on stderr.
//!
//! `wss://` URLs are opened over TLS (rustls), the server's certificate
//! checked against the Mozilla roots, or with `--ca FILE` against the
//! certificates in that PEM file alone (a private CA, a test server's).
//!
//! ```text
//! cargo run --release -p wsproto-examples --example client -- ws://127.0.0.1:9001/path [--ping-interval SECS] [--ca FILE]
//! printf 'a\nb\n' | cargo run --release -p wsproto-examples --example client -- ws://127.0.0.1:9001/
//! ```

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::pem::PemObject};
use wsproto::handshake::ClientOptions;
use wsproto::{CloseCode, Config};
use wsproto_tokio::Message;

#[tokio::main]
async fn main() {
    // `std::process::exit`: a read of the terminal may still be pending, and
    // the runtime would wait for it on the way out.
    std::process::exit(match run().await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    })
}

/// Whether the connection closed cleanly.
async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let mut url = None;
    let mut ping_interval = None;
    let mut ca = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ping-interval" => {
                let secs: f64 = args.next().ok_or("--ping-interval needs SECS")?.parse()?;
                ping_interval = Some(Duration::from_secs_f64(secs));
            }
            "--ca" => ca = Some(args.next().ok_or("--ca needs FILE")?),
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or("usage: client ws[s]://HOST:PORT/PATH [--ping-interval SECS] [--ca FILE]")?;
    let config = Config::default().ping_interval(ping_interval);
    // Lines are read only once the connection is open: none is lost to the handshake.
    let mut ws = match ca {
        Some(ca) => wsproto_tokio::connect_with_tls(&url, ClientOptions::new(), config, trusting(&ca)?).await?,
        None => wsproto_tokio::connect_with(&url, ClientOptions::new(), config).await?,
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut reading_stdin = true;
    loop {
        tokio::select! {
            // Both are cancel-safe: losing the race loses no line and no byte.
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => println!("{text}"),
                Some(Ok(Message::Binary(data))) => println!("<{} bytes of binary>", data.len()),
                Some(Ok(_)) => {}
                Some(Err(e)) => eprintln!("error: {e}"),
                None => break,
            },
            line = lines.next_line(), if reading_stdin => match line? {
                Some(line) => ws.send(Message::text(line)).await?,
                None => {
                    reading_stdin = false;
                    ws.send(Message::close(CloseCode::NORMAL, "")).await?;
                }
            },
        }
    }
    let closed = ws.closed().ok_or("the connection ended without a close")?;
    eprintln!("closed: code {} reason {:?} clean {}", closed.code, closed.reason, closed.was_clean);
    Ok(closed.was_clean)
}

/// A TLS client configuration that trusts the certificates in the PEM file
/// `ca` and nothing else, offering ALPN `http/1.1` (the upgrade is an
/// HTTP/1.1 request).
fn trusting(ca: &str) -> Result<Arc<rustls::ClientConfig>, Box<dyn std::error::Error>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)? {
        roots.add(cert?)?;
    }
    // ring, as the driver's default configuration.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
