//! Shared helpers for the benches: the workloads (identical bytes for every
//! library), an in-memory transport, and one receive and one send driver per
//! library, each using that library's normal API.
//!
//! The rules that keep the comparison fair:
//! - Every library reads the same wire bytes from the same in-memory stream
//!   ([`MemStream`]) through its reader (`std::io::Read` or tokio's
//!   `AsyncRead`), at most [`READ_SIZE`] bytes per read call, into its own
//!   buffer, and so makes the same one copy "from the socket". wsproto reads
//!   into the room [`Connection::read_buf`] lends, as a socket loop does.
//! - Every received payload is consumed the same way ([`consume`]).
//! - Every sender writes each message out before the next one is sent (a
//!   write, and a flush where the library buffers), into the same sink,
//!   which copies what it is given as a kernel socket write would.
//! - Connections are created once and reused across iterations; only the
//!   stream position is rewound.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{IoSlice, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use wsproto::{Config, Connection, Event, EventRef, Open, Role, Utf8Bytes};

/// The most bytes one read from the in-memory stream returns.
pub const READ_SIZE: usize = 64 * 1024;

/// The payload sizes measured.
pub const SIZES: [(&str, usize); 6] =
    [("16B", 16), ("125B", 125), ("1KiB", 1 << 10), ("16KiB", 16 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)];

/// Binary or text messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Pseudo-random bytes.
    Binary,
    /// Mostly ASCII, with a two-byte character every 16 characters.
    Text,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Binary, Kind::Text];

    /// A label for bench names.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Binary => "binary",
            Kind::Text => "text",
        }
    }

    fn opcode(self) -> u8 {
        match self {
            Kind::Binary => 0x2,
            Kind::Text => 0x1,
        }
    }
}

/// A tiny deterministic generator (xorshift64*), independent of the crate's.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A payload of exactly `size` bytes. Text is valid UTF-8, mostly ASCII
/// letters with a two-byte character (`é`) after every 15 ASCII ones, so a
/// validator cannot take an all-ASCII shortcut over any 32-byte stretch.
pub fn payload(kind: Kind, size: usize) -> Vec<u8> {
    let mut rng = XorShift::new(size as u64);
    match kind {
        Kind::Binary => (0..size).map(|_| rng.next_u64() as u8).collect(),
        Kind::Text => {
            let mut out = Vec::with_capacity(size);
            let mut column = 0;
            while out.len() < size {
                if column == 15 && size - out.len() >= 2 {
                    out.extend_from_slice("é".as_bytes());
                    column = 0;
                } else {
                    out.push(b'a' + (rng.next_u64() % 26) as u8);
                    column += 1;
                }
            }
            debug_assert!(std::str::from_utf8(&out).is_ok());
            out
        }
    }
}

/// Appends one whole masked (client-to-server) frame to `out`; returns
/// where its payload starts. Written by the test-support crate, not the
/// crate's encoder, so every library gets bytes that no library under test
/// produced.
pub fn push_masked_frame(out: &mut Vec<u8>, kind: Kind, payload: &[u8], key: [u8; 4]) -> usize {
    wsproto_test_support::frames::push_frame(out, 0x80 | kind.opcode(), payload, Some(key))
}

/// Where one payload sits in a wire buffer.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// Offset of the payload's first byte.
    pub start: usize,
    /// Payload length.
    pub len: usize,
    /// The frame's masking key.
    pub key: [u8; 4],
}

/// `count` masked client frames of one kind and size, back to back: what a
/// server reads. Every frame carries the same payload under its own key.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Binary or text.
    pub kind: Kind,
    /// Payload size of every message.
    pub size: usize,
    /// Number of messages.
    pub count: usize,
    /// The unmasked payload.
    pub payload: Vec<u8>,
    /// The frames as they arrive.
    pub wire: Arc<[u8]>,
    /// Where each payload sits in `wire`.
    pub slots: Vec<Slot>,
    /// The checksum [`consume`] gives summed over all messages.
    pub expected: u64,
}

