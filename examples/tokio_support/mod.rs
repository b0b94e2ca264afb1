//! The driving loop on tokio, shared by the async examples: the loop of the
//! crate docs, with an async read and a sleep until the connection's
//! deadline racing in `select!`.
#![allow(dead_code)]

use std::io::{self, IoSlice};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wsproto::{Connection, Event};

/// Drives `conn` over `io` (a `TcpStream`, hyper's upgraded stream, ...)
/// until the connection is over, handing every event to `on_event` (which
/// may queue sends on the connection).
pub async fn drive<S>(
    mut io: S,
    conn: &mut Connection,
    mut on_event: impl FnMut(&mut Connection, Event),
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Events first: what they trigger (an echo, a close) is only queued.
        while let Some(event) = conn.poll_event() {
            on_event(conn, event);
        }
        // Then everything queued goes out.
        flush(&mut io, conn).await?;
        if conn.should_close_transport() {
            let _ = io.shutdown().await;
            return Ok(());
        }
        // Then wait for input or the deadline, whichever comes first. Both
        // futures are cancel-safe: losing the race loses no bytes.
        let sleep = until(conn.poll_timeout());
        tokio::select! {
            read = io.read(&mut buf) => match read {
                Ok(0) => conn.handle_eof(Instant::now()),
                Ok(n) => conn.handle_input(Instant::now(), &buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    conn.handle_eof(Instant::now());
                    while let Some(event) = conn.poll_event() {
                        on_event(conn, event);
                    }
                    return Err(e);
                }
            },
            () = sleep => conn.handle_timeout(Instant::now()),
        }
    }
}

/// Writes everything the connection has queued, vectored: large payloads
/// go out from where they are, uncopied.
pub async fn flush<S: AsyncWrite + Unpin>(io: &mut S, conn: &mut Connection) -> io::Result<()> {
    loop {
        let mut slices = [IoSlice::new(&[]); 32];
        let n = conn.transmit_slices(&mut slices);
        if n == 0 {
            return io.flush().await;
        }
        let written = io.write_vectored(&slices[..n]).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        conn.advance_transmit(written);
    }
}

/// Completes at `deadline` (from `poll_timeout`), or never when there is none.
pub async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The next accepted connection, with Nagle's delay off (a WebSocket
/// writes whole frames). A failed accept (out of descriptors, a reset
/// before accept) is reported and skipped.
pub async fn accept(listener: &tokio::net::TcpListener) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}
