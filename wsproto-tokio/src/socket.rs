//! [`WebSocket`]: a connection and its transport, and the one loop that
//! drives them (read into the connection, write its output, its timers).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use wsproto::{Closed, Config, Connection, Event, Open, Role};

/// The default of [`WebSocket::set_write_buffer_limit`]: 128 KiB.
pub const DEFAULT_WRITE_BUFFER_LIMIT: usize = 128 * 1024;

/// The default of [`WebSocket::set_write_timeout`]: 30 s.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A write waiting on a transport that takes none of the output: when it
/// fails (the sleep, allocated only while a write waits).
struct Stall {
    sleep: Pin<Box<Sleep>>,
    /// The deadline: pushed back whenever the transport takes bytes (the
    /// sleep may then fire early, and is armed again).
    at: Instant,
}

/// How long a socket reads nothing before it gives its buffers back (see
/// [`WebSocket`], "Memory"): the deadline is armed at a read that finds
/// nothing and pushed back by one period if bytes arrived meanwhile, so the
/// buffers go back one to two periods after the last read.
const IDLE_RELEASE: Duration = Duration::from_secs(1);

/// The stack buffer a socket whose buffers were given back reads into
/// first, so polling an idle socket allocates nothing until bytes arrive;
/// also where reads go once the connection takes no more input.
const SMALL_READ: usize = 512;

/// Where a read goes.
enum Into {
    /// The room the connection lent.
    Room,
    /// The stack, then handed to the connection.
    Copy,
    /// Nowhere: the connection takes no more input.
    Discard,
}

/// Which half of a split socket asked to write: each keeps its waker, so a
/// write made by one half wakes the other (tokio keeps one write waker per
/// stream, the last one registered).
#[derive(Clone, Copy)]
pub(crate) enum Half {
    Stream = 0,
    Sink = 1,
}

/// An open WebSocket over a transport `S` (a `TcpStream`, a TLS stream,
/// hyper's upgraded stream): a [`Stream`](futures_core::Stream) of received
/// [`Message`](crate::Message)s and a [`Sink`](futures_sink::Sink) of
/// messages to send.
///
/// # Driving
/// Polling the stream (`next()`) drives everything: it reads the transport
/// straight into the connection's buffer, writes what is queued (automatic
/// pongs, the echo of a close), and runs the connection's timers (keepalive
/// pings and their timeout, the close timeout) on `tokio::time`. Keep
/// polling it, even in a task that mostly sends: a socket whose stream is
/// never polled reads nothing, answers no ping and times nothing out.
///
/// `next()` is cancel-safe: everything it has read lives in the connection,
/// so it may lose a `select!` race without losing a byte.
///
/// # Sending
/// The sink queues messages in the connection; `feed` several then `flush`
/// once and they leave together, in one vectored write. `poll_ready` is not
/// ready while more than the [write buffer
/// limit](Self::set_write_buffer_limit) is queued, so a fast sender waits
/// for a slow peer instead of growing memory. A peer that takes none of
/// the output for the [write timeout](Self::set_write_timeout) (30 s by
/// default) fails the connection, so a peer that stops reading cannot hold
/// a sender (and its buffers) forever.
///
/// # Two tasks
/// `futures_util::StreamExt::split` gives halves two tasks can own (they
/// share the socket behind a lock held only inside each poll). Each half
/// that waits for the transport to take output keeps its own waker, and a
/// write by either half wakes the other, so neither misses the transport
/// becoming writable.
///
/// # The end
/// A clean close (ours or the peer's) ends the stream (`None`) once the
/// transport is closed; [`closed`](Self::closed) then has the code and
/// reason. A failure (protocol violation, timeout, the peer vanishing)
/// comes out of the stream once as [`Error::Connection`](crate::Error::Connection)
/// before the end, and from every later send.
///
/// # Memory
/// An open socket holds no read or write buffer until bytes arrive or a
/// message is sent: the handshake's are given back once it is over. A
/// socket whose stream has read nothing for one to two seconds gives its
/// buffers back again ([`Connection::release_idle_buffers`]), so a busy
/// socket keeps them from one read to the next and an idle one holds only
/// itself (about 1.5 KiB, the connection included) and the task that owns
/// it. Polling an idle socket allocates nothing: its first read goes to the
/// stack, and only bytes that arrive make it take a buffer. Like the
/// timers, this needs the stream polled (`next()` waiting counts).
pub struct WebSocket<S> {
    pub(crate) io: S,
    pub(crate) conn: Connection,
    /// The connection's timer while it has a deadline; none while it has
    /// none (an open connection without keepalive), so an idle socket
    /// holds no timer entry.
    timer: Option<Pin<Box<Sleep>>>,
    /// The deadline `timer` is set to, if armed.
    timer_at: Option<Instant>,
    /// The connection's buffers were given back, and no read has taken
    /// them again: the next read goes to the stack first.
    released: bool,
    /// When the buffers are given back if nothing is read before: armed by
    /// a read that finds nothing while buffers are held.
    release_at: Option<Instant>,
    /// Bytes were read since `release_at` was armed.
    read_since: bool,
    /// The read side reached its end.
    read_eof: bool,
    /// The transport was shut down.
    shut_down: bool,
    pub(crate) closed: Option<Closed>,
    /// Boxed: an error is rare, and every idle socket would hold its size.
    pub(crate) failure: Option<Box<wsproto::Error>>,
    /// `Event::Open` was seen: the handshake is over.
    pub(crate) opened: bool,
    /// The stream reported its end (or an I/O error): it yields no more.
    pub(crate) done: bool,
    pub(crate) write_limit: usize,
    write_wakers: [Option<Waker>; 2],
    write_timeout: Option<Duration>,
    /// Output waits on a transport that takes none of it.
    stall: Option<Box<Stall>>,
    /// The write timeout passed: nothing more is written (nor flushed,
    /// nor shut down: a TLS layer would wait on the same peer).
    write_broken: bool,
}

