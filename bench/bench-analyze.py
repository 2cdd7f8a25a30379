#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole `porescope-cli analyze` end to end (reading the TIFF, every
stage of ps_analysis_run, writing all ten files), on a realistic synthetic
volume: log-normal pores (some touching) in carbon, blurred and noisy like a
reconstruction.

    /usr/bin/python3 bench/bench-analyze.py [--size 256] [--threads 2] [--repeat 5]
                                             [--build build] [--big 512]

Cases: the whole SIZE³ volume; a SIZE³ subvolume of a BIG³ volume (which
adds smoothing/thresholding/labelling of the full volume for open pores);
both with the defaults and with --thickness (local thickness, opt-in). Goal (issue 4): under 2 s for 256³.
Correctness gate before timing: porosity within 0.01 of the painted truth.
Reports median and min of --repeat runs after one warm-up.
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
import tifffile
from scipy import ndimage as ndi


def make_volume(n, seed=1, voxel=0.5):
    rng = np.random.default_rng(seed)
    truth = np.zeros((n, n, n), bool)
    target = 0.35 * n ** 3
    zz, yy, xx = np.ogrid[:n, :n, :n]
    painted = 0   # = truth.sum(), kept up to date (summing n³ per pore took ~40 min at 512³)
    while painted < target:
        r = float(np.clip(rng.lognormal(np.log(2.5 / voxel), 0.35), 1.5, 20))  # radius, voxels
        c = rng.uniform(0, n, 3)
        lo = np.maximum((c - r - 1).astype(int), 0)
        hi = np.minimum((c + r + 2).astype(int), n)
        sl = tuple(slice(lo[a], hi[a]) for a in (2, 1, 0))
        d2 = ((xx[:, :, lo[0]:hi[0]] - c[0] + 0.5) ** 2 + (yy[:, lo[1]:hi[1], :] - c[1] + 0.5) ** 2
              + (zz[lo[2]:hi[2], :, :] - c[2] + 0.5) ** 2)
        box = truth[sl]
        before = int(np.count_nonzero(box))
        box |= d2 <= r * r
        painted += int(np.count_nonzero(box)) - before
    vol = np.where(truth, 60.0, 190.0).astype(np.float32)
    vol = ndi.gaussian_filter(vol, 0.8) + rng.normal(0, 12, vol.shape).astype(np.float32)
    return np.clip(vol, 0, 255).astype(np.uint8), truth


def write(path, vol, voxel=0.5):
    tifffile.imwrite(path, vol, imagej=True, resolution=(1 / voxel, 1 / voxel),
                     metadata={"spacing": voxel, "unit": "nm", "axes": "ZYX"})


CPU = {}   # label -> median CPU seconds (user + system, all threads) of the timed runs


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def time_cli(cli, args, repeat, label=None):
    subprocess.run([cli, *args], check=True, capture_output=True)  # warm-up
    times, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), children_cpu()
        subprocess.run([cli, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
        cpus.append(children_cpu() - c)
    if label:
        CPU[label] = round(statistics.median(cpus), 3)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--big", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    cli = os.path.join(args.build, "src", "cli", "porescope-cli")
    n = args.size
    out = {"size": n, "threads": args.threads, "repeat": args.repeat}
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ps-bench-analyze-") as tmp:
        vol, truth = make_volume(n)
        src = os.path.join(tmp, "vol.tif")
        write(src, vol)
        od = os.path.join(tmp, "out")
        base = ["analyze", src, "-o", od, "--threads", str(args.threads), "-q"]
        # gate
        subprocess.run([cli, *base], check=True)
        with open(os.path.join(od, "summary.json")) as f:
            s = json.load(f)
        out["porosity"] = s["porosity"]
        out["porosity_truth"] = float(truth.mean())
        out["pore_count"] = s["pore_count"]
        if abs(s["porosity"] - truth.mean()) > 0.01:
            print(json.dumps(out))
            print("correctness gate FAILED", file=sys.stderr)
            return 1
        out["whole_median_s"], out["whole_min_s"] = time_cli(cli, base, args.repeat, "whole")
        out["whole_thickness_median_s"], _ = time_cli(cli, base + ["--thickness"], args.repeat, "whole_thickness")
        if args.big > n:
            bigvol, _ = make_volume(args.big, seed=2)
            bsrc = os.path.join(tmp, "big.tif")
            write(bsrc, bigvol)
            sub = ["analyze", bsrc, "--subvolume-center", f"{n}x{n}x{n}vox", "-o", od,
                   "--threads", str(args.threads), "-q"]
            out["big"] = args.big
            out["sub_of_big_median_s"], out["sub_of_big_min_s"] = time_cli(cli, sub, args.repeat, "sub_of_big")
            out["sub_of_big_thickness_median_s"], _ = time_cli(cli, sub + ["--thickness"], args.repeat, "sub_of_big_thickness")
    out["cpu_median_s"] = CPU
    out["load_average"] = [load0, os.getloadavg()[0]]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
