//! The chat over HTTP/2: hyper with TLS (a certificate generated at
//! start), ALPN `h2` and `http/1.1` on one port. Browsers that have the
//! page's HTTP/2 connection open take the WebSocket over it (RFC 8441);
//! HTTP/1.1 clients upgrade as usual. `/stats` tells how each came.
//!
//! ```text
//! cargo run -p wsproto-h2h3 --bin h2_server -- 127.0.0.1:8443 [--cert-out cert.der] [--ping-interval SECS]
//! chromium --ignore-certificate-errors-spki-list=<the printed hash> https://localhost:8443/
//! ```

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use wsproto::Config;
use wsproto_h2h3::server::Server;
use wsproto_h2h3::tls::{ALPN_H2, ALPN_HTTP1, SelfSigned};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = "127.0.0.1:8443".to_owned();
    let mut cert_out = None;
    let mut ping_interval = Duration::from_secs(20);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cert-out" => cert_out = Some(args.next().ok_or("--cert-out PATH")?),
            "--ping-interval" => {
                let secs: f64 = args.next().and_then(|s| s.parse().ok()).ok_or("--ping-interval SECS")?;
                ping_interval = Duration::from_secs_f64(secs);
            }
            _ => addr = arg,
        }
    }
    let cert = SelfSigned::generate()?;
    if let Some(path) = cert_out {
        std::fs::write(path, cert.cert.as_ref())?;
    }
    let tls = TlsAcceptor::from(Arc::new(cert.server_config(&[ALPN_H2, ALPN_HTTP1])?));
    let config = Config::default()
        .ping_interval(Some(ping_interval))
        .pong_timeout(ping_interval)
        .max_message_size(64 * 1024)
        .max_output_buffer(1 << 20);
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("spki sha256: {}", cert.spki_sha256);
    eprintln!("h2 server listening on https://{}/", listener.local_addr()?);
    Server::new(config).run(listener, tls).await?;
    Ok(())
}
