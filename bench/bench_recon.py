#!/usr/bin/python3
"""Reconstruction benchmark: Porescope (porescope-cli, 2 threads) against
scikit-image (Debian's python3-skimage, single-threaded) on the same phantom
tilt series, side by side in one run.

  /usr/bin/python3 bench/bench_recon.py --cli build/src/cli/porescope-cli [--size 512]

1. The phantom (porescope-cli phantom, 512³, 0.5 nm voxels) and its
   noise-free tilt series (porescope-cli project) for 61 (−60:60:2) and 76
   (−75:75:2) tilts; SIRT also runs on the noisy 61-tilt series.
2. WBP, ramp filter, thickness 512, for 61 and 76 tilts. Correctness gate
   first, on 8 slices inside the reconstruction circle: Pearson r ≥ 0.999
   and RMSE ≤ 1 % of the range against a float64 reference that is
   scikit-image's iradon algorithm (same Kak–Slaney ramp, same zero padding,
   linear interpolation) with SPEC.md's centre (n−1)/2 and the same angular
   weights (iradon itself centres even sizes at n/2, half a pixel away, and
   weights every view by π/n as if the views covered 180°; its r is reported
   for information). Then a warm-up and 5 timed runs each; the median is
   reported. iradon takes ~0.2 s per 512² slice, ~90 s for all 512: it is
   timed on --peer-slices slices (median of 5 runs) and extrapolated to all
   slices — the table says so.
3. One SIRT iteration (512³, 61 tilts) against one iradon_sart sweep (timed
   on a few slices, extrapolated). Gate: the reprojection error falls with
   every added iteration (1, 2, 4, 8).
4. Peak memory (GNU time -v) per voxel of output, and the 8 GiB check: a
   1024 × 1024 × 512 volume from 76 images of 1024² (the 76-tilt series
   upsampled 2×), WBP and one SIRT iteration.
Results go to OUT/results.json and a Markdown table on stdout.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import tifffile
from skimage.transform import iradon, iradon_sart

P = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
P.add_argument("--cli", default="build/src/cli/porescope-cli")
P.add_argument("--size", type=int, default=512)
P.add_argument("--out", default="bench/out/recon")
P.add_argument("--runs", type=int, default=5)
P.add_argument("--peer-slices", type=int, default=24)
P.add_argument("--sart-slices", type=int, default=3)
P.add_argument("--threads", type=int, default=2)
P.add_argument("--skip-big", action="store_true", help="skip the 1024² × 76 memory check")
A = P.parse_args()
os.makedirs(A.out, exist_ok=True)
N = A.size
CEILING = 14.5e9     # voxel·angle updates/s, cosine-stretched back-projection, 2 threads (anchors §0)


def out(name):
    return os.path.join(A.out, name)


def run(*args, timed=False):
    cmd = [A.cli, *map(str, args)]
    if timed:
        cmd = ["/usr/bin/time", "-v", *cmd]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    m = re.search(r"volume in ([0-9.]+) s", r.stderr)
    c = re.search(r"CPU time ([0-9.]+) s", r.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): ([0-9]+)", r.stderr)
    return {"wall": wall, "kernel": float(m.group(1)) if m else None, "cpu": float(c.group(1)) if c else None,
            "rss": int(rss.group(1)) * 1024 if rss else None, "stdout": r.stdout, "stderr": r.stderr}


def median_runs(args):
    run(*args)                                   # warm-up
    rs = [run(*args) for _ in range(A.runs)]
    return (statistics.median(r["kernel"] for r in rs), statistics.median(r["wall"] for r in rs),
            [round(r["kernel"], 3) for r in rs], statistics.median(r["cpu"] for r in rs))


def load_avg():
    return os.getloadavg()[0]


results = {"size": N, "threads": A.threads, "runs": A.runs, "load_average_start": load_avg(),
           "machine": subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | sed 's/.*: *//'"],
                                     capture_output=True, text=True).stdout.strip()}

# ---- data --------------------------------------------------------------------
ph = out(f"ph{N}")
if not os.path.exists(os.path.join(ph, "truth.json")):
    t0 = time.perf_counter()
    r = run("phantom", ph, "--size", N, "--tilt", "-60:60:2", timed=True)
    results["phantom_s"] = time.perf_counter() - t0
    results["phantom_rss"] = r["rss"]
series = {}
for na, spec in ((61, "-60:60:2"), (76, "-75:75:2")):
    p = out(f"tilt{N}-{na}.tif")
    if not os.path.exists(p):
        run("project", os.path.join(ph, "volume.tif"), "--angles", spec, "-o", p)
    series[na] = (p, spec)
noisy61 = (os.path.join(ph, "tilt.tif"), "-60:60:2")


def fbp_ref(sino, theta_deg):
    """scikit-image's iradon in float64 (Kak–Slaney ramp, zero padding to
    max(64, 2^ceil(log2 2n)), linear interpolation, zero outside the
    detector) with SPEC.md's centre (n − 1)/2 and angular weights Δθ."""
    n = sino.shape[0]
    NF = max(64, int(2 ** np.ceil(np.log2(2 * n))))
    m = np.concatenate((np.arange(1, NF / 2 + 1, 2, dtype=int), np.arange(NF / 2 - 1, 0, -2, dtype=int)))
    f = np.zeros(NF)
    f[0] = 0.25
    f[1::2] = -1 / (np.pi * m) ** 2
    H = np.real(np.fft.fft(f))
    padded = np.zeros((NF, sino.shape[1]))
    padded[:n] = sino
    filt = np.real(np.fft.ifft(np.fft.fft(padded, axis=0) * H[:, None], axis=0))[:n]
    c = (n - 1) / 2
    z, x = np.mgrid[:n, :n] - c
    det = np.arange(n) - c
    th = np.radians(theta_deg)
    w = np.empty(len(th))
    w[1:-1] = (th[2:] - th[:-2]) / 2
    w[0], w[-1] = th[1] - th[0], th[-1] - th[-2]
    rec = np.zeros((n, n))
    for col, t_, wi in zip(filt.T, th, w):
        rec += wi * np.interp(x * np.cos(t_) + z * np.sin(t_), det, col, left=0, right=0)
    return rec


