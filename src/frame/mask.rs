//! Masking and unmasking payloads in place (RFC 6455 §5.3).

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
    if buf.len() < 16 {
        apply_mask_bytewise(buf, key);
        return;
    }
    // 32-byte blocks, whose XOR the compiler turns into vector instructions;
    // 32 is a multiple of 4, so the remainder starts at key phase 0 again.
    let wide: [u8; 32] = core::array::from_fn(|i| key[i & 3]);
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for (byte, k) in block.iter_mut().zip(wide.iter()) {
            *byte ^= k;
        }
    }
    apply_mask_bytewise(blocks.into_remainder(), key);
}

/// The key as seen from `offset` bytes into the payload.
#[inline]
pub fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let phase = offset & 3;
    [
        key[phase],
        key[(phase + 1) & 3],
        key[(phase + 2) & 3],
        key[(phase + 3) & 3],
    ]
}

#[inline]
fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[i & 3];
    }
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
        for len in 0..200 {
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
}
