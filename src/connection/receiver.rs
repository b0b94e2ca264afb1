//! Frames into messages: sequencing of fragments, limits, incremental UTF-8,
//! control frames. Knows nothing of the handshake, output or time.
//!
//! Over the frame layer's header decoder, in two steps that the
//! connection's one decode loop (`Connection::decode_next`) tries in order:
//! [`Receiver::whole`], the one-step path for a whole unfragmented message,
//! which returns the message's place in registers, then [`Receiver::next`]
//! for everything else. Every frame is unmasked (and, for text, validated)
//! where it landed in the input buffer, in one pass; a whole message is left
//! there for the connection to split off or lend ([`Whole::Message`], or
//! [`Incoming::InPlace`] for one that arrived frame by frame).

use bytes::{Bytes, BytesMut};

use crate::close::CloseCode;
use crate::config::Config;
#[cfg(feature = "deflate")]
use crate::deflate::Decompressor;
use crate::error::ProtocolError;
use crate::event::MessageKind;
use crate::frame::{Decoded, FrameHeader, FrameRules, MAX_HEADER_LEN, OpCode, PackedHeader, apply_mask};
use crate::role::Role;
use crate::utf8::Utf8Validator;

use super::input_buffer::{FIRST_READ_ROOM, InputBuffer, READ_ROOM, ROOM_AHEAD_MAX, ROOM_SLACK};

/// Something received, ready to become an event.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole unfragmented message, unmasked and (text) validated, still in
    /// the input: its payload is `input[payload_at..end]`. The caller takes
    /// or lends it, then removes `input[..end]` before the next call.
    InPlace {
        kind: MessageKind,
        payload_at: usize,
        end: usize,
    },
    /// A whole message assembled from fragments or inflated (non-streaming
    /// mode). Text has been validated.
    Message(MessageKind, Bytes),
    /// A piece of a message (streaming mode): its kind, its bytes, and
    /// whether it ends the message.
    Fragment(MessageKind, Bytes, bool),
    Ping(Bytes),
    Pong(Bytes),
    /// A close frame: the code (none if the payload was empty) and reason.
    Close(Option<CloseCode>, String),
}

/// Receive-side limits and mode, from the connection's [`Config`], fixed
/// for its life (but for the extension, [`Receiver::enable_deflate`]).
#[derive(Debug, Clone)]
struct ReceiveRules {
    frame: FrameRules,
    max_message: u64,
    /// The frame limit for frames of uncompressed messages (with deflate
    /// on, `frame.max_payload` is raised to `max_message` for compressed ones).
    max_frame: u64,
    max_fragments: usize,
    streaming: bool,
}

impl ReceiveRules {
    fn new(role: Role, config: &Config) -> ReceiveRules {
        let max_frame = config.max_frame_payload.min(config.max_message_size);
        ReceiveRules {
            frame: FrameRules {
                require_mask: Some(role.expects_masked_input()),
                allowed_rsv: 0,
                max_payload: max_frame,
                allow_non_minimal_length: config.allow_non_minimal_length,
            },
            max_message: config.max_message_size,
            max_frame,
            max_fragments: config.max_fragments,
            streaming: config.streaming,
        }
    }
}

/// The frame whose header has been read and whose payload is arriving at
/// the front of the input buffer.
#[derive(Debug)]
struct FrameInProgress {
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    len: u64,
    /// Payload bytes already unmasked and checked (non-streaming: still at
    /// the front of the input; streaming: already handed out; compressed:
    /// already inflated).
    done: u64,
    /// Compressed: payload bytes at the front of the input already
    /// unmasked but not yet inflated.
    #[cfg(feature = "deflate")]
    unmasked: u64,
}

impl FrameInProgress {
    /// The frame `header` starts, none of its payload taken yet.
    fn new(header: &FrameHeader) -> FrameInProgress {
        FrameInProgress {
            opcode: header.opcode,
            fin: header.fin,
            mask: header.mask,
            len: header.payload_len,
            done: 0,
            #[cfg(feature = "deflate")]
            unmasked: 0,
        }
    }
}

