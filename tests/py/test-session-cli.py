#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`porescope-cli run SESSION` checked from outside: a session written by hand
(the documented format) replays to files byte-identical to `analyze` with
the same parameters and seed edits; provenance headers name the input with
its SHA-256 (hashlib) and the session's reconstruction; pandas reads every
CSV with comment='#'; the voxel size override and swap y/z apply; a moved
folder still works (relative paths); damaged sessions and missing data exit
2 with "porescope-cli: FILE: why". Emits TAP."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import tifffile

CLI = os.environ.get("PORESCOPE_CLI", "porescope-cli")
results = []
NAMES = ["pores.tif", "carbon.tif", "pores.csv", "carbon.csv", "network_nodes.csv", "network_throats.csv",
         "histogram_pores.csv", "histogram_carbon.csv", "porosity_vs_threshold.csv", "summary.json"]


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


def make_volume(path):
    nz, ny, nx = 30, 34, 38
    z, y, x = np.mgrid[:nz, :ny, :nx].astype(float) + 0.5
    rng = np.random.default_rng(3)
    vol = (200 - rng.integers(0, 20, (nz, ny, nx))).astype(np.uint8)
    for cx, cy, cz, r in [(10, 10, 9, 5), (19, 10, 9, 5), (28, 24, 20, 6)]:
        vol[(x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= r * r] = 40
    tifffile.imwrite(path, vol, imagej=True, resolution=(2.0, 2.0),
                     metadata={"spacing": 0.5, "unit": "nm", "axes": "ZYX"})
    return vol


def session(volume_rel, volume_abs, **analysis):
    a = {"subvolume_voxels": [2, 1, 0, 34, 30, 28], "smoothing": "none", "smooth_sigma_nm": 0.0,
         "threshold": 120.0, "h_nm": 0.4, "h_carbon_nm": -1.0, "connectivity": 26, "local_thickness": False,
         "histogram_bin_nm": 0.0, "seeds_add": [], "seeds_remove": [],
         "merges": [[5.0, 5.0, 4.5, 9.5, 5.0, 4.5]]}
    a.update(analysis)
    return {"format": "porescope-session", "version": 1, "program_version": "test",
            "data": {"volume": volume_rel, "volume_absolute": volume_abs, "swap_yz": False, "voxel_size_nm": None},
            "reconstruction": {"method": "sirt", "iterations": 25, "filter": None, "thickness": 0, "n_tilts": 61,
                               "tilt_range_deg": [-60.0, 60.0]},
            "analysis": a,
            "view": {"carbon_color": "#2f6fdb", "pore_color": "#9a9a9a", "window": None, "crosshair_nm": None,
                     "camera": None}}


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def strip(text):
    return "\r\n".join(l for l in text.split("\r\n") if not l.startswith("#"))


def main():
    tmp = tempfile.mkdtemp(prefix="ps-test-session-")
    proj = os.path.join(tmp, "project")
    os.makedirs(os.path.join(proj, "data"))
    vol_path = os.path.join(proj, "data", "vol.tif")
    make_volume(vol_path)
    sess = os.path.join(proj, "study.porescope")
    write(sess, session("data/vol.tif", os.path.join(proj, "data", "vol.tif")))

    # ---- run = analyze, byte for byte (analyze cannot know the reconstruction: the
    # provenance lines about it differ, everything else is equal) ----
    p = run("run", sess, "--threads", "2")
    check("run exits 0", p.returncode == 0, p.stderr)
    out_run = os.path.join(proj, "study-analysis")
    check("default output folder is SESSION-analysis", all(os.path.isfile(os.path.join(out_run, n)) for n in NAMES),
          str(os.listdir(proj)))
    seeds = os.path.join(tmp, "seeds.csv")
    with open(seeds, "w") as f:
        f.write("x_nm,y_nm,z_nm,action,x2_nm,y2_nm,z2_nm\n5,5,4.5,merge,9.5,5,4.5\n")
    out_an = os.path.join(tmp, "analyze")
    p = run("analyze", vol_path, "--subvolume", "1,0.5,0:17x15x14", "--smooth", "none", "--threshold", "120",
            "--h", "0.4", "--seeds", seeds, "-o", out_an, "--threads", "1")
    check("analyze exits 0", p.returncode == 0, p.stderr)
    same_tif = all(open(os.path.join(out_run, n), "rb").read() == open(os.path.join(out_an, n), "rb").read()
                   for n in NAMES if n.endswith(".tif"))
    check("run and analyze: label TIFFs byte-identical", same_tif)
    diff = []
    for n in [n for n in NAMES if n.endswith(".csv")]:
        a = open(os.path.join(out_run, n), newline="").read()
        b = open(os.path.join(out_an, n), newline="").read()
        la = [l for l in a.split("\r\n") if not l.startswith("# reconstruction") and not l.startswith("# tilt_")]
        lb = [l for l in b.split("\r\n") if not l.startswith("# reconstruction") and not l.startswith("# tilt_")]
        if la != lb:
            diff.append(n)
    check("run and analyze: CSVs byte-identical but for the reconstruction lines", not diff, str(diff))
    with open(os.path.join(out_run, "summary.json")) as f:
        srun = json.load(f)
    with open(os.path.join(out_an, "summary.json")) as f:
        san = json.load(f)
    rec = srun.pop("reconstruction")
    san.pop("reconstruction")
    check("summary.json equal but for the reconstruction", srun == san)
    check("summary.json records the session's reconstruction",
          rec == {"tilt_series": None, "n_tilts": 61, "tilt_range_deg": [-60.0, 60.0], "method": "sirt",
                  "iterations": 25}, str(rec))
    check("the merge was applied", srun["parameters"]["seed_edits"]["merge"] == [[5, 5, 4.5, 9.5, 5, 4.5]])

    # ---- provenance ----
    sha = hashlib.sha256(open(vol_path, "rb").read()).hexdigest()
    text = open(os.path.join(out_run, "pores.csv"), newline="").read()
    prov = dict(l[2:].split(": ", 1) for l in text.split("\r\n") if l.startswith("# "))
    want = {"input": os.path.realpath(vol_path), "input_sha256": sha, "reconstruction": "sirt",
            "reconstruction_iterations": "25", "tilt_range_deg": "-60 60 (61 images)",
            "subvolume_origin_voxels": "2 1 0", "subvolume_size_voxels": "34 30 28",
            "subvolume_origin_nm": "1 0.5 0", "subvolume_size_nm": "17 15 14", "voxel_size_nm": "0.5 0.5 0.5",
            "threshold": "120", "h_nm": "0.4", "connectivity": "26", "merges": "1"}
    bad = {k: (prov.get(k), v) for k, v in want.items() if prov.get(k) != v}
    check("provenance lines of a replayed session", not bad, str(bad))
    ok = True
    for n in [n for n in NAMES if n.endswith(".csv")]:
        path = os.path.join(out_run, n)
        df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
        data = strip(open(path, newline="").read()).split("\r\n")
        ok &= ",".join(df.columns) == data[0] and len(df) == len([l for l in data[1:] if l])
    check("pandas comment='#' reads every CSV's header and all rows", ok)

    # ---- the folder moved as a whole: relative paths ----
    moved = os.path.join(tmp, "moved")
    shutil.move(proj, moved)
    p = run("run", os.path.join(moved, "study.porescope"), "-o", os.path.join(tmp, "out-moved"), "--quiet")
    check("moved folder: run finds the data by its relative path", p.returncode == 0, p.stderr)
    prov2 = dict(l[2:].split(": ", 1) for l in open(os.path.join(tmp, "out-moved", "pores.csv"), newline="")
                 .read().split("\r\n") if l.startswith("# "))
    check("moved folder: provenance names the new place, same SHA-256",
          prov2.get("input") == os.path.join(moved, "data", "vol.tif") and prov2.get("input_sha256") == sha,
          str(prov2.get("input")))
    sess = os.path.join(moved, "study.porescope")

    # ---- voxel size override and swap y/z ----
    s = session("data/vol.tif", None, smoothing="none")
    s["data"]["voxel_size_nm"] = [1.0, 2.0, 0.25]
    s["data"]["swap_yz"] = True
    s["analysis"]["subvolume_voxels"] = [0, 0, 0, 0, 0, 0]
    s["analysis"]["merges"] = []
    del s["data"]["volume_absolute"]
    write(os.path.join(moved, "override.porescope"), s)
    out_ov = os.path.join(tmp, "out-override")
    p = run("run", os.path.join(moved, "override.porescope"), "-o", out_ov, "--quiet")
    summary = json.load(open(os.path.join(out_ov, "summary.json"))) if p.returncode == 0 else {}
    check("voxel size override and swap y/z", p.returncode == 0 and summary.get("voxel_size_nm") == [1.0, 2.0, 0.25]
          and summary.get("volume_size_voxels") == [38, 30, 34], p.stderr + str(summary.get("volume_size_voxels")))

    # ---- damaged sessions and missing data: exit 2, "porescope-cli: FILE: why" ----
    good = open(sess).read()
    cases = {
        "truncated": good[: len(good) // 2],
        "not JSON": "hello",
        "wrong type": good.replace('"connectivity": 26', '"connectivity": "26"'),
        "huge number": good.replace('"h_nm": 0.4', '"h_nm": 1e308'),
        "overflowing number": good.replace('"h_nm": 0.4', '"h_nm": 1e999'),
        "huge subvolume": good.replace("[2, 1, 0, 34, 30, 28]", "[2, 1, 0, 99999999999, 30, 28]"),
        "negative subvolume": good.replace("[2, 1, 0, 34, 30, 28]", "[2, 1, -1, 34, 30, 28]"),
        "newer version": good.replace('"version": 1', '"version": 9'),
        "binary": "\x00\x01\x02",
        "subvolume outside the volume": good.replace("[2, 1, 0, 34, 30, 28]", "[30, 1, 0, 34, 30, 28]"),
    }
    for name, text in cases.items():
        path = os.path.join(tmp, "bad.porescope")
        with open(path, "w") as f:
            f.write(text)
        p = run("run", path, "-o", os.path.join(tmp, "never"))
        check(f"damaged session ({name}): exit 2, message names the file",
              p.returncode == 2 and p.stderr.startswith(f"porescope-cli: {path}: ") and "Traceback" not in p.stderr
              and not os.path.exists(os.path.join(tmp, "never")), f"{p.returncode} {p.stderr}")
    os.rename(os.path.join(moved, "data"), os.path.join(moved, "data-elsewhere"))
    p = run("run", sess, "-o", os.path.join(tmp, "never"))
    check("missing data: exit 2, names the session and the missing file",
          p.returncode == 2 and sess in p.stderr and "vol.tif" in p.stderr and "missing" in p.stderr, p.stderr)
    p = run("run")
    check("no SESSION: exit 2", p.returncode == 2, p.stderr)
    p = run("run", "--help")
    check("run --help", p.returncode == 0 and "SESSION" in p.stdout, p.stdout)
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
