//! Frame layer benches: header decode (time per header), unmasking
//! (throughput), with a plain bytewise unmask as the reference point, and
//! receiving text: unmasking then validating UTF-8 in two passes against the
//! fused one-pass kernel.
//!
//! Run from the repository root: `cargo bench -p wsproto-benches --bench frame`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wsproto::Role;
use wsproto::frame::{FrameHeader, FrameRules, apply_mask};
use wsproto::utf8::__internals::{Scan, unmask_and_check_utf8, unmask_scan_portable};
use wsproto_benches::{Kind, payload};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Masked headers as a server receives them, one per length form: the
/// 2-byte base alone (7-bit length), with a 16-bit length (4 bytes), with a
/// 64-bit length (10 bytes); each followed by the 4-byte mask key.
const HEADERS: [(&str, &[u8]); 3] = [
    ("len7_masked", &[0x82, 0x80 | 100, 0x37, 0xfa, 0x21, 0x3d]),
    ("len16_masked", &[0x82, 0xFE, 0x10, 0x00, 0x37, 0xfa, 0x21, 0x3d]),
    ("len64_masked", &[0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x37, 0xfa, 0x21, 0x3d]),
];

fn header_decode(c: &mut Criterion) {
    let rules = FrameRules::for_receiver(Role::Server);
    let mut group = c.benchmark_group("header_decode");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in HEADERS {
        // Sanity: each header decodes whole, so the bench measures the success path.
        let decoded = FrameHeader::decode(bytes, &rules).expect("valid header");
        assert!(matches!(decoded, wsproto::frame::Decoded::Complete((_, len)) if len == bytes.len()));
        group.bench_function(name, |b| b.iter(|| FrameHeader::decode(black_box(bytes), black_box(&rules))));
    }
    group.finish();
}

/// The reference point: the textbook bytewise unmask.
fn unmask_bytewise(buf: &mut [u8], key: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

const SIZES: [(&str, usize); 6] =
    [("1B", 1), ("125B", 125), ("1KiB", 1 << 10), ("16KiB", 16 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)];

fn unmask(c: &mut Criterion) {
    for (label, size) in SIZES {
        let mut group = c.benchmark_group(format!("unmask/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        let mut buf: Vec<u8> = (0..size).map(|i| i as u8).collect();
        // Masking in place twice restores the buffer, so repeated runs stay valid.
        group.bench_function("apply_mask", |b| {
            b.iter(|| apply_mask(black_box(&mut buf[..]), black_box(KEY), 0));
        });
        group.bench_function("bytewise", |b| {
            b.iter(|| unmask_bytewise(black_box(&mut buf[..]), black_box(KEY)));
        });
        group.finish();
    }
}

/// A key that maps the bench's text to text of the same shape: it flips low
/// bits that keep ASCII ASCII, 0xC3 a 2-byte lead (0xC2..=0xD3) and 0xA9 a
/// continuation. Unmasking in place twice restores a buffer, so every
/// iteration unmasks valid text, masked or not, and takes the same path.
const TEXT_KEY: [u8; 4] = [0x01, 0x04, 0x08, 0x10];

const TEXT_SIZES: [(&str, usize); 5] =
    [("16B", 16), ("125B", 125), ("1KiB", 1 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)];

/// Receiving a masked text frame: `apply_mask` then simdutf8 (two passes)
/// against the fused kernel, and its portable path (4 KiB pieces). The key
/// goes through `black_box` alone, as for `apply_mask`: an
/// `Option<[u8; 4]>` through memory costs a failed store-to-load forward
/// (~8 ns here), which would swamp the short sizes.
fn unmask_utf8(c: &mut Criterion) {
    for (label, size) in TEXT_SIZES {
        let mut group = c.benchmark_group(format!("unmask_utf8/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        let mut buf = payload(Kind::Text, size);
        // Both states of the buffer are valid text, so every run checks
        // valid text to the end.
        for _ in 0..2 {
            assert!(unmask_and_check_utf8(&mut buf, Some(TEXT_KEY)), "the key keeps the text valid");
        }
        group.bench_function("apply_mask+simdutf8", |b| {
            b.iter(|| {
                let buf = black_box(&mut buf[..]);
                apply_mask(buf, black_box(TEXT_KEY), 0);
                simdutf8::basic::from_utf8(buf).is_ok()
            });
        });
        group.bench_function("fused", |b| {
            b.iter(|| unmask_and_check_utf8(black_box(&mut buf[..]), Some(black_box(TEXT_KEY))));
        });
        group.bench_function("fused_portable", |b| {
            b.iter(|| unmask_scan_portable(black_box(&mut buf[..]), Some(black_box(TEXT_KEY))) == Scan::Complete);
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = header_decode, unmask, unmask_utf8
}
criterion_main!(benches);
