#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-object statistics: Porescope's ps_measure_run against the NumPy/SciPy
trio (np.bincount for voxel counts and intensity sums, ndi.center_of_mass,
ndi.find_objects) on the same label volume, side by side in one run.

    /usr/bin/python3 bench/bench-measure.py [--size 512] [--threads 2] [--repeat 5]
                                             [--build build]

Porescope computes more per label than the peer (surface area, sphericity,
bounding box, touches_border, Miles–Lantuéjoul weight) — the peer only gets
the trio. Correctness gate before timing: identical voxel counts and bounding
boxes, centroids and mean intensities within 1e-9 relative. Reports the
median of --repeat runs after one warm-up, for both sides: wall time, and
CPU time (ours summed over its threads) — on a shared machine the CPU-time
ratio is the steadier one.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy import ndimage as ndi


def peer(labels, intensity):
    n = int(labels.max())
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=n + 1)
    isum = np.bincount(flat, weights=intensity.ravel(), minlength=n + 1)
    com = ndi.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, np.arange(1, n + 1))
    boxes = ndi.find_objects(labels)
    return counts, isum, com, boxes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    exe = os.path.join(args.build, "bench", "bench-measure")
    n = args.size
    with tempfile.TemporaryDirectory(prefix="ps-bench-measure-") as tmp:
        out = subprocess.run([exe, "--size", str(n), "--threads", str(args.threads),
                              "--repeat", str(args.repeat), "--outdir", tmp],
                             check=True, capture_output=True, text=True)
        ours = json.loads(out.stdout)
        # Peak RSS of our process (labels u32 + intensity f32 = 8 B/voxel of input, plus the kernels).
        ours_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        labels = np.fromfile(os.path.join(tmp, "labels.u32"), dtype=np.uint32).reshape(n, n, n)
        intensity = np.fromfile(os.path.join(tmp, "intensity.f32"), dtype=np.float32).reshape(n, n, n)
        table = np.loadtxt(os.path.join(tmp, "ours.csv"), delimiter=",", ndmin=2)

    rss_before_peer = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # inputs loaded
    # Correctness gate.
    counts, isum, com, boxes = peer(labels, intensity)
    lab = table[:, 0].astype(int)
    ok = True
    ok &= np.array_equal(table[:, 1].astype(np.int64), counts[lab])
    com = np.array(com)[lab - 1]
    ok &= np.allclose(table[:, 2:5], com, rtol=1e-9, atol=1e-9)
    for row, l in zip(table, lab):
        b = boxes[l - 1]
        if [b[0].start, b[1].start, b[2].start, b[0].stop, b[1].stop, b[2].stop] != list(row[5:11].astype(int)):
            ok = False
            break
    ok &= np.allclose(table[:, 11], isum[lab] / counts[lab], rtol=1e-9)
    if not ok:
        print("correctness gate FAILED", file=sys.stderr)
        return 1

    times, cpu = [], []
    peer(labels, intensity)  # warm-up
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        peer(labels, intensity)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    peer_median = statistics.median(times)
    result = {
        "size": n,
        "labels": ours["labels"],
        "threads": args.threads,
        "ours_median_s": ours["measure_median_s"],
        "ours_min_s": ours["measure_min_s"],
        "peer_median_s": round(peer_median, 3),
        "peer_min_s": round(min(times), 3),
        "speedup_median": round(peer_median / ours["measure_median_s"], 1),
        "ours_cpu_s": ours["measure_cpu_s"],
        "peer_cpu_s": round(statistics.median(cpu), 3),
        "cpu_ratio": round(statistics.median(cpu) / ours["measure_cpu_s"], 1),
        "load_average": os.getloadavg()[0],
        "ours_peak_rss_B_per_voxel": round(ours_rss / n ** 3, 2),
        "peer_peak_rss_B_per_voxel": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / n ** 3, 2),
        "peer_rss_inputs_only_B_per_voxel": round(rss_before_peer / n ** 3, 2),
        "network_median_s": ours["network_median_s"],
        "throats": ours["throats"],
        "gate": "voxels, bbox identical; centroid, mean intensity within 1e-9",
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
