//! WebSocket inside a hyper server: the path by which the crate is
//! embedded in hyper or axum applications.
//!
//! hyper parses HTTP. The upgrade request is validated by
//! [`Request::from_parts`] (RFC 6455 §4.2.1), the 101 carries the headers
//! from [`accept_headers`] and goes out through hyper, and once hyper hands
//! over the upgraded stream, the tokio driver takes it over
//! ([`WebSocket::from_open`]: a connection that starts open) with the
//! subprotocol and permessage-deflate settings the 101 agreed to. Nothing of
//! the crate's own handshake driver is used.
//!
//! `GET /` answers a plain page; an upgrade to any path is an echo
//! connection choosing the first offered subprotocol.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example hyper_upgrade -- 127.0.0.1:9001
//! ```

mod driver_echo;

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use wsproto::handshake::{Headers, Rejection, Request, accept_headers};
use wsproto::{Config, Open, Role};
use wsproto_tokio::WebSocket;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("hyper upgrade server listening on ws://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, peer));
            // The timer makes hyper's header read timeout (30 s) apply: a
            // client that sends no request cannot hold the task.
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = served.await {
                eprintln!("{peer}: http error: {e}");
            }
        });
    }
}

async fn handle(
    mut http: hyper::Request<Incoming>,
    peer: std::net::SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !http.headers().contains_key(hyper::header::UPGRADE) {
        return Ok(Response::new(Full::new(Bytes::from_static(
            b"hyper is serving; upgrade to WebSocket on any path\n",
        ))));
    }
    // hyper parsed the HTTP; the crate checks the WebSocket rules.
    let mut headers = Headers::new();
    for (name, value) in http.headers() {
        headers.push(name.as_str(), value.as_bytes());
    }
    let minor = match http.version() {
        Version::HTTP_10 | Version::HTTP_09 => 0,
        _ => 1,
    };
    let target = http.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let request = match Request::from_parts(http.method().as_str(), &target, minor, headers) {
        Ok(request) => request,
        // The error knows its answer: 400, 405 or 426, with the headers it needs.
        Err(e) => return Ok(rejection(e.rejection())),
    };

    let config = Config::default();
    // The echo testee's answer: the first offered subprotocol.
    let mut options = match driver_echo::answer(&request) {
        Ok(options) => options,
        Err(refused) => return Ok(rejection(refused)),
    };
    // permessage-deflate, when the client offers it (browsers always do).
    #[cfg(feature = "deflate")]
    if let Some(agreement) = config.deflate.as_ref().and_then(|d| d.accept(request.extensions())) {
        options = options.with_extension(agreement.response);
    }
    let accept = match accept_headers(&request, &options) {
        Ok(headers) => headers,
        Err(e) => return Ok(rejection(Rejection::new(500).with_body(e.to_string()))),
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (name, value) in accept {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) else {
            return Ok(rejection(Rejection::new(500)));
        };
        response.headers_mut().append(name, value);
    }

    // What the 101 agreed to is what the connection starts with.
    let mut negotiated = Open::new();
    if let Some(protocol) = options.subprotocol {
        negotiated = negotiated.with_subprotocol(protocol);
    }
    for extension in options.extensions {
        negotiated = negotiated.with_extension(extension);
    }
    // The upgraded stream is ready once hyper has written the 101.
    let upgrade = hyper::upgrade::on(&mut http);
    tokio::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => return eprintln!("{peer}: upgrade failed: {e}"),
        };
        let ws = WebSocket::from_open(TokioIo::new(upgraded), Role::Server, negotiated, config);
        driver_echo::echo(ws, &peer).await;
    });
    Ok(response)
}

/// A crate [`Rejection`] as a hyper response.
fn rejection(rejection: Rejection) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(rejection.body)));
    *response.status_mut() = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::BAD_REQUEST);
    for (name, value) in rejection.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
