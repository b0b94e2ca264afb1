#!/usr/bin/env python3
"""End-to-end echo benchmark over loopback TCP (issue #14).

    python3 benches/e2e.py            # build, run everything (~5 min), rewrite benches/README.md's table

Each library's echo server (target/release/e2e_server --lib X) runs on a
single-threaded tokio runtime pinned to core 1; the load generator
(target/release/e2e_load, raw TCP, no WebSocket library) is pinned to core 0.
Two echo shapes, three runs of 5 s each after a 1 s warm-up (runs interleave
the libraries, so slow drift in the machine's load hits all of them alike),
median and range; then 10,000 idle connections per library, the server's
VmRSS after every handshake minus its VmRSS before the first connection,
divided by 10,000. Also reported: the server's CPU time per echo (user +
system over the generator's whole run, warm-up included), which a busy
machine disturbs less than messages/s.

Options: --runs N, --secs S, --only LIB[,LIB], --shapes echo|idle|all,
--no-build, --no-readme.
"""

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
SERVER = os.environ.get("E2E_SERVER", os.path.join(TARGET, "release", "e2e_server"))
LOAD = os.path.join(TARGET, "release", "e2e_load")
README = os.path.join(ROOT, "benches", "README.md")
LIBS = ["wsproto", "tungstenite", "fastwebsockets", "tokio-websockets"]
NAMES = {
    "wsproto": "wsproto (wsproto-tokio)",
    "tungstenite": "tokio-tungstenite 0.30",
    "fastwebsockets": "fastwebsockets 0.10 (hyper 1)",
    "tokio-websockets": "tokio-websockets 0.13",
}
SHAPES = [
    ("100 × 20 B, 16 in flight", dict(conns=100, size=20, inflight=16)),
    ("500 × 16 KiB, 4 in flight", dict(conns=500, size=16384, inflight=4)),
]
IDLE_CONNS = 10_000
BEGIN = "<!-- e2e:begin (written by benches/e2e.py) -->"
END = "<!-- e2e:end -->"
CLK_TCK = os.sysconf("SC_CLK_TCK")

port = 9200


def next_addr():
    global port
    port += 1
    if port > 9999:
        port = 9200
    return f"127.0.0.1:{port}"


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def start_server(lib, addr):
    server = subprocess.Popen(
        ["taskset", "-c", "1", SERVER, "--lib", lib, "--addr", addr], stdout=subprocess.PIPE, text=True
    )
    line = server.stdout.readline()
    if not line.startswith("listening"):
        server.kill()
        raise RuntimeError(f"{lib} server did not start: {line!r}")
    return server


def stop(server):
    server.kill()
    server.wait()


def echo_run(lib, shape, secs):
    addr = next_addr()
    server = start_server(lib, addr)
    try:
        load0 = loadavg()
        cpu0 = cpu_seconds(server.pid)
        args = ["taskset", "-c", "0", LOAD, "--addr", addr, "--secs", str(secs)]
        args += [x for k, v in shape.items() for x in (f"--{k}", str(v))]
        out = subprocess.run(args, capture_output=True, text=True, timeout=secs + 60)
        cpu = cpu_seconds(server.pid) - cpu0
        if out.returncode != 0:
            raise RuntimeError(f"{lib}: load generator failed: {out.stderr.strip()}")
        m = re.search(r"msgs_per_s (\d+) echoes (\d+) secs ([\d.]+) total (\d+)", out.stdout)
        rate, total = int(m.group(1)), int(m.group(4))
        return dict(rate=rate, cpu_per_echo=cpu / total if total else float("nan"), load=(load0, loadavg()))
    finally:
        stop(server)


