//! Finding the end of an HTTP head in input that arrives piece by piece.
//!
//! RUSTSEC-2023-0065 was a quadratic parse: every read re-parsed a long
//! header from the start. [`HeadScanner`] remembers how far it has looked,
//! so each input byte is examined once however the input is split, and
//! httparse runs once, on the whole head.
//!
//! The scanner also checks the start of the first line as it arrives (a
//! request's method, a response's `HTTP/1.`), so a peer that speaks no HTTP
//! at all (a TLS client hello sent to a plain server, say) is refused at its
//! first byte rather than after the handshake timeout.

use super::limits::HandshakeLimits;

/// Where the scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The head is the first `len` bytes; `lines` lines came before the blank
    /// line (the request or status line and the header lines).
    Complete { len: usize, lines: usize },
    /// No blank line yet; at least `needed` more bytes are required.
    Incomplete { needed: usize },
    /// The head is longer than [`HandshakeLimits::max_head_bytes`].
    TooLarge,
    /// More header lines than [`HandshakeLimits::max_headers`].
    TooManyHeaders,
    /// The first line starts with bytes no head of this kind can start with.
    Invalid(SyntaxError),
}

/// Which head is scanned, for the check of its first line's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StartLine {
    /// A request: the line starts with the method, a token (RFC 9112 §3:
    /// `request-line = method SP request-target SP HTTP-version`; RFC 9110
    /// §9.1: `method = token`).
    #[default]
    Request,
    /// A response: the line starts with the version, and only HTTP/1.x
    /// answers an upgrade (RFC 9112 §4: `status-line = HTTP-version SP
    /// status-code SP [ reason-phrase ]`).
    Response,
}

/// The start every status line must have.
const STATUS_LINE_START: &[u8] = b"HTTP/1.";

/// An incremental search for the blank line that ends a head.
///
/// A line ends with LF, optionally preceded by CR (RFC 9112 §2.2 lets a
/// recipient accept a bare LF, and httparse does); the head ends at the first
/// empty line. Empty lines before the first line are skipped, as httparse
/// skips them (RFC 9112 §2.2).
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadScanner {
    /// Bytes examined so far.
    scanned: usize,
    /// Whether a byte other than CR or LF has been seen.
    started: bool,
    /// 0: inside a line; 1: just after LF; 2: just after LF CR.
    state: u8,
    /// Lines ended so far.
    lines: usize,
    /// Set once the end has been found.
    done: Option<Scan>,
    /// The kind of head, for the check of the first line's start.
    start_line: StartLine,
    /// Bytes of the first line seen so far, while its start is checked;
    /// `usize::MAX` once it has passed.
    checked: usize,
}

impl HeadScanner {
    /// A scanner for a head of this kind.
    pub(crate) fn new(start_line: StartLine) -> HeadScanner {
        HeadScanner { start_line, ..HeadScanner::default() }
    }

    /// Checks `b`, the next byte of the first line, while its start is
    /// still being checked.
    fn check_start(&mut self, b: u8) -> Result<(), SyntaxError> {
        match self.start_line {
            StartLine::Request if b == b' ' && self.checked > 0 => self.checked = usize::MAX,
            StartLine::Request if is_tchar(b) => self.checked += 1,
            StartLine::Request => return Err(SyntaxError::Token),
            StartLine::Response if STATUS_LINE_START.get(self.checked) == Some(&b) => {
                self.checked += 1;
                if self.checked == STATUS_LINE_START.len() {
                    self.checked = usize::MAX;
                }
            }
            StartLine::Response => return Err(SyntaxError::Version),
        }
        Ok(())
    }

