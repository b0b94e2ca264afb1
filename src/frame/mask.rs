//! Masking and unmasking payloads in place (RFC 6455 §5.3).
//!
//! The work is a XOR with a repeating 4-byte key. Short buffers take 8-byte
//! words; longer ones take wide blocks that the compiler turns into vector
//! instructions: SSE2 on any x86-64, NEON on aarch64, and on x86-64 CPUs that
//! have it, AVX2, picked at run time. The AVX2 path is the same portable code
//! compiled for AVX2, so every path computes the same thing the same way.

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
pub fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let phase = offset & 3;
    [key[phase], key[(phase + 1) & 3], key[(phase + 2) & 3], key[(phase + 3) & 3]]
}

/// Below this length the vector paths cost more than they save.
const WIDE_MIN: usize = 64;

/// Buffers long enough for vectors: AVX2 where the CPU has it.
#[cfg(target_arch = "x86_64")]
fn mask_wide(buf: &mut [u8], key: [u8; 4]) {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `mask_blocks_avx2` only requires the CPU to support AVX2,
        // which was detected just above; its body is safe code.
        unsafe { mask_blocks_avx2(buf, key) };
    } else {
        mask_blocks(buf, key);
    }
}

/// Buffers long enough for vectors: the baseline vector set of the target
/// (NEON on aarch64), or whatever the compiler makes of the blocks elsewhere.
#[cfg(not(target_arch = "x86_64"))]
fn mask_wide(buf: &mut [u8], key: [u8; 4]) {
    mask_blocks(buf, key);
}

/// [`mask_blocks`] compiled with AVX2 enabled, so its XORs are 32 bytes wide.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mask_blocks_avx2(buf: &mut [u8], key: [u8; 4]) {
    mask_blocks(buf, key);
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
    mask_words(blocks.into_remainder(), key);
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for start in 0..9 {
            for len in [64, 65, 127, 128, 129, 300, 691 - start] {
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
}
