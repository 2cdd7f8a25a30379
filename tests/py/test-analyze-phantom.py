#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`porescope-cli analyze` on the phantom of `porescope-cli phantom`, scored
against the phantom's own truth (truth.json and the truth labels pores.tif,
evaluated independently here with NumPy/SciPy):

- truth volume, central box inside the particle, no smoothing: porosity
  within 0.01 of the truth box porosity; open porosity within 0.01 of the
  truth's (6-connected to vacuum or faces); pore equivalent-diameter mean
  within 15 % of truth.json, and the Miles–Lantuéjoul mean within 15 % of
  the truth mean of pores centred in the box;
- truth volume, whole box at that threshold: porosity of the particle
  (voxels within truth.json's particle sphere) within 0.01 of truth.json;
- SIRT reconstruction of the simulated tilt series, default parameters:
  box porosity within 0.03 of the truth, eqdiam mean within 15 %.
Emits TAP; skips when the phantom command is not built."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tifffile
from scipy import ndimage as ndi

CLI = os.environ.get("PORESCOPE_CLI", "porescope-cli")
N = 96          # phantom edge (voxels); the particle's radius is 0.45 N
BOX = 48        # central box edge: its corners stay inside the particle (48·√3/2 < 43.2)
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


def summary(d):
    with open(os.path.join(d, "summary.json")) as f:
        return json.load(f)


def finish():
    print(f"1..{len(results)}")
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if detail:
            for line in str(detail).splitlines()[:8]:
                print(f"# {line}")
    return 0


def main():
    if "phantom" not in run("--help").stdout:
        print("1..0 # SKIP porescope-cli has no phantom command")
        return 0
    tmp = tempfile.mkdtemp(prefix="ps-test-phantom-")
    ph = os.path.join(tmp, "phantom")
    p = run("phantom", ph, "--size", str(N), "--seed", "5", "-q")
    check("phantom generated", p.returncode == 0, p.stderr)
    if p.returncode != 0:
        return finish()
    with open(os.path.join(ph, "truth.json")) as f:
        truth = json.load(f)
    tp = tifffile.imread(os.path.join(ph, "pores.tif"))
    vox = truth["parameters"]["voxel_size_nm"]
    lo = (N - BOX) // 2
    box = (slice(lo, lo + BOX),) * 3
    truth_box_porosity = float((tp[box] > 0).mean())

    # truth exterior: 6-connected through pore voxels to the vacuum outside the particle or a face
    z, y, x = np.mgrid[:N, :N, :N] + 0.5
    c = np.array(truth["particle_center_nm"]) / vox
    r = truth["particle_radius_nm"] / vox
    inside = (x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= r * r
    space = (tp > 0) | ~inside
    lab, _ = ndi.label(space)
    ext_labels = np.unique(np.concatenate([lab[~inside], lab[0].ravel(), lab[-1].ravel(), lab[:, 0].ravel(),
                                           lab[:, -1].ravel(), lab[:, :, 0].ravel(), lab[:, :, -1].ravel()]))
    ext_labels = ext_labels[ext_labels > 0]
    truth_open = np.isin(lab, ext_labels) & (tp > 0)
    truth_box_open = float(truth_open[box].mean())
    # truth mean equivalent diameter of the pores centred in the box
    n = int(tp.max())
    cnt = np.bincount(tp.ravel(), minlength=n + 1)[1:]
    com = np.array(ndi.center_of_mass(np.ones_like(tp), tp, np.arange(1, n + 1)))
    centred = np.all((com >= lo) & (com < lo + BOX), axis=1) & (cnt > 0)
    truth_box_eqdiam = float(((6 * cnt[centred] * vox ** 3 / np.pi) ** (1 / 3)).mean())

    # ---- the truth volume ----
    vol = os.path.join(ph, "volume.tif")
    out = os.path.join(tmp, "truth-box")
    p = run("analyze", vol, "--subvolume-center", f"{BOX}x{BOX}x{BOX}vox", "--smooth", "none",
            "-o", out, "-q")
    check("analyze the truth volume's box", p.returncode == 0, p.stderr)
    s = summary(out)
    check("box porosity within 0.01 of the truth box",
          abs(s["porosity"] - truth_box_porosity) <= 0.01, f'{s["porosity"]:.4f} vs {truth_box_porosity:.4f}')
    check("box open porosity within 0.01 of the truth's",
          abs(s["open_porosity"] - truth_box_open) <= 0.01, f'{s["open_porosity"]:.4f} vs {truth_box_open:.4f}')
    check("pore eqdiam mean within 15 % of truth.json",
          abs(s["pore_eqdiam_mean_nm"] / truth["pore_eqdiam_mean_nm"] - 1) <= 0.15,
          f'{s["pore_eqdiam_mean_nm"]:.3f} vs {truth["pore_eqdiam_mean_nm"]:.3f}')
    check("edge-corrected eqdiam mean within 15 % of the pores centred in the box",
          abs(s["pore_eqdiam_mean_edge_corrected_nm"] / truth_box_eqdiam - 1) <= 0.15,
          f'{s["pore_eqdiam_mean_edge_corrected_nm"]:.3f} vs {truth_box_eqdiam:.3f}')
    thr = s["threshold"]

    out = os.path.join(tmp, "truth-full")
    p = run("analyze", vol, "--smooth", "none", "--threshold", repr(thr), "-o", out, "-q")
    lab = tifffile.imread(os.path.join(out, "pores.tif"))
    part = float((lab[inside] > 0).mean())
    check("particle porosity within 0.01 of truth.json",
          p.returncode == 0 and abs(part - truth["porosity"]) <= 0.01, f'{part:.4f} vs {truth["porosity"]:.4f}')
    sf = summary(out)
    check("closed pores: whole-volume closed porosity within 0.01 of truth.json's (box-relative)",
          abs(sf["closed_porosity"] - truth["closed_porosity"] * truth["particle_voxels"] / N ** 3) <= 0.01,
          f'{sf["closed_porosity"]:.4f} vs {truth["closed_porosity"] * truth["particle_voxels"] / N ** 3:.4f}')

    # ---- after reconstruction (defaults: Gaussian 0.6 voxel, Otsu, default h) ----
    rec = os.path.join(tmp, "rec.tif")
    p = run("reconstruct", os.path.join(ph, "tilt.tif"), "--angles", os.path.join(ph, "tilt.tlt"),
            "--method", "sirt", "-o", rec, "-q")
    check("SIRT reconstruction", p.returncode == 0, p.stderr)
    if p.returncode == 0:
        out = os.path.join(tmp, "rec-box")
        p = run("analyze", rec, "--subvolume-center", f"{BOX}x{BOX}x{BOX}vox", "-o", out, "-q")
        s = summary(out)
        check("reconstruction: box porosity within 0.03 of the truth box",
              p.returncode == 0 and abs(s["porosity"] - truth_box_porosity) <= 0.03,
              f'{s["porosity"]:.4f} vs {truth_box_porosity:.4f}')
        check("reconstruction: pore eqdiam mean within 15 % of truth.json",
              abs(s["pore_eqdiam_mean_nm"] / truth["pore_eqdiam_mean_nm"] - 1) <= 0.15,
              f'{s["pore_eqdiam_mean_nm"]:.3f} vs {truth["pore_eqdiam_mean_nm"]:.3f}')
    return finish()


if __name__ == "__main__":
    sys.exit(main())
