#!/usr/bin/python3
"""Peers read our files and we read theirs: tifffile, mrcfile and ImageJ.

Each case writes with one program and reads with the other, comparing values
exactly (float64 sources are compared after rounding to float32, which is
what Porescope stores) and voxel sizes in nm."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import mrcfile
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

T = Tap()
rng = np.random.default_rng(12345)


def cli(*args, check=True):
    r = subprocess.run([T.cli, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"porescope-cli {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def info(path):
    return json.loads(cli("info", "--json", path).stdout)


def ours_as_float(path):
    """What Porescope loaded, via a float32 TIFF, read back by tifffile."""
    out = T.path("ours.tif")
    cli("convert", path, out)
    return tifffile.imread(out)


def sample(dtype, shape=(5, 7, 9)):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dt)
    lo = max(np.iinfo(dt).min, -(2 ** 24))
    hi = min(np.iinfo(dt).max, 2 ** 24)
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(dt)


def check_values(ours, ref):
    ref32 = np.asarray(ref).astype(np.float32)
    assert ours.shape == ref32.shape, (ours.shape, ref32.shape)
    assert np.array_equal(ours, ref32, equal_nan=True), np.nanmax(np.abs(ours - ref32))


def check_spacing(got, want, rel=1e-6):
    for g, w in zip(got, want):
        assert abs(g - w) <= rel * abs(w), (got, want)


# ---- tifffile writes, Porescope reads --------------------------------------

def tifffile_imagej(dtype, byteorder):
    a = sample(dtype)
    p = T.path(f"ij-{np.dtype(dtype).name}{byteorder}.tif")
    tifffile.imwrite(p, a.astype(np.dtype(dtype).newbyteorder(byteorder)), imagej=True,
                     resolution=(1 / 0.4, 1 / 0.6),
                     metadata={"spacing": 1.3, "unit": "nm", "axes": "ZYX"},
                     byteorder=byteorder)
    i = info(p)
    assert i["dimensions"] == [9, 7, 5], i["dimensions"]
    assert i["voxel_size_known"]
    check_spacing(i["voxel_size_nm"], [0.4, 0.6, 1.3], 1e-6)
    check_values(ours_as_float(p), a)


def tifffile_channels_as_z():
    """tifffile's default for a 3D array says channels=N: read as slices."""
    a = sample("uint16")
    p = T.path("channels.tif")
    tifffile.imwrite(p, a, imagej=True, metadata={"spacing": 2.0, "unit": "nm"})
    i = info(p)
    assert i["dimensions"] == [9, 7, 5]
    assert any("channels" in n for n in i["notes"]), i["notes"]
    check_values(ours_as_float(p), a)


def tifffile_hyperstack_rejected():
    """A true multi-channel z-stack is refused with a clear message."""
    a = sample("uint8", (3, 2, 7, 9))
    p = T.path("hyper.tif")
    tifffile.imwrite(p, a, imagej=True, metadata={"axes": "ZCYX"})
    r = cli("info", p, check=False)
    assert r.returncode == 2, r
    assert "2 channels" in r.stderr and p in r.stderr, r.stderr


def tifffile_plain(dtype, kwargs, unit_nm, resunit):
    a = sample(dtype)
    p = T.path("plain.tif")
    tifffile.imwrite(p, a, resolution=(1 / 0.002, 1 / 0.002), resolutionunit=resunit, **kwargs)
    i = info(p)
    assert i["dimensions"] == [9, 7, 5]
    check_spacing(i["voxel_size_nm"][:2], [0.002 * unit_nm] * 2, 1e-6)
    check_values(ours_as_float(p), a)


def tifffile_micron(unit):
    """ImageJ writes µm as the ASCII escape \\u00B5m, or 'micron'."""
    a = sample("float32")
    p = T.path("micron.tif")
    tifffile.imwrite(p, a, imagej=True, resolution=(1 / 0.0025, 1 / 0.0025),
                     metadata={"spacing": 0.005, "unit": unit, "axes": "ZYX"})
    check_spacing(info(p)["voxel_size_nm"], [2.5, 2.5, 5.0], 1e-6)


# ---- mrcfile writes, Porescope reads --------------------------------------

def mrcfile_mode(dtype, byteorder, gz):
    a = sample(dtype).astype(np.dtype(dtype).newbyteorder(byteorder))
    p = T.path(f"m-{np.dtype(dtype).name}{byteorder}.mrc" + (".gz" if gz else ""))
    with mrcfile.new(p, overwrite=True, compression="gzip" if gz else None) as m:
        m.set_data(a)
        m.voxel_size = (4.0, 5.0, 6.0)   # Å
    i = info(p)
    assert i["dimensions"] == [9, 7, 5]
    check_spacing(i["voxel_size_nm"], [0.4, 0.5, 0.6], 1e-6)
    check_values(ours_as_float(p), a)


