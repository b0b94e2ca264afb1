//! A line-oriented client: each stdin line goes out as a text message, each
//! received message prints on its own line. On close, prints the close code
//! and reason to stderr and exits. End stdin (Ctrl-D) to close.
//!
//! ```text
//! cargo run --release --example client -- ws://127.0.0.1:9001/path [--ping-interval SECS]
//! ```

mod support;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wsproto::handshake::{ClientOptions, WsUrl};
use wsproto::{CloseCode, Config, Connection, Event};

enum Input {
    Net(Vec<u8>),
    NetEnd,
    Line(String),
    StdinEnd,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut url = None;
    let mut ping_interval = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ping-interval" => {
                let secs: f64 = args.next().ok_or("--ping-interval needs SECS")?.parse()?;
                ping_interval = Some(Duration::from_secs_f64(secs));
            }
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or("usage: client ws://HOST:PORT/PATH [--ping-interval SECS]")?;
    let parsed = WsUrl::parse(&url)?;
    if parsed.is_secure() {
        return Err("wss:// needs a TLS transport, which this example does not include".into());
    }
    let mut stream = TcpStream::connect((parsed.host(), parsed.port()))?;
    stream.set_nodelay(true)?;
    let config = Config::default().ping_interval(ping_interval);
    let mut conn = Connection::connect(&url, ClientOptions::new(), config, Instant::now())?;

    let (tx, rx) = mpsc::channel();
    let mut reader = stream.try_clone()?;
    let net_tx = tx.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if net_tx.send(Input::Net(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = net_tx.send(Input::NetEnd);
    });
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(Input::Line(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Input::StdinEnd);
    });

    let stdout = std::io::stdout();
    let mut exit_code = 0;
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Text(text) => writeln!(stdout.lock(), "{text}")?,
                Event::Binary(data) => writeln!(stdout.lock(), "<{} bytes of binary>", data.len())?,
                Event::Failed(error) => {
                    eprintln!("error: {error}");
                    exit_code = 1;
                }
                Event::Closed(closed) => {
                    eprintln!("closed: code {} reason {:?} clean {}", closed.code, closed.reason, closed.was_clean)
                }
                _ => {}
            }
        }
        support::flush(&mut stream, &mut conn)?;
        if conn.should_close_transport() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            std::process::exit(exit_code);
        }
        let timeout = conn.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
        let input = match timeout {
            Some(t) => rx.recv_timeout(t),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        let now = Instant::now();
        match input {
            Ok(Input::Net(bytes)) => conn.handle_input(now, &bytes),
            Ok(Input::NetEnd) => conn.handle_eof(now),
            Ok(Input::Line(line)) => {
                if let Err(e) = conn.send_text(line) {
                    eprintln!("not sent: {e}");
                }
            }
            Ok(Input::StdinEnd) => {
                let _ = conn.close(now, CloseCode::NORMAL, "");
            }
            Err(mpsc::RecvTimeoutError::Timeout) => conn.handle_timeout(now),
            Err(mpsc::RecvTimeoutError::Disconnected) => conn.handle_eof(now),
        }
    }
}