/// The data message being received.
#[derive(Debug)]
struct MessageInProgress {
    kind: MessageKind,
    size: u64,
    fragments: usize,
    utf8: Utf8Validator,
    /// Non-streaming, fragmented: the fragments so far.
    assembled: BytesMut,
    /// RSV1 was set on the first frame (RFC 7692): the payload is inflated.
    #[cfg(feature = "deflate")]
    compressed: bool,
    /// Compressed: bytes inflated so far; non-streaming, they are kept here.
    #[cfg(feature = "deflate")]
    inflated: Vec<u8>,
    #[cfg(feature = "deflate")]
    inflated_total: u64,
}

/// Turns a stream of frames into messages and control frames.
#[derive(Debug)]
pub(crate) struct Receiver {
    rules: ReceiveRules,
    /// Whole messages may take the one-step path: not streaming, and a
    /// message of one frame is within `max_fragments`.
    whole_in_one_step: bool,
    /// The length on the wire (header and payload) of the last data frame
    /// taken whole: the size the next read is made for
    /// ([`Receiver::room_wanted`]).
    last_frame_len: u64,
    frame: Option<FrameInProgress>,
    message: Option<MessageInProgress>,
    /// permessage-deflate was negotiated: RSV1 marks compressed messages.
    #[cfg(feature = "deflate")]
    inflater: Option<Decompressor>,
}

impl Receiver {
    /// A receiver for a connection of `role` with `config`'s limits.
    pub(crate) fn new(role: Role, config: &Config) -> Receiver {
        let rules = ReceiveRules::new(role, config);
        Receiver {
            whole_in_one_step: !rules.streaming && rules.max_fragments > 0,
            last_frame_len: 0,
            rules,
            frame: None,
            message: None,
            #[cfg(feature = "deflate")]
            inflater: None,
        }
    }

    /// Accepts RSV1 from now on and inflates the messages that carry it.
    #[cfg(feature = "deflate")]
    pub(crate) fn enable_deflate(&mut self, inflater: Decompressor) {
        self.rules.frame.allowed_rsv |= crate::frame::RSV1;
        // A compressed frame is inflated as it arrives and the inflated size
        // is held to `max_message`, so only that limit bounds it on the wire:
        // deflate makes incompressible data slightly larger, and a peer's
        // 16 MiB message can arrive as a frame over a 16 MiB frame limit.
        // Frames of uncompressed messages keep `max_frame` (`begin_data_frame`).
        self.rules.frame.max_payload = self.rules.frame.max_payload.max(self.rules.max_message);
        self.inflater = Some(inflater);
    }

    /// Bytes held for the message being assembled (inflated, if compressed).
    pub(crate) fn assembled_len(&self) -> usize {
        #[cfg(feature = "deflate")]
        let inflated = self.message.as_ref().map_or(0, |m| m.inflated.len());
        #[cfg(not(feature = "deflate"))]
        let inflated = 0;
        self.message.as_ref().map_or(0, |m| m.assembled.len()) + inflated
    }

    /// The one-step path, for the common case: a whole unfragmented,
    /// uncompressed message at the front of `input`, between messages, is
    /// unmasked and checked where it is and left there. Anything else is
    /// [`Whole::No`], for [`Receiver::next`]. Its result fits in two
    /// registers, so the message's place never makes a round trip through
    /// memory on the way to the app.
    #[inline]
    pub(crate) fn whole(&mut self, input: &mut InputBuffer) -> Whole {
        if self.frame.is_some() || self.message.is_some() {
            return Whole::No;
        }
        // A header that is not whole or breaks a rule is left to the
        // general path, which says which.
        let Some(header) = PackedHeader::decode(input, &self.rules.frame) else { return Whole::No };
        let Some(kind) = self.whole_message_kind(&header) else { return Whole::No };
        let header_len = header.len();
        let Some(end) = header.frame_len() else { return Whole::No };
        let Some(payload) = input.get_mut(header_len..end) else { return Whole::No };
        if kind == MessageKind::Text {
            if !crate::utf8::unmask_and_check_utf8(payload, header.mask()) {
                return Whole::InvalidUtf8;
            }
        } else if let Some(key) = header.mask() {
            apply_mask(payload, key, 0);
        }
        self.last_frame_len = end as u64;
        Whole::Message { kind, payload_at: header_len as u32, end }
    }

