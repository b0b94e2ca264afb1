//! The queue's ordering, accounting and masking rules.

use super::*;
use crate::frame::OpCode;

fn header(len: usize, mask: Option<[u8; 4]>) -> FrameHeader {
    FrameHeader { fin: true, rsv: 0, opcode: OpCode::Binary, mask, payload_len: len as u64 }
}

/// The bytes `push_frame` must produce, written the slow way.
fn reference_frame(payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = header(payload.len(), mask).encode().as_bytes().to_vec();
    match mask {
        Some(key) => out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4])),
        None => out.extend_from_slice(payload),
    }
    out
}

fn drain(queue: &mut SendQueue) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(piece) = queue.pop() {
        out.extend_from_slice(&piece);
    }
    assert_eq!(queue.len(), 0);
    out
}

/// Writes everything through `slices` + `advance`, at most `chunk` bytes
/// per write.
fn drain_vectored(queue: &mut SendQueue, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut slots = [IoSlice::new(&[]); 4];
        let n = queue.slices(&mut slots);
        if n == 0 {
            break;
        }
        let before = out.len();
        for slot in &slots[..n] {
            let room = chunk - (out.len() - before);
            out.extend_from_slice(&slot[..slot.len().min(room)]);
        }
        let written = out.len() - before;
        queue.advance(written);
    }
    assert_eq!(queue.len(), 0);
    out
}

#[test]
fn urgent_frames_never_split_a_frame() {
    let mut q = SendQueue::default();
    q.push_frame(&header(10_000, None), Bytes::from(vec![1u8; 10_000]));
    q.push_frame(&header(5, None), Bytes::from_static(b"small"));
    q.advance(1); // mid-way through the first header
    q.push_urgent(Bytes::from_static(b"PONG"));
    let mut expected = reference_frame(&[1u8; 10_000], None)[1..].to_vec();
    expected.extend_from_slice(b"PONG");
    expected.extend(reference_frame(b"small", None));
    assert_eq!(q.len(), expected.len());
    assert_eq!(drain(&mut q), expected);
}

#[test]
fn urgent_frames_go_first_and_in_order_when_nothing_is_started() {
    let mut q = SendQueue::default();
    q.push_frame(&header(3, None), Bytes::from_static(b"abc"));
    q.push_urgent(Bytes::from_static(b"P1"));
    q.push_urgent(Bytes::from_static(b"P2"));
    let mut expected = b"P1P2".to_vec();
    expected.extend(reference_frame(b"abc", None));
    assert_eq!(drain_vectored(&mut q, usize::MAX), expected);
}

#[test]
fn urgent_frames_never_overtake_lent_bytes() {
    // Bytes lent to a vectored write may be on the wire before the write
    // is reported: a pong queued meanwhile must come after them.
    let mut q = SendQueue::default();
    q.push_frame(&header(3, None), Bytes::from_static(b"abc"));
    let mut slots = [IoSlice::new(&[]); 4];
    assert_eq!(q.slices(&mut slots), 1);
    q.push_urgent(Bytes::from_static(b"PONG"));
    q.advance(5); // the whole frame had been written
    assert_eq!(drain(&mut q), b"PONG");
}

#[test]
fn slices_cover_everything_in_order() {
    let mut q = SendQueue::default();
    q.push_frame(&header(1500, None), Bytes::from(vec![7u8; 1500]));
    q.push_frame(&header(0, None), Bytes::new());
    q.advance(1);
    let mut slots = [IoSlice::new(&[]); 8];
    let n = q.slices(&mut slots);
    let joined: Vec<u8> = slots[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(joined.len(), q.len());
    let mut expected = reference_frame(&[7u8; 1500], None)[1..].to_vec();
    expected.extend(reference_frame(&[], None));
    assert_eq!(joined, expected);
}

#[test]
fn small_frames_are_lent_from_one_reused_buffer() {
    let mut q = SendQueue::default();
    let key = Some([1, 2, 3, 4]);
    q.push_frame(&header(16, key), Bytes::from_static(&[9; 16]));
    let first = {
        let mut slots = [IoSlice::new(&[]); 2];
        assert_eq!(q.slices(&mut slots), 1);
        assert_eq!(&slots[0][..], reference_frame(&[9; 16], key));
        slots[0].as_ptr()
    };
    q.advance(22);
    assert_eq!(q.len(), 0);
    q.push_frame(&header(16, key), Bytes::from_static(&[9; 16]));
    let mut slots = [IoSlice::new(&[]); 2];
    assert_eq!(q.slices(&mut slots), 1);
    assert_eq!(slots[0].as_ptr(), first, "the buffer is reused, not reallocated");
}

#[test]
fn a_large_masked_payload_is_masked_as_it_goes_out() {
    let payload: Vec<u8> = (0..3 * window::WINDOW + 77).map(|i| (i * 31 + 7) as u8).collect();
    let key = Some([0xde, 0xad, 0xbe, 0xef]);
    let mut expected = reference_frame(b"hi", key);
    expected.extend(reference_frame(&payload, key));
    expected.extend(reference_frame(b"after", key));
    for chunk in [1, 7, 1000, window::WINDOW + 3, usize::MAX] {
        let mut q = SendQueue::default();
        q.push_frame(&header(2, key), Bytes::from_static(b"hi"));
        q.push_frame(&header(payload.len(), key), Bytes::from(payload.clone()));
        q.push_frame(&header(5, key), Bytes::from_static(b"after"));
        assert_eq!(q.len(), expected.len());
        assert_eq!(drain_vectored(&mut q, chunk), expected, "chunk {chunk}");
    }
    let mut q = SendQueue::default();
    q.push_frame(&header(payload.len(), key), Bytes::from(payload.clone()));
    assert_eq!(drain(&mut q), reference_frame(&payload, key));
}
