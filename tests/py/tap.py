"""A tiny TAP producer for the Python peer tests (meson protocol: tap)."""
import os
import sys
import tempfile
import traceback


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="porescope-pytest-")
        self.cli = os.environ.get("PORESCOPE_CLI", "porescope-cli")
        here = os.path.dirname(os.path.abspath(__file__))
        self.shared = os.environ.get("PS_SHARED_DATA") or os.path.normpath(
            os.path.join(here, "..", "..", "..", "shared", "data"))

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def shared_path(self, *parts):
        p = os.path.join(self.shared, *parts)
        return p if os.path.exists(p) else None

    def run(self, name, func, *args):
        self.n += 1
        try:
            skip = func(*args)
        except Exception:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        else:
            if isinstance(skip, str):
                print(f"ok {self.n} - {name} # SKIP {skip}")
            else:
                print(f"ok {self.n} - {name}")
        sys.stdout.flush()

    def done(self):
        print(f"1..{self.n}")
        self.tmp.cleanup()
        sys.exit(1 if self.failed else 0)
