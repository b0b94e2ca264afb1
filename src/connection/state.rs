//! The connection's externally visible state.

/// Where a connection is in its life, from [`Connection::state`](crate::Connection::state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The opening handshake is in progress.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and are waiting for the peer's. Messages still
    /// arrive; none may be sent.
    Closing,
    /// The connection is over: the close handshake finished or the
    /// connection failed. [`Event::Closed`](crate::Event::Closed) has been
    /// emitted. Drain [`poll_transmit`](crate::Connection::poll_transmit),
    /// then close the transport once
    /// [`should_close_transport`](crate::Connection::should_close_transport)
    /// says so.
    Closed,
}
