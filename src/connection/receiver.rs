//! Frames into messages: sequencing of fragments, limits, incremental UTF-8,
//! control frames. Knows nothing of the handshake, output or time.

use bytes::{Buf, Bytes, BytesMut};

use crate::close::CloseCode;
use crate::error::ProtocolError;
use crate::event::MessageKind;
use crate::frame::{Decoded, FrameHeader, FrameRules, OpCode, apply_mask};
use crate::utf8::Utf8Validator;

/// Something received, ready to become an event.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole message (non-streaming mode). Text has been validated.
    Message(MessageKind, Bytes),
    /// A piece of a message (streaming mode).
    Fragment { kind: MessageKind, data: Bytes, fin: bool },
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
    /// the front of the input; streaming: already handed out).
    done: u64,
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
}

/// Turns a stream of frames into messages and control frames.
#[derive(Debug)]
pub(crate) struct Receiver {
    rules: ReceiveRules,
    frame: Option<FrameInProgress>,
    message: Option<MessageInProgress>,
}

impl Receiver {
    pub(crate) fn new(rules: ReceiveRules) -> Receiver {
        Receiver { rules, frame: None, message: None }
    }

    /// Bytes held for the message being assembled.
    pub(crate) fn assembled_len(&self) -> usize {
        self.message.as_ref().map_or(0, |m| m.assembled.len())
    }

    /// Takes what it can from the front of `input` and returns the next
    /// received item, or `None` when more input is needed. An error is
    /// final: the caller must not call again.
    pub(crate) fn next(&mut self, input: &mut BytesMut) -> Result<Option<Incoming>, ProtocolError> {
        loop {
            if self.frame.is_none() {
                let (header, header_len) = match FrameHeader::decode(input, &self.rules.frame)? {
                    Decoded::Complete(parsed) => parsed,
                    Decoded::Incomplete { .. } => return Ok(None),
                };
                if !header.opcode.is_control() {
                    self.begin_data_frame(&header)?;
                }
                input.advance(header_len);
                self.frame = Some(FrameInProgress {
                    opcode: header.opcode,
                    fin: header.fin,
                    mask: header.mask,
                    len: header.payload_len,
                    done: 0,
                });
            }
            let streaming = self.rules.streaming && !self.frame.as_ref().is_some_and(|f| f.opcode.is_control());
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
        if fragments >= self.rules.max_fragments {
            return Err(ProtocolError::TooManyFragments { max: self.rules.max_fragments });
        }
        let message = self.message.get_or_insert_with(|| MessageInProgress {
            kind: if header.opcode == OpCode::Text { MessageKind::Text } else { MessageKind::Binary },
            size: 0,
            fragments: 0,
            utf8: Utf8Validator::new(),
            assembled: BytesMut::new(),
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
            if let Some(key) = frame.mask {
                apply_mask(fresh, key, frame.done as usize);
            }
            if let Some(message) = self.message.as_mut().filter(|m| m.kind == MessageKind::Text) {
                if !frame.opcode.is_control() {
                    message.utf8.feed(fresh).map_err(|_| ProtocolError::InvalidUtf8)?;
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
        if let Some(key) = frame.mask {
            apply_mask(&mut data, key, frame.done as usize);
        }
        frame.done += take;
        let message = self.message.as_mut().expect("a data frame always has a message");
        if message.kind == MessageKind::Text {
            message.utf8.feed(&data).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
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