    /// Takes what it can from the front of `input` and returns the next
    /// received item, or `None` when more input is needed. The caller tries
    /// [`Receiver::whole`] first. An error is final: the caller must not
    /// call again. After an [`Incoming::InPlace`] the caller removes the
    /// message from `input` before calling again.
    pub(crate) fn next(&mut self, input: &mut InputBuffer) -> Result<Option<Incoming>, ProtocolError> {
        let between_messages = self.frame.is_none() && self.message.is_none();
        if between_messages {
            if input.is_empty() {
                // Every message that arrived has been taken: the usual end
                // of a read's worth of input.
                return Ok(None);
            }
            if let Some(header) = PackedHeader::decode(input, &self.rules.frame) {
                return self.begin_unless_waiting(&header, input);
            }
        }
        self.next_in_general(input)
    }

    /// A header at the front of `input` whose message did not arrive whole:
    /// waits for the rest of it (see [`Receiver::rest_awaited`]), or begins
    /// the frame.
    #[inline(never)]
    fn begin_unless_waiting(
        &mut self,
        header: &PackedHeader,
        input: &mut InputBuffer,
    ) -> Result<Option<Incoming>, ProtocolError> {
        if self.rest_awaited(header, input.len()).is_some() {
            return Ok(None);
        }
        self.begin_frame(&header.unpack())?;
        input.advance(header.len());
        self.next_in_general(input)
    }

    /// The kind of message `header` carries whole (FIN set, no RSV bit, text
    /// or binary, within the limits), when it can take the one-step path;
    /// any other header goes through [`Receiver::begin_frame`], which also
    /// reports the errors.
    #[inline]
    fn whole_message_kind(&self, header: &PackedHeader) -> Option<MessageKind> {
        // FIN set, no RSV bit: the first byte of the header is 0x81 or 0x82.
        let kind = if header.is_final_and_plain(OpCode::Binary) {
            MessageKind::Binary
        } else if header.is_final_and_plain(OpCode::Text) {
            MessageKind::Text
        } else {
            return None;
        };
        (self.whole_in_one_step && header.payload_len <= self.rules.max_frame).then_some(kind)
    }

    /// The room the next read needs; `input_len` is what the input holds.
    ///
    /// Between frames, and while little of a frame has arrived (moving it
    /// to make room is cheap), a read's worth ([`READ_ROOM`]). Once more of
    /// a frame has arrived, only what the rest of it needs, up to a read's
    /// worth, so the bytes received are not moved just to make the read that
    /// ends the frame longer (the read is shorter, the copy is saved). Room
    /// that has to be made is made for the rest of the frame, at most
    /// [`ROOM_AHEAD_MAX`] past the bytes received.
    pub(crate) fn room_wanted(&self, input: &[u8]) -> RoomWanted {
        let input_len = input.len();
        if self.frame.is_none()
            && self.message.is_none()
            && let Some(end) =
                PackedHeader::decode(input, &self.rules.frame).and_then(|header| self.rest_awaited(&header, input_len))
        {
            return Self::room_for_frame(end as u64, input_len as u64);
        }
        let buffering = self.frame.as_ref().filter(|frame| {
            #[cfg(feature = "deflate")]
            if self.message.as_ref().is_some_and(|m| m.compressed) {
                return false;
            }
            !self.rules.streaming || frame.opcode.is_control()
        });
        let Some(frame) = buffering else {
            let last = usize::try_from(self.last_frame_len).unwrap_or(usize::MAX);
            if self.frame.is_none() && last >= LARGE_FRAME + MAX_HEADER_LEN && input_len < MAX_HEADER_LEN {
                // Between large frames: a read of one more frame of that
                // size, so each lands at the start of a buffer hot in cache.
                let room = (last - input_len).min(ROOM_AHEAD_MAX);
                return RoomWanted { least: room, grow: room, whole: room, most: room };
            }
            return RoomWanted::read();
        };
        Self::room_for_frame(frame.len, input_len as u64)
    }

