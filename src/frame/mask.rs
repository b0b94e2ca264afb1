//! Masking and unmasking payloads in place (RFC 6455 §5.3).
//!
//! The work is a XOR with a repeating 4-byte key. Short buffers take 8-byte
//! words; longer ones take words up to the first 64-byte boundary, then
//! aligned 64-byte blocks that the compiler turns into vector instructions:
//! SSE2 on any x86-64, NEON on aarch64, and on x86-64 CPUs that have them,
//! AVX2 or AVX-512, picked at run time. The AVX2 path is the same portable
//! code compiled for AVX2; the AVX-512 path is one 64-byte XOR per block
//! (intrinsics: the portable code compiled for AVX-512 becomes gathers),
//! then the portable code. With `--cfg wsproto_disable_simd` neither is
//! compiled: the portable code, all safe, is the only path.

use core::mem::MaybeUninit;

/// XORs `buf` with the masking `key`, in place, as if `buf` began `offset`
/// bytes into the payload.
///
/// Payloads arrive in pieces; passing each piece's position within the
/// payload as `offset` keeps the key phase right across pieces, so masking
/// the pieces one after the other equals masking the whole at once. Masking
/// twice with the same key and offset restores the input.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    if buf.len() < WIDE_MIN {
        mask_words(buf, key);
        return;
    }
    mask_wide(buf, key);
}

/// The key as seen from `offset` bytes into the payload.
#[inline]
pub(crate) fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    // Byte `i` of the result is byte `(offset + i) % 4` of the key.
    let phase = (offset & 3) as u32;
    u32::from_le_bytes(key).rotate_right(8 * phase).to_le_bytes()
}

/// Below this length the vector paths cost more than they save.
const WIDE_MIN: usize = 64;

/// Buffers long enough for vectors: AVX2 where the CPU has it.
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
fn mask_wide(buf: &mut [u8], key: [u8; 4]) {
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `mask_avx512` requires the CPU to support AVX-512F, which
        // was detected just above, and `buf` to be at least 64 bytes long,
        // which `apply_mask` checked (`WIDE_MIN`).
        unsafe { mask_avx512(buf, key) };
        return;
    }
    let (buf, key) = align_blocks(buf, key);
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `mask_blocks_avx2` only requires the CPU to support AVX2,
        // which was detected just above; its body is safe code.
        unsafe { mask_blocks_avx2(buf, key) };
    } else {
        mask_blocks(buf, key);
    }
}

/// Buffers long enough for vectors: the baseline vector set of the target
/// (SSE2 on x86-64, NEON on aarch64), or whatever the compiler makes of the
/// blocks elsewhere; the only path with `--cfg wsproto_disable_simd`.
#[cfg(any(not(target_arch = "x86_64"), wsproto_disable_simd))]
fn mask_wide(buf: &mut [u8], key: [u8; 4]) {
    let (buf, key) = align_blocks(buf, key);
    mask_blocks(buf, key);
}

/// Masks the bytes before the first 64-byte boundary in `buf` and returns
/// the rest with the key as seen from its start: the blocks that follow are
/// aligned, so no load or store of theirs straddles two cache lines (a
/// payload starts 6 to 14 bytes into a frame, so unaligned blocks would
/// split every other vector).
#[inline(always)]
fn align_blocks(buf: &mut [u8], key: [u8; 4]) -> (&mut [u8], [u8; 4]) {
    let head = buf.as_ptr().align_offset(64).min(buf.len());
    let (head_bytes, rest) = buf.split_at_mut(head);
    mask_words(head_bytes, key);
    (rest, rotate_key(key, head))
}

/// [`mask_blocks`] compiled with AVX2 enabled, so its XORs are 32 bytes wide.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[target_feature(enable = "avx2")]
unsafe fn mask_blocks_avx2(buf: &mut [u8], key: [u8; 4]) {
    mask_blocks(buf, key);
}

