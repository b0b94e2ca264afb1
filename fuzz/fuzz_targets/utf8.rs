//! Checks the UTF-8 kernels and the masking helpers against references that
//! share no code with them: a bytewise XOR for unmasking, and
//! `core::str::from_utf8` on the unmasked bytes for validity.
//!
//! Covered: `apply_mask` and `extend_masked` (whole and in pieces);
//! `unmask_and_check_utf8`; the in-place kernel, run-time picked (AVX-512
//! from 64 bytes on, where the CPU has it), portable, AVX2 and AVX-512
//! (compiled for AVX512BW, and for AVX512BW with AVX512VBMI; each at any
//! length, where the CPU has it);
//! `Utf8Validator::feed_unmasking` fed in pieces, against `feed` and against
//! the byte at which the stream stops being a prefix of valid text. With bit 3 of
//! the mode, the run-time picks are sent down the portable path.
//!
//! Input layout: byte 0 is the mode (bits 0-1: the payload as is, made
//! valid, made valid with one byte planted, or made valid and cut short;
//! bit 2: masked; bit 3: portable paths; bits 4-6: repeat the payload 1 to
//! 8 times, to cross the 4 KiB seams of the portable path); bytes 1..5 the
//! key; byte 5 the offset of the first byte in the key cycle; byte 6 the
//! byte to plant (or how many bytes to cut); bytes 7-8 where; bytes 9..13 a
//! cycle of piece sizes; the rest is the payload.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wsproto::frame::{apply_mask, extend_masked};
use wsproto::utf8::__internals::{self as kernels, Scan};
use wsproto::utf8::Utf8Validator;
use wsproto_test_support::frames::mask_bytewise;
use wsproto_test_support::input::Input;

/// Bytes already in the destination of a copying call: they must stay.
const KEPT: &[u8] = b"kept";

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mode = input.byte().unwrap_or(0);
    let key: [u8; 4] = input.bytes(4).try_into().unwrap_or([0x12, 0x34, 0x56, 0x78]);
    let offset = usize::from(input.byte().unwrap_or(0));
    let planted = input.byte().unwrap_or(0);
    let at = input.size();
    let piece_sizes: Vec<usize> = input.bytes(4).iter().map(|&b| piece_size(b)).collect();
    let plain = plain(mode, input.0, planted, at);

    let key = (mode & 0b100 != 0).then_some(key);
    let mut wire = plain.clone();
    if let Some(key) = key {
        mask_bytewise(&mut wire, key, offset);
    }
    let expected = core::str::from_utf8(&plain);

    let portable = mode & 0b1000 != 0 && kernels::force_portable(true);
    check_masking(&plain, &wire, key, offset, &piece_sizes);
    // The key as seen from the payload's first byte: byte `i` of it is byte
    // `(offset + i) % 4` of the key.
    let rotated = key.map(|key| std::array::from_fn(|i| key[(offset + i) % 4]));
    check_kernels(&plain, &wire, rotated, &expected);
    check_validators(&plain, &wire, key, offset, &piece_sizes, &expected);
    if portable {
        kernels::force_portable(false);
    }
});

/// The payload the mode asks for, from the fuzzer's bytes.
fn plain(mode: u8, payload: &[u8], planted: u8, at: usize) -> Vec<u8> {
    let repeat = 1 + usize::from(mode >> 4 & 0b111);
    let valid = || String::from_utf8_lossy(payload).repeat(repeat).into_bytes();
    match mode & 0b11 {
        0 => payload.repeat(repeat),
        1 => valid(),
        2 => {
            let mut bytes = valid();
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = planted;
            }
            bytes
        }
        _ => {
            let mut bytes = valid();
            bytes.truncate(bytes.len().saturating_sub(usize::from(planted % 4)));
            bytes
        }
    }
}

/// Piece sizes: mostly short, sometimes empty, sometimes kilobytes.
fn piece_size(b: u8) -> usize {
    match b {
        0 => 0,
        0xE0.. => usize::from(b - 0xDF) * 256,
        _ => 1 + usize::from(b % 80),
    }
}

/// The pieces `sizes` (cycled) cut `0..len` into, some perhaps empty,
/// ending with the rest (empty when the sizes came out even).
fn pieces(len: usize, sizes: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    if sizes.iter().any(|&size| size > 0) {
        for &size in sizes.iter().cycle() {
            if start == len {
                break;
            }
            let end = len.min(start + size);
            out.push((start, end));
            start = end;
        }
    }
    out.push((start, len));
    out
}

/// `apply_mask` and `extend_masked`, whole and piece by piece: each must
/// turn `wire` back into `plain`, `extend_masked` leaving bytes already in
/// the destination alone.
fn check_masking(plain: &[u8], wire: &[u8], key: Option<[u8; 4]>, offset: usize, sizes: &[usize]) {
    let Some(key) = key else { return };

    let mut whole = wire.to_vec();
    apply_mask(&mut whole, key, offset);
    assert_eq!(whole, plain, "apply_mask, whole");

    let mut in_place = wire.to_vec();
    let mut copied = BytesMut::from(KEPT);
    for (start, end) in pieces(wire.len(), sizes) {
        apply_mask(&mut in_place[start..end], key, offset + start);
        extend_masked(&mut copied, &wire[start..end], key, offset + start);
    }
    assert_eq!(in_place, plain, "apply_mask, in pieces");
    assert_eq!(&copied[..KEPT.len()], KEPT, "extend_masked changed bytes before it");
    assert_eq!(&copied[KEPT.len()..], plain, "extend_masked, in pieces");
}

