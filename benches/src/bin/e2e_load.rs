//! The end-to-end load generator: no WebSocket library, raw TCP on one
//! thread (mio, edge-triggered epoll), for `benches/e2e.py`.
//!
//! ```text
//! e2e_load --addr 127.0.0.1:9100 --conns 100 --size 20 --inflight 16 [--warmup 1] [--secs 5]
//! e2e_load --addr 127.0.0.1:9100 --conns 10000 --idle
//! ```
//!
//! Each connection sends a valid HTTP/1.1 upgrade request (no extension
//! offered) and reads the 101 response. Then:
//! - echo mode: it streams pre-built masked binary frames of `--size` bytes
//!   of payload, keeping `--inflight` in flight: that many up front, and one
//!   more per echo received. Echoes are counted by length alone (the server
//!   sends only echoes, each `header + size` bytes); only the first byte of
//!   a connection's first echo is checked. After `--warmup` seconds it
//!   counts echoes for `--secs` seconds and prints
//!   `msgs_per_s <rate> echoes <n> secs <t> total <echoes since all opened>`.
//! - idle mode: once every connection is open it prints `ready <n>` and
//!   holds them open until its standard input ends.
//!
//! At most 256 handshakes are under way at once, so a listener's backlog
//! never overflows.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const MAX_CONNECTING: usize = 256;

enum Phase {
    Connecting,
    Handshake(Vec<u8>),
    Open,
}

struct Conn {
    stream: TcpStream,
    phase: Phase,
    /// Bytes of echoes received.
    rx: u64,
    /// Whole echoes received.
    echoes: u64,
    /// Where in the (periodic) frame stream the next write starts, in `0..frame_len`.
    out_pos: usize,
    /// Bytes of frames owed to the server.
    out_left: usize,
    checked: bool,
}

struct Shape {
    frame_len: usize,
    echo_len: u64,
    inflight: usize,
    idle: bool,
    /// `frame_len`-periodic: frames back to back, at least `inflight + 1` of them.
    wire: Vec<u8>,
}

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).map(|i| args[i + 1].clone())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr: SocketAddr = arg_value(&args, "--addr").unwrap_or_else(|| "127.0.0.1:9100".into()).parse().unwrap();
    let conns: usize = arg_value(&args, "--conns").map_or(100, |v| v.parse().unwrap());
    let size: usize = arg_value(&args, "--size").map_or(20, |v| v.parse().unwrap());
    let inflight: usize = arg_value(&args, "--inflight").map_or(16, |v| v.parse().unwrap());
    let warmup: f64 = arg_value(&args, "--warmup").map_or(1.0, |v| v.parse().unwrap());
    let secs: f64 = arg_value(&args, "--secs").map_or(5.0, |v| v.parse().unwrap());
    let idle = args.iter().any(|a| a == "--idle");

    let (frame, echo_len) = frames(size);
    let frame_len = frame.len();
    let copies = (inflight + 1).max(65536 / frame_len + 1);
    let shape = Shape { frame_len, echo_len: echo_len as u64, inflight, idle, wire: frame.repeat(copies) };

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut table: Vec<Conn> = Vec::with_capacity(conns);
    let mut scratch = vec![0u8; 256 * 1024];
    let mut opened = 0usize;
    let mut total: u64 = 0;
    let mut window: Option<(Instant, u64)> = None;
    let mut start: Option<Instant> = None;

    loop {
        // Keep at most MAX_CONNECTING handshakes under way.
        while table.len() < conns && table.len() - opened < MAX_CONNECTING {
            let mut stream = TcpStream::connect(addr)?;
            let token = Token(table.len());
            poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
            table.push(Conn {
                stream,
                phase: Phase::Connecting,
                rx: 0,
                echoes: 0,
                out_pos: 0,
                out_left: 0,
                checked: false,
            });
        }
        if opened == conns && start.is_none() {
            start = Some(Instant::now());
            if idle {
                println!("ready {opened}");
                io::stdout().flush()?;
                // Hold every connection open until told to stop.
                let _ = io::stdin().read_to_end(&mut Vec::new());
                return Ok(());
            }
        }
        let timeout = match start {
            Some(_) => Some(Duration::from_millis(20)),
            None => Some(Duration::from_secs(1)),
        };
        poll.poll(&mut events, timeout)?;
        for event in &events {
            let conn = &mut table[event.token().0];
            let was_open = matches!(conn.phase, Phase::Open);
            let counted = drive(conn, &shape, &mut scratch, event.is_readable())?;
            if start.is_some() {
                total += counted;
            }
            if !was_open && matches!(conn.phase, Phase::Open) {
                opened += 1;
            }
        }
        if let Some(t0) = start {
            let now = Instant::now();
            match window {
                None if now >= t0 + Duration::from_secs_f64(warmup) => window = Some((now, total)),
                Some((w0, base)) if now >= w0 + Duration::from_secs_f64(secs) => {
                    let elapsed = (now - w0).as_secs_f64();
                    let echoes = total - base;
                    let rate = echoes as f64 / elapsed;
                    println!("msgs_per_s {rate:.0} echoes {echoes} secs {elapsed:.3} total {total}");
                    return Ok(());
                }
                _ => {}
            }
        }
    }
}

