"""``ktxh load`` of a synthetic province into SQLite and into PostgreSQL.

    .venv/bin/python benchmarks/bench_load.py [--communes 1000] [--keep DIR]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

A package is written for a province of ``--communes`` communes with the whole Lai
Châu catalog and a consistent plan (plan, first half and estimate of 2023, plan
of 2024, the whole catalog in every unit: about 1,5 million values for 1.000
communes). Each backend then runs in
a process of its own, so that its peak memory is its own: a fresh store (a
SQLite file, or a PostgreSQL database created for the run and dropped after),
``ktxh load`` of the package (validation, then one transaction; values and
history go in through ``COPY`` on PostgreSQL, batched inserts on SQLite), and
``ktxh dump`` of the store back to files. Prints a Markdown table for
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

YEAR = 2023
COLUMNS = [("plan", YEAR), ("h1", YEAR), ("estimate", YEAR), ("plan", YEAR + 1)]


def child(backend: str, package: Path, work: Path, url: str) -> None:
    """One backend: migrate, validate, load, dump; print the figures as JSON."""
    if backend == "postgresql":
        os.environ["DATABASE_URL"] = url
    else:
        os.environ["KTXH_DATABASE"] = str(work / "bench.sqlite3")
    from ktxh import store

    store.migrate()
    from ktxh.io.datapackage import read_package
    from ktxh.store import packages

    t0 = time.perf_counter()
    pkg = read_package(package)
    t1 = time.perf_counter()
    loaded = packages.load(pkg, user="bench")
    t2 = time.perf_counter()
    packages.dump(work / f"dump-{backend}")
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "values": loaded.counts["values"],
                "validate": t1 - t0,
                "insert": t2 - t1,
                "dump": t3 - t2,
                "peak_mib": peak,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--communes", type=int, default=1000)
    ap.add_argument("--keep", type=Path, help="keep the package and the dumps here")
    ap.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the benchmark's database on ('' to skip)",
    )
    ap.add_argument("--child", nargs=4, metavar=("BACKEND", "PACKAGE", "WORK", "URL"))
    args = ap.parse_args()
    if args.child:
        backend, package, work, url = args.child
        child(backend, Path(package), Path(work), url)
        return

    from province import write_province

    work = args.keep or Path(tempfile.mkdtemp(prefix="ktxh-bench-load-"))
    package = work / "tinh-mau"
    start = time.perf_counter()
    n = write_province(package, args.communes, YEAR, COLUMNS, everywhere=True)
    made = time.perf_counter() - start
    size = sum(p.stat().st_size for p in package.iterdir()) / 2**20
    import polars as pl

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, polars {pl.__version__}"
    )
    print(
        f"package: {args.communes:,} communes, {n:,} values, {size:.0f} MiB (made in {made:.0f} s)"
    )
    rows = []
    backends = [("sqlite", "")]
    if args.database_url:
        parsed = urlparse(args.database_url)
        name = f"ktxh_bench_load_{os.getpid()}"
        backends.append(("postgresql", parsed._replace(path=f"/{name}").geturl()))
        admin = ["psql", args.database_url, "-q", "-c"]
        subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)
    try:
        for backend, url in backends:
            done = subprocess.run(
                [sys.executable, __file__, "--child", backend, str(package), str(work), url],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"{backend}: {done.stderr}")
            rows.append((backend, json.loads(done.stdout.strip().splitlines()[-1])))
    finally:
        if args.database_url:
            subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name}"], check=False)
    print("\n| store | values | validate | load (one transaction) | dump | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for backend, r in rows:
        print(
            f"| {backend} | {r['values']:,} | {r['validate']:.1f} s | {r['insert']:.1f} s | "
            f"{r['dump']:.1f} s | {r['peak_mib']:,.0f} MiB |"
        )
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
