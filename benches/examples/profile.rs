//! Runs one bench case in a loop, for a profiler (callgrind, perf):
//!
//! `cargo build --release -p wsproto-benches --example profile`
//! `valgrind --tool=callgrind target/release/examples/profile recv text 16 wsproto 20`
//!
//! Arguments: `recv|send|send-server`, `binary|text`, payload size in bytes, library
//! (`wsproto`, `wsproto-owned` (receive: owned messages; send: given a clone),
//! `wsproto-tokio` (ours through the tokio driver),
//! `tungstenite`, `tokio-websockets`, `fastwebsockets`, `ratchet`), rounds.
//! Prints the fastest round in nanoseconds per message (a quick look on a
//! busy machine; the criterion bench is the measurement).

use std::hint::black_box;
use std::time::{Duration, Instant};

use wsproto_benches::{Kind, Lib, Outgoing, Receiver, Sender, Side, Workload};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, kind, size, lib, rounds] = &args[..] else {
        eprintln!("usage: profile recv|send binary|text SIZE LIB ROUNDS");
        std::process::exit(2);
    };
    let kind = match kind.as_str() {
        "binary" => Kind::Binary,
        "text" => Kind::Text,
        other => panic!("unknown kind {other}"),
    };
    let size: usize = size.parse().expect("size");
    let owned = lib == "wsproto-owned";
    let driver = lib == "wsproto-tokio";
    let lib = if owned || driver {
        Lib::Wsproto
    } else {
        Lib::ALL.into_iter().find(|l| l.label() == lib).expect("unknown library")
    };
    let rounds: usize = rounds.parse().expect("rounds");
    let work = Workload::new(kind, size);
    let mut times = Vec::with_capacity(rounds);
    match dir.as_str() {
        "recv" => {
            let mut receiver = match (owned, driver) {
                (true, _) => Receiver::wsproto_owned(),
                (_, true) => Receiver::wsproto_tokio(),
                _ => Receiver::new(lib),
            };
            for _ in 0..rounds {
                let start = Instant::now();
                assert_eq!(black_box(receiver.run(&work)), work.expected);
                times.push(start.elapsed());
            }
        }
        "send" | "send-server" => {
            let message = Outgoing::new(kind, size);
            let side = if dir == "send" { Side::Client } else { Side::Server };
            let (mut sender, stream) = match (owned, driver) {
                (true, _) => Sender::wsproto_owned(side),
                (_, true) => Sender::wsproto_tokio(side),
                _ => Sender::with_role(lib, side),
            };
            for _ in 0..rounds {
                let start = Instant::now();
                sender.run(black_box(&message), work.count);
                times.push(start.elapsed());
            }
            let mask = if side == Side::Client { 0 } else { 4 };
            assert_eq!(stream.written(), (rounds * work.count * (work.frame_len() - mask)) as u64);
        }
        other => panic!("unknown direction {other}"),
    }
    times.sort();
    let per_msg = |t: Duration| t.as_secs_f64() * 1e9 / work.count as f64;
    let ns = per_msg(times[0]);
    let median = per_msg(times[times.len() / 2]);
    println!(
        "{} messages; best round {ns:.1} ns/message (median {median:.1}), {:.2} M messages/s, {:.2} GiB/s",
        rounds * work.count,
        1e3 / ns,
        size as f64 / ns * 1e9 / (1u64 << 30) as f64
    );
}
