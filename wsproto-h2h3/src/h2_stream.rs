//! An HTTP/2 stream of the `h2` crate as a tokio byte stream, for the
//! driver: DATA frames in, DATA frames out, END_STREAM at shutdown.
//!
//! - Reading hands out the DATA frames' bytes and gives the flow-control
//!   window back as they are taken, so the peer may send on. The peer's
//!   END_STREAM reads as the end of the stream; a reset (RST_STREAM, a
//!   GOAWAY that covers the stream, the connection lost) is an error of
//!   kind `ConnectionReset`, which fails the WebSocket.
//! - Writing waits for send capacity (the peer's window) and sends at most
//!   that much as one DATA frame.
//! - Shutdown sends END_STREAM (an empty DATA frame that ends the stream):
//!   what RFC 8441 §5 asks once the close frames have passed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Both halves of one HTTP/2 stream.
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// Received bytes not yet read.
    pending: Bytes,
    ended: bool,
}

impl H2Stream {
    /// Wraps the halves of a stream whose extended CONNECT was accepted.
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> H2Stream {
        H2Stream { send, recv, pending: Bytes::new(), ended: false }
    }
}

fn reset(e: h2::Error) -> io::Error {
    if e.is_io() {
        e.into_io().unwrap_or_else(|| io::ErrorKind::ConnectionReset.into())
    } else {
        io::Error::new(io::ErrorKind::ConnectionReset, e)
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.pending.is_empty() {
            match ready!(this.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    // The window goes back as the bytes arrive; the driver's
                    // own limits bound what it holds.
                    let _ = this.recv.flow_control().release_capacity(data.len());
                    this.pending = data;
                }
                Some(Err(e)) => return Poll::Ready(Err(reset(e))),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        this.send.reserve_capacity(data.len());
        let room = loop {
            if this.send.capacity() > 0 {
                break this.send.capacity();
            }
            match ready!(this.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(reset(e))),
                None => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
            }
        };
        let n = room.min(data.len());
        this.send.send_data(Bytes::copy_from_slice(&data[..n]), false).map_err(reset)?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // h2 writes frames out from its connection task.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.ended {
            self.ended = true;
            self.send.send_data(Bytes::new(), true).map_err(reset)?;
        }
        Poll::Ready(Ok(()))
    }
}
