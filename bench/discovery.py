#!/usr/bin/env python3
"""Discovery benchmark: scan N generated files twice and print what it cost.

usage: python3 bench/discovery.py [--files 10000] [--seed 42] [--database-url URL] [--no-build]

1. builds `torro` (release) unless --no-build;
2. generates N files once (40% CSV ~19 KiB, 40% Parquet, 20% NDJSON ~19 KiB, fixed seed)
   under bench/data/ with `torro demo bench`;
3. scans them into a fresh catalog (a temp SQLite file unless --database-url), then scans
   again with nothing changed; prints objects/s, reads and bytes per object, peak RSS,
   and the second scan's time and bytes (which must be zero).
Only the standard library is used, so it runs anywhere the repo builds.
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "torro")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--database-url", help="catalog to use (default: a fresh temp SQLite file)")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()

    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "torro"], cwd=ROOT, check=True)
    data = os.path.join(ROOT, "bench", "data", f"files-{a.files}-seed-{a.seed}")
    if not os.path.isdir(data):
        print(f"generating {a.files} files under {data} ...", file=sys.stderr)
        subprocess.run([BIN, "demo", "bench", data, "--files", str(a.files), "--seed", str(a.seed)], check=True,
                       stdout=subprocess.DEVNULL)
    total_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(data) for f in fs)

    tmp = tempfile.mkdtemp(prefix="torro-bench-")
    url = a.database_url or f"sqlite:{os.path.join(tmp, 'catalog.db')}"
    results = []
    for label in ("first scan", "rescan, nothing changed"):
        # A fresh process per scan, so each one's peak RSS is its own.
        out_path = os.path.join(tmp, "scan.json")
        with open(out_path, "w") as out_file:
            start = time.perf_counter()
            proc = subprocess.Popen([BIN, "scan", data, "--database-url", url, "--format", "json"],
                                    stdout=out_file, stderr=subprocess.DEVNULL)
            # wait4 gives this one process's peak RSS (ru_maxrss, KiB on Linux).
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        if status != 0:
            sys.exit(f"scan failed (wait status {status}); run it by hand to see why: {BIN} scan {data}")
        with open(out_path) as f:
            out = f.read()
        peak_mib = usage.ru_maxrss / 1024
        scan = json.loads(out)["scan"]
        c = scan["counts"]
        results.append((label, seconds, c, peak_mib, scan["error_count"]))

    print(f"discovery benchmark: {a.files} files, {total_bytes / 1e6:.1f} MB on local disk, catalog {url.split(':')[0]}")
    print(f"{'scan':<26}{'seconds':>9}{'objects/s':>11}{'reads/obj':>11}{'bytes/obj':>11}{'bytes read':>12}"
          f"{'new':>7}{'unchanged':>10}{'failed':>7}{'peak RSS MiB':>14}")
    for label, seconds, c, peak, errors in results:
        n = max(c["listed"], 1)
        reads = c["requests"] - 1  # one listing request; the rest are ranged reads
        print(f"{label:<26}{seconds:>9.2f}{c['listed'] / seconds:>11.0f}{reads / n:>11.3f}{c['bytes_read'] / n:>11.0f}"
              f"{c['bytes_read']:>12}{c['new']:>7}{c['unchanged']:>10}{c['failed']:>7}{peak:>14.1f}")
    if results[1][2]["bytes_read"] != 0:
        sys.exit("FAIL: the rescan with nothing changed read file bytes")


if __name__ == "__main__":
    main()
