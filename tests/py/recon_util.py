"""Shared plumbing for the reconstruction peer tests: TAP output, the CLI,
temporary files, the phantom, small statistics."""
import json
import os
import subprocess
import sys
import tempfile
import traceback

import numpy as np
import tifffile

CLI = os.environ.get("PORESCOPE_CLI", "porescope-cli")
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("PS_SHARED_DATA") or os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))
TMP = tempfile.TemporaryDirectory(prefix="porescope-recon-")
_state = {"n": 0, "failed": 0}


def tmp(name):
    return os.path.join(TMP.name, name)


def note(msg):
    print("# " + msg)
    sys.stdout.flush()


def test(func):
    _state["n"] += 1
    n = _state["n"]
    try:
        skip = func()
    except Exception:
        _state["failed"] += 1
        print(f"not ok {n} - {func.__name__}")
        for line in traceback.format_exc().splitlines():
            print("# " + line)
    else:
        print(f"ok {n} - {func.__name__}" + (f" # SKIP {skip}" if isinstance(skip, str) else ""))
    sys.stdout.flush()
    return func


def done():
    print(f"1..{_state['n']}")
    TMP.cleanup()
    sys.exit(1 if _state["failed"] else 0)


def cli(*args, check=True):
    r = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} → {r.returncode}: {r.stderr}")
    return r


def write_series(path, stack):
    tifffile.imwrite(path, np.ascontiguousarray(stack, dtype=np.float32))


def phantom(name, *args):
    out = tmp(name)
    if not os.path.exists(os.path.join(out, "truth.json")):
        cli("phantom", out, *args, "-q")
    t = json.load(open(os.path.join(out, "truth.json")))
    return out, t


def pearson(a, b, m=None):
    if m is not None:
        a, b = a[m], b[m]
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def fit_null_space(angles, e):
    """Least squares e(θ) ≈ X cos θ + Z sin θ + δ: a translation (X, Z) of
    the object is invisible to alignment; δ is the axis-offset error.
    Returns δ and the rms residual."""
    th = np.radians(angles)
    A = np.stack([np.cos(th), np.sin(th), np.ones_like(th)], axis=1)
    sol, *_ = np.linalg.lstsq(A, e, rcond=None)
    return sol[2], np.sqrt(np.mean((e - A @ sol) ** 2))


