//! Limits on what a peer may send during the opening handshake.

/// Bounds on the HTTP head of a handshake request or response.
///
/// A head that passes either limit is refused as soon as the limit is passed,
/// without waiting for more input: a server answers it with 431 (Request
/// Header Fields Too Large). The defaults are safe for public servers and
/// roomy for real browsers, whose handshakes are well under 2 KiB.
///
/// ```
/// use wsproto::handshake::HandshakeLimits;
///
/// let limits = HandshakeLimits::default().with_max_head_bytes(4096).with_max_headers(32);
/// assert_eq!(limits.max_head_bytes, 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HandshakeLimits {
    /// The largest head in bytes, from the first byte of the request or
    /// status line through the blank line that ends the head. Default 16 KiB.
    pub max_head_bytes: usize,
    /// The most header lines accepted. Default 64.
    pub max_headers: usize,
    /// The most body bytes a client copies into
    /// [`ResponseError::UnexpectedStatus`](super::ResponseError::UnexpectedStatus)
    /// when a server refuses the upgrade. Default 16 KiB.
    pub max_error_body: usize,
}

/// The default for [`HandshakeLimits::max_head_bytes`]: 16 KiB.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 16 * 1024;
/// The default for [`HandshakeLimits::max_headers`]: 64.
pub const DEFAULT_MAX_HEADERS: usize = 64;
/// The default for [`HandshakeLimits::max_error_body`]: 16 KiB.
pub const DEFAULT_MAX_ERROR_BODY: usize = 16 * 1024;

impl HandshakeLimits {
    /// The default limits: 16 KiB of head, 64 headers, 16 KiB of error body.
    pub const fn new() -> HandshakeLimits {
        HandshakeLimits {
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_error_body: DEFAULT_MAX_ERROR_BODY,
        }
    }

    /// Sets [`HandshakeLimits::max_head_bytes`].
    pub const fn with_max_head_bytes(mut self, max: usize) -> HandshakeLimits {
        self.max_head_bytes = max;
        self
    }

    /// Sets [`HandshakeLimits::max_headers`].
    pub const fn with_max_headers(mut self, max: usize) -> HandshakeLimits {
        self.max_headers = max;
        self
    }

    /// Sets [`HandshakeLimits::max_error_body`].
    pub const fn with_max_error_body(mut self, max: usize) -> HandshakeLimits {
        self.max_error_body = max;
        self
    }
}

impl Default for HandshakeLimits {
    fn default() -> HandshakeLimits {
        HandshakeLimits::new()
    }
}
