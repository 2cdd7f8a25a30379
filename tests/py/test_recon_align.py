#!/usr/bin/python3
"""Tilt-axis direction and shifts through porescope-cli: a series with its
axis along x reconstructs exactly like the original with --tilt-axis 90 and
--tilt-axis auto finds it; known random shifts are recovered by --align
(up to a translation of the object, which no alignment can see)."""
import os
import re
import sys

import numpy as np
import tifffile
from scipy import ndimage as ndi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recon_util import cli, done, fit_null_space, note, pearson, phantom, test, tmp, write_series  # noqa: E402


@test
def axis_along_x():
    """Images rotated by 90° (axis along x) reconstruct exactly like the
    originals with --tilt-axis 90, and --tilt-axis auto finds 90°."""
    out, t = phantom("ph48", "--size", "48", "--seed", "4")
    tilt = tifffile.imread(os.path.join(out, "tilt.tif"))
    rot = np.stack([np.rot90(im, k=-1) for im in tilt])      # raw[y][x] = orig[n−1−x][y]
    write_series(tmp("rot.tif"), rot)
    tlt = os.path.join(out, "tilt.tlt")
    cli("reconstruct", os.path.join(out, "tilt.tif"), "--angles", tlt, "-o", tmp("ref.tif"), "-q")
    cli("reconstruct", tmp("rot.tif"), "--angles", tlt, "--tilt-axis", "90", "-o", tmp("rot90.tif"), "-q")
    ref = tifffile.imread(tmp("ref.tif"))
    got = tifffile.imread(tmp("rot90.tif"))
    assert np.array_equal(ref, got), np.abs(ref - got).max()
    r = cli("reconstruct", tmp("rot.tif"), "--angles", tlt, "--tilt-axis", "auto", "-o", tmp("auto.tif"), "-q")
    m = re.search(r"tilt axis (-?[0-9.]+)°", r.stderr)
    assert m, r.stderr
    note("auto: " + r.stderr.strip())
    phi = float(m.group(1))
    # The phantom is nearly a sphere, so rotations about neighbouring axes
    # look alike: the search is good to a few degrees here.
    assert abs(((phi - 90) + 90) % 180 - 90) < 3.0, phi


@test
def known_shifts_aligned():
    """Random shifts (±4 px, sub-pixel) applied to the noisy phantom series
    are recovered by --align up to what no alignment can see (a translation
    of the object), and the reconstruction is as good as the unshifted
    one's up to that translation."""
    out, t = phantom("ph64", "--size", "64", "--seed", "2")
    tilt = tifffile.imread(os.path.join(out, "tilt.tif"))
    truth = tifffile.imread(os.path.join(out, "volume.tif"))
    tlt = os.path.join(out, "tilt.tlt")
    angles = np.loadtxt(tlt)
    rng = np.random.default_rng(8)
    sh = rng.uniform(-4, 4, size=(len(tilt), 2))            # (dy, dx): content moves by +d
    moved = np.stack([ndi.shift(im, (dy, dx), order=1, mode="nearest") for im, (dy, dx) in zip(tilt, sh)])
    write_series(tmp("moved.tif"), moved)
    cli("reconstruct", os.path.join(out, "tilt.tif"), "--angles", tlt, "-o", tmp("un.tif"), "-q")
    r = cli("reconstruct", tmp("moved.tif"), "--angles", tlt, "--align", "--alignment-out", tmp("al.txt"),
            "-o", tmp("al.tif"), "-q")
    note(r.stderr.strip())
    al = np.loadtxt(tmp("al.txt"), comments="#", skiprows=3)
    assert al.shape == (len(tilt), 3) and np.allclose(al[:, 0], angles)
    delta, rms = fit_null_space(angles, al[:, 1] - sh[:, 1])
    ey = al[:, 2] - sh[:, 0]
    ey -= ey.mean()
    note(f"x: rms error beyond a translation {rms:.3f} px, axis-offset error {delta:.3f} px; "
         f"y: max error {np.abs(ey).max():.3f} px beyond the common offset")
    assert rms < 0.35 and abs(delta) < 0.5 and np.abs(ey).max() < 0.75
    n = 64
    z, y, x = np.mgrid[:n, :n, :n]
    inside = (x - 31.5) ** 2 + (y - 31.5) ** 2 + (z - 31.5) ** 2 < (0.4 * n) ** 2
    r_un = pearson(tifffile.imread(tmp("un.tif")), truth, inside)
    rec = tifffile.imread(tmp("al.tif"))
    r_al = max(pearson(np.roll(rec, (kz, ky, kx), axis=(0, 1, 2)), truth, inside)
               for kz in range(-3, 4) for ky in range(-3, 4) for kx in range(-3, 4))
    note(f"Pearson r with the truth: unshifted {r_un:.4f}, shifted + --align {r_al:.4f} (best whole-voxel translation)")
    assert r_al > r_un - 0.08, (r_al, r_un)


done()
