//! Prepared messages: framed once (and compressed once, where the
//! connection's parameters allow it), then queued on any number of server
//! connections as shared bytes, the broadcast path of a chat server.

#[cfg(feature = "deflate")]
use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};

use super::Connection;
use crate::error::SendError;
use crate::event::MessageKind;
use crate::frame::{FrameHeader, OpCode, encode_frame};
use crate::payload::Repr;
use crate::text::Utf8Bytes;

/// A whole message framed once, to be sent to many connections with
/// [`Connection::send_prepared`] without copying or compressing it per
/// connection (gorilla/websocket's `PreparedMessage`, uWebSockets'
/// publish).
///
/// A server's frames are not masked, so the same bytes serve every
/// recipient: each connection queues a reference to them. With
/// permessage-deflate, the message is compressed the first time it goes to
/// a connection that compresses each message on its own (our side's no
/// context takeover: `server_no_context_takeover` agreed, or
/// [`DeflateConfig::shared_compressor`](crate::deflate::DeflateConfig::shared_compressor)),
/// with that connection's level, memory level and window, and that
/// compressed frame then serves every connection whose agreed window is at
/// least as large. The other cases fall back to an ordinary send, which
/// is always correct:
///
/// - a connection with context takeover on our side compresses the message
///   itself (its window must see every message it sends);
/// - a client masks every frame with a key of its own, so it copies;
/// - a connection whose agreed window is smaller than the cached
///   compressed frame's compresses it itself.
///
/// Messages shorter than the connection's
/// [`min_compress_size`](crate::deflate::DeflateConfig::min_compress_size)
/// go out uncompressed, as they would with `send_text`.
///
/// Cheap to share: wrap it in an `Arc` to hand it to many tasks; it is
/// `Send` and `Sync`.
///
/// ```
/// use std::time::Instant;
/// use wsproto::{Config, Connection, Open, PreparedMessage, Role};
///
/// let now = Instant::now();
/// let mut rooms: Vec<Connection> =
///     (0..3).map(|_| Connection::open(Role::Server, Open::new(), Config::default(), now)).collect();
/// let message = PreparedMessage::text("hello, room");
/// for conn in &mut rooms {
///     conn.send_prepared(&message)?;
///     let wire = conn.poll_transmit().unwrap();
///     assert_eq!(&wire[..], message.frame());
/// }
/// # Ok::<(), wsproto::SendError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    kind: MessageKind,
    payload: Bytes,
    /// The whole frame, unmasked, uncompressed.
    plain: Bytes,
    /// The whole frame compressed (RSV1), made by the first connection that
    /// could use it, with the window it was made with; `None` inside when
    /// it could not be made.
    #[cfg(feature = "deflate")]
    compressed: OnceLock<Option<(u8, Bytes)>>,
}

impl PreparedMessage {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> PreparedMessage {
        PreparedMessage::new(MessageKind::Text, text.into().into_bytes())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> PreparedMessage {
        PreparedMessage::new(MessageKind::Binary, data.into())
    }

    fn new(kind: MessageKind, payload: Bytes) -> PreparedMessage {
        let plain = frame(opcode(kind), 0, &payload);
        PreparedMessage {
            kind,
            payload,
            plain,
            #[cfg(feature = "deflate")]
            compressed: OnceLock::new(),
        }
    }

    /// Text or binary.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The message's payload, uncompressed.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The uncompressed frame (header and payload, unmasked), as a server
    /// connection without compression sends it.
    pub fn frame(&self) -> &[u8] {
        &self.plain
    }

    /// The compressed frame for a connection compressing with `options`
    /// whose agreed window is `max_window_bits`: the cached one, made now
    /// if there is none yet; `None` when it cannot serve this connection
    /// (made with a larger window) or the compressor failed.
    #[cfg(feature = "deflate")]
    fn compressed_frame(&self, options: crate::deflate::CompressorOptions, max_window_bits: u8) -> Option<Bytes> {
        let made = self.compressed.get_or_init(|| {
            let options = options.no_context_takeover(true).shared(true);
            let mut compressor = crate::deflate::Compressor::new(options);
            if !compressor.can_compress() {
                return None;
            }
            let mut out = Vec::with_capacity(crate::deflate::Compressor::bound(self.payload.len()));
            compressor.compress(&self.payload, true, &mut out).ok()?;
            Some((compressor.options().window_bits, frame(opcode(self.kind), crate::frame::RSV1, &out)))
        });
        match made {
            Some((bits, frame)) if *bits <= max_window_bits => Some(frame.clone()),
            _ => None,
        }
    }
}

/// Two prepared messages are equal when they carry the same message.
impl PartialEq for PreparedMessage {
    fn eq(&self, other: &PreparedMessage) -> bool {
        self.kind == other.kind && self.payload == other.payload
    }
}

impl Eq for PreparedMessage {}

fn opcode(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}

/// One whole unmasked frame with `payload`.
fn frame(opcode: OpCode, rsv: u8, payload: &[u8]) -> Bytes {
    let header = FrameHeader { fin: true, rsv, opcode, mask: None, payload_len: payload.len() as u64 };
    let mut out = BytesMut::with_capacity(header.encoded_len() + payload.len());
    encode_frame(&header, payload, &mut out);
    out.freeze()
}

impl Connection {
    /// Queues a prepared message: on a server, a reference to its frame,
    /// shared with every other connection it goes to (compressed once,
    /// where this connection's permessage-deflate parameters allow it); see
    /// [`PreparedMessage`] for when it falls back to an ordinary send.
    ///
    /// Fails as [`send_text`](Self::send_text) does, queuing nothing: before
    /// the connection is open, once a close was sent, while a fragmented
    /// message is being sent, when the output is full.
    pub fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), SendError> {
        self.check_open()?;
        if self.sending_fragmented.is_some() {
            return Err(SendError::FragmentInProgress);
        }
        if self.role.masks_output() {
            return self.send_message(opcode(message.kind), Repr::Shared(&message.payload));
        }
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_ref().filter(|d| d.compresses(message.payload.len())) {
            let shared = deflate
                .compressor
                .options()
                .no_context_takeover
                .then(|| message.compressed_frame(deflate.compressor.options(), deflate.own_max_window_bits))
                .flatten();
            let Some(frame) = shared else {
                return self.send_message(opcode(message.kind), Repr::Shared(&message.payload));
            };
            self.check_output_room(frame.len())?;
            self.queue.push_shared(frame);
            return Ok(());
        }
        self.check_output_room(message.plain.len())?;
        self.queue.push_shared(message.plain.clone());
        Ok(())
    }
}
