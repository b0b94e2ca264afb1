//! What a small client send costs before any library does anything: the
//! benches' writer alone (`MemStream::write_vectored` of one whole frame,
//! the write every library's flush ends in) and one mask key from a
//! CSPRNG (rand's `StdRng`, ChaCha12, what `SecureRandom` uses); and, for
//! reference, a hand-written send: key, header, payload masked into a
//! `Vec`, one write. None of it is a library; it bounds what the send
//! benches can show (see benches/README.md, "The floor under small sends").
//!
//! ```text
//! cargo run --release -p wsproto-benches --example send_floor -- 16
//! cargo run --release -p wsproto-benches --example send_floor -- 125
//! ```
use std::io::{IoSlice, Write};
use std::time::Instant;

use rand::{RngCore, SeedableRng};
use wsproto_benches::MemStream;

fn main() {
    let size: usize = std::env::args().nth(1).map_or(16, |s| s.parse().unwrap());
    let payload = vec![b'a'; size];
    let mut rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
    let mut stream = MemStream::default();
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let n = 2_000_000;
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..n {
            let key = rng.next_u32().to_ne_bytes();
            out.extend_from_slice(&[0x82, 0x80 | size as u8, key[0], key[1], key[2], key[3]]);
            let key64 = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
            let mut chunks = payload.chunks_exact(8);
            for c in &mut chunks {
                out.extend_from_slice(&(u64::from_ne_bytes(c.try_into().unwrap()) ^ key64).to_ne_bytes());
            }
            for (i, b) in chunks.remainder().iter().enumerate() {
                out.push(*b ^ key[i & 3]);
            }
            let w = stream.write_vectored(&[IoSlice::new(&out)]).unwrap();
            assert_eq!(w, out.len());
            out.clear();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("hand-written send, {size} B: best {best:.1} ns/message");
    let frame = vec![0x82u8; size + 6];
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..n {
            let w = stream.write_vectored(&[IoSlice::new(std::hint::black_box(&frame))]).unwrap();
            assert_eq!(w, frame.len());
        }
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("the writer alone, a frame of {size} B: best {best:.1} ns/message");
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        let mut x = 0u32;
        for _ in 0..n {
            x ^= std::hint::black_box(rng.next_u32());
        }
        std::hint::black_box(x);
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("a mask key alone (StdRng): best {best:.2} ns");
}
