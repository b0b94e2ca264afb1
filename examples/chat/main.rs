//! A chat server: instant messaging on long connections. Every message a
//! member sends is broadcast to everyone; joins and leaves tell who is
//! online; keepalive pings ([`Config::ping_interval`]) find members whose
//! connection died silently.
//!
//! One port serves both the page and the WebSocket: `GET /` is a small HTML
//! page (the browser's WebSocket API, a list of who is online, reconnection
//! after a drop), and `/ws?name=NAME` is the chat. A client that offers the
//! `wsproto.chat.json` subprotocol (the page does) gets JSON events; any
//! other client, such as the `client` example, gets plain lines.
//!
//! ```text
//! cargo run --release -p wsproto-examples --example chat -- 127.0.0.1:9550 [--ping-interval SECS] [--tls CERT KEY]
//! # open http://127.0.0.1:9550/ in two browser tabs, or join from a terminal:
//! cargo run --release -p wsproto-examples --example client -- ws://127.0.0.1:9550/ws?name=terminal
//! ```
//!
//! With `--tls CERT KEY` (PEM files: the certificate chain and its private
//! key) the page and the chat are served over TLS, `https://` and `wss://`,
//! as a page served over https must use (browsers refuse `ws://` from it).
//!
//! Each connection is a tokio task on the driver (`wsproto-tokio`): a
//! `select!` over the socket's next message and the member's inbox of
//! messages from the room, on a bounded channel. What waits in the inbox is
//! fed to the socket and flushed once, so a busy room costs one write per
//! wake-up, not one per message. A member too slow to take them is dropped,
//! so memory stays bounded by the [`Config`] limits; one that stops reading
//! altogether is disconnected after the driver's write timeout (30 s), its
//! task ending with it.
//!
//! A broadcast is a [`PreparedMessage`]: framed once, and compressed once
//! (permessage-deflate with a shared compressor, so without context
//! takeover on the server's side), then queued on every member's
//! connection as the same bytes. A member's connection holds no
//! compression memory of its own for what it sends.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wsproto::deflate::DeflateConfig;
use wsproto::handshake::{AcceptOptions, Rejection, Request};
use wsproto::{CloseCode, Config, PreparedMessage};
use wsproto_tokio::{Error, Message};

const PAGE: &str = include_str!("index.html");
/// Offered by the page: events as JSON instead of plain lines.
const JSON_PROTOCOL: &str = "wsproto.chat.json";
/// Messages from the room a member may have waiting before it is dropped.
const INBOX: usize = 256;
const MAX_HEAD: usize = 16 * 1024;