/// The whole of `buf` in 64-byte XORs (written with intrinsics: compiled
/// for AVX-512 the portable blocks turn into gathers): aligned blocks from
/// the first 64-byte boundary, then one unaligned vector over the first 64
/// bytes and one over the last 64, both loaded before anything is written.
/// Where those two overlap the blocks (or each other) they write the same
/// bytes the blocks wrote, masked from the same originals, so a payload of
/// any length from 64 bytes on takes no scalar loop: 125 bytes are two
/// XORs.
///
/// # Safety
/// The CPU must support AVX-512F, and `buf` must be at least 64 bytes long.
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[target_feature(enable = "avx512f")]
unsafe fn mask_avx512(buf: &mut [u8], key: [u8; 4]) {
    use core::arch::x86_64::{__m512i, _mm512_loadu_si512, _mm512_set1_epi32, _mm512_storeu_si512, _mm512_xor_si512};
    let len = buf.len();
    debug_assert!(len >= 64, "the caller's promise");
    let start = buf.as_mut_ptr();
    let key_at = |offset: usize| -> __m512i { _mm512_set1_epi32(i32::from_ne_bytes(rotate_key(key, offset))) };
    let last = len - 64;
    // SAFETY: `buf` is at least 64 bytes long (the caller's promise), so
    // `start..start + 64` and `start + last..start + len` are within it;
    // the loads may be unaligned; AVX-512F is the caller's promise.
    let (head, tail) = unsafe { (_mm512_loadu_si512(start.cast()), _mm512_loadu_si512(start.add(last).cast())) };
    // Where no 64-byte boundary can be found (never, outside an
    // interpreter), the blocks start at 0, unaligned.
    let first = match start.align_offset(64) {
        n if n < 64 => n,
        _ => 0,
    };
    let key_vector = key_at(first);
    let mut at = first;
    while at + 64 <= len {
        // SAFETY: `at + 64 <= len`: the 64 bytes at `start + at` are within
        // `buf`, valid for reads and writes.
        unsafe {
            let block = start.add(at).cast();
            _mm512_storeu_si512(block, _mm512_xor_si512(_mm512_loadu_si512(block), key_vector));
        }
        at += 64;
    }
    // The blocks cover `first..at`, with `first < 64` and `len - at < 64`:
    // the first and the last 64 bytes cover the rest.
    // SAFETY: as for the loads above.
    unsafe {
        _mm512_storeu_si512(start.cast(), _mm512_xor_si512(head, key_at(0)));
        _mm512_storeu_si512(start.add(last).cast(), _mm512_xor_si512(tail, key_at(last)));
    }
}

/// 64-byte blocks, then words, then bytes. 64 is a multiple of 4, so every
/// block starts at key phase 0. Each block is eight 8-byte words that the
/// compiler fuses into vector XORs with the key broadcast once.
#[inline(always)]
fn mask_blocks(buf: &mut [u8], key: [u8; 4]) {
    const BLOCK: usize = 64;
    let key64 = key_word(key);
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for word in block.chunks_exact_mut(8) {
            xor_word(word, key64);
        }
    }
    // The rest, in one 32-, 16- and 8-byte piece where they fit (one XOR
    // each), then 4 bytes and single bytes: no loop for a short tail.
    let mut rest = blocks.into_remainder();
    for piece in [32, 16, 8] {
        if rest.len() >= piece {
            let (head, tail) = rest.split_at_mut(piece);
            for word in head.chunks_exact_mut(8) {
                xor_word(word, key64);
            }
            rest = tail;
        }
    }
    mask_words(rest, key);
}

/// 8-byte words, then a 4-byte word, then single bytes.
#[inline(always)]
fn mask_words(buf: &mut [u8], key: [u8; 4]) {
    let key64 = key_word(key);
    let mut words = buf.chunks_exact_mut(8);
    for word in &mut words {
        xor_word(word, key64);
    }
    // The remainder starts at a multiple of 8, so at key phase 0.
    let mut rest = words.into_remainder();
    if rest.len() >= 4 {
        let (half, tail) = rest.split_at_mut(4);
        let masked = u32::from_ne_bytes([half[0], half[1], half[2], half[3]]) ^ u32::from_ne_bytes(key);
        half.copy_from_slice(&masked.to_ne_bytes());
        rest = tail;
    }
    for (byte, k) in rest.iter_mut().zip(key) {
        *byte ^= k;
    }
}

/// The key repeated over 8 bytes.
#[inline(always)]
fn key_word(key: [u8; 4]) -> u64 {
    // Both halves hold the same four bytes, so this is right for either byte order.
    let half = u32::from_ne_bytes(key) as u64;
    half << 32 | half
}

/// XORs an 8-byte `word` with `key64`.
#[inline(always)]
fn xor_word(word: &mut [u8], key64: u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    word.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ key64).to_ne_bytes());
}

/// Appends `src` to `buf`, masked with `key` as if `src` began `offset`
/// bytes into the payload: the copy and the XOR in one pass, so received
/// payload is read once from wherever the transport left it and written
/// once, unmasked, into the buffer. Equal to `extend_from_slice` followed by
/// [`apply_mask`] on the new bytes.
#[inline]
pub fn extend_masked(buf: &mut bytes::BytesMut, src: &[u8], key: [u8; 4], offset: usize) {
    if src.len() < FUSED_MIN {
        // Short: the copy is one `memcpy`, and the masking stays in L1.
        let start = buf.len();
        buf.extend_from_slice(src);
        apply_mask(&mut buf[start..], key, offset);
        return;
    }
    extend_masked_fused(buf, src, key, offset);
}

