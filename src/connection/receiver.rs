//! Frames into messages: sequencing of fragments, limits, incremental UTF-8,
//! control frames. Knows nothing of the handshake, output or time.

use bytes::{Buf, Bytes, BytesMut};

use crate::close::CloseCode;
#[cfg(feature = "deflate")]
use crate::deflate::Decompressor;
use crate::error::ProtocolError;
use crate::event::MessageKind;
use crate::frame::{Decoded, FrameHeader, FrameRules, OpCode, apply_mask, extend_unmasked};
use crate::utf8::Utf8Validator;

use super::room::FrameRoom;

/// Something received, ready to become an event.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole message (non-streaming mode). Text has been validated.
    Message(MessageKind, Bytes),
    /// A piece of a message (streaming mode).
    Fragment {
        kind: MessageKind,
        data: Bytes,
        fin: bool,
    },
    Ping(Bytes),
    Pong(Bytes),
    /// A close frame: the code (none if the payload was empty) and reason.
    Close(Option<CloseCode>, String),
}

/// Receive-side limits and mode, fixed for the connection's life.
#[derive(Debug, Clone)]
pub(crate) struct ReceiveRules {
    pub(crate) frame: FrameRules,
    pub(crate) max_message: u64,
    /// The frame limit for frames of uncompressed messages (with deflate
    /// on, `frame.max_payload` is raised to `max_message` for compressed ones).
    pub(crate) max_frame: u64,
    pub(crate) max_fragments: usize,
    pub(crate) streaming: bool,
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
    frame: Option<FrameInProgress>,
    message: Option<MessageInProgress>,
    /// An error found by [`Receiver::take_payload`], reported by the next
    /// [`Receiver::next`] (the items before it have all been returned).
    error: Option<ProtocolError>,
    /// The buffers large frames are received into.
    room: FrameRoom,
    /// permessage-deflate was negotiated: RSV1 marks compressed messages.
    #[cfg(feature = "deflate")]
    inflater: Option<Decompressor>,
}

