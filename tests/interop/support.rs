//! What the interop tests need around the peers: finding and starting
//! processes (our example servers, the Python and Node peers), reading what
//! they print, and a blocking std::net client driven by the crate.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use wsproto::handshake::{ClientOptions, WsUrl};
use wsproto::{Closed, Config, Connection, Event, Open};

/// How long any single wait may take before the test gives up.
pub const TIMEOUT: Duration = Duration::from_secs(120);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn interop_dir() -> PathBuf {
    repo().join("interop")
}

/// The built examples: `WSPROTO_EXAMPLES_DIR`, or `examples/` beside this
/// test binary's `deps/` (where `cargo build -p wsproto-examples --examples` puts them for the
/// same profile).
pub fn example(name: &str) -> PathBuf {
    let dir = match std::env::var_os("WSPROTO_EXAMPLES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().expect("test binary path");
            exe.parent().and_then(Path::parent).expect("target dir").join("examples")
        }
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "example {name} is not built at {}: run `cargo build -p wsproto-examples --examples` first (interop/run.sh does)",
        path.display()
    );
    path
}

/// The Python of the interop venv (`WSPROTO_INTEROP_PYTHON` to override).
pub fn python() -> PathBuf {
    let path = std::env::var_os("WSPROTO_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| interop_dir().join(".venv/bin/python"));
    assert!(path.exists(), "no Python peer at {}: run `bash interop/run.sh setup`", path.display());
    path
}

/// Node (`WSPROTO_INTEROP_NODE` to override), with `interop/node_modules` installed.
pub fn node() -> PathBuf {
    assert!(
        interop_dir().join("node_modules/ws").exists(),
        "no interop/node_modules/ws: run `bash interop/run.sh setup`"
    );
    std::env::var_os("WSPROTO_INTEROP_NODE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("node"))
}

/// An independent implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// Python's `websockets` (interop/peer.py).
    Python,
    /// Node's `ws` (interop/peer.mjs).
    Node,
}

impl Peer {
    pub fn command(self) -> Command {
        let mut command = match self {
            Peer::Python => {
                let mut c = Command::new(python());
                c.arg(interop_dir().join("peer.py"));
                c
            }
            Peer::Node => {
                let mut c = Command::new(node());
                c.arg(interop_dir().join("peer.mjs"));
                c
            }
        };
        command.current_dir(interop_dir());
        command
    }
}

/// A child process, killed when dropped.
pub struct Running {
    pub child: Child,
    pub name: String,
}

impl Running {
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.child.stdin.take().expect("stdin was piped")
    }

    /// Kills the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Lines a child printed, as they come, and all of them so far.
#[derive(Clone, Default)]
pub struct Lines {
    all: Arc<Mutex<Vec<String>>>,
}

impl Lines {
    /// Collects the lines of `reader` on a thread; each line also goes to
    /// `tx` when given.
    pub fn collect(reader: impl Read + Send + 'static, tx: Option<mpsc::Sender<String>>) -> Lines {
        let lines = Lines::default();
        let all = lines.all.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                all.lock().unwrap().push(line.clone());
                if let Some(tx) = &tx {
                    let _ = tx.send(line);
                }
            }
        });
        lines
    }

    pub fn snapshot(&self) -> Vec<String> {
        self.all.lock().unwrap().clone()
    }

    /// Waits until some line satisfies `predicate`, and returns it.
    pub fn wait_for(&self, timeout: Duration, predicate: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.all.lock().unwrap().iter().find(|l| predicate(l)) {
                return Some(line.clone());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One of our example servers, started on a free port.
pub struct Server {
    pub process: Running,
    /// `host:port`.
    pub addr: String,
    /// What it printed to stderr.
    pub log: Lines,
}

/// Starts `examples/<name>` with `127.0.0.1:0` (and `args`) and waits for
/// its "listening on ws://ADDR" (or http://) line.
pub fn start_example(name: &str, args: &[&str]) -> Server {
    start_example_on(name, "127.0.0.1:0", args)
}

pub fn start_example_on(name: &str, addr: &str, args: &[&str]) -> Server {
    let mut child = Command::new(example(name))
        .arg(addr)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let (tx, rx) = mpsc::channel();
    let log = Lines::collect(child.stderr.take().unwrap(), Some(tx));
    let process = Running { child, name: name.to_owned() };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).unwrap_or_else(|_| panic!("{name} did not say where it listens"));
        if let Some((_, rest)) = line.split_once("listening on ") {
            let addr = rest.trim().trim_start_matches("ws://").trim_start_matches("http://").trim_end_matches('/');
            return Server { process, addr: addr.to_owned(), log };
        }
    }
}

/// A peer's echo server, started on a free port.
pub struct PeerServer {
    pub process: Running,
    pub port: u16,
    /// Its JSON lines, one per ended connection.
    pub lines: Lines,
}

pub fn start_peer_server(peer: Peer, args: &[&str]) -> PeerServer {
    let mut child = peer
        .command()
        .arg("server")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {peer:?} server: {e}"));
    let (tx, rx) = mpsc::channel();
    let lines = Lines::collect(child.stdout.take().unwrap(), Some(tx));
    let process = Running { child, name: format!("{peer:?} server") };
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("the {peer:?} server did not start"));
    let port = line
        .strip_prefix("{\"listening\":")
        .and_then(|rest| rest.trim_end_matches('}').trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from the {peer:?} server: {line}"));
    PeerServer { process, port, lines }
}

/// What a peer client run printed, and whether it passed.
pub struct PeerRun {
    pub success: bool,
    pub output: String,
}