def idle_run(lib):
    addr = next_addr()
    server = start_server(lib, addr)
    try:
        time.sleep(0.5)
        before = rss_bytes(server.pid)
        load0 = loadavg()
        gen = subprocess.Popen(
            ["taskset", "-c", "0", LOAD, "--addr", addr, "--conns", str(IDLE_CONNS), "--idle"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        line = gen.stdout.readline()
        if not line.startswith("ready"):
            gen.kill()
            raise RuntimeError(f"{lib}: idle generator failed: {line!r}")
        # Let the server finish what the last handshakes started.
        time.sleep(1.0)
        after = rss_bytes(server.pid)
        gen.stdin.close()
        gen.wait()
        return dict(per_conn=(after - before) / IDLE_CONNS, before=before, after=after, load=(load0, loadavg()))
    finally:
        stop(server)


def fmt_rate(x):
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, {rustc}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--only", default=",".join(LIBS))
    ap.add_argument("--shapes", default="all", choices=["all", "echo", "idle"])
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-readme", action="store_true")
    opts = ap.parse_args()
    libs = opts.only.split(",")

    # 10,000 connections need more descriptors than the usual soft limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not opts.no_build:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "wsproto-benches", "--bin", "e2e_server", "--bin", "e2e_load"],
            cwd=ROOT, check=True,
        )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    started = datetime.now(timezone.utc)
    loads = []
    echo = {}
    if opts.shapes in ("all", "echo"):
        for name, shape in SHAPES:
            for run in range(opts.runs):
                for lib in libs:
                    r = echo_run(lib, shape, opts.secs)
                    loads += r["load"]
                    echo.setdefault((name, lib), []).append(r)
                    print(f"{name} | {lib} | run {run + 1}: {r['rate']:>9} msg/s, "
                          f"{r['cpu_per_echo'] * 1e6:.2f} µs CPU/echo, load {r['load'][0]:.2f}", flush=True)
    idle = {}
    if opts.shapes in ("all", "idle"):
        for lib in libs:
            r = idle_run(lib)
            loads += r["load"]
            idle[lib] = r
            print(f"idle {IDLE_CONNS} | {lib}: {r['per_conn']:.0f} B/conn "
                  f"(VmRSS {r['before'] / 1e6:.1f} MB -> {r['after'] / 1e6:.1f} MB), load {r['load'][0]:.2f}", flush=True)
    ended = datetime.now(timezone.utc)

    lines = []
    shape_names = [n for n, _ in SHAPES] if echo else []
    head = ["library"] + [f"{n}: msg/s, median [range]" for n in shape_names]
    if idle:
        head.append(f"idle RSS per connection ({IDLE_CONNS:,} open)")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for lib in libs:
        row = [NAMES.get(lib, lib)]
        for n in shape_names:
            rates = [r["rate"] for r in echo[(n, lib)]]
            row.append(f"{fmt_rate(statistics.median(rates))} [{fmt_rate(min(rates))}–{fmt_rate(max(rates))}]")
        if idle:
            row.append(f"{idle[lib]['per_conn']:,.0f} B")
        lines.append("| " + " | ".join(row) + " |")
    if echo and "wsproto" in libs and len(libs) > 1:
        row = ["wsproto ÷ best peer (medians)"]
        for n in shape_names:
            med = {lib: statistics.median(r["rate"] for r in echo[(n, lib)]) for lib in libs}
            best = max(v for k, v in med.items() if k != "wsproto")
            row.append(f"{med['wsproto'] / best:.2f}×")
        if idle:
            leanest = min(idle[k]["per_conn"] for k in libs if k != "wsproto")
            row.append(f"{idle['wsproto']['per_conn'] / leanest:.2f}× the leanest peer")
        lines.append("| " + " | ".join(row) + " |")
    if echo:
        lines.append("")
        lines.append("Server CPU time per echo (user + system, median of the runs; lower is better):")
        lines.append("")
        lines.append("| library | " + " | ".join(shape_names) + " |")
        lines.append("|---|" + "---|" * len(shape_names))
        for lib in libs:
            cells = [f"{statistics.median(r['cpu_per_echo'] for r in echo[(n, lib)]) * 1e6:.2f} µs" for n in shape_names]
            lines.append(f"| {NAMES.get(lib, lib)} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print()
    print(table)

    if opts.no_readme:
        return
    runs = f"{opts.runs} runs of {opts.secs:g} s (after 1 s of warm-up) per shape and library"
    section = "\n".join([
        BEGIN,
        f"Run of {started:%Y-%m-%d}, {started:%H:%M}–{ended:%H:%M} UTC, commit {commit.strip()}, on "
        f"{machine()}; {runs}; load average (1 min) between {min(loads):.2f} and {max(loads):.2f} "
        f"during the runs. Command: `python3 benches/e2e.py`.",
        "",
        table,
        END,
    ])
    with open(README) as f:
        text = f.read()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## End to end over loopback TCP (issue #14)\n\n" + section + "\n"
    with open(README, "w") as f:
        f.write(text)
    print(f"\nwrote {README}")


if __name__ == "__main__":
    sys.exit(main())
