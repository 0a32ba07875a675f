#!/usr/bin/env python3
"""Memory with many objects: N empty .txt files (listed and cataloged, never read).

usage: python3 bench/many_objects.py [--objects 1000000] [--no-build]

Creates N empty files in 1,000-file folders under bench/data/empty-N (once), scans them
into a fresh SQLite catalog, then rescans with nothing changed, and prints each scan's
time and peak RSS (from wait4, this one process only).
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "torro")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "torro"], cwd=ROOT, check=True)
    lake = os.path.join(ROOT, "bench", "data", f"empty-{a.objects}")
    if not os.path.isdir(lake):
        print(f"creating {a.objects} empty files under {lake} ...", file=sys.stderr)
        for i in range(a.objects):
            folder = os.path.join(lake, f"raw/d{i // 1000:04d}")
            if i % 1000 == 0:
                os.makedirs(folder, exist_ok=True)
            open(os.path.join(folder, f"f{i:07d}.txt"), "w").close()
    work = tempfile.mkdtemp(prefix="torro-many-")
    db = os.path.join(work, "catalog.db")
    for label in ("cold scan", "unchanged rescan"):
        out_path = os.path.join(work, "scan.json")
        with open(out_path, "w") as out:
            start = time.perf_counter()
            proc = subprocess.Popen([BIN, "scan", lake, "--database-url", f"sqlite:{db}", "--format", "json"],
                                    stdout=out, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        if status != 0:
            sys.exit(f"scan failed (wait status {status})")
        c = json.load(open(out_path))["scan"]["counts"]
        print(f"{label:<18} {c['listed']:>9} listed  {c['new']:>9} new  {c['unchanged']:>9} unchanged  "
              f"{seconds:7.1f} s  peak RSS {usage.ru_maxrss / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
