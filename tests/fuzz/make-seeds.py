#!/usr/bin/python3
"""Write the seed corpus for the fuzz targets (run once; the seeds and every
input libFuzzer later finds interesting are committed under corpus/).
Needs Debian's python3-tifffile, python3-mrcfile and python3-numpy."""
import gzip
import os
import struct
import sys

import mrcfile
import numpy as np
import tifffile

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1)


def out(kind, name):
    d = os.path.join(here, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, name)


# ---- TIFF -----------------------------------------------------------------
a8 = rng.integers(0, 255, (3, 6, 7), dtype=np.uint8)
tifffile.imwrite(out("tiff", "imagej-u8-stack.tif"), a8, imagej=True, resolution=(2, 2),
                 metadata={"spacing": 0.5, "unit": "nm", "axes": "ZYX"})
tifffile.imwrite(out("tiff", "u16-big-endian.tif"), a8.astype(">u2") * 100, byteorder=">")
tifffile.imwrite(out("tiff", "f32-tiled.tif"), rng.standard_normal((2, 32, 32)).astype(np.float32),
                 tile=(16, 16))
tifffile.imwrite(out("tiff", "i16-zlib.tif"), a8.astype(np.int16) - 100, compression="zlib")
tifffile.imwrite(out("tiff", "f16.tif"), a8.astype(np.float16))
tifffile.imwrite(out("tiff", "bigtiff-u8.tif"), a8, bigtiff=True)
tifffile.imwrite(out("tiff", "bilevel.tif"), a8[0] > 128)
tifffile.imwrite(out("tiff", "miniswhite.tif"), a8[0], photometric="miniswhite")
tifffile.imwrite(out("tiff", "palette.tif"), a8[0], photometric="palette",
                 colormap=np.tile(np.arange(256, dtype=np.uint16) * 257, (3, 1)))
tifffile.imwrite(out("tiff", "rgb.tif"), rng.integers(0, 255, (4, 5, 3), dtype=np.uint8), photometric="rgb")
tifffile.imwrite(out("tiff", "f64-cm.tif"), a8.astype(np.float64), resolution=(1000, 1000),
                 resolutionunit="CENTIMETER")

# ---- MRC ------------------------------------------------------------------
for dt in ("int8", "int16", "float32", "uint16", "float16"):
    with mrcfile.new(out("mrc", f"mode-{dt}.mrc"), overwrite=True) as m:
        m.set_data(a8.astype(dt))
        m.voxel_size = (2.0, 3.0, 4.0)
with mrcfile.new(out("mrc", "big-endian.mrc"), overwrite=True) as m:
    m.set_data(a8.astype(">f4"))
with mrcfile.new(out("mrc", "stack.st"), overwrite=True) as m:
    m.set_data(a8.astype(np.int16))
    m.set_image_stack()
with mrcfile.new(out("mrc", "exthdr.mrc"), overwrite=True) as m:
    m.set_data(a8.astype(np.float32))
    m.set_extended_header(np.zeros(40, dtype=np.uint8))
# axis order z, x, y like a crystallographic map
p = out("mrc", "axis-order.map")
with mrcfile.new(p, overwrite=True) as m:
    m.set_data(a8.astype(np.float32))
    m.header.mapc, m.header.mapr, m.header.maps = 3, 1, 2
with open(out("mrc", "mode-float32.mrc"), "rb") as f:
    raw = f.read()
with gzip.open(out("mrc", "gzipped.mrc.gz"), "wb") as f:
    f.write(raw)
