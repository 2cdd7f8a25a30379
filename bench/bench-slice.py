#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Orthoslice extraction, Porescope vs NumPy, side by side in one run.

    /usr/bin/python3 bench/bench-slice.py BUILD_DIR [--size 1024] [--dtype f32 u16] [--reps 5] [--rounds 3]

Runs BUILD_DIR/bench/bench-slice (2 threads, median of REPS after a
warm-up, correctness gate against brute-force indexing), then the same copies
in NumPy (`a[i].copy()`, `a[:, i, :].copy()`, and for yz both
`a[:, :, i].copy()` (z rows) and `np.ascontiguousarray(a[:, :, i].T)` — the
layout Porescope produces, y rows), checks that both produce the same slice
(checksums), and prints a Markdown table. With --rounds R the two alternate R
times (NumPy keeps its volume, Porescope runs as a subprocess each round) and
each cell is the median over rounds of the per-round medians, so a load spike
from other processes hits both sides alike."""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def checksum(a):
    flat = np.ascontiguousarray(a).reshape(-1).astype(np.uint64)
    w = np.arange(1, flat.size + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(np.sum(flat * w, dtype=np.uint64))


def numpy_volume(n, dtype):
    dt = np.float32 if dtype == "f32" else np.uint16
    a = np.empty((n, n, n), dtype=dt)
    base = np.arange(n * n, dtype=np.int64)
    for z in range(n):
        a[z] = ((base + z * n * n) % 65521).reshape(n, n).astype(dt)
    return a


def numpy_times(a, reps):
    n = a.shape[0]
    ops = {
        "xy": lambda i: a[i].copy(),
        "xz": lambda i: a[:, i, :].copy(),
        "yz (z rows)": lambda i: a[:, :, i].copy(),
        "yz": lambda i: np.ascontiguousarray(a[:, :, i].T),
    }
    out = {}
    for name, f in ops.items():
        f(5)  # warm-up
        ts = []
        for r in range(reps):
            i = (r * 97 + 13) % n
            t0 = time.perf_counter()
            f(i)
            ts.append((time.perf_counter() - t0) * 1e3)
        ts.sort()
        out[name] = {"median_ms": ts[len(ts) // 2], "min_ms": ts[0],
                     "checksum_last": checksum(f(n - 1))}
    return out


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("build_dir")
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--dtype", nargs="+", default=["f32", "u16"])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()

    exe = os.path.join(args.build_dir, "bench", "bench-slice")
    rows = []
    ok = True
    for dtype in args.dtype:
        a = numpy_volume(args.size, dtype)
        rounds_ours, rounds_peer = [], []
        for _ in range(args.rounds):
            res = subprocess.run([exe, "--size", str(args.size), "--dtype", dtype,
                                  "--threads", str(args.threads), "--reps", str(args.reps)],
                                 check=True, capture_output=True, text=True)
            ours = {}
            for line in res.stdout.splitlines():
                d = json.loads(line)
                ours[d["op"]] = d
            peer = numpy_times(a, args.reps)
            for op in ("xy", "xz", "yz"):
                if ours[op]["checksum_last"] != peer[op]["checksum_last"]:
                    print(f"MISMATCH {dtype} {op}: porescope {ours[op]['checksum_last']} "
                          f"numpy {peer[op]['checksum_last']}", file=sys.stderr)
                    ok = False
            rounds_ours.append(ours)
            rounds_peer.append(peer)
        del a
        ours = {op: {"median_ms": median([r[op]["median_ms"] for r in rounds_ours]),
                     "min_ms": min(r[op]["min_ms"] for r in rounds_ours)}
                for op in rounds_ours[0]}
        peer = {op: {"median_ms": median([r[op]["median_ms"] for r in rounds_peer])}
                for op in rounds_peer[0]}
        best_yz = min(peer["yz"]["median_ms"], peer["yz (z rows)"]["median_ms"])
        for op, peer_op, peer_ms in (("xy", "xy", peer["xy"]["median_ms"]),
                                     ("xz", "xz", peer["xz"]["median_ms"]),
                                     ("yz", "fastest yz", best_yz),
                                     ("yz-scroll", "fastest yz", best_yz)):
            label = {"yz-scroll": "yz slab of 64 B of x, per slice"}.get(op, op)
            o = ours[op]
            rows.append((dtype, label, o["median_ms"], o["min_ms"], peer_op, peer_ms, o["median_ms"] / peer_ms))
        for name in ("yz (z rows)", "yz"):
            rows.append((dtype, "numpy " + name, None, None, name, peer[name]["median_ms"], None))
        if "yz-view" in ours:
            r = ours["yz-view"]
            rows.append((dtype, "yz view 460×310 px, in place", r["median_ms"], r["min_ms"], "fastest yz",
                         best_yz, r["median_ms"] / best_yz))
        if "render" in ours:
            r = ours["render"]
            rows.append((dtype, "render xy 1:1", r["median_ms"], r["min_ms"], "-", None, None))

    load = os.getloadavg()[0]
    print(f"size {args.size}³, {args.threads} threads (Porescope), NumPy {np.__version__} "
          f"(1 thread), median of {args.reps} after a warm-up, median of {args.rounds} alternating "
          f"rounds, ms; load average {load:.1f} on {os.cpu_count()} CPUs")
    print()
    print("| dtype | operation | Porescope median | min | NumPy op | NumPy median | ratio |")
    print("|---|---|---|---|---|---|---|")
    for dtype, op, med, mn, peer_op, peer_ms, ratio in rows:
        f = lambda v, d=2: "" if v is None else f"{v:.{d}f}"
        print(f"| {dtype} | {op} | {f(med)} | {f(mn)} | {peer_op} | {f(peer_ms)} | {f(ratio)} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