/// Appends `src` masked with `key` (at phase 0) to `out`, in 16-, 8- and
/// 4-byte words and single bytes: each byte read once and written once,
/// with no zero fill first. For frames built from scratch (the send path),
/// where a `memcpy` followed by masking in place would read back bytes just
/// written, in other sizes, and stall the CPU's store forwarding. The caller
/// reserves the room first, so each append is a store.
#[inline(always)]
pub(crate) fn put_masked_short(out: &mut bytes::BytesMut, src: &[u8], key: [u8; 4]) {
    let key32 = u32::from_ne_bytes(key);
    let key64 = (key32 as u64) << 32 | key32 as u64;
    let key128 = (key64 as u128) << 64 | key64 as u128;
    let mut blocks = src.chunks_exact(16);
    for block in &mut blocks {
        let masked = u128::from_ne_bytes(block.try_into().expect("16 bytes")) ^ key128;
        out.extend_from_slice(&masked.to_ne_bytes());
    }
    // The rest starts at a multiple of 16, so at key phase 0.
    let mut rest = blocks.remainder();
    if rest.len() >= 8 {
        let masked = u64::from_ne_bytes(rest[..8].try_into().expect("8 bytes")) ^ key64;
        out.extend_from_slice(&masked.to_ne_bytes());
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        let masked = u32::from_ne_bytes(rest[..4].try_into().expect("4 bytes")) ^ key32;
        out.extend_from_slice(&masked.to_ne_bytes());
        rest = &rest[4..];
    }
    for (byte, k) in rest.iter().zip(key) {
        out.extend_from_slice(&[byte ^ k]);
    }
}

/// [`extend_masked`] for long `src`: copy and mask in one pass.
fn extend_masked_fused(buf: &mut bytes::BytesMut, src: &[u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    buf.reserve(src.len());
    let start = buf.len();
    let spare = &mut buf.spare_capacity_mut()[..src.len()];
    // The wide stores start 32-byte aligned relative to the buffer's start,
    // where a write of the buffer begins reading: a read that spans two
    // stores still in flight cannot take its bytes from them, and stalls.
    let lead = ((32 - start % 32) % 32).min(src.len());
    let (head, rest) = spare.split_at_mut(lead);
    copy_masked(head, &src[..lead], key);
    copy_masked(rest, &src[lead..], rotate_key(key, lead));
    // SAFETY: `copy_masked` wrote all `src.len()` bytes of `spare`, the
    // buffer's first `src.len()` bytes of spare capacity (reserved above).
    unsafe { buf.set_len(start + src.len()) };
}

/// From this length on, [`extend_masked`] copies and masks in one pass.
const FUSED_MIN: usize = 1024;

/// Writes `src ^ key` (key at phase 0) to every byte of `dst`; `dst` and
/// `src` have the same length.
#[inline]
fn copy_masked(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4]) {
    debug_assert_eq!(dst.len(), src.len());
    #[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
    if src.len() >= WIDE_MIN && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `copy_masked_blocks_avx2` only requires the CPU to support
        // AVX2, which was detected just above; its body is safe code.
        unsafe { copy_masked_blocks_avx2(dst, src, key) };
        return;
    }
    copy_masked_blocks(dst, src, key);
}

/// [`copy_masked_blocks`] compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(all(target_arch = "x86_64", not(wsproto_disable_simd)))]
#[target_feature(enable = "avx2")]
unsafe fn copy_masked_blocks_avx2(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4]) {
    copy_masked_blocks(dst, src, key);
}

/// 64-byte blocks of eight words each (vector XORs once compiled), then
/// words, then bytes; every block and word starts at key phase 0.
#[inline(always)]
fn copy_masked_blocks(dst: &mut [MaybeUninit<u8>], src: &[u8], key: [u8; 4]) {
    const BLOCK: usize = 64;
    let key64 = key_word(key);
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut dst_blocks = dst.chunks_exact_mut(BLOCK);
    let mut src_blocks = src.chunks_exact(BLOCK);
    for (d, s) in (&mut dst_blocks).zip(&mut src_blocks) {
        // Word by word, the key in a register (the compiler fuses the words
        // into vectors): a key block built in memory byte by byte and read
        // back as a vector stalled every call.
        for (dw, sw) in d.chunks_exact_mut(8).zip(s.chunks_exact(8)) {
            copy_masked_word(dw, sw, key64);
        }
    }
    let (dst, src) = (dst_blocks.into_remainder(), src_blocks.remainder());
    let mut dst_words = dst.chunks_exact_mut(8);
    let mut src_words = src.chunks_exact(8);
    for (dw, sw) in (&mut dst_words).zip(&mut src_words) {
        copy_masked_word(dw, sw, key64);
    }
    for (i, (d, s)) in dst_words.into_remainder().iter_mut().zip(src_words.remainder()).enumerate() {
        *d = MaybeUninit::new(s ^ key[i & 3]);
    }
}