with open(out("mrc", "truncated.mrc"), "wb") as f:
    f.write(raw[: len(raw) // 2])


# ---- DM3 / DM4 --------------------------------------------------------------
def dm_file(version, dims, data, cal):
    """A minimal DigitalMicrograph file: ImageList/0/ImageData with Data,
    DataType, Dimensions and Calibrations/Dimension."""
    W = 8 if version == 4 else 4
    be = lambda n, w: n.to_bytes(w, "big")

    def tag_data(name, info, payload):
        body = b"%%%%" + be(len(info), W) + b"".join(be(i, W) for i in info) + payload
        head = b"\x15" + be(len(name), 2) + name.encode()
        if version == 4:
            head += be(len(body), 8)
        return head + body

    def group(name, children):
        body = b"\x00\x00" + be(len(children), W) + b"".join(children)
        head = b"\x14" + be(len(name), 2) + name.encode()
        if version == 4:
            head += be(len(body), 8)
        return head + body

    def f32(name, v):
        return tag_data(name, [6], struct.pack("<f", v))

    def i32(name, v):
        return tag_data(name, [3], struct.pack("<i", v))

    def units(name, s):
        u = s.encode("utf-16-le")
        return tag_data(name, [20, 4, len(s)], u)

    cals = [group("", [f32("Origin", o), f32("Scale", sc), units("Units", un)]) for o, sc, un in cal]
    image = group("", [group("ImageData", [
        group("Calibrations", [group("Dimension", cals)]),
        tag_data("Data", [20, 4, data.size], data.astype("<u2").tobytes()),
        i32("DataType", 10),
        group("Dimensions", [i32("", d) for d in dims]),
    ])])
    root = b"\x01\x00" + be(1, W) + group("ImageList", [image])
    head = be(version, 4) + be(len(root), W) + be(1, 4)
    return head + root + b"\x00" * 8


stack = rng.integers(0, 4000, (3, 4, 5)).astype(np.uint16)
cal = [(0.0, 1.5, "nm"), (0.0, 1.5, "nm"), (1.0, 30.0, "deg")]
with open(out("dm", "stack.dm3"), "wb") as f:
    f.write(dm_file(3, [5, 4, 3], stack, cal))
with open(out("dm", "stack.dm4"), "wb") as f:
    f.write(dm_file(4, [5, 4, 3], stack, cal))
with open(out("dm", "image-um.dm3"), "wb") as f:
    f.write(dm_file(3, [5, 4], stack[0], [(0.0, 0.002, "\u00b5m"), (0.0, 0.002, "\u00b5m")]))

# ---- angles -----------------------------------------------------------------
with open(out("angles", "tlt"), "w") as f:
    f.write("\n".join(f"{a:.2f}" for a in range(-60, 61, 3)) + "\n")
with open(out("angles", "rawtlt-crlf"), "w", newline="") as f:
    f.write("".join(f" {a:.2f}\r\n" for a in range(-76, 77, 2)))
for name, text in (("range", "-75:75:2"), ("range-desc", "60:-60:-1.5"), ("bad", "1\n2\nx\n"),
                   ("comment", "# header\n0\n1e1\n")):
    with open(out("angles", name), "w") as f:
        f.write(text)
# ---- seed-edit CSV ------------------------------------------------------------
for name, text in (
        ("plain", "1,2,3\n4.5,-6e1,+7.25\n"),
        ("header-actions", "\ufeff# by hand\r\n\r\nAction, z_nm ,y,x_nm,X2,y2_nm,z2_nm\r\n"
                           "add,3,2,1,,,\r\nREMOVE,30,20,10,,,\r\n  # note\r\nmerge,1,1,1,2,2,2\r\n"
                           "\"merge\",\"1.5\",1,1,\"5\",6,7\r\n,9,8,7,,,\r\n"),
        ("positional-merge", "0.5,0.25,1e-3,merge,10,20,30\n-0,0,0,remove\n7,8,9,\n"),
        ("quoted-newline", "x,y,z,action\n\"1\",\"2\",\"3\",\"a\"\"dd\"\n\"4\n\",5,6,add\n"),
        ("written", "x_nm,y_nm,z_nm,action,x2_nm,y2_nm,z2_nm\r\n1.5,2,3,add,,,\r\n"
                    "4,5,6,remove,,,\r\n1,2,3,merge,4,5,6\r\n"),
        ("bad-number", "x_nm,y_nm,z_nm\n1,2,abc\n"),
        ("unknown-column", "x_nm,y_nm,z_nm,w\n1,2,3,4\n")):
    with open(out("seeds", name + ".csv"), "w", newline="", encoding="utf-8") as f:
        f.write(text)
print("seeds written under", os.path.join(here, "corpus"))