/// A masked client binary frame with `size` bytes of payload, and the
/// length of its unmasked server echo.
fn frames(size: usize) -> (Vec<u8>, usize) {
    let mut header = vec![0x82u8];
    match size {
        0..=125 => header.push(0x80 | size as u8),
        126..=65535 => {
            header.push(0x80 | 126);
            header.extend_from_slice(&(size as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend_from_slice(&(size as u64).to_be_bytes());
        }
    }
    let echo_len = header.len() + size;
    let key = [0x37u8, 0xfa, 0x21, 0x3d];
    header.extend_from_slice(&key);
    // Pseudo-random payload (xorshift), masked.
    let mut x: u32 = 0x9e37_79b9;
    for i in 0..size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        header.push((x as u8) ^ key[i % 4]);
    }
    (header, echo_len)
}

fn broken(what: &str) -> io::Error {
    io::Error::other(what.to_owned())
}

/// Handles readiness on one connection; returns how many echoes arrived.
/// Reads only when `readable`, until a read comes back short (the socket
/// is drained then; more data is a new edge); writes what is owed.
fn drive(conn: &mut Conn, shape: &Shape, scratch: &mut [u8], readable: bool) -> io::Result<u64> {
    if let Phase::Connecting = conn.phase {
        if let Some(e) = conn.stream.take_error()? {
            return Err(e);
        }
        match conn.stream.peer_addr() {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(0),
            Err(e) => return Err(e),
        }
        conn.stream.set_nodelay(true)?;
        // A fresh socket's buffer takes the whole request.
        if conn.stream.write(REQUEST)? != REQUEST.len() {
            return Err(broken("short write of the request"));
        }
        conn.phase = Phase::Handshake(Vec::with_capacity(256));
    }
    let mut echoes = 0;
    if readable {
        loop {
            let n = match conn.stream.read(scratch) {
                Ok(0) => return Err(broken("the server closed a connection")),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let drained = n < scratch.len();
            let mut data = &scratch[..n];
            if let Phase::Handshake(buf) = &mut conn.phase {
                buf.extend_from_slice(data);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    if drained {
                        break;
                    }
                    continue;
                };
                if !buf.starts_with(b"HTTP/1.1 101") {
                    return Err(broken(&format!("refused: {}", String::from_utf8_lossy(buf))));
                }
                let rest = buf.len() - (end + 4);
                conn.phase = Phase::Open;
                if !shape.idle {
                    conn.out_left += shape.inflight * shape.frame_len;
                }
                data = &scratch[n - rest..n];
            }
            if data.is_empty() {
                if drained {
                    break;
                }
                continue;
            }
            if !conn.checked {
                if data[0] != 0x82 {
                    return Err(broken("an echo that is not a binary frame"));
                }
                conn.checked = true;
            }
            conn.rx += data.len() as u64;
            let now = conn.rx / shape.echo_len;
            let new = now - conn.echoes;
            conn.echoes = now;
            echoes += new;
            conn.out_left += new as usize * shape.frame_len;
            if drained {
                break;
            }
        }
    }
    if matches!(conn.phase, Phase::Open) {
        while conn.out_left > 0 {
            let end = (conn.out_pos + conn.out_left).min(shape.wire.len());
            match conn.stream.write(&shape.wire[conn.out_pos..end]) {
                Ok(0) => return Err(broken("write returned 0")),
                Ok(n) => {
                    conn.out_left -= n;
                    conn.out_pos = (conn.out_pos + n) % shape.frame_len;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(echoes)
}
