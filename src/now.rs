//! The time of an input, handed in as a value or as a clock to read.

use std::time::Instant;

/// The time of an input: an [`Instant`] already read, or a function that
/// reads one, such as `Instant::now` itself (not called: the function).
///
/// [`Connection::handle_read`](crate::Connection::handle_read) and
/// [`Connection::handle_input`](crate::Connection::handle_input) take
/// either. Given a function, the connection calls it, at most once per
/// input, only when the input can start or move one of its timers:
///
/// - during the opening handshake;
/// - with keepalive on ([`Config::ping_interval`](crate::Config::ping_interval)),
///   since every input postpones the next ping;
/// - as a client, whose wait for the server to close the transport after
///   the close handshake starts when the server's close frame arrives.
///
/// Otherwise (a server with keepalive off, the connection open) no timer
/// depends on when bytes arrive, and a read costs no clock read. Either
/// way the connection behaves as if it had been given the time of the
/// input: the function must return the current time, never an earlier one
/// than it was given before.
///
/// ```
/// use std::time::Instant;
/// # fn read(_: &mut [u8]) -> usize { 0 }
/// # let mut conn = wsproto::Connection::server(wsproto::Config::default(), Instant::now());
/// if let Some(room) = conn.read_buf() {
///     let n = read(room);
///     conn.handle_read(Instant::now, n); // read the clock only if needed
/// }
/// ```
pub trait Now {
    /// The time, read now if `self` is a clock.
    fn now(self) -> Instant;
}

impl Now for Instant {
    #[inline]
    fn now(self) -> Instant {
        self
    }
}

impl<F: FnOnce() -> Instant> Now for F {
    #[inline]
    fn now(self) -> Instant {
        self()
    }
}
