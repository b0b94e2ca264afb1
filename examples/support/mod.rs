//! A blocking std::net driver shared by the examples: the loop from the
//! crate docs, once.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use wsproto::{Connection, Event};

/// Drives `conn` over `stream` until the connection is over, handing every
/// event to `on_event` (which may queue sends on the connection).
pub fn drive(
    stream: &mut TcpStream,
    conn: &mut Connection,
    mut on_event: impl FnMut(&mut Connection, Event),
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // A peer that stops taking our output fails the write (and the
    // connection) within one to two of these (a write that got some bytes
    // out returns them first), rather than holding this thread forever.
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    // Where reads go once the connection takes no more input (it stopped
    // reading): only the end of the stream still matters then.
    let mut discard = [0u8; 512];
    loop {
        while let Some(event) = conn.poll_event() {
            on_event(conn, event);
        }
        if let Err(e) = flush(stream, conn) {
            conn.abort(Instant::now());
            while let Some(event) = conn.poll_event() {
                on_event(conn, event);
            }
            return Err(e);
        }
        if conn.should_close_transport() {
            return Ok(());
        }
        let timeout = conn.poll_timeout().map(|at| at.saturating_duration_since(Instant::now()));
        stream.set_read_timeout(Some(timeout.unwrap_or(Duration::from_secs(3600)).max(Duration::from_millis(1))))?;
        // Read straight into the connection's buffer: no copy of our own.
        let room = conn.read_buf();
        let reading = room.is_some();
        match stream.read(room.unwrap_or(&mut discard)) {
            Ok(0) => conn.handle_eof(Instant::now()),
            Ok(n) if reading => conn.handle_read(Instant::now, n),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                conn.handle_timeout(Instant::now())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                conn.handle_eof(Instant::now());
                while let Some(event) = conn.poll_event() {
                    on_event(conn, event);
                }
                return Err(e);
            }
        }
    }
}

/// Writes everything the connection has queued, vectored.
pub fn flush(stream: &mut TcpStream, conn: &mut Connection) -> io::Result<()> {
    conn.transmit_with(|bufs| {
        loop {
            match stream.write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                written => return written,
            }
        }
    })?;
    if conn.buffered_amount() > 0 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    stream.flush()
}
