//! Connection configuration: limits, receive mode, keepalive.

use core::time::Duration;

use crate::handshake::HandshakeLimits;

/// How a connection behaves and what it accepts. Every limit has a safe
/// default; [`Config::default`] suits a chat server or client.
///
/// # Memory
/// The heap one connection holds is bounded by these limits, whatever the
/// peer sends and however slowly the app polls or writes:
///
/// - **input:** at most [`input_limit`](Config::input_limit) bytes
///   undecoded (one frame of the largest size allowed, its header, and
///   256 KiB), in one buffer; plus one spare buffer of at most that size and
///   at most 2 MiB, kept so a stream of large messages the app holds on to
///   allocates nothing; plus events decoded ahead of polling (by
///   `poll_transmit`, `handle_timeout`, `handle_eof`): at most 32, whose
///   messages are at most one input buffer's worth (a control frame's
///   payload is copied out, 125 bytes at most);
///   room for a frame never grows more than 256 KiB past the bytes that
///   arrived, whatever its header claims;
/// - **a fragmented message being assembled** (or inflated): at most twice
///   `max_message_size`;
/// - **output:** `max_output_buffer` of queued messages, plus automatic
///   replies: at most `max_pending_pongs` pongs waiting and as many queued
///   but unwritten (131 bytes each at most), and one close frame; once
///   written, the buffer messages were copied into is kept for the next
///   ones if it is at most 2 MiB;
/// - **compression** (when negotiated, [`Config::deflate`]): our
///   compressor, about `2^(w + 2) + 2^(m + 9) + 6 KiB` for our window of
///   `2^w` bytes and memory level `m` (38 KiB with the defaults, 12 and 5),
///   and the peer's decompressor, about `2^w' + 7 KiB` for the window
///   `2^w'` the peer agreed to (11 KiB at 12 bits, 39 KiB at 15). Each is
///   allocated with the first compressed message its way and, without
///   context takeover that way, freed when the message is done; with
///   [`DeflateConfig::shared_compressor`](crate::deflate::DeflateConfig::shared_compressor)
///   the compressor is the thread's, not the connection's. An active
///   connection with the defaults holds about 60 KiB in all; see the table
///   in [`deflate`](crate::deflate);
/// - a few hundred bytes of fixed state. Messages handed to the app are the
///   app's to hold.
///
/// [`Connection::release_idle_buffers`](crate::Connection::release_idle_buffers)
/// gives the input and output buffers back while the transport is idle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The largest frame payload accepted, in bytes; a larger frame fails the
    /// connection with 1009 as soon as its header arrives. Default 16 MiB.
    /// Frames of a compressed (permessage-deflate) message are held to
    /// `max_message_size` instead: they are inflated as they arrive, and
    /// deflate makes incompressible data slightly larger than it was.
    pub max_frame_payload: u64,
    /// The largest message accepted, summed over its fragments (and, with
    /// compression, after inflating); a larger message fails with 1009
    /// before it is buffered. Applies in streaming mode too. Default 64 MiB.
    pub max_message_size: u64,
    /// The most frames one message may be split into; more fails with 1009.
    /// Default 131072 (Autobahn's largest case sends 65536 fragments).
    pub max_fragments: usize,
    /// The most bytes queued for sending; a send that would pass it fails
    /// with [`SendError::OutputFull`](crate::SendError::OutputFull) and queues
    /// nothing. Automatic replies are exempt and bounded on their own: at
    /// most `max_pending_pongs` pongs waiting, as many queued but not yet
    /// written, and one close frame. Default 64 MiB.
    pub max_output_buffer: usize,
    /// (Server) Limits on the upgrade request: head bytes (default 16 KiB)
    /// and header lines (default 64); a request over them is refused with
    /// 431. A client's limits are its
    /// [`ClientOptions::limits`](crate::handshake::ClientOptions::limits).
    pub handshake_limits: HandshakeLimits,
    /// Deliver messages as fragments as they arrive
    /// ([`Event::Fragment`](crate::Event::Fragment)) instead of whole. Off by
    /// default.
    pub streaming: bool,
    /// Answer pings automatically. At most `max_pending_pongs` pongs wait
    /// to be sent; when more pings arrive the oldest unanswered ones are
    /// dropped (RFC 6455 §5.5.3 asks only that the latest be answered), and
    /// pongs join the output only once those queued earlier are written, so
    /// a ping flood never grows memory, even while writes make no progress.
    /// On by default.
    pub auto_pong: bool,
    /// The most automatic pongs waiting to be sent (and, separately, queued
    /// in the output but not yet written). When a ping arrives with the
    /// queue full, the oldest pending pong is dropped: only the latest ping
    /// needs an answer (RFC 6455 §5.5.3). Each holds a copy of its ping's
    /// payload (at most 125 bytes), never the buffer it arrived in.
    /// Default 16.
    pub max_pending_pongs: usize,
    /// Keepalive: after this long without receiving anything, send a ping.
    /// Off (`None`) by default.
    pub ping_interval: Option<Duration>,
    /// Keepalive: after sending a keepalive ping, fail the connection if
    /// nothing at all arrives within this long. Default 30 s.
    pub pong_timeout: Duration,
    /// How long to wait for the peer's close frame after sending ours, and
    /// (client) for the server to close the transport after the close
    /// handshake. Default 10 s.
    pub close_timeout: Duration,
    /// How long the opening handshake may take before the connection fails;
    /// `None` waits forever. Default 30 s, which bounds slow-header attacks.
    pub handshake_timeout: Option<Duration>,
    /// Accept frame lengths not in their shortest form (RFC 6455 §5.2 forbids
    /// them). Off by default.
    pub allow_non_minimal_length: bool,
    /// permessage-deflate (RFC 7692): what a client offers and a server
    /// accepts, and how messages are compressed; `None` never negotiates it.
    /// On by default ([`DeflateConfig::default`](crate::deflate::DeflateConfig)):
    /// browsers offer it on every connection. The message limits apply to
    /// the inflated size.
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::deflate::DeflateConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_payload: 16 << 20,
            max_message_size: 64 << 20,
            max_fragments: 1 << 17,
            max_output_buffer: 64 << 20,
            handshake_limits: HandshakeLimits::new(),
            streaming: false,
            auto_pong: true,
            max_pending_pongs: 16,
            ping_interval: None,
            pong_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
            handshake_timeout: Some(Duration::from_secs(30)),
            allow_non_minimal_length: false,
            #[cfg(feature = "deflate")]
            deflate: Some(crate::deflate::DeflateConfig::default()),
        }
    }
}

