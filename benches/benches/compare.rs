//! wsproto side by side with tungstenite, tokio-websockets, fastwebsockets and ratchet,
//! on the same bytes, plus the bare work on the same buffers.
//!
//! - `recv/{binary,text}/SIZE/LIB`: a server receives the workload's masked
//!   client frames (about 4 MiB of payload, 4 to 10,000 messages), read from
//!   an in-memory stream in reads of at most 64 KiB, each message consumed.
//! - `send/{binary,text}/SIZE/LIB`: a client sends the same number of
//!   messages, masked, each written out before the next, into an in-memory
//!   sink that copies what it is given: every library with its default mask
//!   keys and the flush its docs teach (ours: `send_binary` / `send_text`
//!   lent the message, then `transmit_with` with `write_vectored`;
//!   `wsproto-owned`: the same sends given a clone of the message).
//! - In `recv` and `send`, `wsproto-tokio` is ours through the tokio driver
//!   (`next()` on its `Stream`, `send` on its `Sink` with an owned message,
//!   on a single-threaded runtime): what an application on tokio gets.
//! - `send-server/...`: the same as a server (unmasked frames: an IM
//!   server's hot path).
//! - `bare/{binary,text}/SIZE/WORK`: on the same wire buffer, `memcpy` (the
//!   whole buffer), `unmask` (every payload in place, with
//!   `wsproto::frame::apply_mask`), `utf8` (simdutf8 over every unmasked
//!   payload), `copy_unmask` (copy and unmask every payload in one pass).
//!
//! Throughput is payload bytes; messages per second is that divided by the
//! size (`benches/report.py` prints both, with the ratios).
//!
//! Run from the repository root:
//! `cargo bench -p wsproto-benches --bench compare` (filter as usual, e.g.
//! `-- recv/text/1MiB`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wsproto::frame::apply_mask;
use wsproto_benches::{Kind, Lib, Outgoing, Receiver, SIZES, Sender, Side, Workload, copy_unmask};

fn recv(c: &mut Criterion) {
    for kind in Kind::ALL {
        for (label, size) in SIZES {
            let work = Workload::new(kind, size);
            let mut group = c.benchmark_group(format!("recv/{}/{label}", kind.label()));
            group.throughput(Throughput::Bytes(work.payload_bytes()));
            let receivers = Lib::ALL.into_iter().map(|lib| (lib.label(), Receiver::new(lib)));
            let ours = [("wsproto-owned", Receiver::wsproto_owned()), ("wsproto-tokio", Receiver::wsproto_tokio())];
            for (label, mut receiver) in receivers.chain(ours) {
                assert_eq!(receiver.run(&work), work.expected, "{label}");
                group.bench_function(BenchmarkId::from_parameter(label), |b| b.iter(|| black_box(receiver.run(&work))));
            }
            group.finish();
        }
    }
}

fn send(c: &mut Criterion) {
    for side in Side::ALL {
        for kind in Kind::ALL {
            for (label, size) in SIZES {
                let work = Workload::new(kind, size);
                let message = Outgoing::new(kind, size);
                let prefix = match side {
                    Side::Client => "send",
                    Side::Server => "send-server",
                };
                let mut group = c.benchmark_group(format!("{prefix}/{}/{label}", kind.label()));
                group.throughput(Throughput::Bytes(work.payload_bytes()));
                let senders = Lib::ALL.into_iter().map(|lib| (lib.label(), Sender::with_role(lib, side)));
                let ours =
                    [("wsproto-owned", Sender::wsproto_owned(side)), ("wsproto-tokio", Sender::wsproto_tokio(side))];
                for (label, (mut sender, _stream)) in senders.chain(ours) {
                    group.bench_function(BenchmarkId::from_parameter(label), |b| {
                        b.iter(|| sender.run(black_box(&message), work.count))
                    });
                }
                group.finish();
            }
        }
    }
}

fn bare(c: &mut Criterion) {
    for kind in Kind::ALL {
        for (label, size) in SIZES {
            let work = Workload::new(kind, size);
            let mut group = c.benchmark_group(format!("bare/{}/{label}", kind.label()));
            group.throughput(Throughput::Bytes(work.payload_bytes()));
            let mut scratch = work.wire.to_vec();
            group.bench_function("memcpy", |b| {
                b.iter(|| scratch.copy_from_slice(black_box(&work.wire)));
            });
            // Unmasking twice restores the buffer; the content does not matter here.
            group.bench_function("unmask", |b| {
                b.iter(|| {
                    for slot in &work.slots {
                        apply_mask(&mut scratch[slot.start..slot.start + slot.len], slot.key, 0);
                    }
                    black_box(&mut scratch);
                });
            });
            if kind == Kind::Text {
                let mut plain = work.wire.to_vec();
                for slot in &work.slots {
                    apply_mask(&mut plain[slot.start..slot.start + slot.len], slot.key, 0);
                }
                group.bench_function("utf8", |b| {
                    b.iter(|| {
                        for slot in &work.slots {
                            let ok = simdutf8::basic::from_utf8(&plain[slot.start..slot.start + slot.len]).is_ok();
                            assert!(black_box(ok));
                        }
                    });
                });
            }
            let mut out = vec![0u8; size];
            group.bench_function("copy_unmask", |b| {
                b.iter(|| {
                    for slot in &work.slots {
                        copy_unmask(&mut out, &work.wire[slot.start..slot.start + slot.len], slot.key);
                        black_box(&mut out);
                    }
                });
            });
            group.finish();
        }
    }
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = recv, send, bare
}
criterion_main!(benches);
