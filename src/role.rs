//! Which end of the connection we are.

/// The side of a WebSocket connection this endpoint plays.
///
/// The role decides masking (RFC 6455 §5.1): a client masks every frame it
/// sends and receives only unmasked frames; a server does the opposite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that sent the upgrade request.
    Client,
    /// The endpoint that answered the upgrade request.
    Server,
}

impl Role {
    /// Whether frames this role *receives* must carry a mask.
    #[inline]
    pub const fn expects_masked_input(self) -> bool {
        matches!(self, Role::Server)
    }

    /// Whether frames this role *sends* must carry a mask.
    #[inline]
    pub const fn masks_output(self) -> bool {
        matches!(self, Role::Client)
    }
}
