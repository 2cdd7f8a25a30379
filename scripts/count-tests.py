#!/usr/bin/env python3
"""Count individual TAP test points in meson's test log and print
'N passed, N failed' (plus skipped). A test program that crashed or timed
out without reporting its points counts as one failure."""
import json
import re
import sys

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            name = t.get("name", "?")
            out = t.get("stdout") or ""
            points = 0
            for l in out.splitlines():
                m = re.match(r"^(not ok|ok)\b(.*)$", l)
                if not m:
                    continue
                points += 1
                rest = m.group(2)
                if "# SKIP" in rest.upper():
                    skipped += 1
                elif m.group(1) == "ok" or "# TODO" in rest.upper():
                    passed += 1
                else:
                    failed += 1
                    failures.append(f"{name}:{rest.strip()}")
            result = t.get("result", "")
            if result in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS"):
                # The program failed beyond its reported points (crash, bail out).
                if not any(f.startswith(name + ":") for f in failures):
                    failed += 1
                    failures.append(f"{name}: {result}")
            elif points == 0:
                if result == "SKIP":
                    skipped += 1
                elif result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
for f in failures:
    print("FAILED:", f)
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
