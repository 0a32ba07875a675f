#!/usr/bin/env python3
"""Lineage graph benchmark: p50/p99 latency of GET /api/lineage/graph at depth 1, 3 and 10
on a generated graph (default 100,000 datasets and 1,000,000 edges), on SQLite and PostgreSQL.

usage: python3 bench/lineage_graph.py [--datasets 100000] [--edges 1000000] [--queries 200]
                                      [--seed 42] [--backends sqlite,postgres]
                                      [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
                                      [--max-nodes 1000] [--no-build] [--bin PATH]

1. builds `torro` (release) unless --no-build;
2. per backend, creates a fresh catalog (`torro migrate`: a temp SQLite file, or a throwaway
   PostgreSQL database) and loads the generated graph straight into the lineage tables in
   batches (SQLite: executemany in one transaction per 50,000 rows; PostgreSQL: COPY through
   psql). The graph is a layered DAG (20 layers; every edge goes from one layer to the next,
   so depth 10 is reachable), each edge produced by one of 10,000 processes, one column
   mapping on every tenth edge; fixed seed;
3. starts `torro serve` on a free loopback port and asks for the graph around random
   datasets of the middle layers (direction both, default node limit 1,000: the walk stops
   there and says `truncated`), timing each request end to end over HTTP.
Only the standard library (and psql for PostgreSQL) is used.
"""
import argparse, hashlib, json, os, random, shutil, statistics, struct, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "torro")
LAYERS = 20
PROCESSES = 10_000
TS_SQLITE = "2026-01-01T00:00:00.000000Z"
TS_PG = "2026-01-01 00:00:00+00"


