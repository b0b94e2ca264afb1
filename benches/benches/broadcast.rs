//! Broadcast: one 1 KiB chat message to 1,000 and 10,000 open server
//! connections, as a [`PreparedMessage`] (framed, and compressed, once)
//! against one ordinary send per connection, without and with
//! permessage-deflate (negotiated with `server_no_context_takeover`, so a
//! prepared message can be compressed once for all). One iteration is one
//! broadcast: the message is made (and prepared) anew, queued on every
//! connection, and every connection's output handed out through
//! `poll_transmit` (not written anywhere).
//!
//! Time is the benchmarking thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not wall time: on a machine shared with other work, wall time counts
//! the time the thread waited for a core. The "thrpt" line reads in
//! nanoseconds per connection.
//!
//! Run from the repository root: `cargo bench -p wsproto-benches --bench broadcast`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use wsproto::handshake::ExtensionOffer;
use wsproto::{Config, Connection, Open, PreparedMessage, Role, Utf8Bytes};

/// A ~1 KiB chat event from the corpus.
fn message() -> String {
    let corpus = include_str!("../data/chat_corpus.jsonl");
    let line = corpus.lines().find(|l| (900..=1100).contains(&l.len())).expect("a ~1 KiB message");
    let mut text = line.to_owned();
    text.truncate(text.len().min(1024));
    // Pad a JSON string field to exactly 1 KiB, keeping it valid UTF-8.
    while text.len() < 1024 {
        text.push(' ');
    }
    text
}

/// `n` open server connections, with permessage-deflate
/// (`server_no_context_takeover`) or without.
fn connections(n: usize, deflate: bool) -> Vec<Connection> {
    let now = Instant::now();
    let open = if deflate {
        Open::new().with_extension(ExtensionOffer::new("permessage-deflate").with_flag("server_no_context_takeover"))
    } else {
        Open::new()
    };
    (0..n)
        .map(|_| {
            let conn = Connection::open(Role::Server, open.clone(), Config::default(), now);
            assert_eq!(conn.deflate().is_some(), deflate);
            conn
        })
        .collect()
}

/// Hands out everything queued: the bytes a writer would take.
#[inline]
fn drain(conn: &mut Connection) -> usize {
    let mut n = 0;
    while let Some(bytes) = conn.poll_transmit() {
        n += bytes.len();
    }
    n
}

/// The calling thread's CPU time.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write to; the clock id is a constant Linux knows.
    let code = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(code, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Criterion measuring the benchmarking thread's CPU time.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time() - start
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosPerConnection
    }
}

/// Times in ns/µs/ms; throughput in nanoseconds per element (connection).
struct NanosPerConnection;

impl ValueFormatter for NanosPerConnection {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e-3, "µs"),
            _ => (1e-6, "ms"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n as f64,
            _ => 1.0,
        };
        values.iter_mut().for_each(|v| *v /= per);
        "ns/conn"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn broadcast(c: &mut Criterion<ThreadCpuTime>) {
    let text = message();
    for n in [1_000usize, 10_000] {
        for deflate in [false, true] {
            let mut group =
                c.benchmark_group(format!("broadcast/1KiB/{n}/{}", if deflate { "deflate" } else { "plain" }));
            group.throughput(Throughput::Elements(n as u64));
            group.sample_size(20);
            group.warm_up_time(Duration::from_millis(500));
            group.measurement_time(Duration::from_secs(if deflate { 6 } else { 3 }));
            let mut conns = connections(n, deflate);
            let expected = if deflate { None } else { Some(text.len() + 4) };
            group.bench_function("prepared", |b| {
                b.iter_batched(
                    || Utf8Bytes::from(text.clone()),
                    |payload| {
                        let message = PreparedMessage::text(payload);
                        let mut total = 0;
                        for conn in &mut conns {
                            conn.send_prepared(&message).unwrap();
                            total += drain(conn);
                        }
                        if let Some(frame) = expected {
                            assert_eq!(total, frame * n);
                        }
                        black_box(total)
                    },
                    BatchSize::SmallInput,
                );
            });
            group.bench_function("send_each", |b| {
                b.iter_batched(
                    || Utf8Bytes::from(text.clone()),
                    |payload| {
                        let mut total = 0;
                        for conn in &mut conns {
                            conn.send_text(payload.clone()).unwrap();
                            total += drain(conn);
                        }
                        black_box(total)
                    },
                    BatchSize::SmallInput,
                );
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = broadcast
}
criterion_main!(benches);