    /// The length on the wire of the message `header` starts, when that
    /// message waits in the input until all of it is there, to be taken on
    /// the one-step path, and only `arrived` bytes of it have: a whole
    /// unfragmented binary message of up to two reads' worth. A longer one
    /// is unmasked read by read, while each read is still in cache, and text
    /// is checked as it arrives, so invalid UTF-8 fails the connection at
    /// once.
    fn rest_awaited(&self, header: &PackedHeader, arrived: usize) -> Option<usize> {
        let kind = self.whole_message_kind(header)?;
        let end = header.frame_len()?;
        (kind == MessageKind::Binary && arrived < end && end <= 2 * READ_ROOM).then_some(end)
    }

    /// The room for a frame of `len` bytes (its payload, or all of it with
    /// its header) of which `arrived` are in the input.
    fn room_for_frame(len: u64, arrived: u64) -> RoomWanted {
        let arrived = arrived.min(len);
        let rest = usize::try_from(len - arrived).unwrap_or(usize::MAX);
        let whole = rest.saturating_add(ROOM_SLACK);
        let grow = whole.clamp(READ_ROOM, ROOM_AHEAD_MAX);
        let least = if arrived < CHEAP_TO_MOVE { READ_ROOM } else { whole.min(READ_ROOM) };
        // A large frame's payload is read up to its end and no further: the
        // next read starts at a frame boundary, in an emptied buffer.
        let most = if len >= LARGE_FRAME as u64 && rest > 0 { rest } else { usize::MAX };
        RoomWanted { least: least.min(most), grow, whole, most }
    }

    /// The frames that [`Receiver::next`] does not take in one step.
    #[inline(never)]
    fn next_in_general(&mut self, input: &mut InputBuffer) -> Result<Option<Incoming>, ProtocolError> {
        loop {
            if self.frame.is_none() {
                let (header, header_len) = match FrameHeader::decode(input, &self.rules.frame)? {
                    Decoded::Complete(parsed) => parsed,
                    Decoded::Incomplete { .. } => return Ok(None),
                };
                self.begin_frame(&header)?;
                input.advance(header_len);
            }
            let control = self.frame.as_ref().is_some_and(|f| f.opcode.is_control());
            #[cfg(feature = "deflate")]
            if !control && self.message.as_ref().is_some_and(|m| m.compressed) {
                match self.inflate_payload(input)? {
                    Progress::Item(item) => return Ok(Some(item)),
                    Progress::NeedMore => return Ok(None),
                    Progress::Continue => continue,
                }
            }
            let streaming = self.rules.streaming && !control;
            let item = if streaming { self.stream_payload(input)? } else { self.buffer_payload(input)? };
            match item {
                Progress::Item(item) => return Ok(Some(item)),
                Progress::NeedMore => return Ok(None),
                Progress::Continue => continue,
            }
        }
    }

    /// Checks a header that [`Receiver::next`] does not take in one step
    /// and starts its frame (and, for data, its message), before any of
    /// its payload is buffered.
    fn begin_frame(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        if header.rsv & crate::frame::RSV1 != 0 {
            // RFC 7692 §6.1: only the first frame of a data message may carry it.
            if header.opcode.is_control() {
                return Err(ProtocolError::Compression(crate::error::CompressionViolation::Rsv1OnControlFrame));
            }
            if header.opcode == OpCode::Continuation {
                return Err(ProtocolError::Compression(crate::error::CompressionViolation::Rsv1OnContinuation));
            }
        }
        if !header.opcode.is_control() {
            self.begin_data_frame(header)?;
        }
        self.frame = Some(FrameInProgress::new(header));
        Ok(())
    }

