#!/usr/bin/env python3
"""Prints the tables of benches/README.md from criterion's results.

Usage: python3 benches/report.py [CRITERION_DIR]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion.
Every figure is criterion's median ("median" in estimates.json) of the
latest run of `cargo bench -p wsproto-benches --bench compare`.
"""

import json
import os
import sys

SIZES = [("16B", 16), ("125B", 125), ("1KiB", 1 << 10), ("16KiB", 16 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20)]
PEERS = ["tungstenite", "tokio-websockets", "fastwebsockets", "ratchet"]
# ratchet 1.2.1 hands text messages over without checking their UTF-8 (its
# read path has no validation; RFC 6455 §8.1 requires it), so received text
# is not the same work there: text receive ratios are against the peers that
# validate, and ours against ratchet is a column of its own.
NO_UTF8_CHECK = {"ratchet"}
GIB = float(1 << 30)


def count(size):
    # Mirrors Workload::new: about 4 MiB of payload, 4 to 10,000 messages.
    return max(4, min(10_000, (4 << 20) // size))


def median_ns(root, group, name):
    # Criterion names a group's directory with "/" turned into "_".
    path = os.path.join(root, group.replace("/", "_"), name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        return None


def rate(ns, size):
    """(messages per second, GiB/s of payload) for one run of the workload."""
    n = count(size)
    per_msg = ns / n
    return 1e9 / per_msg, size * 1e9 / per_msg / GIB


def fmt_rate(ns, size):
    if ns is None:
        return "—"
    msgs, gib = rate(ns, size)
    if msgs >= 1e6:
        m = f"{msgs / 1e6:.1f} M/s"
    else:
        m = f"{msgs / 1e3:.1f} k/s"
    return f"{m}, {gib:.2f} GiB/s"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    for direction in ["recv", "send", "send-server"]:
        for kind in ["binary", "text"]:
            print(f"\n### {direction} {kind}\n")
            header = "| size | wsproto (lent) | wsproto (given) | " + " | ".join(PEERS)
            header += " | ours / best peer | given / best peer | wsproto-tokio | driver / best peer |"
            if direction == "send-server":
                header = header.replace(" | wsproto-tokio | driver / best peer |", " |")
            if direction == "recv":
                header = "| size | wsproto (lent) | wsproto (owned) | " + " | ".join(PEERS)
                header += " | ours / best peer | owned / best peer | wsproto-tokio | driver / best peer |"
                header += " bare work | ours / bare |"
                if kind == "text":
                    header += " lent / ratchet (no UTF-8 check) |"
            print(header)
            print("|---" * (header.count("|") - 1) + "|")
            for label, size in SIZES:
                group = f"{direction}/{kind}/{label}"
                ours = median_ns(root, group, "wsproto")
                peers = {p: median_ns(root, group, p) for p in PEERS}
                skip = NO_UTF8_CHECK if (direction == "recv" and kind == "text") else set()
                known = [t for p, t in peers.items() if t is not None and p not in skip]
                best = min(known) if known else None
                second = median_ns(root, group, "wsproto-owned")
                ours_cells = fmt_rate(ours, size) + f" | {fmt_rate(second, size)}"
                row = f"| {label} | {ours_cells} | " + " | ".join(fmt_rate(peers[p], size) for p in PEERS)
                ratio = f"{best / ours:.2f}×" if ours and best else "—"
                row += f" | {ratio} |"
                row += (f" {best / second:.2f}×" if second and best else " —") + " |"
                if direction != "send-server":
                    # Ours through the tokio driver (owned messages).
                    driver = median_ns(root, group, "wsproto-tokio")
                    row += f" {fmt_rate(driver, size)} |" + (f" {best / driver:.2f}×" if driver and best else " —") + " |"
                if direction == "recv":
                    bare_group = f"bare/{kind}/{label}"
                    parts = [median_ns(root, bare_group, w) for w in ["memcpy", "unmask"] + (["utf8"] if kind == "text" else [])]
                    bare = sum(parts) if all(p is not None for p in parts) else None
                    row += f" {fmt_rate(bare, size)} | " + (f"{bare / ours:.2f}" if bare and ours else "—") + " |"
                    if kind == "text":
                        unchecked = peers["ratchet"]
                        row += (f" {unchecked / ours:.2f}×" if unchecked and ours else " —") + " |"
                print(row)
    print("\n### bare work alone (GiB/s of payload)\n")
    print("| size | kind | memcpy (whole wire buffer) | unmask (in place) | utf8 (simdutf8) | copy_unmask (one pass) |")
    print("|---|---|---:|---:|---:|---:|")
    for kind in ["binary", "text"]:
        for label, size in SIZES:
            cells = []
            for work in ["memcpy", "unmask", "utf8", "copy_unmask"]:
                ns = median_ns(root, f"bare/{kind}/{label}", work)
                cells.append("—" if ns is None else f"{rate(ns, size)[1]:.1f}")
            print(f"| {label} | {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
