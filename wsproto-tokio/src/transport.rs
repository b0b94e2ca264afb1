//! The transport [`connect`](crate::connect) opens: TCP for `ws://`, TLS
//! over TCP for `wss://` (feature `rustls`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The stream under a connection opened by [`connect`](crate::connect) or
/// [`connect_with`](crate::connect_with): plain TCP for a `ws://` URL, TLS
/// over TCP for `wss://` (with the feature `rustls`).
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// TCP, for `ws://`.
    Plain(TcpStream),
    /// TLS (rustls) over TCP, for `wss://`.
    #[cfg(feature = "rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP stream underneath (for its addresses or socket options).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => tls.get_ref().0,
        }
    }
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(tcp) => tcp.is_write_vectored(),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// TLS for `wss://` with rustls: the default configuration and the client
/// handshake.
#[cfg(feature = "rustls")]
pub(crate) mod tls {
    use std::sync::{Arc, OnceLock};

    use rustls::ClientConfig;
    use rustls::pki_types::ServerName;
    use tokio::net::TcpStream;
    use tokio_rustls::TlsConnector;

    use super::MaybeTlsStream;
    use crate::Error;

    /// The configuration `wss://` uses unless the caller gives one: the
    /// Mozilla root certificates (webpki-roots), rustls's safe defaults
    /// (TLS 1.2 and 1.3), and ALPN `http/1.1`, so a server that also speaks
    /// HTTP/2 answers the upgrade in HTTP/1.1. The cryptography is the
    /// process's default rustls provider if the application installed one
    /// (`CryptoProvider::install_default`, for aws-lc-rs and its
    /// post-quantum key exchange, say), else ring. Made once per process.
    pub(crate) fn default_config() -> Arc<ClientConfig> {
        static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
        CONFIG
            .get_or_init(|| {
                let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
                let provider = rustls::crypto::CryptoProvider::get_default().cloned().unwrap_or_else(|| {
                    // Deprecated for lacking post-quantum key exchange; kept
                    // as the fallback because it builds with no C toolchain
                    // beyond `cc` (aws-lc-rs needs more), as the workspace's
                    // HTTP/2 and HTTP/3 examples do.
                    #[allow(deprecated)]
                    Arc::new(rustls::crypto::ring::default_provider())
                });
                let mut config = ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default protocol versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                Arc::new(config)
            })
            .clone()
    }

    /// The TLS handshake with `host` over `tcp`, verifying its certificate
    /// as `config` says.
    pub(crate) async fn connect(
        tcp: TcpStream,
        host: &str,
        config: Arc<ClientConfig>,
    ) -> Result<MaybeTlsStream, Error> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let tls = TlsConnector::from(config).connect(name, tcp).await?;
        Ok(MaybeTlsStream::Rustls(Box::new(tls)))
    }
}
