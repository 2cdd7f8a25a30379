#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Segmentation kernels, Porescope vs scipy / scikit-image, side by side.

    /usr/bin/python3 bench/segment-bench.py BUILD_DIR [--size 512] [--thickness-size 256]
        [--kernels edt,edt-aniso,watershed,label,thickness] [--repeat 5] [--peer-repeat 5]
        [--threads 2] [--mask PORES.tif] [--h VOXELS] [--workdir DIR] [--json OUT.json]

Inputs: a pore mask. With --mask, a label or binary TIFF (e.g. the phantom's
`pores.tif` from `porescope-cli phantom`; nonzero = pore) is used as is (its
size overrides --size); otherwise a synthetic one: random overlapping balls
(radius 3–12 voxels, fixed seed) filling ~30 % of an N³ box, like closed pores
in hard carbon. Both sides read the same file (uint8, x fastest = a C-order
(z, y, x) array).

For every kernel: ours (BUILD_DIR/bench/ps-bench-segment, --threads, one
warm-up + --repeat timed runs, median) under /usr/bin/time -v; then the peer
in /usr/bin/python3 (single-threaded; one warm-up + --peer-repeat runs), which
first checks our output against its own (the correctness gate) and then
times itself. Memory: peak RSS minus the peak RSS of a run that only loads
the input (and, for us, touches the output buffers), per voxel.

Kernels and peers:
  edt        scipy.ndimage.distance_transform_edt, isotropic   gate: max rel. err ≤ 1e-5
  edt-aniso  the same with voxel size (2, 1, 1) nm (x, y, z)    gate: as edt
  watershed  EDT + h-maxima seeds + marker watershed, 26-conn.:
             scipy EDT + skimage.morphology.h_maxima + scipy.ndimage.label
             + skimage.segmentation.watershed(−d, markers, mask)
             gate: same regions (up to pores skimage leaves seedless) and
             ≥ 99.9 % of the voxels skimage labels agree (best-overlap matching)
  label      scipy.ndimage.label, 26-connectivity              gate: identical labels
  thickness  local thickness at --thickness-size (a centred crop):
             PoreSpy's porosimetry(mode='dt', 25 radii) recipe rebuilt on
             scipy's EDT (PoreSpy is not packaged in Debian)
             gate: ours equals a brute-force ball-painting reference on a 64³
             crop (max |Δ| reported; must be float32 rounding, ≤ 1e-5 relative);
             the recipe's own error on that crop is reported alongside.

Prints a Markdown table and optionally writes JSON.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

PY = "/usr/bin/python3"
TIME = "/usr/bin/time"


def synthetic_mask(n, seed=1, porosity=0.30):
    rng = np.random.default_rng(seed)
    m = np.zeros((n, n, n), np.uint8)
    vol = 0.0
    target = porosity * n ** 3
    zz = np.arange(n)
    # Overlap makes the real porosity lower than the summed ball volumes.
    while vol < 1.25 * target:
        r = rng.uniform(3.0, 12.0)
        c = rng.uniform(0, n, 3)
        lo = np.maximum(np.floor(c - r).astype(int), 0)
        hi = np.minimum(np.ceil(c + r).astype(int) + 1, n)
        z, y, x = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        ball = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 < r * r
        m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] |= ball.astype(np.uint8)
        vol += 4.0 / 3.0 * np.pi * r ** 3
    del zz
    return m


def load_mask(path):
    import tifffile
    a = tifffile.imread(path)
    if a.ndim != 3:
        sys.exit(f"{path}: expected a 3D stack")
    return (a != 0).astype(np.uint8)


def parse_time_v(stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) * 1024 if m else None


