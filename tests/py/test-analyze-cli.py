#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`porescope-cli crop` and `analyze` checked from outside with NumPy, SciPy
and tifffile: the files SPEC.md promises, their columns, label TIFFs that
tifffile reads (with the voxel size), voxel counts / centroids / bounding
boxes against np.bincount, ndi.center_of_mass and ndi.find_objects on the
written labels, porosity against a direct count, byte-identical output in a
comma-decimal locale, and exit codes and messages for bad input. Emits TAP."""
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tifffile
from scipy import ndimage as ndi

CLI = os.environ.get("PORESCOPE_CLI", "porescope-cli")
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=e)


def make_volume(path):
    # 48 x 44 x 40 (x, y, z), voxel 0.5 x 0.5 x 0.8 nm: dark pores in bright carbon.
    nz, ny, nx = 40, 44, 48
    z, y, x = np.mgrid[:nz, :ny, :nx].astype(float) + 0.5
    vol = np.full((nz, ny, nx), 200, np.uint8)
    rng = np.random.default_rng(7)
    vol = (vol - rng.integers(0, 20, vol.shape)).astype(np.uint8)
    for cx, cy, cz, r in [(12, 12, 10, 6), (30, 14, 12, 6), (38, 14, 12, 5), (20, 32, 26, 7), (40, 34, 30, 4)]:
        d2 = (x - cx) ** 2 + (y - cy) ** 2 + ((z - cz) * 0.8 / 0.5) ** 2
        vol[d2 <= r * r] = 40
    tifffile.imwrite(path, vol, imagej=True, resolution=(2.0, 2.0),
                     metadata={"spacing": 0.8, "unit": "nm", "axes": "ZYX"})
    return vol


def split_provenance(text):
    """The `# key: value` preamble as a dict, and the CSV after it."""
    prov, lines = {}, text.split("\r\n")
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        key, _, value = lines[i][2:].partition(": ")
        prov[key] = value
        i += 1
    return prov, "\r\n".join(lines[i:])


def read_csv(path):
    """The data part (header row + records), without the provenance preamble."""
    with open(path, newline="") as f:
        _, raw = split_provenance(f.read())
    rows = list(csv.reader(raw.splitlines()))
    return raw, rows[0], rows[1:]


def main():
    tmp = tempfile.mkdtemp(prefix="ps-test-analyze-")
    src = os.path.join(tmp, "vol.tif")
    vol = make_volume(src)

    # ---- crop ----
    out = os.path.join(tmp, "crop.tif")
    p = run("crop", src, "--subvolume", "2,3,4:10x8.6x12", "-o", out)
    check("crop exits 0", p.returncode == 0, p.stderr)
    # 10 nm / 0.5 = 20 voxels; 8.6 / 0.5 = 17.2 -> 17; 12 / 0.8 = 15; origin 4, 6, 5
    c = tifffile.imread(out)
    check("crop has the rounded size", c.shape == (15, 17, 20), str(c.shape))
    check("crop equals the slice", c.shape == (15, 17, 20) and np.array_equal(c, vol[5:20, 6:23, 4:24]))
    check("crop reports the exact nm extent",
          "origin 4,6,5 voxels = 2,3,4 nm; size 20x17x15 voxels = 10x8.5x12 nm" in p.stdout, p.stdout)
    p = run("crop", src, "--subvolume-center", "6x6x6vox", "-o", out)
    c = tifffile.imread(out)
    check("centred crop starts at floor((n - s)/2)",
          p.returncode == 0 and np.array_equal(c, vol[17:23, 19:25, 21:27]), p.stderr)

    # ---- analyze ----
    outdir = os.path.join(tmp, "out")
    p = run("analyze", src, "--smooth", "none", "--threshold", "120", "--h", "0.4", "-o", outdir, "--threads", "2")
    check("analyze exits 0", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return finish()
    names = ["pores.tif", "carbon.tif", "pores.csv", "carbon.csv", "network_nodes.csv", "network_throats.csv",
             "histogram_pores.csv", "histogram_carbon.csv", "porosity_vs_threshold.csv", "summary.json"]
    check("all output files", all(os.path.isfile(os.path.join(outdir, n)) for n in names), str(os.listdir(outdir)))
    check("nothing else in the folder", sorted(os.listdir(outdir)) == sorted(names), str(os.listdir(outdir)))

    with tifffile.TiffFile(os.path.join(outdir, "pores.tif")) as tf:
        lab = tf.asarray()
        ij = tf.imagej_metadata or {}
    check("pores.tif is uint32 and subvolume sized", lab.dtype == np.uint32 and lab.shape == vol.shape,
          f"{lab.dtype} {lab.shape}")
    check("pores.tif carries the z spacing", abs(float(ij.get("spacing", 0)) - 0.8) < 1e-6, str(ij))
    carbon = tifffile.imread(os.path.join(outdir, "carbon.tif"))
    pore = vol < 120
    check("labels cover exactly the phases", np.array_equal(lab > 0, pore) and np.array_equal(carbon > 0, ~pore))

    raw, header, rows = read_csv(os.path.join(outdir, "pores.csv"))
    check("pores.csv header", header == ["label", "voxels", "volume_nm3", "equivalent_diameter_nm",
                                         "inscribed_diameter_nm", "surface_area_nm2", "sphericity", "centroid_x_nm",
                                         "centroid_y_nm", "centroid_z_nm", "bbox_x0", "bbox_y0", "bbox_z0",
                                         "bbox_x1", "bbox_y1", "bbox_z1", "touches_border", "open",
                                         "mean_intensity"], str(header))
    check("RFC 4180 line ends", raw.count("\r\n") == len(rows) + 1)
    n = int(lab.max())
    counts = np.bincount(lab.ravel(), minlength=n + 1)
    com = ndi.center_of_mass(np.ones_like(lab), lab, np.arange(1, n + 1))
    boxes = ndi.find_objects(lab)
    means = ndi.mean(vol.astype(float), lab, np.arange(1, n + 1))
    sp = np.array([0.5, 0.5, 0.8])
    ok_counts = ok_com = ok_box = ok_mean = True
    for r in rows:
        l = int(r[0])
        ok_counts &= int(r[1]) == counts[l]
        czyx = np.array(com[l - 1])
        cxyz = (czyx[::-1] + 0.5) * sp
        ok_com &= np.allclose([float(r[7]), float(r[8]), float(r[9])], cxyz, rtol=1e-12, atol=1e-12)
        b = boxes[l - 1]
        ok_box &= [int(v) for v in r[10:16]] == [b[2].start, b[1].start, b[0].start, b[2].stop, b[1].stop, b[0].stop]
        ok_mean &= abs(float(r[18]) - means[l - 1]) < 1e-9 * max(1.0, means[l - 1])
    check("one row per label", len(rows) == n and all(counts[1:] > 0), f"{len(rows)} rows, {n} labels")
    check("voxels = np.bincount", ok_counts)
    check("centroids = ndi.center_of_mass", ok_com)
    check("bounding boxes = ndi.find_objects", ok_box)
    check("mean intensity = ndi.mean", ok_mean)
    check("volume = voxels x voxel volume",
          all(abs(float(r[2]) - int(r[1]) * 0.2) < 1e-9 * int(r[1]) for r in rows))

    with open(os.path.join(outdir, "summary.json")) as f:
        summary = json.load(f)
    check("porosity = direct count", summary["porosity"] == pore.mean(), f'{summary["porosity"]} vs {pore.mean()}')
    check("closed + open = porosity",
          abs(summary["closed_porosity"] + summary["open_porosity"] - summary["porosity"]) < 1e-12)
    check("pore_count = labels", summary["pore_count"] == n)
    eq = np.array([float(r[3]) for r in rows])
    check("eqdiam mean/median/sd", np.isclose(summary["pore_eqdiam_mean_nm"], eq.mean(), rtol=1e-12)
          and np.isclose(summary["pore_eqdiam_median_nm"], np.median(eq), rtol=1e-12)
          and np.isclose(summary["pore_eqdiam_sd_nm"], eq.std(), rtol=1e-12))
    check("summary parameters", summary["parameters"]["threshold_mode"] == "manual"
          and summary["parameters"]["h_nm"] == 0.4 and summary["voxel_size_nm"] == [0.5, 0.5, 0.8])

    # ---- provenance: every CSV starts with `# key: value` lines that pandas skips ----
    import pandas as pd
    sha = hashlib.sha256(open(src, "rb").read()).hexdigest()
    ok_prov = ok_pandas = True
    detail = ""
    for name in [n for n in names if n.endswith(".csv")]:
        path = os.path.join(outdir, name)
        with open(path, newline="") as f:
            prov, data = split_provenance(f.read())
        want = {"program": "Porescope", "input": os.path.realpath(src), "input_sha256": sha,
                "voxel_size_nm": "0.5 0.5 0.8", "subvolume_origin_voxels": "0 0 0",
                "subvolume_size_voxels": "48 44 40", "subvolume_size_nm": "24 22 32", "threshold": "120",
                "threshold_mode": "manual", "h_nm": "0.4", "connectivity": "26", "reconstruction": "unknown",
                "tilt_range_deg": "unknown"}
        bad = {k: (prov.get(k), v) for k, v in want.items() if prov.get(k) != v}
        if bad:
            ok_prov, detail = False, f"{name}: {bad}"
        _, header, rows = read_csv(path)
        df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        if list(df.columns) != header or df.values.tolist() != rows:
            ok_pandas, detail = False, f"{name}: pandas {list(df.columns)} {df.shape} vs {header} {len(rows)}"
    check("CSV provenance: input, SHA-256 (hashlib), voxel size, subvolume, threshold, h, connectivity", ok_prov,
          detail)
    check("pandas read_csv(comment='#') reads the same header and rows", ok_pandas, detail)

    _, th, trows = read_csv(os.path.join(outdir, "network_throats.csv"))
    _, nh, nrows = read_csv(os.path.join(outdir, "network_nodes.csv"))
    check("network headers", th == ["throat", "node_a", "node_b", "area_nm2", "inscribed_diameter_nm", "length_nm"]
          and nh == ["node", "label", "x_nm", "y_nm", "z_nm", "volume_nm3", "inscribed_diameter_nm", "coordination"])
    # throats: pairs of labels sharing a voxel face, counted independently
    pairs = set()
    for axis in range(3):
        a = np.moveaxis(lab, axis, 0)
        u, v = a[:-1].ravel(), a[1:].ravel()
        m = (u != v) & (u > 0) & (v > 0)
        pairs |= {(min(p, q), max(p, q)) for p, q in zip(u[m], v[m])}
    ours = {(int(r[1]) + 1, int(r[2]) + 1) for r in trows}
    check("throats = label pairs sharing a face", ours == pairs and len(pairs) >= 1, f"{ours} vs {pairs}")

    _, hh, hrows = read_csv(os.path.join(outdir, "histogram_pores.csv"))
    _, ch, crows = read_csv(os.path.join(outdir, "histogram_carbon.csv"))
    check("histograms share bins", [r[:2] for r in hrows] == [r[:2] for r in crows] and len(hrows) > 0)
    check("histogram counts all pores", sum(int(r[2]) for r in hrows) == n)
    _, sh, srows = read_csv(os.path.join(outdir, "porosity_vs_threshold.csv"))
    thr = np.array([float(r[0]) for r in srows])
    por = np.array([float(r[1]) for r in srows])
    direct = np.array([(vol < t).mean() for t in thr])
    p = run("analyze", src, "--smooth", "none", "--threshold", "120", "--h", "0.4", "--thickness", "-o",
            os.path.join(tmp, "thick"))
    _, hh2, hrows2 = read_csv(os.path.join(tmp, "thick", "histogram_pores.csv"))
    _, ch2, crows2 = read_csv(os.path.join(tmp, "thick", "histogram_carbon.csv"))
    check("--thickness fills thickness_volume_fraction (sums to 1 per phase)",
          p.returncode == 0 and hh2[-1] == "thickness_volume_fraction"
          and abs(sum(float(r[6]) for r in hrows2) - 1) < 1e-9 and abs(sum(float(r[6]) for r in crows2) - 1) < 1e-9,
          p.stderr)
    check("without --thickness the column is empty", all(r[6] == "" for r in hrows))
    check("porosity_vs_threshold = direct counts", sh == ["threshold", "porosity"] and np.allclose(por, direct, rtol=0, atol=1e-12))

    # ---- the same in a comma-decimal locale: byte-identical files ----
    de = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "de_de.utf8" in de or "de_de.utf-8" in de:
        outde = os.path.join(tmp, "out-de")
        p = run("analyze", src, "--smooth", "none", "--threshold", "120", "--h", "0.4", "-o", outdir, "--threads", "1",
                env={"LC_ALL": "de_DE.UTF-8"})
        os.rename(outdir, outde)
        p2 = run("analyze", src, "--smooth", "none", "--threshold", "120", "--h", "0.4", "-o", outdir, "--threads", "2")
        same = all(open(os.path.join(outdir, n), "rb").read() == open(os.path.join(outde, n), "rb").read()
                   for n in names)
        check("de_DE.UTF-8 and 1 thread give byte-identical files", p.returncode == 0 and p2.returncode == 0 and same,
              p.stderr)
    else:
        results.append(("de_DE.UTF-8 byte-identical files # SKIP de_DE.UTF-8 not installed", True, ""))

    # ---- bad input: exit 2 and a message naming the culprit ----
    seeds = os.path.join(tmp, "seeds.csv")
    with open(seeds, "w") as f:
        f.write("x_nm,y_nm,z_nm\n1,2,3\n4,5,oops\n")
    p = run("analyze", src, "--seeds", seeds, "-o", outdir)
    check("bad seeds file: exit 2, FILE:LINE", p.returncode == 2 and f"{seeds}:3:" in p.stderr
          and p.stderr.startswith("porescope-cli: "), p.stderr)
    p = run("analyze", src, "--subvolume", "1,2:3x4x5", "-o", outdir)
    check("bad subvolume: exit 2", p.returncode == 2 and "porescope-cli: analyze:" in p.stderr, p.stderr)
    p = run("analyze", src, "--subvolume-center", "1000x1x1", "-o", outdir)
    check("subvolume too big: exit 2", p.returncode == 2, p.stderr)
    p = run("analyze", os.path.join(tmp, "missing.tif"), "-o", outdir)
    check("missing input: exit 2", p.returncode == 2 and "missing.tif" in p.stderr, p.stderr)
    p = run("analyze", src, "--connectivity", "18", "-o", outdir)
    check("bad connectivity: exit 2", p.returncode == 2, p.stderr)
    p = run("analyze", src, "--threshold", "abc", "-o", outdir)
    check("bad threshold: exit 2", p.returncode == 2, p.stderr)
    p = run("analyze", src)
    check("no -o: exit 2", p.returncode == 2, p.stderr)
    p = run("crop", src, "-o", out)
    check("crop without a box: exit 2", p.returncode == 2, p.stderr)
    p = run("analyze", "--help")
    check("analyze --help", p.returncode == 0 and "--seeds" in p.stdout)

    # seed edits from a file: merge every pore into the first → one fewer label per merge
    with open(seeds, "w") as f:
        f.write("# merge the two touching spheres\r\nx_nm,y_nm,z_nm,action,x2_nm,y2_nm,z2_nm\r\n"
                "15,7,9.6,merge,19,7,9.6\r\n")
    p = run("analyze", src, "--smooth", "none", "--threshold", "120", "--h", "0.4", "--seeds", seeds, "-o", outdir)
    lab2 = tifffile.imread(os.path.join(outdir, "pores.tif"))
    with open(os.path.join(outdir, "summary.json")) as f:
        s2 = json.load(f)
    check("--seeds merge joins two pores", p.returncode == 0 and lab2.max() == n - 1
          and lab2[12, 14, 30] == lab2[12, 14, 38] and s2["parameters"]["seed_edits"]["merge"] == [[15, 7, 9.6, 19, 7, 9.6]],
          p.stderr)

    return finish()


def finish():
    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and detail:
            for line in str(detail).splitlines()[:10]:
                print(f"# {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