/// Runs a peer in client mode to the end (at most `TIMEOUT`).
pub fn run_peer_client(peer: Peer, args: &[&str]) -> PeerRun {
    let mut child = peer
        .command()
        .arg("client")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {peer:?} client: {e}"));
    let out = Lines::collect(child.stdout.take().unwrap(), None);
    let err = Lines::collect(child.stderr.take().unwrap(), None);
    let mut process = Running { child, name: format!("{peer:?} client") };
    let status = process.wait_exit(TIMEOUT);
    // Let the reader threads reach the end of the pipes.
    std::thread::sleep(Duration::from_millis(50));
    let mut output = out.snapshot().join("\n");
    let stderr = err.snapshot();
    if !stderr.is_empty() {
        output.push_str("\n--- stderr ---\n");
        output.push_str(&stderr.join("\n"));
    }
    match status {
        Some(status) => PeerRun { success: status.success(), output },
        None => PeerRun { success: false, output: format!("{output}\n(timed out after {TIMEOUT:?})") },
    }
}

/// A blocking client over std::net, driven by the crate: the loop of the
/// crate docs, stepped one event at a time.
pub struct Client {
    stream: TcpStream,
    pub conn: Connection,
    buf: Vec<u8>,
    /// Pongs and pings received while waiting for something else.
    pub pongs: Vec<Vec<u8>>,
    pub pings: Vec<Vec<u8>>,
}

impl Client {
    pub fn connect(url: &str, options: ClientOptions) -> Result<Client, String> {
        let parsed = WsUrl::parse(url).map_err(|e| format!("bad url {url}: {e}"))?;
        let stream =
            TcpStream::connect((parsed.host(), parsed.port())).map_err(|e| format!("cannot connect to {url}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let conn = Connection::connect(url, options, Config::default(), Instant::now()).map_err(|e| e.to_string())?;
        Ok(Client { stream, conn, buf: vec![0; 256 * 1024], pongs: Vec::new(), pings: Vec::new() })
    }

    /// Writes everything queued.
    pub fn flush(&mut self) -> Result<(), String> {
        loop {
            let mut slices = [io::IoSlice::new(&[]); 32];
            let n = self.conn.transmit_slices(&mut slices);
            if n == 0 {
                return Ok(());
            }
            let written = self.stream.write_vectored(&slices[..n]).map_err(|e| format!("write failed: {e}"))?;
            if written == 0 {
                return Err("write returned 0".into());
            }
            self.conn.advance_transmit(written);
        }
    }

    /// The next event, reading as needed.
    pub fn next_event(&mut self) -> Result<Event, String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(event) = self.conn.poll_event() {
                return Ok(event);
            }
            self.flush()?;
            if self.conn.should_close_transport() {
                return Err("the connection is over; no more events".into());
            }
            let now = Instant::now();
            if now > deadline {
                return Err(format!("no event within {TIMEOUT:?}"));
            }
            let mut wait = deadline - now;
            if let Some(at) = self.conn.poll_timeout() {
                wait = wait.min(at.saturating_duration_since(now));
            }
            self.stream.set_read_timeout(Some(wait.max(Duration::from_millis(1)))).map_err(|e| e.to_string())?;
            match self.stream.read(&mut self.buf) {
                Ok(0) => self.conn.handle_eof(Instant::now()),
                Ok(n) => self.conn.handle_input(Instant::now(), &self.buf[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    self.conn.handle_timeout(Instant::now())
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.conn.handle_eof(Instant::now());
                    return Err(format!("read failed: {e}"));
                }
            }
        }
    }

    /// The next event that is not a ping or pong (those are recorded).
    pub fn next_significant(&mut self) -> Result<Event, String> {
        loop {
            match self.next_event()? {
                Event::Ping(payload) => self.pings.push(payload.to_vec()),
                Event::Pong(payload) => self.pongs.push(payload.to_vec()),
                Event::Failed(error) => return Err(format!("connection failed: {error}")),
                event => return Ok(event),
            }
        }
    }

    pub fn expect_open(&mut self) -> Result<Open, String> {
        match self.next_significant()? {
            Event::Open(open) => Ok(open),
            other => Err(format!("expected Open, got {other:?}")),
        }
    }

    pub fn expect_closed(&mut self) -> Result<Closed, String> {
        match self.next_significant()? {
            Event::Closed(closed) => Ok(closed),
            other => Err(format!("expected Closed, got {}", short(&other))),
        }
    }

    /// Drives the connection until the transport may be closed (for a
    /// client: the server closed its side), then closes it.
    pub fn finish(mut self) -> Result<(), String> {
        while !self.conn.should_close_transport() {
            if let Err(e) = self.next_event() {
                if !self.conn.should_close_transport() {
                    return Err(e);
                }
            }
        }
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        Ok(())
    }
}

/// An event, with payloads summarised.
pub fn short(event: &Event) -> String {
    match event {
        Event::Text(text) => format!("Text({} B)", text.len()),
        Event::Binary(data) => format!("Binary({} B)", data.len()),
        other => format!("{other:?}"),
    }
}

/// Exactly `n` bytes of UTF-8 mixing 1- to 4-byte characters.
pub fn text_of_size(n: usize, seed: usize) -> String {
    let pattern = format!("wsproto {seed} ✓ é 漢字 🦀 ");
    let mut text = String::with_capacity(n);
    while text.len() + pattern.len() <= n {
        text.push_str(&pattern);
    }
    for c in pattern.chars() {
        if text.len() + c.len_utf8() > n {
            break;
        }
        text.push(c);
    }
    while text.len() < n {
        text.push('x');
    }
    text
}

/// `n` deterministic pseudo-random bytes.
pub fn binary_of_size(n: usize, seed: u64) -> Vec<u8> {
    wsproto_test_support::noise::noise(n, seed)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where two byte strings first differ.
pub fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}
