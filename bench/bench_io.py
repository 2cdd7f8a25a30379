#!/usr/bin/python3
"""Load a 1 GiB float32 volume as TIFF and as MRC: Porescope vs tifffile and
mrcfile, side by side, median of 5 after a warm-up, page cache warm.

    /usr/bin/python3 bench/bench_io.py build/bench/bench-io [SIZE_Z]

Correctness gate: both sides must see the same voxel values (a strided sum)
before any time is recorded."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import mrcfile
import numpy as np
import tifffile

bench = sys.argv[1]
nz = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
shape = (nz, 512, 512)             # 1 GiB of float32 at nz = 1024
tmp = tempfile.mkdtemp(prefix="porescope-bench-io-")
rng = np.random.default_rng(0)
a = rng.standard_normal(shape, dtype=np.float32)
tif = os.path.join(tmp, "v.tif")
mrc = os.path.join(tmp, "v.mrc")
tifffile.imwrite(tif, a, imagej=True, metadata={"axes": "ZYX"})
with mrcfile.new(mrc, overwrite=True) as m:
    m.set_data(a)
ref = float(a.reshape(-1)[::4096].astype(np.float64).sum())
del a


def ours(path):
    out = subprocess.run([bench, path, "6"], capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [l.split() for l in out if l.strip()]
    assert all(abs(float(r[1]) - ref) <= 1e-6 * abs(ref) + 1e-3 for r in rows), "Porescope read other values"
    return [float(r[0]) for r in rows[1:]]      # first run is the warm-up


def peer(load):
    times = []
    for i in range(6):
        t0 = time.perf_counter()
        b = load()
        t1 = time.perf_counter()
        s = float(np.asarray(b).reshape(-1)[::4096].astype(np.float64).sum())
        assert abs(s - ref) <= 1e-6 * abs(ref) + 1e-3, "peer read other values"
        del b
        if i:
            times.append(t1 - t0)
    return times


def load_mrc():
    with mrcfile.open(mrc) as m:
        return m.data.copy()


rows = [
    ("TIFF", "tifffile.imread", ours(tif), peer(lambda: tifffile.imread(tif))),
    ("MRC", "mrcfile.open + copy", ours(mrc), peer(load_mrc)),
]
size = os.path.getsize(tif) / 2**30
print(f"volume {shape[2]}×{shape[1]}×{shape[0]} float32, {size:.2f} GiB, page cache warm, median of 5")
print(f"{'format':6} {'Porescope s':>12} {'GB/s':>6} {'peer':>22} {'peer s':>8} {'ratio':>6}")
for fmt, name, o, p in rows:
    mo, mp = statistics.median(o), statistics.median(p)
    print(f"{fmt:6} {mo:12.3f} {size * 1.0737 / mo:6.2f} {name:>22} {mp:8.3f} {mp / mo:6.2f}×")
for f in (tif, mrc):
    os.unlink(f)
os.rmdir(tmp)
