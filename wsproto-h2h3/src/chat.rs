//! The chat room of the HTTP/2 server: the protocol of
//! `examples/chat/index.html` (JSON events for the `wsproto.chat.json`
//! subprotocol: `welcome`, `join`, `leave`, `message`), plain lines for
//! other clients.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use wsproto_tokio::{Message, WebSocket};

/// The subprotocol the page offers: events as JSON.
pub const JSON_PROTOCOL: &str = "wsproto.chat.json";
/// Events a member may have waiting before it is dropped.
const INBOX: usize = 256;

/// Who is in the room.
#[derive(Default)]
pub struct Room {
    inner: Mutex<Members>,
}

#[derive(Default)]
struct Members {
    next_id: u64,
    members: HashMap<u64, Member>,
}

struct Member {
    name: String,
    json: bool,
    inbox: mpsc::Sender<String>,
}

impl Members {
    fn online(&self) -> Vec<String> {
        let names: BTreeSet<&str> = self.members.values().map(|m| m.name.as_str()).collect();
        names.into_iter().map(str::to_owned).collect()
    }

    fn broadcast(&mut self, json: &str, plain: &str) {
        self.members.retain(|_, m| m.inbox.try_send(if m.json { json.to_owned() } else { plain.to_owned() }).is_ok());
    }

    fn presence(&mut self, kind: &str, name: &str) {
        let online: Vec<String> = self.online().iter().map(|n| json_string(n)).collect();
        let json = format!(r#"{{"type":"{kind}","name":{},"online":[{}]}}"#, json_string(name), online.join(","));
        let verb = if kind == "join" { "joined" } else { "left" };
        self.broadcast(&json, &format!("* {name} {verb}"));
    }
}

impl Room {
    /// Runs one member's connection until it ends: a welcome, a join for
    /// all, every text it sends broadcast, a leave at the end. Returns how
    /// the connection closed.
    pub async fn serve<S>(&self, mut ws: WebSocket<S>, name: String) -> Option<wsproto::Closed>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let json = ws.connection().subprotocol() == Some(JSON_PROTOCOL);
        let (tx, mut inbox) = mpsc::channel(INBOX);
        let id = {
            let mut room = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            room.next_id += 1;
            let id = room.next_id;
            room.members.insert(id, Member { name: name.clone(), json, inbox: tx });
            id
        };
        let welcome = if json {
            format!(r#"{{"type":"welcome","you":{}}}"#, json_string(&name))
        } else {
            format!("* you are {name}")
        };
        let mut alive = ws.send(Message::text(welcome)).await.is_ok();
        self.lock().presence("join", &name);
        while alive {
            tokio::select! {
                received = ws.next() => match received {
                    Some(Ok(Message::Text(text))) => {
                        let json = format!(
                            r#"{{"type":"message","from":{},"text":{}}}"#,
                            json_string(&name),
                            json_string(text.as_str())
                        );
                        self.lock().broadcast(&json, &format!("{name}: {}", text.as_str()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => alive = false,
                },
                event = inbox.recv() => match event {
                    Some(event) => alive = ws.send(Message::text(event)).await.is_ok(),
                    // Dropped by the room: too slow.
                    None => alive = false,
                },
            }
        }
        {
            let mut room = self.lock();
            room.members.remove(&id);
            room.presence("leave", &name);
        }
        // Finish the close if the peer started it; poll to the end, past a
        // failure, so the close is recorded.
        while ws.next().await.is_some() {}
        ws.closed().cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Members> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
