//! Runs bench cases in a loop, for a profiler (callgrind, perf) or a quick
//! side-by-side look:
//!
//! `cargo build --release -p wsproto-benches --example profile`
//! `valgrind --tool=callgrind target/release/examples/profile recv text 16 wsproto 20`
//! `target/release/examples/profile recv binary 16384 wsproto,tokio-websockets 2000`
//!
//! Arguments: `recv|send|send-server`, `binary|text`, payload size in bytes,
//! library or comma-separated libraries (`wsproto`, `wsproto-owned`
//! (receive: owned messages; send: given a clone), `wsproto-tokio` (ours
//! through the tokio driver), `tungstenite`, `tokio-websockets`,
//! `fastwebsockets`, `ratchet`), rounds. With several libraries the rounds
//! alternate between them (one round of each in turn), so a change in the
//! machine's load falls on all of them alike. Prints each library's fastest
//! and median round in nanoseconds per message (a quick look on a busy
//! machine; the criterion bench is the measurement).

use std::hint::black_box;
use std::time::{Duration, Instant};

use wsproto_benches::{Kind, Lib, Outgoing, Receiver, Sender, Side, Workload, Written};

/// One library's case, ready to run rounds.
enum Case {
    Recv(Receiver),
    Send(Sender, Written, Outgoing),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, kind, size, libs, rounds] = &args[..] else {
        eprintln!("usage: profile recv|send|send-server binary|text SIZE LIB[,LIB...] ROUNDS");
        std::process::exit(2);
    };
    let kind = match kind.as_str() {
        "binary" => Kind::Binary,
        "text" => Kind::Text,
        other => panic!("unknown kind {other}"),
    };
    let size: usize = size.parse().expect("size");
    let rounds: usize = rounds.parse().expect("rounds");
    let work = Workload::new(kind, size);
    let side = match dir.as_str() {
        "recv" | "send" => Side::Client,
        "send-server" => Side::Server,
        other => panic!("unknown direction {other}"),
    };
    let labels: Vec<&str> = libs.split(',').collect();
    let mut cases: Vec<Case> = labels.iter().map(|label| case(dir, kind, size, label, side)).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for (case, times) in cases.iter_mut().zip(&mut times) {
            let start = Instant::now();
            match case {
                Case::Recv(receiver) => assert_eq!(black_box(receiver.run(&work)), work.expected),
                Case::Send(sender, _, message) => sender.run(black_box(message), work.count),
            }
            times.push(start.elapsed());
        }
    }
    let mask = if side == Side::Client { 0 } else { 4 };
    for case in &cases {
        if let Case::Send(_, stream, _) = case {
            assert_eq!(stream.written(), (rounds * work.count * (work.frame_len() - mask)) as u64);
        }
    }
    let per_msg = |t: Duration| t.as_secs_f64() * 1e9 / work.count as f64;
    for (label, times) in labels.iter().zip(&mut times) {
        times.sort();
        let ns = per_msg(times[0]);
        let median = per_msg(times[times.len() / 2]);
        println!(
            "{label}: {} messages; best round {ns:.1} ns/message (median {median:.1}), {:.2} M messages/s, {:.2} GiB/s",
            rounds * work.count,
            1e3 / median,
            size as f64 / median * 1e9 / (1u64 << 30) as f64
        );
    }
}

fn case(dir: &str, kind: Kind, size: usize, label: &str, side: Side) -> Case {
    let owned = label == "wsproto-owned";
    let driver = label == "wsproto-tokio";
    let lib = if owned || driver {
        Lib::Wsproto
    } else {
        Lib::ALL.into_iter().find(|l| l.label() == label).expect("unknown library")
    };
    if dir == "recv" {
        return Case::Recv(match (owned, driver) {
            (true, _) => Receiver::wsproto_owned(),
            (_, true) => Receiver::wsproto_tokio(),
            _ => Receiver::new(lib),
        });
    }
    let (sender, stream) = match (owned, driver) {
        (true, _) => Sender::wsproto_owned(side),
        (_, true) => Sender::wsproto_tokio(side),
        _ => Sender::with_role(lib, side),
    };
    Case::Send(sender, stream, Outgoing::new(kind, size))
}
