#!/usr/bin/env python3
"""Web UI at scale: how long the requests behind each page take on a large catalog.

usage: python3 bench/ui.py [--files 100000] [--seed 42] [--no-build] [--repeat 5]

1. builds `torro` (release, UI embedded) unless --no-build;
2. generates N files once under bench/data/ with `torro demo bench` (the same files as
   bench/discovery.py) and scans them into a fresh SQLite catalog;
3. starts `torro serve` on a free loopback port and times, median of --repeat runs, every
   request a page makes: the UI's index.html and its largest script, and the API calls of
   the dashboard, the discoveries table (first, last, sorted, filtered, searched pages) and
   the scans and datasets pages.
The UI itself never holds more than one page (at most 100 rows), so these are its costs.
Only the standard library is used.
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "torro")


def fetch(url):
    start = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
    return time.perf_counter() - start, body


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--bin", default=os.environ.get("TORRO_BIN", BIN))
    a = ap.parse_args()

    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "torro"], cwd=ROOT, check=True)
    data = os.path.join(ROOT, "bench", "data", f"files-{a.files}-seed-{a.seed}")
    if not os.path.isdir(data):
        print(f"generating {a.files} files under {data} ...", file=sys.stderr)
        subprocess.run([a.bin, "demo", "bench", data, "--files", str(a.files), "--seed", str(a.seed)], check=True,
                       stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="torro-bench-ui-")
    url = f"sqlite:{os.path.join(tmp, 'catalog.db')}"
    print(f"scanning {a.files} files into {url} ...", file=sys.stderr)
    start = time.perf_counter()
    subprocess.run([a.bin, "scan", data, "--database-url", url, "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"scanned in {time.perf_counter() - start:.1f} s", file=sys.stderr)

    # --no-auth: the benchmark times page loads, not sign-in (loopback only).
    server = subprocess.Popen([a.bin, "serve", "--no-auth", "--bind", "127.0.0.1:0", "--database-url", url],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp,
                              env={**os.environ, "TORRO_SECRET_KEY": "bench-ui"})
    try:
        line = server.stdout.readline()
        m = re.search(r"serving on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            sys.exit(f"torro serve did not start: {line!r}")
        base = m.group(1)
        _, index = fetch(base + "/")
        scripts = re.findall(rb'src="(/assets/[^"]+\.js)"', index)
        stats = json.loads(fetch(base + "/api/discovery/stats")[1])
        last_page = max(0, (stats["total"] - 1) // 100)
        requests = [
            ("UI index.html", "/"),
            ("UI entry script", scripts[0].decode() if scripts else "/"),
            ("dashboard: stats", "/api/discovery/stats"),
            ("dashboard: newest 6", "/api/discovery?size=6&sort=first_seen&order=desc"),
            ("dashboard: recent changes 20", "/api/discovery?size=20&sort=last_changed&order=desc"),
            ("dashboard + scans: 5 runs", "/api/scans?page=0&size=5"),
            ("discoveries: first page (25)", "/api/discovery?page=0&size=25"),
            ("discoveries: last page (100)", f"/api/discovery?page={last_page}&size=100"),
            ("discoveries: by name, asc", "/api/discovery?size=25&sort=name&order=asc"),
            ("discoveries: format=parquet", "/api/discovery?size=25&format=parquet"),
            ("discoveries: search", "/api/discovery?size=25&search=customer"),
            ("datasets: first page", "/api/datasets?page=0&size=25"),
        ]
        print(f"web UI requests on a catalog of {stats['total']:,} files (SQLite), median of {a.repeat}")
        print(f"{'request':<34}{'ms':>9}{'KiB':>9}")
        for label, path in requests:
            times, size = [], 0
            for _ in range(a.repeat):
                seconds, body = fetch(base + path)
                times.append(seconds)
                size = len(body)
            print(f"{label:<34}{statistics.median(times) * 1000:>9.1f}{size / 1024:>9.1f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
