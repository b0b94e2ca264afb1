//! Serving `wss://` (and `https://`) in the tokio examples: a rustls
//! acceptor from PEM files, and its handshake with a time limit. The driver
//! takes any stream, so what comes out goes to `accept_with` or
//! `accept_after` as a `TcpStream` would.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;

/// How long a client may take over its TLS handshake (the WebSocket
/// handshake after it has `Config::handshake_timeout`).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An acceptor presenting the chain in the PEM file `cert` with the private
/// key in the PEM file `key`, offering ALPN `http/1.1` (the upgrade is an
/// HTTP/1.1 request).
pub fn acceptor(cert: &str, key: &str) -> Result<TlsAcceptor, Box<dyn std::error::Error>> {
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

/// The TLS handshake on `stream`, within [`HANDSHAKE_TIMEOUT`]; the error
/// says what went wrong, for the log.
pub async fn accept(acceptor: &TlsAcceptor, stream: TcpStream) -> Result<TlsStream<TcpStream>, String> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(format!("TLS: {e}")),
        Err(_) => Err(format!("TLS: no handshake within {HANDSHAKE_TIMEOUT:?}")),
    }
}
