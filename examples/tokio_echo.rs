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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use wsproto::Config;

/// How long a client may take over its TLS handshake (the WebSocket
/// handshake after it has `Config::handshake_timeout`).
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut tls = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => {
                let usage = "--tls needs CERT.pem KEY.pem";
                let (cert, key) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
                tls = Some(acceptor(&cert, &key)?);
            }
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr).await?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
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
        let tls = tls.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let Some(tls) = tls else { return serve(stream, peer).await };
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
                Ok(Ok(stream)) => serve(stream, peer).await,
                Ok(Err(e)) => eprintln!("{peer}: TLS: {e}"),
                Err(_) => eprintln!("{peer}: TLS: no handshake within {TLS_HANDSHAKE_TIMEOUT:?}"),
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

/// A TLS acceptor presenting the chain in `cert` with the key in `key`,
/// offering ALPN `http/1.1` (the upgrade is an HTTP/1.1 request).
fn acceptor(cert: &str, key: &str) -> Result<TlsAcceptor, Box<dyn std::error::Error>> {
    let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key)?;
    // ring, as the driver's client: it builds with no C toolchain beyond `cc`.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