    /// Scans the new bytes of `buf`, the whole input so far.
    ///
    /// `buf` must extend the `buf` of the previous call (same bytes, maybe
    /// more). If it is shorter, the call is answered as if no byte had been
    /// added; nothing panics either way.
    pub(crate) fn scan(&mut self, buf: &[u8], limits: &HandshakeLimits) -> Scan {
        if let Some(done) = self.done {
            return done;
        }
        let stop = buf.len().min(limits.max_head_bytes);
        let start = self.scanned.min(stop);
        let max_lines = limits.max_headers.saturating_add(1);
        for (i, &b) in buf.get(start..stop).unwrap_or_default().iter().enumerate() {
            let at = start + i;
            self.scanned = at + 1;
            if !self.started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                self.started = true;
            }
            if self.checked != usize::MAX
                && let Err(e) = self.check_start(b)
            {
                self.done = Some(Scan::Invalid(e));
                return Scan::Invalid(e);
            }
            match b {
                b'\n' if self.state != 0 => {
                    let scan = Scan::Complete { len: at + 1, lines: self.lines };
                    self.done = Some(scan);
                    return scan;
                }
                b'\n' => {
                    self.state = 1;
                    self.lines += 1;
                    if self.lines > max_lines {
                        self.done = Some(Scan::TooManyHeaders);
                        return Scan::TooManyHeaders;
                    }
                }
                b'\r' if self.state == 1 => self.state = 2,
                _ => self.state = 0,
            }
        }
        if buf.len() > limits.max_head_bytes {
            self.done = Some(Scan::TooLarge);
            return Scan::TooLarge;
        }
        let needed = if self.state != 0 { 1 } else { 2 };
        Scan::Incomplete { needed }
    }

    /// Bytes examined so far: never more than the input, whatever its split.
    pub(crate) fn scanned(&self) -> usize {
        self.scanned
    }
}

/// Whether `b` may appear in a token (RFC 9110 §5.6.2: `tchar`).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A head that httparse refused: which part of the syntax was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyntaxError {
    /// The method, request target or another token held an invalid byte.
    Token,
    /// The `HTTP/1.x` version was malformed or not 1.0 or 1.1.
    Version,
    /// The status code was not three digits.
    Status,
    /// A header name held an invalid byte.
    HeaderName,
    /// A header value held an invalid byte (a bare CR, NUL, ...).
    HeaderValue,
    /// A line ending was malformed, or a header line was folded (`obs-fold`).
    NewLine,
    /// The head ended before its first line did.
    Truncated,
}

impl SyntaxError {
    pub(crate) fn from_httparse(e: httparse::Error) -> SyntaxError {
        match e {
            httparse::Error::HeaderName => SyntaxError::HeaderName,
            httparse::Error::HeaderValue => SyntaxError::HeaderValue,
            httparse::Error::Status => SyntaxError::Status,
            httparse::Error::Token => SyntaxError::Token,
            httparse::Error::Version => SyntaxError::Version,
            // Too many headers is caught before; any other fault is in the line structure.
            _ => SyntaxError::NewLine,
        }
    }
}

impl core::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SyntaxError::Token => "invalid byte in a token",
            SyntaxError::Version => "invalid HTTP version",
            SyntaxError::Status => "invalid status code",
            SyntaxError::HeaderName => "invalid byte in a header name",
            SyntaxError::HeaderValue => "invalid byte in a header value",
            SyntaxError::NewLine => "invalid line ending",
            SyntaxError::Truncated => "head ended before its first line",
        })
    }
}