    /// Checks a data frame's header against the message in progress and the
    /// limits, before any of its payload is buffered, and starts a message.
    fn begin_data_frame(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        let (size, fragments) = match (header.opcode, &self.message) {
            (OpCode::Continuation, Some(message)) => (message.size, message.fragments),
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (opcode, Some(_)) => return Err(ProtocolError::ExpectedContinuation(opcode)),
            (_, None) => (0, 0),
        };
        if size.saturating_add(header.payload_len) > self.rules.max_message {
            return Err(ProtocolError::MessageTooLarge { max: self.rules.max_message });
        }
        #[cfg(feature = "deflate")]
        {
            let compressed = match (header.opcode, &self.message) {
                (OpCode::Continuation, Some(message)) => message.compressed,
                _ => header.rsv & crate::frame::RSV1 != 0,
            };
            if !compressed && header.payload_len > self.rules.max_frame {
                return Err(ProtocolError::Frame(crate::frame::FrameError::PayloadTooLarge {
                    len: header.payload_len,
                    max: self.rules.max_frame,
                }));
            }
        }
        if fragments >= self.rules.max_fragments {
            return Err(ProtocolError::TooManyFragments { max: self.rules.max_fragments });
        }
        let message = self.message.get_or_insert_with(|| MessageInProgress {
            kind: if header.opcode == OpCode::Text { MessageKind::Text } else { MessageKind::Binary },
            size: 0,
            fragments: 0,
            utf8: Utf8Validator::new(),
            assembled: BytesMut::new(),
            #[cfg(feature = "deflate")]
            compressed: header.rsv & crate::frame::RSV1 != 0,
            #[cfg(feature = "deflate")]
            inflated: Vec::new(),
            #[cfg(feature = "deflate")]
            inflated_total: 0,
        });
        message.size += header.payload_len;
        message.fragments += 1;
        Ok(())
    }

    /// Non-streaming: unmask and check payload as it arrives in `input`, and
    /// take the frame once all of it is there.
    fn buffer_payload(&mut self, input: &mut InputBuffer) -> Result<Progress, ProtocolError> {
        let Some(frame) = self.frame.as_mut() else { return Ok(Progress::NeedMore) };
        let available = (input.len() as u64).min(frame.len);
        if available > frame.done {
            let fresh = &mut input[frame.done as usize..available as usize];
            let offset = frame.done as usize;
            match self.message.as_mut().filter(|m| m.kind == MessageKind::Text && !frame.opcode.is_control()) {
                Some(message) => {
                    message.utf8.feed_unmasking(fresh, frame.mask, offset).map_err(|_| ProtocolError::InvalidUtf8)?
                }
                None => {
                    if let Some(key) = frame.mask {
                        apply_mask(fresh, key, offset);
                    }
                }
            }
            frame.done = available;
        }
        if frame.done < frame.len {
            return Ok(Progress::NeedMore);
        }
        let frame = self.frame.take().expect("checked above");
        let len = frame.len as usize;
        if frame.opcode.is_control() {
            // Copied out (at most 125 bytes), so a ping's payload waiting
            // for its pong never holds the input buffer.
            let payload = Bytes::copy_from_slice(&input[..len]);
            input.advance(len);
            return control_frame(frame.opcode, payload).map(Progress::Item);
        }
        let message = self.message.as_mut().expect("a data frame always has a message");
        if !frame.fin {
            message.assembled.extend_from_slice(&input[..len]);
            input.advance(len);
            return Ok(Progress::Continue);
        }
        let mut message = self.message.take().expect("checked above");
        message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        if message.assembled.is_empty() {
            self.last_frame_len =
                FrameHeader { fin: true, rsv: 0, opcode: frame.opcode, mask: frame.mask, payload_len: frame.len }
                    .encoded_len() as u64
                    + frame.len;
            return Ok(Progress::Item(Incoming::InPlace { kind: message.kind, payload_at: 0, end: len }));
        }
        message.assembled.extend_from_slice(&input[..len]);
        input.advance(len);
        Ok(Progress::Item(Incoming::Message(message.kind, message.assembled.freeze())))
    }

