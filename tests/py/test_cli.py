#!/usr/bin/python3
"""porescope-cli behaves as SPEC.md says: exit codes 0/1/2, errors on stderr
as 'porescope-cli: WHAT: WHY', --help for every subcommand, --quiet, and no
progress line when stderr is not a terminal."""
import os
import re
import subprocess
import sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

T = Tap()


def run(*args):
    return subprocess.run([T.cli, *args], capture_output=True, text=True)


def volume():
    p = T.path("v.tif")
    a = np.linspace(-1, 3, 4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    tifffile.imwrite(p, a, imagej=True, resolution=(2, 2), metadata={"spacing": 0.5, "unit": "nm", "axes": "ZYX"})
    return p


def err_format(r, what):
    assert r.stderr.startswith(f"porescope-cli: {what}: "), r.stderr
    assert "\r" not in r.stderr, "progress line written to a non-terminal"


def usage():
    r = run()
    assert r.returncode == 2 and "Usage" in r.stderr
    r = run("--help")
    assert r.returncode == 0 and "Commands:" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and re.match(r"porescope-cli \d+\.\d+", r.stdout)
    r = run("frobnicate")
    assert r.returncode == 2
    err_format(r, "frobnicate")


def every_help():
    names = re.findall(r"^  (\S+)\s", run("--help").stdout, re.M)
    assert "info" in names and "convert" in names, names
    for n in names:
        r = run(n, "--help")
        assert r.returncode == 0 and "Usage" in r.stdout, (n, r)
        assert "--quiet" in r.stdout, n
        r = run(n, "--no-such-option")
        assert r.returncode == 2, (n, r.returncode)
        assert r.stderr.startswith(f"porescope-cli: {n}: "), r.stderr


def info_errors():
    missing = T.path("missing.mrc")
    r = run("info", missing)
    assert r.returncode == 2
    err_format(r, missing)
    assert "No such file" in r.stderr
    junk = T.path("junk.tif")
    with open(junk, "wb") as f:
        f.write(b"II*\x00" + b"\xff" * 40)
    r = run("info", junk)
    assert r.returncode == 2
    err_format(r, junk)
    r = run("info")
    assert r.returncode == 2
    r = run("info", junk, junk)
    assert r.returncode == 2


def info_ok():
    p = volume()
    r = run("info", p)
    assert r.returncode == 0, r.stderr
    assert "6 × 5 × 4" in r.stdout and "0.5 × 0.5 × 0.5 nm" in r.stdout, r.stdout
    assert "min -1, max 3" in r.stdout, r.stdout
    assert r.stderr == ""


def convert_errors():
    p = volume()
    for out, code, text in ((T.path("x.png"), 2, "output format"),
                            (T.path("x.mrc.gz"), 2, "compressed"),
                            (T.path("nodir/x.tif"), 1, "does not exist")):
        r = run("convert", p, out)
        assert r.returncode == code, (out, r.returncode, r.stderr)
        err_format(r, out)
        assert text in r.stderr, r.stderr
    r = run("convert", p, T.path("x.mrc"), "--dtype", "u8")
    assert r.returncode == 2 and "unsigned 8-bit" in r.stderr, r.stderr
    r = run("convert", p, T.path("x.tif"), "--dtype", "complex")
    assert r.returncode == 2
    err_format(r, "convert")
    r = run("convert", p)
    assert r.returncode == 2


def convert_disk_full():
    if not os.path.exists("/dev/full"):
        return "no /dev/full"
    p = volume()
    link = T.path("full.tif")
    os.symlink("/dev/full", link)
    r = run("convert", p, link)
    assert r.returncode == 1, (r.returncode, r.stderr)
    err_format(r, link)
    assert "No space" in r.stderr, r.stderr


def convert_messages():
    p = volume()
    out = T.path("u8.tif")
    r = run("convert", p, out, "--dtype", "u8")
    assert r.returncode == 0, r.stderr
    assert "rescaled linearly" in r.stderr and "-1 … 3" in r.stderr, r.stderr
    b = tifffile.imread(out)
    assert b.dtype == np.uint8 and b.min() == 0 and b.max() == 255
    r = run("convert", p, out, "--dtype", "u8", "--quiet")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = run("convert", p, out, "--dtype", "u8", "--no-rescale")
    assert r.returncode == 0 and "clamped" in r.stderr, r.stderr


def locale_independent():
    p = volume()
    env = dict(os.environ, LC_ALL="de_DE.UTF-8", LANG="de_DE.UTF-8")
    r = subprocess.run([T.cli, "info", "--json", p], capture_output=True, text=True, env=env)
    assert r.returncode == 0
    assert '"voxel_size_nm" : [\n    0.5,' in r.stdout or "0.5" in r.stdout, r.stdout
    assert "0,5" not in r.stdout, r.stdout


T.run("usage, --help, --version, unknown command", usage)
T.run("every subcommand has --help and rejects unknown options", every_help)
T.run("info: missing / malformed / wrong arguments → exit 2", info_errors)
T.run("info: facts of a volume", info_ok)
T.run("convert: bad names and types → exit 2, missing folder → exit 1", convert_errors)
T.run("convert: full disk → exit 1, clear error", convert_disk_full)
T.run("convert: rescale and clamp messages, --quiet", convert_messages)
T.run("numbers do not follow the locale", locale_independent)
T.done()
