//! WebSocket frames written and read without the crate's frame layer
//! (RFC 6455 section 5.2), so a test compares the crate with an independent
//! reading of the RFC rather than with itself.

/// The opcodes of RFC 6455 section 5.2.
pub mod opcode {
    /// A continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// The first frame of a text message.
    pub const TEXT: u8 = 0x1;
    /// The first frame of a binary message.
    pub const BINARY: u8 = 0x2;
    /// A close frame.
    pub const CLOSE: u8 = 0x8;
    /// A ping frame.
    pub const PING: u8 = 0x9;
    /// A pong frame.
    pub const PONG: u8 = 0xA;
}

/// The FIN bit in a frame's first byte.
pub const FIN: u8 = 0x80;
/// The RSV1 bit in a frame's first byte (permessage-deflate's "compressed").
pub const RSV1: u8 = 0x40;

/// The masking key [`client_frame`] uses.
pub const CLIENT_KEY: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

/// One frame around `payload` with `first_byte` (FIN, RSV and opcode) as its
/// first byte, in the shortest length form, masked with `mask` if given.
pub fn frame(first_byte: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    push_frame(&mut out, first_byte, payload, mask);
    out
}

/// Appends what [`frame`] returns to `out`; returns where the payload starts
/// in `out`.
pub fn push_frame(out: &mut Vec<u8>, first_byte: u8, payload: &[u8], mask: Option<[u8; 4]>) -> usize {
    out.push(first_byte);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= 0xFFFF {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            let start = out.len();
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            start
        }
        None => {
            let start = out.len();
            out.extend_from_slice(payload);
            start
        }
    }
}

/// One frame as a client sends it: masked with [`CLIENT_KEY`].
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame(first_byte, payload, Some(CLIENT_KEY))
}

/// One frame as a server sends it: unmasked.
pub fn server_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame(first_byte, payload, None)
}

/// A message as client frames of at most `frame_len` payload bytes each:
/// `first_byte`'s opcode and RSV bits on the first frame, FIN on the last,
/// continuations between. An empty payload is one empty frame.
pub fn client_fragments(first_byte: u8, payload: &[u8], frame_len: usize) -> Vec<u8> {
    let pieces: Vec<&[u8]> =
        if payload.is_empty() { vec![payload] } else { payload.chunks(frame_len.max(1)).collect() };
    let mut wire = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let fin = if i + 1 == pieces.len() { FIN } else { 0 };
        let first = if i == 0 { first_byte & !FIN } else { opcode::CONTINUATION };
        push_frame(&mut wire, first | fin, piece, Some(CLIENT_KEY));
    }
    wire
}

/// XORs `buf` with `key` as if `buf` began `offset` bytes into a payload:
/// RFC 6455 section 5.3, byte by byte.
pub fn mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

/// A frame read back from the wire, its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// The FIN bit.
    pub fin: bool,
    /// The RSV bits as they stand in the first byte (`RSV1` is 0x40).
    pub rsv: u8,
    /// The opcode (see [`opcode`]).
    pub opcode: u8,
    /// The masking key, if the frame was masked.
    pub mask: Option<[u8; 4]>,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl WireFrame {
    /// Whether this is a control frame (close, ping, pong or reserved).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }

    /// For a close frame: its code (if any) and its reason, lossily decoded.
    pub fn close(&self) -> Option<(Option<u16>, String)> {
        (self.opcode == opcode::CLOSE).then(|| {
            let p = &self.payload;
            let code = (p.len() >= 2).then(|| u16::from_be_bytes([p[0], p[1]]));
            (code, String::from_utf8_lossy(p.get(2..).unwrap_or_default()).into_owned())
        })
    }
}