/// Writes the 8-byte word `src ^ key64` to `dst`.
#[inline(always)]
fn copy_masked_word(dst: &mut [MaybeUninit<u8>], src: &[u8], key64: u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(src);
    let masked = (u64::from_ne_bytes(bytes) ^ key64).to_ne_bytes();
    dst.copy_from_slice(&masked.map(MaybeUninit::new));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_masked_equals_copy_then_mask() {
        let key = [0x5c, 0x01, 0xee, 0x90];
        let data: Vec<u8> = (0..700u32).map(|i| (i * 29 + 1) as u8).collect();
        let lengths: Vec<usize> = if cfg!(miri) { vec![0, 1, 9, 64, 71, 200] } else { (0..300).chain([699]).collect() };
        for len in lengths {
            for offset in 0..5 {
                for already in [0usize, 3] {
                    let mut expected = bytes::BytesMut::from(&b"abc"[..already]);
                    expected.extend_from_slice(&data[..len]);
                    apply_mask(&mut expected[already..], key, offset);
                    let mut buf = bytes::BytesMut::from(&b"abc"[..already]);
                    extend_masked(&mut buf, &data[..len], key, offset);
                    assert_eq!(buf, expected, "len {len} offset {offset}");
                }
            }
        }
    }

    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_reference_for_all_lengths_and_offsets() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        // Miri is slow: fewer lengths there, still crossing every path.
        let lengths: Vec<usize> = if cfg!(miri) { vec![0, 1, 7, 8, 63, 64, 65, 130, 200] } else { (0..300).collect() };
        for len in lengths {
            for offset in 0..8 {
                let original: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut fast = original.clone();
                let mut slow = original.clone();
                apply_mask(&mut fast, key, offset);
                reference(&mut slow, key, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn every_path_agrees_at_unaligned_starts() {
        let key = [0x01, 0x80, 0xff, 0x5a];
        let data: Vec<u8> = (0..700u32).map(|i| (i * 31 + 5) as u8).collect();
        // Every start within a cache line: the head before the first
        // 64-byte boundary takes words, the rest blocks.
        let starts = if cfg!(miri) { 0..9 } else { 0..65 };
        for start in starts {
            for len in [64, 65, 127, 128, 129, 300, 631 - start] {
                let piece = &data[start..start + len];
                let mut expected = piece.to_vec();
                reference(&mut expected, key, 0);
                let mut words = piece.to_vec();
                mask_words(&mut words, key);
                assert_eq!(words, expected);
                let mut blocks = piece.to_vec();
                mask_blocks(&mut blocks, key);
                assert_eq!(blocks, expected);
                let mut wide = piece.to_vec();
                mask_wide(&mut wide, key);
                assert_eq!(wide, expected);
                // In place, at this start within the allocation (a copy
                // starts aligned): the bytes around the piece are untouched.
                let mut in_place = data.clone();
                mask_wide(&mut in_place[start..start + len], key);
                let mut around = data.clone();
                reference(&mut around[start..start + len], key, 0);
                assert_eq!(in_place, around, "start {start} len {len}");
            }
        }
    }

    #[test]
    fn pieces_equal_the_whole() {
        let key = [9, 8, 7, 6];
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 13) as u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        for cut in [1, 3, 64, 65, 999] {
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            assert_eq!(pieces, whole, "cut {cut}");
        }
    }

    #[test]
    fn a_rotated_key_masks_as_the_key_at_that_offset() {
        let key = [9, 8, 7, 6];
        let data: Vec<u8> = (0..200u32).map(|i| (i * 7) as u8).collect();
        for offset in 0..8 {
            let mut at_offset = data.clone();
            apply_mask(&mut at_offset, key, offset);
            let mut rotated = data.clone();
            apply_mask(&mut rotated, rotate_key(key, offset), 0);
            assert_eq!(rotated, at_offset, "offset {offset}");
        }
    }
}