def angles(spec):
    a, b, s = map(float, spec.split(":"))
    return np.arange(a, b + s / 2, s)


# ---- WBP -----------------------------------------------------------------------
results["wbp"] = {}
for na, (path, spec) in series.items():
    th = angles(spec)
    assert len(th) == na
    tilt = tifffile.imread(path).astype(np.float64)                     # (angle, y, x)
    rec_path = out(f"wbp{na}.mrc")
    run("reconstruct", path, "--angles", spec, "-m", "wbp", "--threads", A.threads, "-o", rec_path)
    import mrcfile
    with mrcfile.open(rec_path, permissive=True) as m:
        ours = np.asarray(m.data)                                       # (z, y, x)
    zz, xx = np.mgrid[:N, :N] - (N - 1) / 2
    inside = zz ** 2 + xx ** 2 < (N // 2 - 2) ** 2
    gate = []
    for y in np.linspace(N * 0.2, N * 0.8, 8).astype(int):
        sino = tilt[:, y, :].T
        ref = fbp_ref(sino, th)
        o = ours[:, y, :]
        rr = np.corrcoef(o[inside], ref[inside])[0, 1]
        rmse = np.sqrt(np.mean((o[inside] - ref[inside]) ** 2)) / (ref[inside].max() - ref[inside].min())
        sk = iradon(sino, theta=-th, filter_name="ramp", interpolation="linear", circle=True)
        r_sk = np.corrcoef(o[inside], sk[inside])[0, 1]
        gate.append((int(y), rr, rmse, r_sk))
    ok = all(g[1] >= 0.999 and g[2] <= 0.01 for g in gate)
    kernel, wall, all_runs, cpu = median_runs(["reconstruct", path, "--angles", spec, "-m", "wbp", "--threads",
                                               A.threads, "-o", out("wbp-timed.mrc")])
    mem = run("reconstruct", path, "--angles", spec, "-m", "wbp", "--threads", A.threads, "-o",
              out("wbp-timed.mrc"), timed=True)["rss"]
    # Peer: iradon slice by slice on a subset; median of runs; extrapolated.
    ys = np.linspace(0, N - 1, A.peer_slices).astype(int)
    sinos = [np.ascontiguousarray(tilt[:, y, :].T) for y in ys]
    iradon(sinos[0], theta=-th, filter_name="ramp", circle=True)       # warm-up
    per_slice, per_slice_cpu = [], []
    for _ in range(A.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for s in sinos:
            iradon(s, theta=-th, filter_name="ramp", circle=True)
        per_slice.append((time.perf_counter() - t0) / len(sinos))
        per_slice_cpu.append((time.process_time() - c0) / len(sinos))
    peer = statistics.median(per_slice) * N
    peer_cpu = statistics.median(per_slice_cpu) * N
    updates = float(N) * N * N * na
    results["wbp"][na] = {
        "gate": [{"slice": g[0], "pearson_r": g[1], "rmse_of_range": g[2], "pearson_r_iradon_as_is": g[3]}
                 for g in gate], "gate_ok": ok,
        "ours_kernel_s": kernel, "ours_wall_s": wall, "ours_runs": all_runs, "peer_s_extrapolated": peer,
        "ours_cpu_s": cpu, "peer_cpu_s_extrapolated": peer_cpu, "ratio_cpu_2threads": peer_cpu / (cpu / A.threads),
        "peer_slices_timed": A.peer_slices, "ratio_kernel": peer / kernel, "ratio_wall": peer / wall,
        "updates_per_s": updates / kernel, "fraction_of_ceiling": updates / kernel / CEILING,
        "peak_rss_bytes": mem, "rss_bytes_per_voxel": mem / (N ** 3)}
    print(f"# WBP {na} tilts: gate {'ok' if ok else 'FAILED'} (min r {min(g[1] for g in gate):.5f}, "
          f"max RMSE {max(g[2] for g in gate):.4f}); ours {kernel:.3f} s kernel / {wall:.3f} s wall; "
          f"iradon {peer:.1f} s (extrapolated); ×{peer / kernel:.0f}; CPU time ours {cpu:.2f} s, iradon "
          f"{peer_cpu:.1f} s: ×{peer_cpu / (cpu / A.threads):.0f} for 2 idle cores", flush=True)

# ---- SIRT ----------------------------------------------------------------------
path, spec = noisy61
th = angles(spec)
errs = []
for it in (1, 2, 4, 8):
    r = run("reconstruct", path, "--angles", spec, "-m", "sirt", "-i", it, "--threads", A.threads,
            "--reprojection-error", "-o", out("sirt-gate.mrc"))
    errs.append(float(re.search(r"reprojection_error ([0-9.]+)", r["stdout"]).group(1)))
gate_ok = all(b < a for a, b in zip(errs, errs[1:]))
kernel, wall, all_runs, cpu = median_runs(["reconstruct", path, "--angles", spec, "-m", "sirt", "-i", 1, "--threads",
                                           A.threads, "-o", out("sirt-timed.mrc")])
mem = run("reconstruct", path, "--angles", spec, "-m", "sirt", "-i", 1, "--threads", A.threads,
          "-o", out("sirt-timed.mrc"), timed=True)["rss"]
tilt = tifffile.imread(path).astype(np.float64)
ys = np.linspace(N * 0.3, N * 0.7, A.sart_slices).astype(int)
sinos = [np.ascontiguousarray(tilt[:, y, :].T) for y in ys]
iradon_sart(sinos[0][:, ::8], theta=-th[::8])                           # warm-up (imports, caches)
per_slice, per_slice_cpu = [], []
for _ in range(max(1, A.runs // 2)):
    t0, c0 = time.perf_counter(), time.process_time()
    for s in sinos:
        iradon_sart(s, theta=-th)
    per_slice.append((time.perf_counter() - t0) / len(sinos))
    per_slice_cpu.append((time.process_time() - c0) / len(sinos))
peer = statistics.median(per_slice) * N
peer_cpu = statistics.median(per_slice_cpu) * N
results["sirt"] = {"gate_reprojection_errors_1_2_4_8": errs, "gate_ok": gate_ok, "ours_kernel_s": kernel,
                   "ours_wall_s": wall, "ours_runs": all_runs, "peer_s_extrapolated": peer,
                   "ours_cpu_s": cpu, "peer_cpu_s_extrapolated": peer_cpu,
                   "ratio_cpu_2threads": peer_cpu / (cpu / A.threads),
                   "peer_slices_timed": A.sart_slices, "ratio_kernel": peer / kernel,
                   "updates_per_s": 2.0 * N ** 3 * len(th) / kernel, "peak_rss_bytes": mem,
                   "rss_bytes_per_voxel": mem / N ** 3}
print(f"# SIRT iteration: gate {'ok' if gate_ok else 'FAILED'} {errs}; ours {kernel:.3f} s; "
      f"iradon_sart {peer:.0f} s (extrapolated); ×{peer / kernel:.0f}; CPU time ours {cpu:.2f} s, iradon_sart "
      f"{peer_cpu:.0f} s: ×{peer_cpu / (cpu / A.threads):.0f} for 2 idle cores", flush=True)

# ---- 8 GiB check -----------------------------------------------------------------
if not A.skip_big and N == 512:
    big = out("tilt1024-76.tif")
    if not os.path.exists(big):
        t = tifffile.imread(series[76][0])
        tifffile.imwrite(big, np.repeat(np.repeat(t, 2, axis=1), 2, axis=2).astype(np.float32))
    r1 = run("reconstruct", big, "--angles", "-75:75:2", "-m", "wbp", "--thickness", 512, "--threads", A.threads,
             "-o", out("big-wbp.mrc"), timed=True)
    r2 = run("reconstruct", big, "--angles", "-75:75:2", "-m", "sirt", "-i", 1, "--thickness", 512, "--threads",
             A.threads, "-o", out("big-sirt.mrc"), timed=True)
    for f in ("big-wbp.mrc", "big-sirt.mrc"):
        os.remove(out(f))
    results["big_1024x1024x512_76"] = {"wbp_peak_rss_bytes": r1["rss"], "wbp_kernel_s": r1["kernel"],
                                       "sirt1_peak_rss_bytes": r2["rss"], "sirt1_kernel_s": r2["kernel"],
                                       "limit_bytes": 8 << 30}
    print(f"# 1024×1024×512 from 76 × 1024²: WBP peak RSS {r1['rss'] / 2**30:.2f} GiB ({r1['kernel']:.1f} s), "
          f"SIRT peak {r2['rss'] / 2**30:.2f} GiB ({r2['kernel']:.1f} s per iteration)", flush=True)

results["load_average_end"] = load_avg()
with open(out("results.json"), "w") as f:
    json.dump(results, f, indent=2)

print("\n| run | ours, kernel (2 threads) | ours, CPU | peer | peer CPU | ratio (wall) | ratio (CPU, 2 cores) "
      "| G upd/s (CPU-based) | of 14.5 G | peak RSS/voxel |")
print("|---|---|---|---|---|---|---|---|---|---|")
for na, w in results["wbp"].items():
    ups = float(N) ** 3 * na / (w["ours_cpu_s"] / A.threads)
    print(f"| WBP {N}³, {na} tilts | {w['ours_kernel_s']:.3f} s | {w['ours_cpu_s']:.2f} s | "
          f"iradon {w['peer_s_extrapolated']:.1f} s* | {w['peer_cpu_s_extrapolated']:.1f} s* | ×{w['ratio_kernel']:.0f} | "
          f"×{w['ratio_cpu_2threads']:.0f} | {ups / 1e9:.1f} | {100 * ups / CEILING:.0f} % | "
          f"{w['rss_bytes_per_voxel']:.1f} B |")
s = results["sirt"]
print(f"| SIRT iteration {N}³, 61 tilts | {s['ours_kernel_s']:.3f} s | {s['ours_cpu_s']:.2f} s | "
      f"iradon_sart {s['peer_s_extrapolated']:.0f} s* | {s['peer_cpu_s_extrapolated']:.0f} s* | ×{s['ratio_kernel']:.0f} | "
      f"×{s['ratio_cpu_2threads']:.0f} | — | — | {s['rss_bytes_per_voxel']:.1f} B |")
print(f"\n* peer timed on {A.peer_slices} (iradon) / {A.sart_slices} (iradon_sart) slices, median of runs, "
      f"extrapolated to {N} slices. Load average {results['load_average_start']:.1f} → "
      f"{results['load_average_end']:.1f}.")