impl Workload {
    /// About 4 MiB of payload in total (at least 4 messages, at most 10,000).
    pub fn new(kind: Kind, size: usize) -> Workload {
        let count = ((4 << 20) / size.max(1)).clamp(4, 10_000);
        Workload::with_count(kind, size, count)
    }

    /// Exactly `count` messages.
    pub fn with_count(kind: Kind, size: usize, count: usize) -> Workload {
        let payload = payload(kind, size);
        let mut rng = XorShift::new(0xC0FFEE);
        let mut wire = Vec::with_capacity(count * (size + 14));
        let mut slots = Vec::with_capacity(count);
        for _ in 0..count {
            let key = (rng.next_u64() as u32).to_be_bytes();
            let start = push_masked_frame(&mut wire, kind, &payload, key);
            slots.push(Slot { start, len: size, key });
        }
        let expected = consume(&payload) * count as u64;
        Workload { kind, size, count, payload, wire: wire.into(), slots, expected }
    }

    /// Total payload bytes, for throughput.
    pub fn payload_bytes(&self) -> u64 {
        (self.size * self.count) as u64
    }

    /// The bytes one client frame of this payload takes on the wire.
    pub fn frame_len(&self) -> usize {
        let ext = if self.size < 126 {
            0
        } else if self.size <= u16::MAX as usize {
            2
        } else {
            8
        };
        2 + ext + 4 + self.size
    }
}

/// What every receiver does with each payload: reads its length and its
/// first and last bytes, so it cannot be skipped.
#[inline]
pub fn consume(payload: &[u8]) -> u64 {
    let first = payload.first().copied().unwrap_or(0) as u64;
    let last = payload.last().copied().unwrap_or(0) as u64;
    payload.len() as u64 + first + (last << 8)
}

// ---- the in-memory transport ---------------------------------------------

/// Where written bytes go: copied into a 256 KiB ring, as a kernel copies a
/// socket write into its buffer, and counted.
#[derive(Debug, Clone)]
pub struct Sink {
    ring: Vec<u8>,
    at: usize,
    /// Bytes written so far.
    pub total: u64,
}

impl Default for Sink {
    fn default() -> Self {
        Sink { ring: vec![0; 256 << 10], at: 0, total: 0 }
    }
}

impl Sink {
    /// Copies `data` in.
    #[inline]
    pub fn put(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        while !data.is_empty() {
            if self.at == self.ring.len() {
                self.at = 0;
            }
            let n = data.len().min(self.ring.len() - self.at);
            self.ring[self.at..self.at + n].copy_from_slice(&data[..n]);
            self.at += n;
            data = &data[n..];
        }
    }
}

/// A byte stream in memory: reads come from a shared source buffer (at most
/// [`READ_SIZE`] per call), writes go to a [`Sink`]. Implements both the std
/// and the tokio I/O traits; never blocks, never returns `Pending`.
#[derive(Debug, Clone)]
pub struct MemStream {
    source: Rc<RefCell<Arc<[u8]>>>,
    pos: Rc<Cell<usize>>,
    sink: Rc<RefCell<Sink>>,
}

impl Default for MemStream {
    fn default() -> Self {
        MemStream {
            source: Rc::new(RefCell::new(Arc::from(&[][..]))),
            pos: Rc::new(Cell::new(0)),
            sink: Rc::new(RefCell::new(Sink::default())),
        }
    }
}

impl MemStream {
    /// Reads will return `source` from its start. Clones of this stream
    /// share the source, the position and the sink.
    pub fn rewind(&self, source: &Arc<[u8]>) {
        *self.source.borrow_mut() = source.clone();
        self.pos.set(0);
    }

    /// Whether every byte of the source has been read.
    pub fn at_end(&self) -> bool {
        self.pos.get() == self.source.borrow().len()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.sink.borrow().total
    }

