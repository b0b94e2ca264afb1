//! WebSockets over HTTP/3 (RFC 9220) on quinn: an echo at `/echo`, with a
//! certificate generated at start. No browser speaks RFC 9220 yet; use the
//! `h3_client` example.
//!
//! ```text
//! cargo run -p wsproto-h2h3 --bin h3_server -- 127.0.0.1:8444 --cert-out /tmp/cert.der
//! cargo run -p wsproto-h2h3 --bin h3_client -- --cert /tmp/cert.der wss://localhost:8444/echo hello
//! ```

use wsproto::Config;
use wsproto_h2h3::h3;
use wsproto_h2h3::tls::SelfSigned;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = "127.0.0.1:8444".to_owned();
    let mut cert_out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cert-out" => cert_out = Some(args.next().ok_or("--cert-out PATH")?),
            _ => addr = arg,
        }
    }
    let cert = SelfSigned::generate()?;
    if let Some(path) = cert_out {
        std::fs::write(path, cert.cert.as_ref())?;
    }
    let endpoint = quinn::Endpoint::server(h3::server_config(&cert)?, addr.parse()?)?;
    eprintln!("h3 server listening on https://{}/ (UDP)", endpoint.local_addr()?);
    h3::serve(endpoint, Config::default()).await;
    Ok(())
}