def sha_hex(*parts):
    """The store's key: SHA-256 over (length as u64 LE, bytes) of each part."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode()
        h.update(struct.pack("<Q", len(b)))
        h.update(b)
    return h.hexdigest()


def dataset_urn(i):
    return f"postgres://bench:5432/shop.layer{i % LAYERS}.table_{i}"


def graph_rows(n_datasets, n_edges, seed):
    """(datasets, processes, edges, columns) rows; ids are 1-based in insertion order."""
    rng = random.Random(seed)
    by_layer = [[] for _ in range(LAYERS)]
    for i in range(n_datasets):
        by_layer[i % LAYERS].append(i + 1)
    datasets = []
    for i in range(n_datasets):
        urn = dataset_urn(i)
        datasets.append((sha_hex(urn), urn, "postgres://bench:5432", urn.split("/", 3)[3]))
    processes = []
    for p in range(PROCESSES):
        urn = f"airflow://bench/job_{p}"
        processes.append((sha_hex(urn), urn, "airflow://bench", f"job_{p}"))
    edges, columns = [], []
    seen = set()
    while len(edges) < n_edges:
        layer = rng.randrange(LAYERS - 1)
        s = rng.choice(by_layer[layer])
        t = rng.choice(by_layer[layer + 1])
        p = rng.randrange(PROCESSES) + 1
        key = (s, t, p)
        if key in seen:
            continue
        seen.add(key)
        edge_id = len(edges) + 1
        edges.append((s, t, p, f"{edge_id:064x}"))
        if edge_id % 10 == 0:
            columns.append((edge_id, "amount", "amount_total"))
    return datasets, processes, edges, columns, by_layer


def load_sqlite(path, rows):
    import sqlite3
    datasets, processes, edges, columns, _ = rows
    db = sqlite3.connect(path)
    batch = 50_000

    def insert(sql, data):
        for i in range(0, len(data), batch):
            db.executemany(sql, data[i:i + batch])
            db.commit()

    insert("INSERT INTO lineage_datasets (urn_key, urn, namespace, name, facets_json, created_at, updated_at) "
           f"VALUES (?, ?, ?, ?, '{{}}', '{TS_SQLITE}', '{TS_SQLITE}')", datasets)
    insert("INSERT INTO lineage_processes (urn_key, urn, namespace, name, process_type, source_system, facets_json, "
           f"created_at, updated_at) VALUES (?, ?, ?, ?, 'job', 'airflow', '{{}}', '{TS_SQLITE}', '{TS_SQLITE}')",
           processes)
    insert("INSERT INTO lineage_edges (source_id, target_id, process_id, relationship, origin, confidence, "
           "metadata_json, content_hash, open_key, valid_from) "
           f"VALUES (?, ?, ?, 'derives', 'api', 100, 'null', 'x', ?, '{TS_SQLITE}')", edges)
    insert("INSERT INTO lineage_column_edges (edge_id, source_column, target_column, transformation) "
           "VALUES (?, ?, ?, 'aggregation')", columns)
    db.execute("ANALYZE")
    db.commit()
    db.close()


def psql(url, *args, stdin=None):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", *args], input=stdin, text=True, check=True,
                          stdout=subprocess.PIPE)


def copy_pg(url, table, columns, rows):
    """COPY rows (tuples) into table through psql, 200,000 rows per COPY."""
    for i in range(0, len(rows), 200_000):
        data = "\n".join("\t".join(str(v) for v in r) for r in rows[i:i + 200_000]) + "\n"
        psql(url, "-c", f"\\copy {table} ({columns}) FROM STDIN", stdin=data)


def load_postgres(url, rows):
    datasets, processes, edges, columns, _ = rows
    copy_pg(url, "lineage_datasets", "urn_key, urn, namespace, name, facets_json, created_at, updated_at",
            [d + ("{}", TS_PG, TS_PG) for d in datasets])
    copy_pg(url, "lineage_processes",
            "urn_key, urn, namespace, name, process_type, source_system, facets_json, created_at, updated_at",
            [p + ("job", "airflow", "{}", TS_PG, TS_PG) for p in processes])
    copy_pg(url, "lineage_edges", "source_id, target_id, process_id, relationship, origin, confidence, "
            "metadata_json, content_hash, open_key, valid_from",
            [(s, t, p, "derives", "api", 100, "null", "x", k, TS_PG) for s, t, p, k in edges])
    copy_pg(url, "lineage_column_edges", "edge_id, source_column, target_column, transformation",
            [c + ("aggregation",) for c in columns])
    psql(url, "-c", "ANALYZE")


def serve(url, work):
    # --no-auth: the benchmark measures graph queries, not sign-in (loopback only).
    proc = subprocess.Popen([BIN, "serve", "--no-auth", "--bind", "127.0.0.1:0", "--database-url", url], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "TORRO_LOG": "error"})
    line = proc.stdout.readline()
    base = next(w for w in line.split() if w.startswith("http://"))
    return proc, base


def measure(base, starts, depth, max_nodes):
    times, nodes, truncated = [], [], 0
    for urn in starts:
        q = urllib.parse.urlencode({"urn": urn, "direction": "both", "depth": depth, "max_nodes": max_nodes})
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{base}/api/lineage/graph?{q}") as r:
            body = json.loads(r.read())
        times.append((time.perf_counter() - t0) * 1000)
        nodes.append(len(body["nodes"]))
        truncated += body["truncated"]
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times), p99, statistics.mean(nodes), truncated


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-nodes", type=int, default=1000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--bin", help="torro binary to run (default: the release build; implies --no-build)")
    a = ap.parse_args()
    global BIN
    if a.bin:
        BIN, a.no_build = os.path.abspath(a.bin), True
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "torro"], cwd=ROOT, check=True)

    t0 = time.perf_counter()
    rows = graph_rows(a.datasets, a.edges, a.seed)
    print(f"generated {a.datasets} datasets, {len(rows[2])} edges, {len(rows[3])} column mappings "
          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    rng = random.Random(a.seed + 1)
    middle = [d for layer in rows[4][5:15] for d in layer]
    starts = [dataset_urn(rng.choice(middle) - 1) for _ in range(a.queries)]

    results = []
    for backend in a.backends.split(","):
        work = tempfile.mkdtemp(prefix="torro-lineage-bench-")
        if backend == "sqlite":
            url = f"sqlite:{os.path.join(work, 'catalog.db')}"
            cleanup = lambda: None
        else:
            name = f"torro_lineage_bench_{os.getpid()}"
            psql(a.postgres_url, "-c", f"CREATE DATABASE {name}")
            base_url = a.postgres_url.rsplit("/", 1)[0]
            url = f"{base_url}/{name}"
            cleanup = lambda: psql(a.postgres_url, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        try:
            subprocess.run([BIN, "migrate", "--database-url", url], cwd=work, check=True, stdout=subprocess.DEVNULL)
            t0 = time.perf_counter()
            if backend == "sqlite":
                load_sqlite(url.split(":", 1)[1], rows)
            else:
                load_postgres(url, rows)
            load_s = time.perf_counter() - t0
            print(f"{backend}: loaded in {load_s:.1f}s", file=sys.stderr, flush=True)
            proc, base = serve(url, work)
            try:
                measure(base, starts[:20], 3, a.max_nodes)  # warm the caches
                for depth in (1, 3, 10):
                    p50, p99, mean_nodes, truncated = measure(base, starts, depth, a.max_nodes)
                    results.append((backend, load_s, depth, p50, p99, mean_nodes, truncated))
                    print(f"{backend}: depth {depth}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", file=sys.stderr, flush=True)
            finally:
                proc.terminate()
                proc.wait()
        finally:
            cleanup()
            shutil.rmtree(work, ignore_errors=True)

    print(f"lineage graph benchmark: {a.datasets} datasets, {a.edges} edges, {a.queries} queries per depth, "
          f"direction both, max_nodes {a.max_nodes}, seed {a.seed}")
    print(f"{'backend':<10}{'load s':>8}{'depth':>7}{'p50 ms':>9}{'p99 ms':>9}{'nodes (mean)':>14}{'truncated':>11}")
    for backend, load_s, depth, p50, p99, mean_nodes, truncated in results:
        print(f"{backend:<10}{load_s:>8.1f}{depth:>7}{p50:>9.1f}{p99:>9.1f}{mean_nodes:>14.0f}{truncated:>11}")


if __name__ == "__main__":
    main()