def mrcfile_stack():
    a = sample("int16", (11, 6, 8))
    p = T.path("stack.st")
    with mrcfile.new(p, overwrite=True) as m:
        m.set_data(a)
        m.set_image_stack()
        m.voxel_size = (17.5, 17.5, 1.0)
    i = info(p)
    assert i["dimensions"] == [8, 6, 11]
    check_spacing(i["voxel_size_nm"][:2], [1.75, 1.75], 1e-6)
    check_values(ours_as_float(p), a)


# ---- Porescope writes, peers read ------------------------------------------

def src_volume():
    """A float32 TIFF with anisotropic voxels, made by tifffile."""
    a = (rng.standard_normal((6, 10, 12)) * 50 + 100).astype(np.float32)
    p = T.path("src.tif")
    tifffile.imwrite(p, a, imagej=True, resolution=(1 / 0.25, 1 / 0.5),
                     metadata={"spacing": 0.75, "unit": "nm"})
    return p, a


def ours_to_tifffile(dtype):
    p, a = src_volume()
    out = T.path(f"out-{dtype}.tif")
    args = ["convert", p, out] + ([] if dtype == "f32" else ["--dtype", dtype])
    cli(*args)
    t = tifffile.TiffFile(out)
    assert t.is_imagej
    b = t.asarray()
    assert b.shape == a.shape
    if dtype == "f32":
        assert b.dtype == np.float32
        check_values(b, a)
    else:
        # [min, max] maps linearly onto the type's range
        top = 255 if dtype == "u8" else 65535
        assert b.dtype == (np.uint8 if dtype == "u8" else np.uint16)
        want = np.rint((a.astype(np.float64) - a.min()) * top / (a.max() - a.min()))
        assert np.max(np.abs(b.astype(np.float64) - want)) <= 1, np.max(np.abs(b - want))
    ij = t.imagej_metadata
    assert ij["unit"] == "nm" and abs(ij["spacing"] - 0.75) < 1e-12, ij
    xr = t.pages[0].tags["XResolution"].value
    yr = t.pages[0].tags["YResolution"].value
    check_spacing([xr[1] / xr[0], yr[1] / yr[0]], [0.25, 0.5], 1e-7)
    assert len(t.series) == 1 and t.series[0].shape == a.shape


def ours_to_mrcfile(dtype):
    p, a = src_volume()
    out = T.path(f"out-{dtype}.mrc")
    args = ["convert", p, out] + ([] if dtype == "f32" else ["--dtype", dtype])
    cli(*args)
    assert mrcfile.validate(out, print_file=open(os.devnull, "w")), "mrcfile.validate failed"
    with mrcfile.open(out, permissive=False) as m:
        b = m.data
        vs = m.voxel_size
        assert m.header.mode == (2 if dtype == "f32" else 6)
        assert b.shape == a.shape
        if dtype == "f32":
            check_values(b, a)
        check_spacing([float(vs.x), float(vs.y), float(vs.z)], [2.5, 5.0, 7.5], 1e-6)
        # header statistics describe the data
        assert abs(float(m.header.dmax) - float(b.max())) < 1e-3 * abs(float(b.max())) + 1e-6


def ours_to_imagej():
    java = shutil.which("java")
    ij = "/usr/share/java/ij.jar"
    xvfb = shutil.which("xvfb-run")
    if not (java and os.path.exists(ij) and xvfb):
        return "ImageJ (package imagej) or xvfb-run not installed"
    p, a = src_volume()
    macro = T.path("m.ijm")
    with open(macro, "w") as f:
        f.write('open(getArgument());\n'
                'getVoxelSize(w, h, d, unit);\n'
                'print("voxel " + d2s(w,6) + " " + d2s(h,6) + " " + d2s(d,6) + " " + unit);\n'
                'print("dims " + getWidth() + " " + getHeight() + " " + nSlices + " " + bitDepth());\n'
                'setSlice(4);\n'
                'print("pix " + d2s(getPixel(7, 3), 4));\n')
    for dtype, depth in (("f32", 32), ("u16", 16), ("u8", 8)):
        out = T.path(f"ij-{dtype}.tif")
        cli("convert", p, out, *([] if dtype == "f32" else ["--dtype", dtype]))
        r = subprocess.run([xvfb, "-a", java, "-jar", ij, "-batch", macro, out],
                           capture_output=True, text=True, timeout=120)
        lines = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines() if l.strip()}
        assert "voxel" in lines, r.stdout + r.stderr
        check_spacing([float(v) for v in lines["voxel"][:3]], [0.25, 0.5, 0.75], 1e-5)
        assert lines["voxel"][3] == "nm", lines["voxel"]
        assert lines["dims"] == ["12", "10", "6", str(depth)], lines["dims"]
        b = tifffile.imread(out)
        assert abs(float(lines["pix"][0]) - float(b[3, 3, 7])) < 1e-3, (lines["pix"], b[3, 3, 7])


