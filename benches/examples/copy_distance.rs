//! What the reader's copy costs, by where it writes: a 64 KiB copy
//! (`copy_from_slice`, glibc's `memmove`, the copy every library's reads
//! end in) timed at every distance from source to destination modulo
//! 4096 (in steps of 2 bytes), then the shape the receive benches have:
//! one destination, the source moving on by one 64 KiB-payload frame
//! (65,550 bytes) per copy, 64 copies, for each destination offset.
//!
//! None of it is a library. It shows why the receive figures at 16 KiB and
//! up move between runs and harnesses by more than any change to the code
//! (see benches/README.md, "Where a read lands").
//!
//! ```text
//! cargo run --release -p wsproto-benches --example copy_distance
//! ```
use std::hint::black_box;
use std::time::Instant;

/// One read's worth, as the benches' reader returns.
const COPY: usize = 64 * 1024;
/// A 64 KiB-payload frame on the wire, with its 14-byte header.
const FRAME: usize = COPY + 14;
/// Frames in one round of the receive benches at 64 KiB.
const FRAMES: usize = 64;
/// Best of this many rounds.
const ROUNDS: usize = 10;

fn main() {
    let source: Vec<u8> = (0..FRAMES * FRAME + 8192).map(|i| i as u8).collect();
    let mut target = vec![0u8; 2 * COPY + 8192];
    let source_page = source.as_ptr().align_offset(4096);
    let target_page = target.as_ptr().align_offset(4096);

    println!("1. ns per 64 KiB copy, by (destination - source) mod 4096; the slow distances:");
    let mut all = Vec::new();
    for distance in (0..4096).step_by(2) {
        let ns = ns_per_copy(&source, source_page, &mut target, |from| target_page + (from + distance) % 4096);
        all.push((distance, ns));
    }
    let typical = median(all.iter().map(|&(_, ns)| ns).collect());
    println!("   median {typical:.0} ns");
    for &(distance, ns) in all.iter().filter(|&&(_, ns)| ns > typical * 1.1) {
        println!("   {distance:4}: {ns:7.0} ns ({:.2}x)", ns / typical);
    }

    println!("2. ns per frame, one destination, the source moving on by {FRAME} bytes per copy:");
    let mut shape = Vec::new();
    for offset in (0..4096).step_by(64) {
        let ns = ns_per_copy(&source, source_page, &mut target, |_| target_page + offset);
        shape.push((offset, ns));
    }
    let typical = median(shape.iter().map(|&(_, ns)| ns).collect());
    println!("   median {typical:.0} ns; destinations 10 % slower or more:");
    for &(offset, ns) in shape.iter().filter(|&&(_, ns)| ns > typical * 1.1) {
        println!("   page offset {offset:4}: {ns:7.0} ns ({:.2}x)", ns / typical);
    }
}

/// Copies [`COPY`] bytes from each of [`FRAMES`] frames of `source`
/// (from `first` on, [`FRAME`] bytes apart) to `target[to(from)..]`; the
/// best of [`ROUNDS`] rounds, in ns per copy.
fn ns_per_copy(source: &[u8], first: usize, target: &mut [u8], to: impl Fn(usize) -> usize) -> f64 {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for frame in 0..FRAMES {
                let from = first + frame * FRAME;
                let at = to(from);
                target[at..at + COPY].copy_from_slice(&source[from..from + COPY]);
                black_box(&mut *target);
            }
            start.elapsed().as_secs_f64() * 1e9 / FRAMES as f64
        })
        .fold(f64::MAX, f64::min)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
