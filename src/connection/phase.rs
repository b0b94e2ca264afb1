//! Where a connection is in its life, as the state machine sees it.

use super::handshake::Handshake;
use super::state::State;

/// The connection's phase. [`State`] is its public face.
#[derive(Debug)]
pub(super) enum Phase {
    /// The opening handshake, at the step it holds.
    Handshake(Handshake),
    /// Messages flow both ways.
    Open,
    /// Our close frame is queued: nothing more may be sent; input is still
    /// read until the peer's close frame.
    Closing,
    /// `Event::Closed` has been queued: nothing more is read or sent but
    /// what is already queued.
    Closed {
        /// The transport may be closed once the output is drained.
        transport_done: bool,
    },
}

impl PartialEq for Phase {
    /// Phases compare by kind (the handshake's contents are not compared).
    fn eq(&self, other: &Phase) -> bool {
        core::mem::discriminant(self) == core::mem::discriminant(other)
            && self.transport_done() == other.transport_done()
    }
}

impl Phase {
    pub(super) fn state(&self) -> State {
        match self {
            Phase::Handshake(_) => State::Connecting,
            Phase::Open => State::Open,
            Phase::Closing => State::Closing,
            Phase::Closed { .. } => State::Closed,
        }
    }

    /// Whether the opening handshake is still in progress.
    #[inline]
    pub(super) fn is_handshake(&self) -> bool {
        matches!(self, Phase::Handshake(_))
    }

    /// Whether frames are read: open, or closing (waiting for the peer's
    /// close frame).
    #[inline]
    pub(super) fn is_reading(&self) -> bool {
        matches!(self, Phase::Open | Phase::Closing)
    }

    /// Whether `Event::Closed` has been queued.
    #[inline]
    pub(super) fn is_closed(&self) -> bool {
        matches!(self, Phase::Closed { .. })
    }

    /// Whether our close frame has been queued or the connection is over:
    /// no frame of ours may be queued any more.
    #[inline]
    pub(super) fn close_sent(&self) -> bool {
        matches!(self, Phase::Closing | Phase::Closed { .. })
    }

    pub(super) fn transport_done(&self) -> bool {
        matches!(self, Phase::Closed { transport_done: true })
    }
}