def swap_yz():
    p, a = src_volume()
    out = T.path("swapped.mrc")
    cli("convert", p, out, "--swap-yz")
    with mrcfile.open(out) as m:
        b = m.data
        assert b.shape == (a.shape[1], a.shape[0], a.shape[2])
        check_values(b, np.swapaxes(a, 0, 1))
        check_spacing([float(m.voxel_size.x), float(m.voxel_size.y), float(m.voxel_size.z)],
                      [2.5, 7.5, 5.0], 1e-6)


# ---- real files: ours equal the peers' decode --------------------------------

def real_files():
    cases = [
        ("cylindra-microtubule-tomograms", "13pf_MT.tif", "tiff"),
        ("puma-fiberform", "100_fiberform.tif", "tiff"),
        ("rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_imageJ_stack.tif", "tiff"),
        ("etspy-haadf-tilt-series", "HAADF_tiltseries.tif", "tiff"),
        ("mrcfile-testdata", "EMD-3197.map", "mrc"),
        ("mrcfile-testdata", "emd_3197.map.gz", "mrc"),
        ("cylindra-microtubule-tomograms", "beta-tubulin.mrc", "mrc"),
        ("rosettasciio-mrc-tiff/mrc", "HAADFscan.mrc", "mrc"),
    ]
    found = 0
    for d, f, kind in cases:
        p = T.shared_path(*d.split("/"), f)
        if p is None:
            continue
        found += 1
        ref = tifffile.imread(p) if kind == "tiff" else mrcfile.open(p, permissive=True).data
        ours = ours_as_float(p)
        check_values(ours.reshape(np.asarray(ref).shape), ref)
    if found == 0:
        return "../shared/data not available"
    # EMD-3001 is stored z, x, y: ours is reoriented to x, y, z.
    p = T.shared_path("mrcfile-testdata", "EMD-3001.map")
    if p:
        ref = mrcfile.open(p, permissive=True).data          # [sections=Y][rows=X][cols=Z]
        ours = ours_as_float(p)                               # [z][y][x]
        check_values(ours, np.transpose(ref, (2, 0, 1)))


for dt in ("uint8", "uint16", "float32"):
    for bo in ("<", ">"):
        T.run(f"tifffile ImageJ {dt} {bo} → ours", tifffile_imagej, dt, bo)
for dt, kw in (("int8", {}), ("int16", {"byteorder": ">"}), ("uint32", {}), ("int32", {"bigtiff": True}),
               ("float64", {}), ("float32", {"compression": "zlib"}), ("uint16", {"tile": (16, 16)}),
               ("float16", {})):
    T.run(f"tifffile {dt} {kw} (resolution in cm) → ours", tifffile_plain, dt, kw, 1e7, "CENTIMETER")
T.run("tifffile resolution in inches → ours", tifffile_plain, "uint16", {}, 2.54e7, "INCH")
T.run("tifffile ImageJ unit \\u00B5m → ours", tifffile_micron, "\\u00B5m")
T.run("tifffile ImageJ unit micron → ours", tifffile_micron, "micron")
T.run("tifffile default 3D (channels=N) → ours as z", tifffile_channels_as_z)
T.run("tifffile ImageJ hyperstack with channels → clear error", tifffile_hyperstack_rejected)
for dt in ("int8", "int16", "float32", "uint16", "float16"):
    T.run(f"mrcfile {dt} little-endian → ours", mrcfile_mode, dt, "<", False)
T.run("mrcfile float32 big-endian → ours", mrcfile_mode, "float32", ">", False)
T.run("mrcfile int16 big-endian → ours", mrcfile_mode, "int16", ">", False)
T.run("mrcfile float32 gzip → ours", mrcfile_mode, "float32", "<", True)
T.run("mrcfile image stack → ours", mrcfile_stack)
for dt in ("f32", "u16", "u8"):
    T.run(f"ours TIFF {dt} → tifffile", ours_to_tifffile, dt)
for dt in ("f32", "u16"):
    T.run(f"ours MRC {dt} → mrcfile (validate)", ours_to_mrcfile, dt)
T.run("ours --swap-yz → mrcfile", swap_yz)
T.run("ours TIFF f32/u16/u8 → ImageJ (voxel size, dims, pixel)", ours_to_imagej)
T.run("real files: ours equal tifffile/mrcfile decodes", real_files)
T.done()