/// Reads one frame off the front of `wire`: the frame and the bytes it
/// took, or `None` if `wire` ends before the frame does.
pub fn parse_frame(wire: &[u8]) -> Option<(WireFrame, usize)> {
    let (&b0, rest) = wire.split_first()?;
    let (&b1, mut rest) = rest.split_first()?;
    let mut len = u64::from(b1 & 0x7F);
    if len == 126 {
        len = u64::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
        rest = &rest[2..];
    } else if len == 127 {
        len = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
        rest = &rest[8..];
    }
    let mask = if b1 & 0x80 != 0 {
        let key: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        rest = &rest[4..];
        Some(key)
    } else {
        None
    };
    let mut payload = rest.get(..usize::try_from(len).ok()?)?.to_vec();
    if let Some(key) = mask {
        mask_bytewise(&mut payload, key, 0);
    }
    let used = wire.len() - rest.len() + payload.len();
    Some((WireFrame { fin: b0 & FIN != 0, rsv: b0 & 0x70, opcode: b0 & 0x0F, mask, payload }, used))
}

/// Every frame in `wire`, which must hold whole frames only.
///
/// # Panics
/// If `wire` ends inside a frame.
pub fn parse_frames(mut wire: &[u8]) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while !wire.is_empty() {
        let Some((frame, used)) = parse_frame(wire) else {
            panic!("{} bytes left that are not a whole frame", wire.len());
        };
        frames.push(frame);
        wire = &wire[used..];
    }
    frames
}

/// The frames after the HTTP head that starts `wire`.
///
/// # Panics
/// If `wire` has no complete HTTP head, or ends inside a frame.
pub fn frames_after_head(wire: &[u8]) -> Vec<WireFrame> {
    let head = wire.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP head") + 4;
    parse_frames(&wire[head..])
}

/// The close frames (code, reason) in `wire`, each checked to be masked
/// (`masked`) or not as the sender's role demands.
///
/// # Panics
/// If `wire` ends inside a frame, or a frame's masking is not `masked`.
pub fn close_frames_in(wire: &[u8], masked: bool) -> Vec<(Option<u16>, String)> {
    parse_frames(wire)
        .iter()
        .inspect(|f| assert_eq!(f.mask.is_some(), masked, "a frame masked against its sender's role: {f:?}"))
        .filter_map(WireFrame::close)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_examples_parse() {
        // RFC 6455 section 5.7: "Hello", unmasked and masked; 256 bytes.
        let hello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        assert_eq!(server_frame(0x81, b"Hello"), hello);
        assert_eq!(frame(0x81, b"Hello", Some([0x37, 0xfa, 0x21, 0x3d])), masked);
        for wire in [&hello[..], &masked[..]] {
            let frames = parse_frames(wire);
            assert_eq!(frames.len(), 1);
            assert_eq!((frames[0].fin, frames[0].opcode, &frames[0].payload[..]), (true, opcode::TEXT, &b"Hello"[..]));
        }
        assert_eq!(&frame(0x82, &[0; 256], None)[..4], [0x82, 0x7E, 0x01, 0x00]);
    }

    #[test]
    fn every_length_form_round_trips_and_a_cut_frame_is_incomplete() {
        for len in [0, 125, 126, 0xFFFF, 0x1_0000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            for mask in [None, Some([1, 2, 3, 4])] {
                let wire = frame(0x42, &payload, mask);
                let (parsed, used) = parse_frame(&wire).expect("a whole frame");
                assert_eq!(used, wire.len());
                assert_eq!((parsed.rsv, parsed.opcode, parsed.mask), (RSV1, opcode::BINARY, mask));
                assert_eq!(parsed.payload, payload);
                assert!(parse_frame(&wire[..wire.len() - 1]).is_none());
            }
        }
    }

    #[test]
    fn fragments_carry_the_opcode_first_and_fin_last() {
        let frames = parse_frames(&client_fragments(0x41, b"abcde", 2));
        let shape: Vec<_> = frames.iter().map(|f| (f.fin, f.rsv, f.opcode, f.payload.len())).collect();
        assert_eq!(shape, [(false, RSV1, 1, 2), (false, 0, 0, 2), (true, 0, 0, 1)]);
        assert_eq!(close_frames_in(&server_frame(0x88, b"\x03\xe8bye"), false), [(Some(1000), "bye".to_owned())]);
    }
}