#[path = "../tls/mod.rs"]
mod tls;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = "127.0.0.1:9550".to_owned();
    let mut ping_interval = Duration::from_secs(20);
    let mut acceptor = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ping-interval" => {
                let secs: f64 = args.next().and_then(|s| s.parse().ok()).expect("--ping-interval SECS");
                ping_interval = Duration::from_secs_f64(secs);
            }
            "--tls" => {
                let usage = "--tls needs CERT.pem KEY.pem";
                let (cert, key) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
                acceptor = Some(tls::acceptor(&cert, &key)?);
            }
            _ => addr = arg,
        }
    }
    // Keepalive: a member silent for one interval is pinged; silent for
    // another, it is gone (and the others see it leave).
    let config = Config::default()
        .ping_interval(Some(ping_interval))
        .pong_timeout(ping_interval)
        .max_message_size(64 * 1024)
        .max_output_buffer(1 << 20)
        // One compressor per thread, none per member: each message is
        // compressed on its own, so a broadcast is compressed once for all.
        .deflate(Some(DeflateConfig::new().shared_compressor(true)));
    let listener = TcpListener::bind(&addr).await?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    eprintln!("chat server listening on {scheme}://{}/", listener.local_addr()?);
    let room = Arc::new(Mutex::new(Room::default()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (room, config, acceptor) = (room.clone(), config.clone(), acceptor.clone());
        tokio::spawn(async move {
            let served = match acceptor {
                None => serve(stream, peer, room, config).await,
                Some(acceptor) => match tls::accept(&acceptor, stream).await {
                    Ok(stream) => serve(stream, peer, room, config).await,
                    Err(e) => return eprintln!("{peer}: {e}"),
                },
            };
            if let Err(e) = served {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// Who is in the room, and how to reach them.
#[derive(Default)]
struct Room {
    next_id: u64,
    members: HashMap<u64, Member>,
}

struct Member {
    name: String,
    json: bool,
    inbox: mpsc::Sender<Arc<PreparedMessage>>,
}

impl Room {
    /// The names online, sorted, each once (a page that reconnects may
    /// briefly be there twice).
    fn online(&self) -> Vec<String> {
        let names: BTreeMap<&str, ()> = self.members.values().map(|m| (m.name.as_str(), ())).collect();
        names.into_keys().map(str::to_owned).collect()
    }

    /// Sends one event to everyone, framed (and compressed) once per format
    /// and shared by reference (a server's frames are not masked, so
    /// nothing is copied). A member whose inbox is full is dropped.
    fn broadcast(&mut self, json: String, plain: String) {
        let (json, plain) = (Arc::new(PreparedMessage::text(json)), Arc::new(PreparedMessage::text(plain)));
        self.members.retain(|_, m| m.inbox.try_send(if m.json { json.clone() } else { plain.clone() }).is_ok());
    }

    fn presence(&mut self, kind: &str, name: &str) {
        let online = self.online();
        let json = format!(r#"{{"type":"{kind}","name":{},"online":{}}}"#, json_string(name), json_list(&online));
        let verb = if kind == "join" { "joined" } else { "left" };
        let plain = format!("* {name} {verb} (online: {})", online.join(", "));
        self.broadcast(json, plain);
    }
}

/// Serves one connection (TCP, or TLS over it): the page, or a member.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    room: Arc<Mutex<Room>>,
    config: Config,
) -> Result<(), Error> {
    // Read the request head to route it: the page, or the WebSocket;
    // within the handshake timeout, so a client that sends nothing (or
    // drips its head) cannot hold the task.
    let mut head = Vec::new();
    let mut buf = vec![0u8; 4096];
    let reading = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await?;
            if n == 0 || head.len() > MAX_HEAD {
                return Ok(false);
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, io::Error>(true)
    };
    let limit = config.handshake_timeout.unwrap_or(Duration::from_secs(30));
    match tokio::time::timeout(limit, reading).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) | Err(_) => return Ok(()),
        Ok(Err(e)) => return Err(e.into()),
    }
    if let Some(response) = route(&head) {
        stream.write_all(response.as_bytes()).await?;
        let _ = stream.shutdown().await;
        return Ok(());
    }
    drop(buf);

    // The WebSocket: the connection parses the head we already read.
    let mut request = None;
    let accepted = wsproto_tokio::accept_after(stream, &head, config, |r| {
        request = Some(r.clone());
        answer(r)
    })
    .await;
    let mut ws = match accepted {
        Ok(ws) => ws,
        // The rejection (a 404) went out; nothing more to do.
        Err(Error::Rejected { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let json = ws.connection().subprotocol().is_some();
    let (inbox_tx, mut inbox) = mpsc::channel(INBOX);
    let (id, name) = {
        let mut room = room.lock().unwrap();
        room.next_id += 1;
        let id = room.next_id;
        let name = name_from(request.as_ref().expect("the callback saw the request"), id);
        room.members.insert(id, Member { name: name.clone(), json, inbox: inbox_tx });
        room.presence("join", &name);
        (id, name)
    };
    eprintln!("{peer}: {name} joined");
    let welcome = if json {
        format!(r#"{{"type":"welcome","you":{}}}"#, json_string(&name))
    } else {
        format!("* welcome, {name}")
    };
    // The welcome goes out with the first messages from the room.
    let _ = ws.feed(Message::text(welcome)).await;
    let mut in_room = true;
    loop {
        // Two things to wait for; both futures are cancel-safe.
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let text = text.trim();
                    if !text.is_empty() {
                        let json = format!(
                            r#"{{"type":"message","from":{},"text":{}}}"#,
                            json_string(&name),
                            json_string(text)
                        );
                        room.lock().unwrap().broadcast(json, format!("{name}: {text}"));
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = ws.send(Message::close(CloseCode::UNSUPPORTED_DATA, "text messages only")).await;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => eprintln!("{peer}: {e}"),
                None => break,
            },
            message = inbox.recv(), if in_room => {
                // Everything waiting goes out in one write.
                let mut message = message;
                while let Some(prepared) = message {
                    if ws.feed(Message::Prepared(prepared)).await.is_err() {
                        break;
                    }
                    message = inbox.try_recv().ok();
                }
                // `None` from `recv`: the room dropped us, our inbox overflowed.
                if inbox.is_closed() && inbox.is_empty() {
                    in_room = false;
                    let _ = ws.feed(Message::close(CloseCode::POLICY_VIOLATION, "too slow")).await;
                }
                let _ = ws.flush().await;
            }
        }
    }
    if let Some(closed) = ws.closed() {
        eprintln!("{peer}: {name} closed: code {} reason {:?} clean {}", closed.code, closed.reason, closed.was_clean);
    }
    let mut room = room.lock().unwrap();
    if room.members.remove(&id).is_some() {
        room.presence("leave", &name);
    }
    eprintln!("{peer}: {name} left");
    Ok(())
}

/// A plain HTTP request (no `Upgrade`) gets the page or a 404 here; an
/// upgrade is left to the WebSocket connection (`None`).
fn route(head: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let _ = request.parse(head);
    if request.headers.iter().any(|h| h.name.eq_ignore_ascii_case("upgrade")) {
        return None;
    }
    let path = request.path.map(|p| p.split_once('?').map_or(p, |(path, _)| path));
    let (status, kind, body) = match path {
        Some("/" | "/index.html") => ("200 OK", "text/html; charset=utf-8", PAGE),
        _ => ("404 Not Found", "text/plain", "not found\n"),
    };
    Some(format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// The chat lives at `/ws`; the page asks for JSON with a subprotocol.
fn answer(request: &Request) -> Result<AcceptOptions, Rejection> {
    if request.path() != "/ws" {
        return Err(Rejection::new(404).with_body("the chat is at /ws\n"));
    }
    let mut options = AcceptOptions::new();
    if request.subprotocols().iter().any(|p| p == JSON_PROTOCOL) {
        options = options.with_subprotocol(JSON_PROTOCOL);
    }
    Ok(options)
}

/// `?name=` percent-decoded, letters, digits, space, `-`, `_` and `.` kept,
/// at most 24 characters; `guest-N` if nothing is left.
fn name_from(request: &Request, id: u64) -> String {
    let raw = request.query().unwrap_or("").split('&').find_map(|kv| kv.strip_prefix("name=")).unwrap_or("");
    let mut bytes = Vec::new();
    let mut input = raw.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex: Vec<u8> = input.by_ref().take(2).collect();
                if let Some(v) = std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    bytes.push(v);
                }
            }
            b => bytes.push(b),
        }
    }
    let decoded = String::from_utf8_lossy(&bytes);
    let name: String =
        decoded.chars().filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')).take(24).collect();
    let name = name.trim();
    if name.is_empty() { format!("guest-{id}") } else { name.to_owned() }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| json_string(s)).collect();
    format!("[{}]", items.join(","))
}