impl Config {
    /// The most received bytes a connection holds undecoded: one frame of
    /// the largest size allowed (`max_frame_payload`, or `max_message_size`
    /// if smaller) with its header, plus 256 KiB of room for the reads
    /// around it. [`Connection::read_buf`](crate::Connection::read_buf)
    /// offers no room past it, and
    /// [`Connection::handle_input`](crate::Connection::handle_input) fails
    /// the connection rather than hold more.
    pub fn input_limit(&self) -> usize {
        let frame = self.max_frame_payload.min(self.max_message_size);
        usize::try_from(frame).unwrap_or(usize::MAX).saturating_add(crate::frame::MAX_HEADER_LEN + (256 << 10))
    }

    /// Sets [`Config::max_frame_payload`].
    pub fn max_frame_payload(mut self, bytes: u64) -> Self {
        self.max_frame_payload = bytes;
        self
    }

    /// Sets [`Config::max_message_size`].
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`Config::max_fragments`].
    pub fn max_fragments(mut self, count: usize) -> Self {
        self.max_fragments = count;
        self
    }

    /// Sets [`Config::max_output_buffer`].
    pub fn max_output_buffer(mut self, bytes: usize) -> Self {
        self.max_output_buffer = bytes;
        self
    }

    /// Sets [`Config::handshake_limits`].
    pub fn handshake_limits(mut self, limits: HandshakeLimits) -> Self {
        self.handshake_limits = limits;
        self
    }

    /// Sets [`Config::streaming`].
    pub fn streaming(mut self, on: bool) -> Self {
        self.streaming = on;
        self
    }

    /// Sets [`Config::auto_pong`].
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sets [`Config::max_pending_pongs`].
    pub fn max_pending_pongs(mut self, count: usize) -> Self {
        self.max_pending_pongs = count;
        self
    }

    /// Sets [`Config::ping_interval`].
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`Config::pong_timeout`].
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// Sets [`Config::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`Config::handshake_timeout`].
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`Config::allow_non_minimal_length`].
    pub fn allow_non_minimal_length(mut self, on: bool) -> Self {
        self.allow_non_minimal_length = on;
        self
    }

    /// Sets [`Config::deflate`].
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self, deflate: Option<crate::deflate::DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }
}