    /// Streaming: hand out whatever part of the payload has arrived.
    fn stream_payload(&mut self, input: &mut InputBuffer) -> Result<Progress, ProtocolError> {
        let Some(frame) = self.frame.as_mut() else { return Ok(Progress::NeedMore) };
        let take = (input.len() as u64).min(frame.len - frame.done) as usize;
        if take == 0 && frame.len > 0 {
            return Ok(Progress::NeedMore);
        }
        let message = self.message.as_mut().expect("a data frame always has a message");
        let piece = &mut input[..take];
        if message.kind == MessageKind::Text {
            message
                .utf8
                .feed_unmasking(piece, frame.mask, frame.done as usize)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        } else if let Some(key) = frame.mask {
            apply_mask(piece, key, frame.done as usize);
        }
        let data = input.split_to(take);
        let take = take as u64;
        frame.done += take;
        let frame_done = frame.done == frame.len;
        let fin = frame_done && frame.fin;
        let kind = message.kind;
        if frame_done {
            self.frame = None;
        }
        if fin {
            let mut message = self.message.take().expect("checked above");
            message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        if data.is_empty() && !fin {
            // An empty non-final frame carries nothing worth an event.
            return Ok(Progress::Continue);
        }
        Ok(Progress::Item(Incoming::Fragment(kind, data, fin)))
    }
}

/// The most bytes one inflate step produces in streaming mode (one
/// [`Incoming::Fragment`]), and the first growth step of a whole message.
#[cfg(feature = "deflate")]
const INFLATE_CHUNK: usize = 64 * 1024;

#[cfg(feature = "deflate")]
impl Receiver {
    /// A frame of a compressed message: unmask what has arrived, in place,
    /// and inflate it, checking the inflated size against the message
    /// limit as it grows. Streaming: one piece of at most [`INFLATE_CHUNK`]
    /// bytes per call. Otherwise the message is inflated into one buffer
    /// whose capacity never passes the limit by more than a byte.
    fn inflate_payload(&mut self, input: &mut InputBuffer) -> Result<Progress, ProtocolError> {
        let (Some(frame), Some(message), Some(inflater)) =
            (self.frame.as_mut(), self.message.as_mut(), self.inflater.as_mut())
        else {
            return Ok(Progress::NeedMore);
        };
        let available = (input.len() as u64).min(frame.len - frame.done);
        if available > frame.unmasked {
            if let Some(key) = frame.mask {
                let offset = (frame.done + frame.unmasked) as usize;
                apply_mask(&mut input[frame.unmasked as usize..available as usize], key, offset);
            }
            frame.unmasked = available;
        }
        let max = self.rules.max_message;
        // The capacity that lets the inflater show it would pass the limit.
        let cap_limit = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
        let mut piece = Vec::new();
        loop {
            let out = if self.rules.streaming { &mut piece } else { &mut message.inflated };
            if out.len() == out.capacity() {
                // A first guess from the compressed size, so a short message
                // does not hold a large buffer.
                let guess = usize::try_from(frame.len).unwrap_or(usize::MAX).saturating_mul(4).saturating_add(256);
                let step = INFLATE_CHUNK.min(guess);
                let room = if self.rules.streaming {
                    // Sized by the input at hand, so input trickling in does
                    // not cost a large buffer per call.
                    let at_hand = (frame.unmasked as usize).saturating_mul(8).max(1024);
                    let left = max.saturating_sub(message.inflated_total).saturating_add(1);
                    usize::try_from(left).unwrap_or(usize::MAX).min(step).min(at_hand)
                } else {
                    let grown = out.capacity().saturating_mul(2).max(out.len() + step);
                    grown.min(cap_limit).saturating_sub(out.len())
                };
                if room == 0 {
                    return Err(ProtocolError::MessageTooLarge { max });
                }
                out.reserve_exact(room);
            }
            let last = frame.fin && frame.done + frame.unmasked == frame.len;
            let start = out.len();
            let step = inflater
                .inflate(&input[..frame.unmasked as usize], last, out)
                .map_err(|_| ProtocolError::InvalidCompressedData)?;
            input.advance(step.consumed);
            frame.done += step.consumed as u64;
            frame.unmasked -= step.consumed as u64;
            message.inflated_total += step.produced as u64;
            if message.inflated_total > max {
                return Err(ProtocolError::MessageTooLarge { max });
            }
            if message.kind == MessageKind::Text {
                message.utf8.feed(&out[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            if step.done {
                self.frame = None;
                let mut message = self.message.take().expect("checked above");
                message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
                if self.rules.streaming {
                    return Ok(Progress::Item(Incoming::Fragment(message.kind, piece.into(), true)));
                }
                let mut whole = message.inflated;
                if whole.capacity() - whole.len() > whole.len() / 4 + 64 {
                    whole.shrink_to_fit();
                }
                return Ok(Progress::Item(Incoming::Message(message.kind, whole.into())));
            }
            let frame_over = frame.done == frame.len && !frame.fin;
            if self.rules.streaming && (!piece.is_empty() || frame_over) {
                if frame_over {
                    self.frame = None;
                }
                if piece.is_empty() {
                    return Ok(Progress::Continue);
                }
                return Ok(Progress::Item(Incoming::Fragment(message.kind, piece.into(), false)));
            }
            if frame_over {
                self.frame = None;
                return Ok(Progress::Continue);
            }
            if step.consumed == 0 && step.produced == 0 {
                return Ok(Progress::NeedMore);
            }
        }
    }
}

/// The room the next read needs, from [`Receiver::room_wanted`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoomWanted {
    /// The least room worth a read.
    pub(crate) least: usize,
    /// The room to make when there is less than `least`: at most
    /// [`ROOM_AHEAD_MAX`] past the bytes received.
    pub(crate) grow: usize,
    /// The room that would take the rest of the frame in progress.
    pub(crate) whole: usize,
    /// The longest read worth offering.
    pub(crate) most: usize,
}

impl RoomWanted {
    /// The first read into a new buffer: small (see [`FIRST_READ_ROOM`]).
    pub(crate) const fn first_read() -> RoomWanted {
        RoomWanted { least: FIRST_READ_ROOM, grow: FIRST_READ_ROOM, whole: FIRST_READ_ROOM, most: usize::MAX }
    }

    /// A read's worth, between frames.
    pub(crate) const fn read() -> RoomWanted {
        RoomWanted { least: READ_ROOM, grow: READ_ROOM, whole: READ_ROOM, most: usize::MAX }
    }
}

/// What [`Receiver::whole`] found at the front of the input.
pub(crate) enum Whole {
    /// A whole message at `input[payload_at..end]`, unmasked and checked.
    Message { kind: MessageKind, payload_at: u32, end: usize },
    /// A whole text message that is not UTF-8.
    InvalidUtf8,
    /// Anything else: for [`Receiver::next`].
    No,
}

/// Frames at least this long are read up to their end, one at a time, so
/// each lands at the start of the same buffer (hot in cache) and is never
/// moved; shorter ones come many to a read.
const LARGE_FRAME: usize = 4096;

/// Received bytes of a frame in progress few enough that moving them to
/// give the next read its full [`READ_ROOM`] costs less than a short read.
const CHEAP_TO_MOVE: u64 = 4096;

enum Progress {
    Item(Incoming),
    NeedMore,
    Continue,
}

fn control_frame(opcode: OpCode, payload: Bytes) -> Result<Incoming, ProtocolError> {
    match opcode {
        OpCode::Ping => Ok(Incoming::Ping(payload)),
        OpCode::Pong => Ok(Incoming::Pong(payload)),
        _ => {
            let (code, reason) = parse_close_payload(&payload)?;
            Ok(Incoming::Close(code, reason))
        }
    }
}

/// Splits a close frame's payload into its code and reason (RFC 6455 §5.5.1):
/// empty, or a valid code followed by UTF-8.
pub(crate) fn parse_close_payload(payload: &[u8]) -> Result<(Option<CloseCode>, String), ProtocolError> {
    match payload {
        [] => Ok((None, String::new())),
        [_] => Err(ProtocolError::ClosePayloadTooShort),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            if !code.is_valid_on_wire() {
                return Err(ProtocolError::InvalidCloseCode(code.0));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok((Some(code), reason.to_owned()))
        }
    }
}