impl<S> core::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WebSocket").field("conn", &self.conn).field("closed", &self.closed).finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Wraps a connection in any phase (the handshake drivers use this).
    pub(crate) fn new(io: S, conn: Connection) -> WebSocket<S> {
        // A new connection holds no buffers (unless given bytes already):
        // its first read, the handshake, goes to the stack, then to a buffer
        // sized for it.
        let released = conn.buffered_input() == 0;
        WebSocket {
            io,
            conn,
            timer: None,
            timer_at: None,
            released,
            release_at: None,
            read_since: false,
            read_eof: false,
            shut_down: false,
            closed: None,
            failure: None,
            opened: false,
            done: false,
            write_limit: DEFAULT_WRITE_BUFFER_LIMIT,
            write_wakers: [None, None],
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            stall: None,
            write_broken: false,
        }
    }

    /// A socket over `io` whose opening handshake happened elsewhere: hyper
    /// or axum answered the upgrade (wrap `hyper::upgrade::Upgraded` in
    /// `hyper_util::rt::TokioIo`), or an HTTP/2 stream did extended
    /// CONNECT. `negotiated` is what the handshake agreed to (the
    /// subprotocol; the extensions, so a `permessage-deflate` answer turns
    /// compression on). Mask keys (a client) come from a CSPRNG seeded from
    /// the operating system.
    ///
    /// # Panics
    /// When polled outside a tokio runtime with its time driver enabled:
    /// the socket's timer (keepalive, the close timeout, giving idle
    /// buffers back) is created at the first wait that needs it.
    pub fn from_open(io: S, role: Role, negotiated: Open, config: Config) -> WebSocket<S> {
        // A client masks with a generator of its own; a server never masks.
        let mut conn = match role {
            Role::Client => {
                Connection::open_with_random(role, negotiated, config, crate::rng::SecureRng::new(), crate::now())
            }
            _ => Connection::open_with_random(role, negotiated, config, crate::rng::ThreadRng, crate::now()),
        };
        // The first event is `Open`, which the caller already knows.
        let _ = conn.poll_event();
        let mut ws = WebSocket::new(io, conn);
        ws.opened = true;
        // A connection built open holds no buffers yet.
        ws.released = true;
        ws
    }

    /// The connection, for its getters: [`state`](Connection::state),
    /// [`subprotocol`](Connection::subprotocol),
    /// [`buffered_amount`](Connection::buffered_amount), ...
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// How the connection ended, once the stream has ended (or the
    /// connection's `Closed` event has been seen): after a clean close, the
    /// peer's code and reason, `was_clean: true`; after a failure or an
    /// abort, 1006, not clean.
    pub fn closed(&self) -> Option<&Closed> {
        self.closed.as_ref()
    }

    /// The most bytes queued (not yet taken by the transport) before the
    /// sink stops being ready. A message is accepted while the queue is at
    /// or below the limit, whatever its size, so one message larger than
    /// the limit still goes out. Default [`DEFAULT_WRITE_BUFFER_LIMIT`]; the
    /// connection's own [`Config::max_output_buffer`] stays the hard limit.
    pub fn set_write_buffer_limit(&mut self, bytes: usize) {
        self.write_limit = bytes;
    }

    /// How long output may wait on a transport that takes none of it
    /// before the connection fails; `None` waits forever. Default
    /// [`DEFAULT_WRITE_TIMEOUT`].
    ///
    /// The clock runs while output is queued and the transport is not
    /// ready for it, and starts again whenever the transport takes bytes:
    /// a slow peer that keeps reading is never failed, one that stopped is
    /// (keepalive cannot tell: its pings wait behind the same output). Once
    /// all our output is inside a layer below (TLS holds up to its buffer,
    /// 64 KiB for rustls), that layer's flush gets the whole timeout. The
    /// connection then ends at once ([`Connection::abort`]: 1006, not
    /// clean, nothing more written), and the wait that saw the timeout (a
    /// send, a flush, or `next()`) fails with [`Error::Io`](crate::Error::Io)
    /// of kind [`TimedOut`](io::ErrorKind::TimedOut); the stream then ends.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// Ends the connection at once without a close handshake
    /// ([`Connection::abort`]) and shuts the transport down (one try: a
    /// shutdown that would wait, as TLS flushing to a peer that takes
    /// nothing, is left to dropping the socket). The stream then ends;
    /// [`closed`](Self::closed) reports 1006, not clean.
    pub async fn abort(&mut self) {
        self.conn.abort(crate::now());
        while let Some(event) = self.conn.poll_event() {
            self.record(event);
        }
        if !self.shut_down {
            self.shut_down = true;
            // One try, not a wait: a TLS layer would first flush what it
            // holds to a peer that may take nothing (the transport closes
            // when the socket is dropped either way).
            let io = &mut self.io;
            std::future::poll_fn(|cx| {
                let _ = Pin::new(&mut *io).poll_shutdown(cx);
                Poll::Ready(())
            })
            .await;
        }
    }

    /// Keeps what a connection-ending event says; `Some` for the others.
    pub(crate) fn record(&mut self, event: Event) -> Option<Event> {
        match event {
            Event::Failed(error) => self.failure = Some(Box::new(error)),
            Event::Closed(closed) => self.closed = Some(closed),
            other => return Some(other),
        }
        None
    }

    /// The next event, reading, writing and timing as needed; `None` once
    /// the connection is over and the transport has been shut down.
    #[inline]
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Event>>> {
        // The common case first, without the transport: an event decoded
        // from bytes already read.
        if let Some(event) = self.conn.poll_event() {
            return Poll::Ready(Ok(Some(event)));
        }
        self.poll_transport(cx)
    }

    /// [`poll_event`](Self::poll_event) when the connection has no event
    /// ready: writes, times, reads until it has one.
    #[inline(never)]
    fn poll_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Event>>> {
        loop {
            // Output (a pong, a close) goes out now; a transport not ready
            // for it wakes us later.
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx, Half::Stream) {
                return Poll::Ready(Err(e));
            }
            if self.conn.should_close_transport() {
                if !self.shut_down {
                    // A failed shutdown still ends the connection; one that
                    // waits (TLS flushing its close_notify to a peer that
                    // takes nothing) waits at most the write timeout.
                    if Pin::new(&mut self.io).poll_shutdown(cx).is_pending() {
                        // The connection is over already: its end stands.
                        let _ = ready!(self.poll_stall(cx, false));
                    }
                    self.shut_down = true;
                }
                return Poll::Ready(Ok(None));
            }
            // A timer that fired, or a read, may have made an event.
            if self.poll_timer(cx).is_pending() {
                if self.read_eof {
                    return Poll::Pending;
                }
                if let Err(e) = ready!(self.poll_read_once(cx)) {
                    return Poll::Ready(Err(e));
                }
            }
            if let Some(event) = self.conn.poll_event() {
                return Poll::Ready(Ok(Some(event)));
            }
        }
    }

    /// One read from the transport, straight into the room the connection
    /// lends, handed in. Ready once something happened (bytes, the end of
    /// the stream, an interrupted read, a timer firing); pending while the
    /// transport has nothing.
    fn poll_read_once(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.released
            && let Some(room) = self.conn.read_buf()
        {
            let mut buf = ReadBuf::new(room);
            let read = Pin::new(&mut self.io).poll_read(cx, &mut buf);
            let n = buf.filled().len();
            return self.read_done(cx, read, Into::Room, n, &[]);
        }
        self.poll_read_small(cx)
    }

    /// [`poll_read_once`](Self::poll_read_once) into the stack: while the
    /// connection's buffers are given back (the bytes are then handed in,
    /// copied), or once it takes no more input (only the end of the stream
    /// matters then).
    #[inline(never)]
    fn poll_read_small(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut small = [0u8; SMALL_READ];
        let into = if self.released { Into::Copy } else { Into::Discard };
        let mut buf = ReadBuf::new(&mut small);
        let read = Pin::new(&mut self.io).poll_read(cx, &mut buf);
        let n = buf.filled().len();
        self.read_done(cx, read, into, n, &small[..n])
    }

    /// Hands in what a read of `n` bytes into `into` brought (`copied`:
    /// the bytes, when they are on the stack).
    fn read_done(
        &mut self,
        cx: &mut Context<'_>,
        read: Poll<io::Result<()>>,
        into: Into,
        n: usize,
        copied: &[u8],
    ) -> Poll<io::Result<()>> {
        // A TLS layer reports the peer ending TCP without a close_notify
        // (many servers do, once the close handshake is over) as
        // `UnexpectedEof`: the end of the stream, as a read of 0 bytes is.
        // Whether the connection ended cleanly is the close handshake's to
        // say: after it, this is no error; before it, the core fails the
        // connection (1006).
        let (read, n) = match read {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => (Poll::Ready(Ok(())), 0),
            read => (read, n),
        };
        match read {
            Poll::Ready(Ok(())) => {
                if n == 0 {
                    self.read_eof = true;
                    self.conn.handle_eof(crate::now());
                    return Poll::Ready(Ok(()));
                }
                self.read_since = true;
                // The clock is read only if the input can move a timer.
                match into {
                    Into::Room => self.conn.handle_read(crate::now, n),
                    Into::Copy => {
                        self.released = false;
                        self.conn.handle_input(crate::now, copied);
                    }
                    Into::Discard => {}
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.read_eof = true;
                self.conn.abort(crate::now());
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                // Nothing to read for now. Buffers are given back once
                // the socket stays this way (see `release_when_idle`),
                // not at every wait: a busy socket would allocate and
                // initialize them again at every wake-up.
                if !self.released && self.release_at.is_none() {
                    self.release_at = Some(crate::now() + IDLE_RELEASE);
                    self.read_since = false;
                    if self.poll_timer(cx).is_ready() {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Pending
            }
        }
    }

    /// Fires the connection's timers (and the release of idle buffers) once
    /// their deadline passed; pending (with the sleep registered) until
    /// then, or when there is none.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.conn.poll_timeout();
        let earliest = match (deadline, self.release_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(at) = earliest else {
            self.timer = None;
            self.timer_at = None;
            return Poll::Pending;
        };
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())));
        // Re-arm only for an earlier deadline: a later one (keepalive moves
        // on with every read) lets the sleep fire early, which is harmless
        // and saves a timer update per read.
        if self.timer_at.is_none_or(|armed| armed > at) {
            timer.as_mut().reset(at.into());
            self.timer_at = Some(at);
        }
        ready!(timer.as_mut().poll(cx));
        self.timer_at = None;
        // The sleep says `at` has passed: a clock read a hair earlier must
        // not leave the timer unhandled (and the loop spinning on it).
        let now = crate::now().max(at);
        if deadline.is_some_and(|deadline| deadline <= now) {
            self.conn.handle_timeout(now);
        }
        if self.release_at.is_some_and(|release_at| release_at <= now) {
            self.release_when_idle(now);
        }
        Poll::Ready(())
    }

    /// The release deadline passed: gives the buffers back if nothing was
    /// read since it was armed, else waits another period.
    fn release_when_idle(&mut self, now: Instant) {
        if self.read_since {
            self.read_since = false;
            self.release_at = Some(now + IDLE_RELEASE);
            return;
        }
        self.release_at = None;
        // Not given back while part of a frame waits; the next read that
        // finds nothing arms the deadline again.
        self.released = self.conn.release_idle_buffers();
    }

    /// Gives the buffers back after the opening handshake: an open socket
    /// holds none until bytes arrive (unless bytes already wait).
    pub(crate) fn release_after_handshake(&mut self) {
        self.released = self.conn.release_idle_buffers();
    }

    /// Writes everything queued, vectored (a large payload goes out from
    /// where it is), then flushes the transport.
    ///
    /// With nothing queued, the connection's output is not asked for at all:
    /// asking decodes every received frame not yet polled (so pings are
    /// answered), which would apply a protocol error behind messages the
    /// app has not seen yet, before the app could answer them. The stream
    /// decodes as the app polls instead.
    pub(crate) fn poll_write_out(&mut self, cx: &mut Context<'_>, half: Half) -> Poll<io::Result<()>> {
        if self.write_broken {
            // The stream goes on to its end; a send or flush (of the other
            // half, waiting when the timeout passed) learns why.
            return Poll::Ready(match half {
                Half::Stream => Ok(()),
                Half::Sink => Err(self.write_timed_out()),
            });
        }
        if self.conn.buffered_amount() == 0 {
            let flushed = Pin::new(&mut self.io).poll_flush(cx);
            match &flushed {
                // A broken transport (a reset HTTP/2 stream fails its flush)
                // ends the connection, as a failed write does below.
                Poll::Ready(Err(_)) => self.conn.abort(crate::now()),
                // A layer below (TLS) still holds output the peer takes none of.
                Poll::Pending => return self.poll_stall(cx, false),
                Poll::Ready(Ok(())) => self.stall = None,
            }
            return flushed;
        }
        // One vectored write per call of the closure, from the slices the
        // connection lends; `Ok(0)` stops it when the transport is not ready.
        let io = &mut self.io;
        let (mut blocked, mut wrote) = (false, false);
        let written = self.conn.transmit_with(|bufs| {
            loop {
                let io = Pin::new(&mut *io);
                let polled =
                    if io.is_write_vectored() { io.poll_write_vectored(cx, bufs) } else { io.poll_write(cx, &bufs[0]) };
                return match polled {
                    Poll::Ready(Ok(0)) => Err(io::ErrorKind::WriteZero.into()),
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Poll::Ready(result) => {
                        wrote |= result.is_ok();
                        result
                    }
                    Poll::Pending => {
                        blocked = true;
                        Ok(0)
                    }
                };
            }
        });
        let result = match written {
            Err(e) => Poll::Ready(Err(e)),
            Ok(_) if blocked => Poll::Pending,
            Ok(_) => Pin::new(&mut self.io).poll_flush(cx),
        };
        if result.is_pending() {
            let slot = &mut self.write_wakers[half as usize];
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        if wrote {
            let other = 1 - half as usize;
            if let Some(waker) = self.write_wakers[other].take() {
                waker.wake();
            }
        }
        if let Poll::Ready(Err(_)) = &result {
            self.conn.abort(crate::now());
        }
        if result.is_pending() {
            // Output waits: ours, or (all of ours taken) a TLS layer's.
            return self.poll_stall(cx, wrote);
        }
        self.stall = None;
        result
    }

    /// Output waits on the transport (`progress`: it took some bytes in
    /// this call): pending until the write timeout passes with no progress,
    /// then the connection fails and this is the error.
    #[cold]
    fn poll_stall(&mut self, cx: &mut Context<'_>, progress: bool) -> Poll<io::Result<()>> {
        let Some(limit) = self.write_timeout else {
            self.stall = None;
            return Poll::Pending;
        };
        let now = crate::now();
        let stall = match &mut self.stall {
            Some(stall) => {
                if progress {
                    stall.at = now + limit;
                }
                stall
            }
            None => {
                let at = now + limit;
                self.stall.insert(Box::new(Stall { sleep: Box::pin(tokio::time::sleep_until(at.into())), at }))
            }
        };
        if stall.sleep.deadline().into_std() != stall.at {
            stall.sleep.as_mut().reset(stall.at.into());
        }
        // Ready: the sleep, armed at `stall.at`, says the timeout passed.
        ready!(stall.sleep.as_mut().poll(cx));
        self.stall = None;
        self.write_broken = true;
        self.shut_down = true;
        self.conn.abort(crate::now());
        for waker in self.write_wakers.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
        Poll::Ready(Err(self.write_timed_out()))
    }

    /// The error of a write that passed the write timeout.
    fn write_timed_out(&self) -> io::Error {
        let limit = self.write_timeout.unwrap_or_default();
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("write timeout: the peer took none of our output for {limit:?}"),
        )
    }
}
