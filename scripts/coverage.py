#!/usr/bin/env python3
"""Line coverage of Sources/ from the profiles `swift test --enable-code-coverage` wrote.

Merges the test process's profile with those written by `orderstream` processes that the
tests started (their LLVM_PROFILE_FILE points into .build/debug/codecov too), reports the
line coverage of every file under Sources/, and exits 1 when the total is under --threshold.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys


def tool(name):
    """The LLVM tool of the Swift toolchain (a system LLVM cannot read Swift's profiles)."""
    swift = shutil.which("swift")
    if swift:
        candidate = os.path.join(os.path.dirname(os.path.realpath(swift)), name)
        if os.path.exists(candidate):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    sys.exit(f"coverage: {name} not found")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=80.0)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()

    bin_dir = subprocess.check_output(["swift", "build", "--show-bin-path"], text=True).strip()
    codecov = os.path.join(bin_dir, "codecov")
    raws = glob.glob(os.path.join(codecov, "*.profraw"))
    if not raws:
        sys.exit("coverage: no .profraw files in " + codecov)
    merged = os.path.join(codecov, "merged.profdata")
    subprocess.check_call([tool("llvm-profdata"), "merge", "-sparse", "-o", merged] + raws)

    binaries = glob.glob(os.path.join(bin_dir, "*PackageTests.xctest"))
    executable = os.path.join(bin_dir, "orderstream")
    objects = binaries[:1]
    if os.path.exists(executable):
        objects += ["-object", executable]
    sources = os.path.realpath("Sources")
    out = subprocess.check_output(
        [tool("llvm-cov"), "export", "-summary-only", "-instr-profile=" + merged] + objects, text=True)
    data = json.loads(out)
    covered = total = 0
    rows = []
    for entry in data["data"][0]["files"]:
        name = os.path.realpath(entry["filename"])
        if not name.startswith(sources + os.sep):
            continue
        lines = entry["summary"]["lines"]
        covered += lines["covered"]
        total += lines["count"]
        rows.append((os.path.relpath(name), lines["covered"], lines["count"]))
    for name, c, t in sorted(rows):
        pct = 100.0 * c / t if t else 100.0
        print(f"{pct:6.1f}%  {c:5d}/{t:<5d}  {name}")
    pct = 100.0 * covered / total if total else 0.0
    print(f"TOTAL line coverage of Sources/: {pct:.1f}% ({covered}/{total} lines), threshold {args.threshold:.0f}%")
    if not args.report_only and pct < args.threshold:
        print("coverage: FAILED, under the threshold")
        sys.exit(1)


if __name__ == "__main__":
    main()
