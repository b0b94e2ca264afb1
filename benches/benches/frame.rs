//! Frame layer benches: header decode (time per header) and unmasking
//! (throughput), with a plain bytewise unmask as the reference point.
//!
//! Run from the repository root: `cargo bench -p wsproto-benches --bench frame`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wsproto::Role;
use wsproto::frame::{FrameHeader, FrameRules, apply_mask};

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

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = header_decode, unmask
}
criterion_main!(benches);