def run_ours(exe, kernel, path, shape, args, threads, repeat, out_path, extra=()):
    nz, ny, nx = shape
    base = [exe, kernel, path, str(nx), str(ny), str(nz), "--threads", str(threads)] + list(extra)
    bl = subprocess.run([TIME, "-v"] + base + ["--baseline", "1"], capture_output=True, text=True)
    if bl.returncode != 0:
        sys.exit(f"ours ({kernel}) baseline failed:\n{bl.stderr}")
    r = subprocess.run([TIME, "-v"] + base + ["--repeat", str(repeat), "--out", out_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"ours ({kernel}) failed:\n{r.stdout}\n{r.stderr}")
    summary = [l for l in r.stdout.splitlines() if l.startswith("median")][-1].split()
    res = {"median_s": float(summary[1]), "min_s": float(summary[3])}
    for i in range(4, len(summary) - 1, 2):
        try:
            res[summary[i]] = float(summary[i + 1])
        except ValueError:
            pass
    res["rss"] = parse_time_v(r.stderr)
    res["rss_baseline"] = parse_time_v(bl.stderr)
    return res


PEER = textwrap.dedent(r'''
import sys, json, time, resource
import numpy as np
from scipy import ndimage as ndi

kernel, path, shape, ours_path, repeat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
h = float(sys.argv[6]); sx, sy, sz = map(float, sys.argv[7].split(","))
baseline_only = sys.argv[8] == "1"
shape = tuple(int(v) for v in shape.split(","))
m = np.fromfile(path, np.uint8).reshape(shape).astype(bool)
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if baseline_only:
    if kernel in ("watershed", "thickness"):
        from skimage.morphology import h_maxima
        from skimage.segmentation import watershed
    print(json.dumps({"rss": peak()})); sys.exit(0)

def edt():
    return ndi.distance_transform_edt(m, sampling=(sz, sy, sx))

def ws():
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed
    d = ndi.distance_transform_edt(m, sampling=(sz, sy, sx))
    st = np.ones((3, 3, 3), bool)
    hm = h_maxima(d, h, footprint=st)
    markers, _ = ndi.label(hm, structure=st)
    return watershed(-d, markers, mask=m, connectivity=3)

def lab():
    return ndi.label(m, structure=np.ones((3, 3, 3), bool))[0]

def lt():
    # PoreSpy porosimetry(mode='dt', sizes=25, access_limited=False), the
    # default recipe of porespy.filters.local_thickness, on scipy's EDT.
    dt = ndi.distance_transform_edt(m)
    sizes = np.logspace(np.log10(dt.max()), 0, 25)
    res = np.zeros(m.shape)
    for r in sizes:
        t = dt >= r
        if np.any(t):
            t = ndi.distance_transform_edt(~t) < r
            res[(res == 0) & t] = r
    return 2.0 * res   # diameter, voxels

f = {"edt": edt, "edt-aniso": edt, "watershed": ws, "label": lab, "thickness": lt}[kernel]
gate = {}
t0, c0 = time.perf_counter(), time.process_time()
ref = f()
warm, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
if kernel in ("edt", "edt-aniso"):
    ours = np.fromfile(ours_path, np.float32).reshape(shape)
    rel = np.abs(ours - ref) / np.maximum(ref, 1e-30)
    rel[ref == 0] = np.abs(ours[ref == 0])
    gate = {"max_rel_err": float(rel.max()), "pass": bool(rel.max() <= 1e-5)}
elif kernel == "label":
    ours = np.fromfile(ours_path, np.uint32).reshape(shape)
    diff = int(np.count_nonzero(ours != ref))
    gate = {"regions": int(ref.max()), "ours_regions": int(ours.max()), "voxels_differ": diff,
            "pass": diff == 0}
elif kernel == "watershed":
    ours = np.fromfile(ours_path, np.uint32).reshape(shape)
    region = m
    comp, ncomp = ndi.label(m, structure=np.ones((3, 3, 3), bool))
    # Components skimage left without a marker (all its maxima ≤ h): we seed
    # them (ps-seeds.h); count them so region counts compare like for like.
    labelled = np.zeros(ncomp + 1, bool)
    labelled[np.unique(comp[ref > 0])] = True
    seedless = int(ncomp - labelled[1:].sum())
    sel = ref > 0
    a, b = ref[sel].astype(np.int64), ours[sel].astype(np.int64)
    # best-overlap matching of skimage's labels to ours
    pairs = a * (int(b.max()) + 1) + b
    u, cnt = np.unique(pairs, return_counts=True)
    la = u // (int(b.max()) + 1)
    order = np.lexsort((-cnt, la))
    first = np.ones(order.size, bool); first[1:] = la[order][1:] != la[order][:-1]
    agree = float(cnt[order][first].sum() / sel.sum())
    exact = float(np.mean(a == b))
    n_ref = int(len(np.unique(a))); n_ours = int(ours.max())
    gate = {"regions_skimage": n_ref, "seedless_in_skimage": seedless, "regions_ours": n_ours,
            "agreement": agree, "identical_labels": exact,
            "pass": bool(agree >= 0.999 and n_ours == n_ref + seedless)}
elif kernel == "thickness":
    ours = np.fromfile(ours_path, np.float32).reshape(shape)
    gate = {"note": "see thickness_crop_gate"}
ts, cs = [], []
for i in range(repeat):
    t0, c0 = time.perf_counter(), time.process_time()
    f()
    ts.append(time.perf_counter() - t0); cs.append(time.process_time() - c0)
ts.sort(); cs.sort()
# --peer-repeat 0: the gate run (first call, imports included) is the only timing.
print(json.dumps({"median_s": ts[len(ts) // 2] if ts else warm, "min_s": ts[0] if ts else warm,
                  "cpu_s": cs[len(cs) // 2] if cs else warm_cpu, "timed_runs": len(ts),
                  "warmup_s": warm, "gate": gate, "rss": peak()}))
''')

# Brute-force ball painting (the definition in ps-thickness.h) on a small
# crop, plus the 25-radius recipe's error on the same crop.
THICK_GATE = textwrap.dedent(r'''
import sys, json
import numpy as np
from scipy import ndimage as ndi
path, n, ours_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
m = np.fromfile(path, np.uint8).reshape(n, n, n).astype(bool)
ours = np.fromfile(ours_path, np.float32).reshape(n, n, n)
d2 = ndi.distance_transform_edt(m) ** 2
d2 = np.rint(d2).astype(np.int64)   # isotropic grid: squared distances are integers
ref = np.zeros(m.shape)
zs, ys, xs = np.nonzero(m)
order = np.argsort(-d2[zs, ys, xs], kind="stable")
Z, Y, X = np.indices(m.shape, sparse=True)
for k in order:
    z, y, x = zs[k], ys[k], xs[k]
    a = d2[z, y, x]
    r = int(np.ceil(np.sqrt(a)))
    z0, z1 = max(z - r, 0), min(z + r + 1, n)
    y0, y1 = max(y - r, 0), min(y + r + 1, n)
    x0, x1 = max(x - r, 0), min(x + r + 1, n)
    sub = ref[z0:z1, y0:y1, x0:x1]
    ball = ((Z[z0:z1] - z) ** 2 + (Y[:, y0:y1] - y) ** 2 + (X[:, :, x0:x1] - x) ** 2) < a
    val = 2.0 * np.sqrt(a)
    upd = ball & (sub < val)
    sub[upd] = val
ref[~m] = 0
dif = np.abs(ours - ref)[m]
# the recipe
dt = np.sqrt(d2)
res = np.zeros(m.shape)
for rr in np.logspace(np.log10(dt.max()), 0, 25):
    t = dt >= rr
    if np.any(t):
        t = ndi.distance_transform_edt(~t) < rr
        res[(res == 0) & t] = rr
rec = np.abs(2 * res - ref)[m]
print(json.dumps({"crop": n, "ours_max_abs_diff_vox": float(dif.max()),
                  "ours_mean_abs_diff_vox": float(dif.mean()),
                  "recipe_max_abs_diff_vox": float(rec.max()),
                  "recipe_mean_abs_diff_vox": float(rec.mean()),
                  "recipe_mean_vs_ref": float((2 * res)[m].mean() / ref[m].mean() - 1.0),
                  # ours is float32: equal up to its rounding
                  "pass": bool(dif.max() <= 1e-5 * ref.max())}))
''')


def run_peer(kernel, path, shape, ours_path, repeat, h, spacing):
    args = [PY, "-c", PEER, kernel, path, ",".join(map(str, shape)), ours_path, str(repeat),
            repr(h), ",".join(map(str, spacing))]
    bl = subprocess.run([TIME, "-v"] + args + ["1"], capture_output=True, text=True)
    r = subprocess.run([TIME, "-v"] + args + ["0"], capture_output=True, text=True)
    if r.returncode != 0 or bl.returncode != 0:
        sys.exit(f"peer ({kernel}) failed:\n{r.stderr}\n{bl.stderr}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["rss"] = parse_time_v(r.stderr)
    res["rss_baseline"] = parse_time_v(bl.stderr)
    return res


def runs_text(k):
    return "gate run only" if k == 0 else "1 run" if k == 1 else f"median of {k}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build_dir")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--thickness-size", type=int, default=256)
    ap.add_argument("--kernels", default="edt,edt-aniso,watershed,label,thickness")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mask")
    ap.add_argument("--h", type=float, default=None,
                    help="marker extent in voxels (default: Porescope's default h)")
    ap.add_argument("--omp-wait-policy", choices=["active", "passive"],
                    help="OMP_WAIT_POLICY for our runs (default: libgomp's own)")
    ap.add_argument("--workdir")
    ap.add_argument("--json")
    a = ap.parse_args()

    exe = os.path.join(a.build_dir, "bench", "ps-bench-segment")
    if a.omp_wait_policy:
        os.environ["OMP_WAIT_POLICY"] = a.omp_wait_policy   # ours only: the peers are single-threaded
    work = a.workdir or tempfile.mkdtemp(prefix="ps-segbench-")
    os.makedirs(work, exist_ok=True)
    if a.mask:
        mask = load_mask(a.mask)
        source = a.mask
    else:
        mask = synthetic_mask(a.size)
        source = f"synthetic balls, {a.size}³"
    shape = mask.shape
    mpath = os.path.join(work, "mask.u8")
    mask.tofile(mpath)
    print(f"input: {source}, shape (z,y,x) {shape}, porosity {mask.mean():.4f}", flush=True)

    results = {}
    kernels = a.kernels.split(",")
    for k in kernels:
        kshape, kpath = shape, mpath
        spacing = (1.0, 1.0, 1.0)
        extra = []
        if k == "edt-aniso":
            spacing = (2.0, 1.0, 1.0)
            extra = ["--spacing", "2,1,1"]
        if k == "thickness":
            t = min(a.thickness_size, *shape)
            z0, y0, x0 = ((s - t) // 2 for s in shape)
            sub = np.ascontiguousarray(mask[z0:z0 + t, y0:y0 + t, x0:x0 + t])
            kshape, kpath = sub.shape, os.path.join(work, "mask-thick.u8")
            sub.tofile(kpath)
        h_vox = a.h if a.h is not None else None
        if k == "watershed" and h_vox is not None:
            extra += ["--h", repr(h_vox)]
        kernel = {"edt-aniso": "edt"}.get(k, k)
        opath = os.path.join(work, f"ours-{k}.bin")
        load0 = os.getloadavg()[0]
        print(f"[{k}] ours ... (load average {load0:.2f})", flush=True)
        ours = run_ours(exe, kernel, kpath, kshape, extra, a.threads, a.repeat, opath, extra)
        if k == "watershed" and h_vox is None:
            h_vox = ours["h"]   # Porescope's default marker extent (1 nm grid)
        print(f"[{k}] peer ...", flush=True)
        peer = run_peer(k, kpath, kshape, opath, a.peer_repeat, h_vox if h_vox is not None else 1.0,
                        spacing)
        nvox = int(np.prod(kshape))
        entry = {"shape": kshape, "ours": ours, "peer": peer,
                 "load_average": [load0, os.getloadavg()[0]],
                 "ratio": peer["median_s"] / ours["median_s"],
                 "cpu_ratio": peer["cpu_s"] / ours["cpu"] if ours.get("cpu") else None,
                 "ours_extra_B_per_voxel": (ours["rss"] - ours["rss_baseline"]) / nvox,
                 "ours_total_B_per_voxel": ours["rss"] / nvox,
                 "peer_extra_B_per_voxel": (peer["rss"] - peer["rss_baseline"]) / nvox}
        if k == "thickness":
            c = 64
            z0, y0, x0 = ((s - c) // 2 for s in kshape)
            sub = np.fromfile(kpath, np.uint8).reshape(kshape)[z0:z0 + c, y0:y0 + c, x0:x0 + c]
            cpath = os.path.join(work, "mask-crop.u8")
            np.ascontiguousarray(sub).tofile(cpath)
            cout = os.path.join(work, "ours-crop.bin")
            subprocess.run([exe, "thickness", cpath, str(c), str(c), str(c), "--repeat", "1",
                            "--out", cout], check=True, capture_output=True)
            g = subprocess.run([PY, "-c", THICK_GATE, cpath, str(c), cout], capture_output=True,
                               text=True, check=True)
            entry["peer"]["gate"] = json.loads(g.stdout)
        results[k] = entry
        print(json.dumps(entry, indent=1), flush=True)

    print()
    print(f"| kernel | size | ours ({a.threads} thr) median | ours CPU | peer median | peer CPU | ratio "
          f"| CPU-time ratio | ours extra B/vox | peer extra B/vox | load | gate |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k, e in results.items():
        g = e["peer"]["gate"]
        gate = ", ".join(f"{kk} {vv:.6g}" if isinstance(vv, float) else f"{kk} {vv}"
                         for kk, vv in g.items())
        cr = e["cpu_ratio"]
        print(f"| {k} | {'×'.join(map(str, e['shape']))} | {e['ours']['median_s']:.3f} s "
              f"| {e['ours'].get('cpu', float('nan')):.3f} s "
              f"| {e['peer']['median_s']:.2f} s ({runs_text(e['peer']['timed_runs'])}) "
              f"| {e['peer']['cpu_s']:.2f} s "
              f"| {e['ratio']:.1f}× | {cr:.1f}× "
              f"| {e['ours_extra_B_per_voxel']:.2f} | {e['peer_extra_B_per_voxel']:.1f} "
              f"| {e['load_average'][0]:.1f}–{e['load_average'][1]:.1f} | {gate} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
