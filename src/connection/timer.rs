//! The connection's deadlines: a small table indexed by [`Timer`].

use std::time::Instant;

/// One kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The opening handshake must finish by then.
    Handshake,
    /// Keepalive: send a ping if nothing has arrived by then.
    Keepalive,
    /// Keepalive: fail if nothing has arrived by then since our ping.
    PongTimeout,
    /// Our close frame must be answered by then.
    CloseReply,
    /// (Client) The server should have closed the transport by then.
    Linger,
}

const TIMERS: [Timer; 5] = [Timer::Handshake, Timer::Keepalive, Timer::PongTimeout, Timer::CloseReply, Timer::Linger];

/// Optional deadlines, one per [`Timer`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    deadlines: [Option<Instant>; 5],
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; 5];
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer as usize]
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Removes and returns one timer whose deadline is at or before `now`.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let timer = TIMERS.into_iter().find(|&t| self.get(t).is_some_and(|at| at <= now))?;
        self.stop(timer);
        Some(timer)
    }
}