/// Every kernel on all of `wire`, with `key` as seen from its first byte:
/// the bytes come out unmasked, and the scan says what `expected` says.
fn check_kernels(plain: &[u8], wire: &[u8], key: Option<[u8; 4]>, expected: &Result<&str, core::str::Utf8Error>) {
    let mut buf = wire.to_vec();
    assert_eq!(kernels::unmask_and_check_utf8(&mut buf, key), expected.is_ok(), "unmask_and_check_utf8");
    assert_eq!(buf, plain, "unmask_and_check_utf8: bytes");

    type InPlace = fn(&mut [u8], Option<[u8; 4]>) -> Option<Scan>;
    let in_place: [(&str, InPlace); 5] = [
        ("unmask_scan", |buf, key| Some(kernels::unmask_scan(buf, key))),
        ("unmask_scan_portable", |buf, key| Some(kernels::unmask_scan_portable(buf, key))),
        ("unmask_scan_avx2", kernels::unmask_scan_avx2),
        ("unmask_scan_avx512", |buf, key| kernels::unmask_scan_avx512(buf, key, false)),
        ("unmask_scan_avx512_vbmi", |buf, key| kernels::unmask_scan_avx512(buf, key, true)),
    ];
    for (name, kernel) in in_place {
        let mut buf = wire.to_vec();
        let Some(scan) = kernel(&mut buf, key) else {
            assert_eq!(buf, wire, "{name}: touched the bytes without the CPU feature");
            continue;
        };
        assert_eq!(buf, plain, "{name}: bytes");
        check_scan(name, scan, expected, plain.len());
    }
}

/// A scan of `len` bytes against `std`'s verdict on them, by the contract
/// of `Scan`: `Complete` exactly when valid; `Invalid` only when not even a
/// prefix of valid text; `CutOff` only when not valid and the first error
/// (if any) lies in the last three bytes.
fn check_scan(name: &str, scan: Scan, expected: &Result<&str, core::str::Utf8Error>, len: usize) {
    match (scan, expected) {
        (Scan::Complete, Ok(_)) => {}
        (Scan::Invalid, Err(error)) if error.error_len().is_some() => {}
        (Scan::CutOff, Err(error)) if error.error_len().is_none() || error.valid_up_to() + 3 >= len => {}
        _ => panic!("{name}: {scan:?}, but std says {expected:?} for {len} bytes"),
    }
}

/// Two validators fed the same pieces: `feed` on the plain bytes, and
/// `feed_unmasking` on the wire bytes in place. Each piece's result must be
/// the same for both, and
/// must fail exactly when the piece holds the first byte after which the
/// stream is no prefix of valid text; the bytes are unmasked whatever the
/// result; `finish` agrees with `std`.
fn check_validators(
    plain: &[u8],
    wire: &[u8],
    key: Option<[u8; 4]>,
    offset: usize,
    sizes: &[usize],
    expected: &Result<&str, core::str::Utf8Error>,
) {
    let fails_at = first_bad_byte(plain, expected);
    let mut reference = Utf8Validator::new();
    let mut in_place = Utf8Validator::new();
    let mut buf = wire.to_vec();
    for (start, end) in pieces(plain.len(), sizes) {
        let want = reference.feed(&plain[start..end]);
        let bad_here = fails_at.is_some_and(|at| (start..end).contains(&at));
        assert_eq!(want.is_err(), bad_here, "feed of {start}..{end}: {want:?}, first bad byte at {fails_at:?}");

        let got = kernels::feed_unmasking(&mut in_place, &mut buf[start..end], key, offset + start);
        assert_eq!(got, want, "feed_unmasking of {start}..{end}");
        assert_eq!(buf[start..end], plain[start..end], "feed_unmasking of {start}..{end}: bytes");

        if want.is_err() {
            // A validator that failed must be reset before it is fed again.
            return;
        }
    }
    let want = reference.finish();
    assert_eq!(want.is_ok(), expected.is_ok(), "feed, finish");
    assert_eq!(in_place.finish(), want, "feed_unmasking, finish");
}

/// The index of the byte after which `plain` is no prefix of valid text:
/// the last byte of the shortest such prefix. `None` if it is one.
fn first_bad_byte(plain: &[u8], expected: &Result<&str, core::str::Utf8Error>) -> Option<usize> {
    let error = expected.as_ref().err()?;
    error.error_len()?;
    // Within the four bytes from `valid_up_to`: a sequence is at most four long.
    (error.valid_up_to() + 1..=plain.len())
        .find(|&end| core::str::from_utf8(&plain[..end]).is_err_and(|e| e.error_len().is_some()))
        .map(|end| end - 1)
}