    /// Copies the next bytes of the source into `out`; returns how many.
    #[inline]
    fn read_into(&self, out: &mut [u8]) -> usize {
        let source = self.source.borrow();
        let pos = self.pos.get();
        let n = out.len().min(READ_SIZE).min(source.len() - pos);
        out[..n].copy_from_slice(&source[pos..pos + n]);
        self.pos.set(pos + n);
        n
    }

    #[inline]
    fn write_slices(&self, bufs: &[IoSlice<'_>]) -> usize {
        let mut sink = self.sink.borrow_mut();
        let mut n = 0;
        for buf in bufs {
            sink.put(buf);
            n += buf.len();
        }
        n
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.read_into(buf))
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sink.borrow_mut().put(buf);
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
        Ok(self.write_slices(bufs))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let source = self.source.borrow();
        let pos = self.pos.get();
        let n = buf.remaining().min(READ_SIZE).min(source.len() - pos);
        buf.put_slice(&source[pos..pos + n]);
        self.pos.set(pos + n);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for MemStream {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.sink.borrow_mut().put(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(self.write_slices(bufs)))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// [`MemStream`] for a library that needs a `Send` stream (ratchet): the
/// same reads and the same sink, the sink owned by the stream (only the
/// library writes to it) and the count of bytes written shared without a
/// lock (a plain store: there is one writer).
#[derive(Clone)]
pub struct SendMemStream {
    source: Arc<Mutex<Arc<[u8]>>>,
    pos: Arc<AtomicUsize>,
    sink: Sink,
    written: Arc<AtomicU64>,
}

impl Default for SendMemStream {
    fn default() -> Self {
        SendMemStream {
            source: Arc::new(Mutex::new(Arc::from(&[][..]))),
            pos: Arc::new(AtomicUsize::new(0)),
            sink: Sink::default(),
            written: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl SendMemStream {
    /// As [`MemStream::rewind`].
    pub fn rewind(&self, source: &Arc<[u8]>) {
        *self.source.lock().expect("source") = source.clone();
        self.pos.store(0, Ordering::Relaxed);
    }

    /// Bytes written so far (by any clone).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    #[inline]
    fn put(&mut self, data: &[u8]) {
        self.sink.put(data);
        self.written.store(self.written.load(Ordering::Relaxed) + data.len() as u64, Ordering::Relaxed);
    }
}

impl tokio::io::AsyncRead for SendMemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let source = self.source.lock().expect("source");
        let pos = self.pos.load(Ordering::Relaxed);
        let n = buf.remaining().min(READ_SIZE).min(source.len() - pos);
        buf.put_slice(&source[pos..pos + n]);
        self.pos.store(pos + n, Ordering::Relaxed);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for SendMemStream {
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.put(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let mut n = 0;
        for buf in bufs {
            self.put(buf);
            n += buf.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs a future that never waits (everything here is in memory) to its end.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

// ---- the libraries -----------------------------------------------------

/// Which end of a connection sends: a client masks its frames, a server
/// does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Masked frames.
    Client,
    /// Unmasked frames.
    Server,
}

impl Side {
    /// Both sides, the client first.
    pub const ALL: [Side; 2] = [Side::Client, Side::Server];

    /// A label for bench names.
    pub fn label(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }

    fn ours(self) -> Role {
        match self {
            Side::Client => Role::Client,
            Side::Server => Role::Server,
        }
    }
}

/// The libraries compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lib {
    /// This crate, fed with `handle_input` (one copy into its buffer).
    Wsproto,
    /// tungstenite over std `Read`/`Write`.
    Tungstenite,
    /// tokio-websockets over tokio `AsyncRead`/`AsyncWrite`.
    TokioWebsockets,
    /// fastwebsockets over tokio `AsyncRead`/`AsyncWrite`.
    Fastwebsockets,
    /// ratchet over tokio `AsyncRead`/`AsyncWrite`.
    Ratchet,
}

impl Lib {
    /// Every library, ours first.
    pub const ALL: [Lib; 5] = [Lib::Wsproto, Lib::Tungstenite, Lib::TokioWebsockets, Lib::Fastwebsockets, Lib::Ratchet];

    /// A label for bench names.
    pub fn label(self) -> &'static str {
        match self {
            Lib::Wsproto => "wsproto",
            Lib::Tungstenite => "tungstenite",
            Lib::TokioWebsockets => "tokio-websockets",
            Lib::Fastwebsockets => "fastwebsockets",
            Lib::Ratchet => "ratchet",
        }
    }
}

/// A server-side connection of one library, open, reading from a [`MemStream`].
pub enum Receiver {
    /// Ours, reading whole messages lent from its buffer (`poll_event_ref`).
    Wsproto(Box<Connection>, MemStream),
    /// Ours, taking each message as owned `Bytes` (`poll_event`).
    WsprotoOwned(Box<Connection>, MemStream),
    /// tungstenite.
    Tungstenite(Box<tungstenite::WebSocket<MemStream>>, MemStream),
    /// tokio-websockets.
    TokioWebsockets(Box<tokio_websockets::WebSocketStream<MemStream>>, MemStream),
    /// fastwebsockets.
    Fastwebsockets(Box<fastwebsockets::WebSocket<MemStream>>, MemStream),
    /// ratchet, reading each message into one reused buffer.
    Ratchet(Box<RatchetSocket>, SendMemStream, bytes::BytesMut),
    /// Ours through the tokio driver: `next()` on its `Stream`, owned
    /// messages, as an application on tokio receives them.
    WsprotoTokio(Box<Driver>, MemStream),
}

/// Our tokio driver over a [`MemStream`], with the single-threaded runtime
/// (time enabled, as the driver's timers need) that polls it.
pub struct Driver {
    rt: tokio::runtime::Runtime,
    ws: wsproto_tokio::WebSocket<MemStream>,
}

impl Driver {
    /// An open socket in `role`, its connection at the default
    /// configuration (mask keys from the driver's CSPRNG for a client).
    fn new(io: MemStream, role: Role) -> Box<Driver> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime");
        let ws = {
            let _inside = rt.enter();
            wsproto_tokio::WebSocket::from_open(io, role, Open::new(), Config::default())
        };
        Box::new(Driver { rt, ws })
    }
}

/// A ratchet WebSocket over the in-memory stream, no extension.
pub type RatchetSocket = ratchet_rs::WebSocket<SendMemStream, ratchet_rs::NoExt>;

fn ratchet(io: SendMemStream, role: ratchet_rs::Role) -> Box<RatchetSocket> {
    Box::new(ratchet_rs::WebSocket::from_upgraded(
        ratchet_rs::WebSocketConfig::default(),
        io,
        None,
        bytes::BytesMut::new(),
        role,
    ))
}

/// A connection of ours in `role` that starts open, its `Open` event polled,
/// with the default configuration and random source (mask keys from
/// `SecureRandom`, a CSPRNG seeded from the OS).
fn wsproto_open(role: Role) -> Connection {
    let mut conn = Connection::open(role, Open::new(), Config::default(), Instant::now());
    while conn.poll_event().is_some() {}
    conn
}

/// A server connection of ours that starts open.
pub fn wsproto_server() -> Connection {
    wsproto_open(Role::Server)
}

/// A client connection of ours that starts open.
pub fn wsproto_client() -> Connection {
    wsproto_open(Role::Client)
}

impl Receiver {
    /// Ours, taking messages as owned `Bytes` rather than lent.
    pub fn wsproto_owned() -> Receiver {
        Receiver::WsprotoOwned(Box::new(wsproto_server()), MemStream::default())
    }

    /// Ours through the tokio driver.
    pub fn wsproto_tokio() -> Receiver {
        let stream = MemStream::default();
        Receiver::WsprotoTokio(Driver::new(stream.clone(), Role::Server), stream)
    }

    /// An open server connection of `lib`.
    pub fn new(lib: Lib) -> Receiver {
        let stream = MemStream::default();
        let io = stream.clone();
        match lib {
            Lib::Wsproto => Receiver::Wsproto(Box::new(wsproto_server()), stream),
            Lib::Tungstenite => Receiver::Tungstenite(
                Box::new(tungstenite::WebSocket::from_raw_socket(io, tungstenite::protocol::Role::Server, None)),
                stream,
            ),
            Lib::TokioWebsockets => {
                Receiver::TokioWebsockets(Box::new(tokio_websockets::ServerBuilder::new().serve(io)), stream)
            }
            Lib::Fastwebsockets => Receiver::Fastwebsockets(
                Box::new(fastwebsockets::WebSocket::after_handshake(io, fastwebsockets::Role::Server)),
                stream,
            ),
            Lib::Ratchet => {
                let stream = SendMemStream::default();
                Receiver::Ratchet(ratchet(stream.clone(), ratchet_rs::Role::Server), stream, bytes::BytesMut::new())
            }
        }
    }

    /// Receives every message of `work` and returns the checksum of the
    /// payloads. Panics on anything but the expected messages.
    pub fn run(&mut self, work: &Workload) -> u64 {
        let mut sum = 0;
        match self {
            Receiver::Wsproto(conn, stream) => {
                sum = read_into(conn, stream, work, |conn| {
                    let mut sum = 0;
                    while let Some(event) = conn.poll_event_ref() {
                        sum += match event {
                            EventRef::Binary(data) => consume(data),
                            EventRef::Text(text) => consume(text.as_bytes()),
                            other => panic!("unexpected event {other:?}"),
                        };
                    }
                    sum
                });
            }
            Receiver::WsprotoOwned(conn, stream) => {
                sum = read_into(conn, stream, work, |conn| {
                    let mut sum = 0;
                    while let Some(event) = conn.poll_event() {
                        sum += match event {
                            Event::Binary(data) => consume(&data),
                            Event::Text(text) => consume(text.as_bytes()),
                            other => panic!("unexpected event {other:?}"),
                        };
                    }
                    sum
                });
            }
            Receiver::Tungstenite(ws, stream) => {
                stream.rewind(&work.wire);
                for _ in 0..work.count {
                    sum += match ws.read().expect("tungstenite read") {
                        tungstenite::Message::Binary(data) => consume(&data),
                        tungstenite::Message::Text(text) => consume(text.as_bytes()),
                        other => panic!("unexpected message {other:?}"),
                    };
                }
            }
            Receiver::TokioWebsockets(ws, stream) => {
                use futures_util::StreamExt;
                stream.rewind(&work.wire);
                block_on(async {
                    for _ in 0..work.count {
                        let message = ws.next().await.expect("a message").expect("tokio-websockets read");
                        assert!(message.is_binary() || message.is_text());
                        sum += consume(message.as_payload());
                    }
                });
            }
            Receiver::Fastwebsockets(ws, stream) => {
                stream.rewind(&work.wire);
                block_on(async {
                    for _ in 0..work.count {
                        let frame = ws.read_frame().await.expect("fastwebsockets read");
                        assert!(frame.fin);
                        assert!(matches!(frame.opcode, fastwebsockets::OpCode::Binary | fastwebsockets::OpCode::Text));
                        sum += consume(&frame.payload);
                    }
                });
            }
            Receiver::WsprotoTokio(driver, stream) => {
                use futures_util::StreamExt;
                stream.rewind(&work.wire);
                let Driver { rt, ws } = &mut **driver;
                rt.block_on(async {
                    for _ in 0..work.count {
                        sum += match ws.next().await.expect("a message").expect("wsproto-tokio read") {
                            wsproto_tokio::Message::Binary(data) => consume(&data),
                            wsproto_tokio::Message::Text(text) => consume(text.as_bytes()),
                            other => panic!("unexpected message {other:?}"),
                        };
                    }
                });
            }
            Receiver::Ratchet(ws, stream, buf) => {
                stream.rewind(&work.wire);
                block_on(async {
                    for _ in 0..work.count {
                        buf.clear();
                        let message = ws.read(buf).await.expect("ratchet read");
                        assert!(matches!(message, ratchet_rs::Message::Binary | ratchet_rs::Message::Text));
                        sum += consume(buf);
                    }
                });
            }
        }
        sum
    }
}

/// Feeds `work` to our connection as a socket loop does: each read (at
/// most [`READ_SIZE`] bytes, through `std::io::Read`) goes straight into the
/// room `read_buf` lends, then `handle_read` with the clock read then;
/// calls `drain` after each and returns the sum of what it returns.
fn read_into(
    conn: &mut Connection,
    stream: &mut MemStream,
    work: &Workload,
    mut drain: impl FnMut(&mut Connection) -> u64,
) -> u64 {
    stream.rewind(&work.wire);
    let mut sum = 0;
    loop {
        let room = conn.read_buf().expect("room to read into");
        let n = stream.read(room).expect("in-memory read");
        if n == 0 {
            return sum;
        }
        // The time of each read, as the README's loop reports it: the
        // clock, read only if the input can move a timer.
        conn.handle_read(Instant::now, n);
        sum += drain(conn);
    }
}

/// A connection of one library, open, writing to a [`MemStream`].
pub enum Sender {
    /// Ours, sending with `send_binary` / `send_text`, lending the message
    /// (`&Bytes` / `&Utf8Bytes`), as one message is sent to many connections.
    Wsproto(Box<Connection>, MemStream),
    /// Ours, sending with `send_binary` / `send_text`, giving each send its
    /// own reference (a `Bytes` / `Utf8Bytes` clone), as the peers that take
    /// owned messages are given them.
    WsprotoOwned(Box<Connection>, MemStream),
    /// tungstenite.
    Tungstenite(Box<tungstenite::WebSocket<MemStream>>),
    /// tokio-websockets.
    TokioWebsockets(Box<tokio_websockets::WebSocketStream<MemStream>>),
    /// fastwebsockets.
    Fastwebsockets(Box<fastwebsockets::WebSocket<MemStream>>),
    /// ratchet.
    Ratchet(Box<RatchetSocket>),
    /// Ours through the tokio driver: `send` on its `Sink` (feed, then
    /// flush) of an owned message, as an application on tokio sends.
    WsprotoTokio(Box<Driver>),
}

/// Where a [`Sender`] writes, to count what it wrote.
pub enum Written {
    /// A [`MemStream`].
    Mem(MemStream),
    /// A [`SendMemStream`].
    Send(SendMemStream),
}

impl Written {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        match self {
            Written::Mem(stream) => stream.written(),
            Written::Send(stream) => stream.written(),
        }
    }
}

/// One message to send, in the form each library takes it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Binary or text.
    pub kind: Kind,
    /// The payload.
    pub bytes: Bytes,
    /// The payload as checked text (for text).
    pub text: Option<Utf8Bytes>,
    /// The payload as tungstenite's checked text (for text).
    pub tungstenite_text: Option<tungstenite::Utf8Bytes>,
}

impl Outgoing {
    /// The payload of `kind` and `size`.
    pub fn new(kind: Kind, size: usize) -> Outgoing {
        let bytes = Bytes::from(payload(kind, size));
        let (text, tungstenite_text) = match kind {
            Kind::Binary => (None, None),
            Kind::Text => (
                Some(Utf8Bytes::try_from_bytes(bytes.clone()).expect("text")),
                Some(tungstenite::Utf8Bytes::try_from(bytes.clone()).expect("text")),
            ),
        };
        Outgoing { kind, bytes, text, tungstenite_text }
    }
}

impl Sender {
    /// An open client connection of `lib` and the stream it writes to.
    pub fn new(lib: Lib) -> (Sender, Written) {
        Sender::with_role(lib, Side::Client)
    }

    /// Ours through the tokio driver, as a client or a server.
    pub fn wsproto_tokio(side: Side) -> (Sender, Written) {
        let stream = MemStream::default();
        (Sender::WsprotoTokio(Driver::new(stream.clone(), side.ours())), Written::Mem(stream))
    }

    /// Ours, giving each send an owned reference, as a client or a server.
    pub fn wsproto_owned(side: Side) -> (Sender, Written) {
        let stream = MemStream::default();
        (Sender::WsprotoOwned(Box::new(wsproto_open(side.ours())), stream.clone()), Written::Mem(stream))
    }

    /// An open connection of `lib` in the role of `side` (a client masks
    /// what it sends, a server does not) and the stream it writes to.
    pub fn with_role(lib: Lib, side: Side) -> (Sender, Written) {
        let stream = MemStream::default();
        let io = stream.clone();
        if lib == Lib::Ratchet {
            let stream = SendMemStream::default();
            let role = match side {
                Side::Client => ratchet_rs::Role::Client,
                Side::Server => ratchet_rs::Role::Server,
            };
            return (Sender::Ratchet(ratchet(stream.clone(), role)), Written::Send(stream));
        }
        let sender = match lib {
            Lib::Wsproto => Sender::Wsproto(Box::new(wsproto_open(side.ours())), io),
            Lib::Tungstenite => Sender::Tungstenite(Box::new(tungstenite::WebSocket::from_raw_socket(
                io,
                match side {
                    Side::Client => tungstenite::protocol::Role::Client,
                    Side::Server => tungstenite::protocol::Role::Server,
                },
                None,
            ))),
            Lib::TokioWebsockets => Sender::TokioWebsockets(Box::new(match side {
                Side::Client => tokio_websockets::ClientBuilder::new().take_over(io),
                Side::Server => tokio_websockets::ServerBuilder::new().serve(io),
            })),
            Lib::Fastwebsockets => Sender::Fastwebsockets(Box::new(fastwebsockets::WebSocket::after_handshake(
                io,
                match side {
                    Side::Client => fastwebsockets::Role::Client,
                    Side::Server => fastwebsockets::Role::Server,
                },
            ))),
            Lib::Ratchet => unreachable!("handled above"),
        };
        (sender, Written::Mem(stream))
    }

    /// Sends `message` `count` times, each one written out before the next.
    pub fn run(&mut self, message: &Outgoing, count: usize) {
        match self {
            Sender::Wsproto(conn, stream) => {
                for _ in 0..count {
                    match &message.text {
                        Some(text) => conn.send_text(text),
                        None => conn.send_binary(&message.bytes),
                    }
                    .expect("wsproto send");
                    // The flush the README teaches.
                    conn.transmit_with(|bufs| stream.write_vectored(bufs)).expect("sink");
                }
            }
            Sender::WsprotoOwned(conn, stream) => {
                for _ in 0..count {
                    match &message.text {
                        Some(text) => conn.send_text(text.clone()),
                        None => conn.send_binary(message.bytes.clone()),
                    }
                    .expect("wsproto send");
                    conn.transmit_with(|bufs| stream.write_vectored(bufs)).expect("sink");
                }
            }
            Sender::Tungstenite(ws) => {
                for _ in 0..count {
                    let msg = match &message.tungstenite_text {
                        Some(text) => tungstenite::Message::Text(text.clone()),
                        None => tungstenite::Message::Binary(message.bytes.clone()),
                    };
                    ws.send(msg).expect("tungstenite send");
                }
            }
            Sender::TokioWebsockets(ws) => {
                use futures_util::SinkExt;
                block_on(async {
                    for _ in 0..count {
                        let msg = match message.kind {
                            Kind::Text => tokio_websockets::Message::text(message.bytes.clone()),
                            Kind::Binary => tokio_websockets::Message::binary(message.bytes.clone()),
                        };
                        ws.send(msg).await.expect("tokio-websockets send");
                    }
                });
            }
            Sender::Fastwebsockets(ws) => {
                block_on(async {
                    for _ in 0..count {
                        let payload = fastwebsockets::Payload::Borrowed(&message.bytes);
                        let frame = match message.kind {
                            Kind::Text => fastwebsockets::Frame::text(payload),
                            Kind::Binary => fastwebsockets::Frame::binary(payload),
                        };
                        ws.write_frame(frame).await.expect("fastwebsockets send");
                    }
                });
            }
            Sender::WsprotoTokio(driver) => {
                use futures_util::SinkExt;
                let Driver { rt, ws } = &mut **driver;
                rt.block_on(async {
                    for _ in 0..count {
                        let msg = match &message.text {
                            Some(text) => wsproto_tokio::Message::Text(text.clone()),
                            None => wsproto_tokio::Message::Binary(message.bytes.clone()),
                        };
                        ws.send(msg).await.expect("wsproto-tokio send");
                    }
                });
            }
            Sender::Ratchet(ws) => {
                let kind = match message.kind {
                    Kind::Text => ratchet_rs::PayloadType::Text,
                    Kind::Binary => ratchet_rs::PayloadType::Binary,
                };
                block_on(async {
                    for _ in 0..count {
                        ws.write(&message.bytes, kind).await.expect("ratchet send");
                    }
                });
            }
        }
    }
}

// ---- the bare work -------------------------------------------------------

/// XORs `src` with `key` into `dst` in one pass (the copy a receiver makes
/// and its unmask, fused), eight bytes at a time.
#[inline]
pub fn copy_unmask(dst: &mut [u8], src: &[u8], key: [u8; 4]) {
    assert_eq!(dst.len(), src.len());
    let key64 = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let word = u64::from_ne_bytes(s.try_into().expect("8 bytes")) ^ key64;
        d.copy_from_slice(&word.to_ne_bytes());
    }
    for (i, (d, s)) in d.into_remainder().iter_mut().zip(s.remainder()).enumerate() {
        *d = s ^ key[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payload_is_utf8_with_regular_multibyte_characters() {
        for (_, size) in SIZES {
            let text = payload(Kind::Text, size);
            assert_eq!(text.len(), size);
            let text = std::str::from_utf8(&text).expect("utf-8");
            if size >= 32 {
                assert!(text.chars().filter(|c| !c.is_ascii()).count() >= size / 20);
            }
        }
    }

    #[test]
    fn every_library_receives_every_message() {
        for kind in Kind::ALL {
            for size in [0, 16, 125, 126, 1000, 70_000, 200_000] {
                let work = Workload::with_count(kind, size, 7);
                for lib in Lib::ALL {
                    let mut receiver = Receiver::new(lib);
                    for round in 0..2 {
                        assert_eq!(receiver.run(&work), work.expected, "{lib:?} {kind:?} {size} round {round}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_library_writes_every_frame() {
        for kind in Kind::ALL {
            for size in [16, 125, 126, 1000, 70_000] {
                let message = Outgoing::new(kind, size);
                let frame_len = Workload::with_count(kind, size, 1).frame_len() as u64;
                for side in Side::ALL {
                    // A server's frames carry no masking key.
                    let frame_len = if side == Side::Server { frame_len - 4 } else { frame_len };
                    let senders = Lib::ALL.into_iter().map(|lib| (lib.label(), Sender::with_role(lib, side)));
                    for (label, (mut sender, stream)) in senders.chain([("owned", Sender::wsproto_owned(side))]) {
                        sender.run(&message, 5);
                        assert_eq!(stream.written(), 5 * frame_len, "{label} {side:?} {kind:?} {size}");
                    }
                }
            }
        }
    }

    #[test]
    fn copy_unmask_matches_bytewise() {
        let src: Vec<u8> = (0..100).collect();
        let key = [1, 2, 3, 4];
        let mut dst = vec![0; 100];
        copy_unmask(&mut dst, &src, key);
        for i in 0..100 {
            assert_eq!(dst[i], src[i] ^ key[i & 3]);
        }
    }
}