/// How many httparse header slots to allocate: enough for every line the
/// scanner counted, never more than the limit (so a huge configured limit
/// allocates nothing extra).
pub(crate) fn header_slots(lines: usize, limits: &HandshakeLimits) -> usize {
    lines.min(limits.max_headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_shot(input: &[u8], limits: &HandshakeLimits) -> Scan {
        HeadScanner::new(StartLine::Request).scan(input, limits)
    }

    #[test]
    fn a_first_line_that_cannot_start_a_head_is_refused_at_once() {
        let limits = HandshakeLimits::default();
        let request = |input: &[u8]| HeadScanner::new(StartLine::Request).scan(input, &limits);
        let response = |input: &[u8]| HeadScanner::new(StartLine::Response).scan(input, &limits);
        // A TLS client hello, an SSH banner's space, an empty method.
        assert_eq!(request(b"\x16\x03\x01\x00\xa5"), Scan::Invalid(SyntaxError::Token));
        assert_eq!(request(b"GE(T / HTTP/1.1"), Scan::Invalid(SyntaxError::Token));
        assert_eq!(request(b" GET / HTTP/1.1"), Scan::Invalid(SyntaxError::Token));
        assert_eq!(request(b"\r\n\x16"), Scan::Invalid(SyntaxError::Token));
        // Any token is a method here (the method rule comes later), and
        // only the method is checked: the rest is httparse's.
        assert_eq!(request(b"\r\nM-SEARCH"), Scan::Incomplete { needed: 2 });
        assert_eq!(request(b"GET \x01"), Scan::Incomplete { needed: 2 });
        // A response starts with HTTP/1.; a TLS alert or HTTP/2's preface does not.
        assert_eq!(response(b"HTTP/1.1 101"), Scan::Incomplete { needed: 2 });
        assert_eq!(response(b"HTTP/1"), Scan::Incomplete { needed: 2 });
        assert_eq!(response(b"\x15\x03\x03\x00\x02"), Scan::Invalid(SyntaxError::Version));
        assert_eq!(response(b"HTTP/2 200"), Scan::Invalid(SyntaxError::Version));
        assert_eq!(response(b"SSH-2.0-OpenSSH"), Scan::Invalid(SyntaxError::Version));
        // Byte by byte, the same verdict, and it stays.
        let mut scanner = HeadScanner::new(StartLine::Request);
        assert_eq!(scanner.scan(b"G", &limits), Scan::Incomplete { needed: 2 });
        assert_eq!(scanner.scan(b"G\0", &limits), Scan::Invalid(SyntaxError::Token));
        assert_eq!(scanner.scan(b"G\0 / HTTP/1.1\r\n\r\n", &limits), Scan::Invalid(SyntaxError::Token));
    }

    #[test]
    fn finds_crlf_and_bare_lf_ends() {
        let limits = HandshakeLimits::default();
        assert_eq!(one_shot(b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest", &limits), Scan::Complete { len: 24, lines: 2 });
        assert_eq!(one_shot(b"GET / HTTP/1.1\nA: b\n\nrest", &limits), Scan::Complete { len: 21, lines: 2 });
        assert_eq!(one_shot(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n", &limits), Scan::Complete { len: 22, lines: 1 });
        assert_eq!(one_shot(b"GET / HTTP/1.1\r\nA: b\r\n\r", &limits), Scan::Incomplete { needed: 1 });
        assert_eq!(one_shot(b"GET / HTTP/1.1\r\nA: b\r", &limits), Scan::Incomplete { needed: 2 });
    }

    #[test]
    fn limits_are_enforced_without_the_end() {
        let limits = HandshakeLimits::default().with_max_head_bytes(10).with_max_headers(1);
        assert_eq!(one_shot(b"0123456789", &limits), Scan::Incomplete { needed: 2 });
        assert_eq!(one_shot(b"0123456789a", &limits), Scan::TooLarge);
        assert_eq!(one_shot(b"a b\nb\nc\n", &limits), Scan::TooManyHeaders);
        assert_eq!(one_shot(b"a b\nb\n\n", &limits), Scan::Complete { len: 7, lines: 2 });
    }

    #[test]
    fn byte_at_a_time_scans_each_byte_once() {
        let limits = HandshakeLimits::default();
        let input = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut scanner = HeadScanner::new(StartLine::Request);
        for end in 0..input.len() {
            assert!(matches!(scanner.scan(&input[..end], &limits), Scan::Incomplete { .. }));
            assert_eq!(scanner.scanned(), end);
        }
        assert_eq!(scanner.scan(input, &limits), Scan::Complete { len: input.len(), lines: 2 });
        // A shorter buffer (a contract breach) neither panics nor rescans.
        assert_eq!(scanner.scan(b"", &limits), Scan::Complete { len: input.len(), lines: 2 });
    }
}