impl Receiver {
    pub(crate) fn new(rules: ReceiveRules) -> Receiver {
        Receiver {
            rules,
            frame: None,
            message: None,
            error: None,
            room: FrameRoom::default(),
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

    /// Takes what it can from the front of `input` and returns the next
    /// received item, or `None` when more input is needed. An error is
    /// final: the caller must not call again.
    #[inline]
    pub(crate) fn next(&mut self, input: &mut BytesMut) -> Result<Option<Incoming>, ProtocolError> {
        match self.next_whole(input) {
            Fast::Message { kind, payload_at, end } => {
                let mut frame = input.split_to(end).freeze();
                frame.advance(payload_at);
                Ok(Some(Incoming::Message(kind, frame)))
            }
            Fast::InvalidUtf8 => Err(ProtocolError::InvalidUtf8),
            Fast::Skip => self.next_in_general(input),
        }
    }

    /// The common case of [`Receiver::next`], leaving the message in
    /// `input` for the caller to take or lend: see [`Fast`]. [`Fast::Skip`]
    /// when it does not apply; [`Receiver::next`] then does the rest.
    #[inline]
    pub(crate) fn next_whole(&mut self, input: &mut BytesMut) -> Fast {
        if self.frame.is_none() && self.message.is_none() { self.whole_message(input) } else { Fast::Skip }
    }

    /// [`Receiver::next`] for every case the fast path leaves.
    #[inline(never)]
    fn next_in_general(&mut self, input: &mut BytesMut) -> Result<Option<Incoming>, ProtocolError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        loop {
            if self.frame.is_none() {
                let (header, header_len) = match FrameHeader::decode(input, &self.rules.frame)? {
                    Decoded::Complete(parsed) => parsed,
                    Decoded::Incomplete { .. } => return Ok(None),
                };
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
                    self.begin_data_frame(&header)?;
                }
                input.advance(header_len);
                self.frame = Some(FrameInProgress::new(&header));
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
    fn buffer_payload(&mut self, input: &mut BytesMut) -> Result<Progress, ProtocolError> {
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
        let payload = input.split_to(frame.len as usize).freeze();
        if frame.opcode.is_control() {
            return control_frame(frame.opcode, payload).map(Progress::Item);
        }
        let message = self.message.as_mut().expect("a data frame always has a message");
        if !frame.fin {
            message.assembled.extend_from_slice(&payload);
            return Ok(Progress::Continue);
        }
        let mut message = self.message.take().expect("checked above");
        message.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
        let whole = if message.assembled.is_empty() {
            payload
        } else {
            message.assembled.extend_from_slice(&payload);
            message.assembled.freeze()
        };
        Ok(Progress::Item(Incoming::Message(message.kind, whole)))
    }

    /// Streaming: hand out whatever part of the payload has arrived.
    fn stream_payload(&mut self, input: &mut BytesMut) -> Result<Progress, ProtocolError> {
        let Some(frame) = self.frame.as_mut() else { return Ok(Progress::NeedMore) };
        let take = (input.len() as u64).min(frame.len - frame.done);
        if take == 0 && frame.len > 0 {
            return Ok(Progress::NeedMore);
        }
        let mut data = input.split_to(take as usize);
        let message = self.message.as_mut().expect("a data frame always has a message");
        if message.kind == MessageKind::Text {
            message
                .utf8
                .feed_unmasking(&mut data, frame.mask, frame.done as usize)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        } else if let Some(key) = frame.mask {
            apply_mask(&mut data, key, frame.done as usize);
        }
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
        Ok(Progress::Item(Incoming::Fragment { kind, data: data.freeze(), fin }))
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
    fn inflate_payload(&mut self, input: &mut BytesMut) -> Result<Progress, ProtocolError> {
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
                    return Ok(Progress::Item(Incoming::Fragment {
                        kind: message.kind,
                        data: piece.into(),
                        fin: true,
                    }));
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
                return Ok(Progress::Item(Incoming::Fragment { kind: message.kind, data: piece.into(), fin: false }));
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

// ---- the fast path -------------------------------------------------------

/// Frames up to this size get room for their whole payload as soon as
/// the rest of it starts arriving (see [`FrameRoom::make`]).
const EAGER_ROOM_MAX: u64 = 4 << 20;

/// Frames whose payload is at least this long are taken by
/// [`Receiver::take_payload`] as they arrive.
const LARGE_FRAME: u64 = 4 * 1024;

impl Receiver {
    /// Lets go of the buffer kept for the next large frame; returns whether
    /// the input changed buffers for large frames since the last call, in
    /// which case the caller lets go of its input buffer too once it is empty.
    #[inline]
    pub(crate) fn release_spare(&mut self) -> bool {
        self.room.release()
    }

    /// Whether no frame is in progress (the next input starts a header)
    /// and no error waits to be reported.
    pub(crate) fn is_idle_between_frames(&self) -> bool {
        self.frame.is_none() && self.error.is_none()
    }

    /// Whether all of the payload of the frame in progress has arrived.
    pub(crate) fn frame_payload_complete(&self) -> bool {
        self.frame.as_ref().is_some_and(|frame| frame.done == frame.len)
    }

    /// The header at the front of `data`, and its length, if it is a valid
    /// header of a large data frame. `None` in every other case, including
    /// errors (the general path reports them).
    pub(crate) fn large_frame_header(&self, data: &[u8]) -> Option<(FrameHeader, usize)> {
        if self.rules.streaming {
            return None;
        }
        let Ok(Decoded::Complete((header, header_len))) = FrameHeader::decode(data, &self.rules.frame) else {
            return None;
        };
        let large = header.payload_len >= LARGE_FRAME && header.payload_len <= EAGER_ROOM_MAX;
        (large && !header.opcode.is_control() && header.rsv == 0).then_some((header, header_len))
    }

    /// Starts the large frame whose `header` came from
    /// [`large_frame_header`](Self::large_frame_header), with no frame in
    /// progress and nothing left to decode: as the general path would on
    /// reading that header, an error kept for the next [`Receiver::next`].
    pub(crate) fn begin_large_frame(&mut self, header: &FrameHeader) {
        debug_assert!(self.frame.is_none() && self.error.is_none());
        match self.begin_data_frame(header) {
            Ok(()) => self.frame = Some(FrameInProgress::new(header)),
            Err(error) => self.error = Some(error),
        }
    }

    /// Takes the start of `data` that continues the frame in progress
    /// (uncompressed, not streaming, all of it so far already checked)
    /// straight into `input`, unmasked and, for text, validated in the same
    /// pass. `data` is what is left of a read of `read` bytes. Returns how
    /// many bytes of `data` it took; the caller appends the rest. A UTF-8
    /// error is kept for the next [`Receiver::next`], which reports it in
    /// order.
    pub(crate) fn take_payload(&mut self, input: &mut BytesMut, data: &[u8], read: usize) -> usize {
        let (Some(frame), Some(message)) = (self.frame.as_mut(), self.message.as_mut()) else { return 0 };
        if self.rules.streaming || self.error.is_some() || frame.opcode.is_control() || input.len() as u64 != frame.done
        {
            return 0;
        }
        #[cfg(feature = "deflate")]
        if message.compressed {
            return 0;
        }
        let rest = usize::try_from(frame.len - frame.done).unwrap_or(usize::MAX);
        let take = rest.min(data.len());
        if take == 0 {
            return 0;
        }
        if (LARGE_FRAME..=EAGER_ROOM_MAX).contains(&frame.len) {
            self.room.make(input, rest, data.len(), read, frame.len as usize);
        }
        let piece = &data[..take];
        let offset = frame.done as usize;
        frame.done += take as u64;
        // One pass over the bytes: copied, unmasked and, for text, checked.
        if message.kind == MessageKind::Text {
            if message.utf8.extend_unmasking(input, piece, frame.mask, offset).is_err() {
                self.error = Some(ProtocolError::InvalidUtf8);
            }
        } else {
            extend_unmasked(input, piece, frame.mask, offset);
        }
        take
    }
}

impl Receiver {
    /// The common case in one step: nothing in progress, and a whole
    /// unfragmented, uncompressed text or binary frame at the front of
    /// `input`. It is unmasked in place, text is validated in one pass, and
    /// the payload is split off without a copy. [`Fast::Skip`] when the
    /// case does not apply (including any header error): the general path
    /// then takes the frame and reports the same errors.
    #[inline]
    fn whole_message(&mut self, input: &mut BytesMut) -> Fast {
        if self.rules.streaming || self.rules.max_fragments == 0 {
            return Fast::Skip;
        }
        // Only what the first two bytes need: FIN set, RSV clear, text or
        // binary, masking as required; then the length in its shortest form.
        let [b0, b1, ..] = input[..] else { return Fast::Skip };
        let kind = match b0 {
            0x81 => MessageKind::Text,
            0x82 => MessageKind::Binary,
            _ => return Fast::Skip,
        };
        let masked = b1 & 0x80 != 0;
        if self.rules.frame.require_mask.is_some_and(|required| required != masked) {
            return Fast::Skip;
        }
        let mask_len = if masked { 4 } else { 0 };
        let (len, len_end) = match b1 & 0x7F {
            len7 @ 0..=125 => (len7 as usize, 2),
            126 => {
                let Some(&[hi, lo]) = input.get(2..4) else { return Fast::Skip };
                let len = u16::from_be_bytes([hi, lo]) as usize;
                if len < 126 {
                    return Fast::Skip;
                }
                (len, 4)
            }
            _ => {
                let Some(be) = input.get(2..10) else { return Fast::Skip };
                let len = u64::from_be_bytes(be.try_into().expect("8 bytes"));
                if len <= u16::MAX as u64 || len >> 63 != 0 {
                    return Fast::Skip;
                }
                let Ok(len) = usize::try_from(len) else { return Fast::Skip };
                (len, 10)
            }
        };
        if len as u64 > self.rules.max_frame {
            return Fast::Skip;
        }
        let header_len = len_end + mask_len;
        let total = header_len + len;
        if input.len() < total {
            return Fast::Skip;
        }
        let (head, rest) = input.split_at_mut(header_len);
        let payload = &mut rest[..len];
        let key = if masked { head[len_end..].try_into().ok() } else { None };
        if kind == MessageKind::Text {
            if !crate::utf8::unmask_and_check_utf8(payload, key) {
                return Fast::InvalidUtf8;
            }
        } else if let Some(key) = key {
            apply_mask(payload, key, 0);
        }
        Fast::Message { kind, payload_at: header_len, end: total }
    }
}

/// The outcome of [`Receiver::whole_message`].
pub(crate) enum Fast {
    /// A whole message, unmasked and checked, is `input[payload_at..end]`;
    /// the caller takes it and removes `input[..end]`.
    Message {
        kind: MessageKind,
        payload_at: usize,
        end: usize,
    },
    InvalidUtf8,
    Skip,
}

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
