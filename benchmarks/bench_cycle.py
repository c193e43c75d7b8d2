"""Ten years of rounds in one store: ``show``, ``check`` and ``report`` of the latest
round against the same commands on a store that holds that round only (issue 12).

    .venv/bin/python benchmarks/bench_cycle.py [--communes 1000] [--rounds 10]
        [--year 2025] [--repeat 3] [--keep DIR]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

A synthetic province of ``--communes`` communes with the Lai Châu catalog
(benchmarks/province.py) and a consistent plan for round ``--year`` (plan, first
half and estimate of the year, its next year's plan, last year's actual: about 1,1
million values for 1.000 communes) is written as a package. Two stores are made of
it, for each backend (a SQLite file; a PostgreSQL database when ``--database-url``
is not empty):

* **one round**: the package loaded by ``ktxh load`` (``packages.load``);
* **ten rounds**: the same, and the ``--rounds`` - 1 years before it as closed
  rounds: each year's plan, first half, estimate and actual, a consistent plan of
  its own (seeded by the year), inserted in bulk (``COPY`` on PostgreSQL) as a
  store that lived through them would hold them (their audit trail is left out: no
  command timed here reads it).

Then each command runs as a person runs it, in a process of its own (Python,
Django and the store opened each time), alternately on the two stores,
``--repeat`` times; the median and the best wall time are printed, and the ratio
of the medians (target: at most 1,5):

* ``ktxh show 2`` (Biểu 2: the province's totals consolidated from the communes);
* ``ktxh check --format json -o FILE``;
* ``ktxh report --xlsx FILE --docx FILE``.

Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

KTXH = [sys.executable, "-c", "from ktxh.cli import main; main()"]


def columns(year: int) -> list[tuple[str, int]]:
    """The cells of round ``year``."""
    return [
        ("plan", year),
        ("h1", year),
        ("estimate", year),
        ("actual", year - 1),
        ("plan", year + 1),
    ]


def env_for(backend: str, where: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KTXH_DATABASE")}
    if backend == "postgresql":
        env["DATABASE_URL"] = where
    else:
        env["KTXH_DATABASE"] = where
    return env


def build(backend: str, where: str, package: Path, rounds: int, year: int, communes: int) -> None:
    """A fresh store at ``where``: the package, and ``rounds`` - 1 earlier closed rounds."""
    os.environ.update(env_for(backend, where))
    os.environ.pop("KTXH_DATABASE" if backend == "postgresql" else "DATABASE_URL", None)
    from ktxh import store

    store.migrate()
    import polars as pl
    from django.db import transaction
    from province import province

    from ktxh.domain.synthetic import consistent_plan
    from ktxh.io.datapackage import read_package, shipped_package
    from ktxh.store import models, packages
    from ktxh.store.sql import insert_frame

    t0 = time.perf_counter()
    loaded = packages.load(read_package(package), user="bench")
    out = {"values": loaded.counts["values"], "load": time.perf_counter() - t0}
    if rounds > 1:
        t0 = time.perf_counter()
        base = read_package(shipped_package())
        tree = province(communes)
        rules = base.dataset().rules
        added = 0
        with transaction.atomic():
            for y in range(year - rounds + 1, year):
                cells = [("plan", y), ("h1", y), ("estimate", y)]
                if y < year - 1:  # the actual of year - 1 is in the round's package
                    cells.append(("actual", y))
                made = consistent_plan(base.catalog, tree, y, rules, seed=y, columns=cells)
                frame = made.filter(
                    pl.col("measure").is_in(["plan", "h1", "estimate", "actual"])
                ).select(
                    pl.col("indicator").alias("indicator_id"),
                    pl.col("orgunit").alias("orgunit_id"),
                    "year",
                    "measure",
                    pl.col("value").round(3),
                    pl.lit("").alias("printed"),
                    pl.lit("package").alias("source"),
                    pl.lit("").alias("source_ref"),
                    pl.lit("").alias("confidence"),
                    pl.lit("").alias("note"),
                    pl.lit(1).alias("version"),
                    pl.lit("").alias("updated_by"),
                )
                added += insert_frame(models.Value, frame)
                models.Round.objects.create(year=y, status=models.RoundStatus.CLOSED)
        out["values"] += added
        out["history"] = time.perf_counter() - t0
    print(json.dumps(out))


COMMANDS = {
    "show": lambda tmp: ["show", "2"],
    "check": lambda tmp: ["check", "--format", "json", "--output", str(tmp / "kiem-tra.json")],
    "report": lambda tmp: [
        "report",
        "--xlsx",
        str(tmp / "phu-luc.xlsx"),
        "--docx",
        str(tmp / "bao-cao.docx"),
    ],
}


def timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([*KTXH, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # check exits 1 when it finds errors
        raise SystemExit(f"ktxh {' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--communes", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep the package and the SQLite stores here")
    ap.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create the benchmark's databases on ('' to skip)",
    )
    ap.add_argument("--only", choices=sorted(COMMANDS), action="append")
    ap.add_argument("--reuse", action="store_true", help="reuse the SQLite stores in --keep")
    ap.add_argument("--child", nargs=3, metavar=("BACKEND", "WHERE", "ROUNDS"))
    ap.add_argument("--package", type=Path)
    args = ap.parse_args()
    if args.child:
        backend, where, rounds = args.child
        build(backend, where, args.package, int(rounds), args.year, args.communes)
        return

    from province import write_province

    work = args.keep or Path(tempfile.mkdtemp(prefix="ktxh-bench-cycle-"))
    work.mkdir(parents=True, exist_ok=True)
    package = work / "tinh-mau"
    if not package.exists():
        write_province(package, args.communes, args.year, columns(args.year))
    import polars as pl

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, polars {pl.__version__}; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    stores: list[tuple[str, str, str]] = []  # (backend, label, where)
    for label, rounds in (("one round", 1), (f"{args.rounds} rounds", args.rounds)):
        stores.append(("sqlite", label, str(work / f"store-{rounds}.sqlite3")))
    admin: list[str] = []
    made_dbs: list[str] = []
    if args.database_url:
        parsed = urlparse(args.database_url)
        admin = ["psql", args.database_url, "-q", "-c"]
        for label, rounds in (("one round", 1), (f"{args.rounds} rounds", args.rounds)):
            name = f"ktxh_bench_cycle_{rounds}_{os.getpid()}"
            subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)
            made_dbs.append(name)
            stores.append(("postgresql", label, parsed._replace(path=f"/{name}").geturl()))
    results: dict[tuple[str, str], dict[str, list[float]]] = {}
    sizes: dict[tuple[str, str], dict[str, float]] = {}
    try:
        for backend, label, where in stores:
            rounds = 1 if label == "one round" else args.rounds
            if backend == "sqlite" and Path(where).exists():
                if args.reuse:  # a store of an earlier run (--keep), to time changed code
                    continue
                Path(where).unlink()
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    backend,
                    where,
                    str(rounds),
                    "--package",
                    str(package),
                    "--year",
                    str(args.year),
                    "--communes",
                    str(args.communes),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise SystemExit(f"{backend} {label}: {done.stderr[-3000:]}")
            sizes[(backend, label)] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{backend}, {label}: {sizes[(backend, label)]}", flush=True)
        tmp = work / "out"
        tmp.mkdir(exist_ok=True)
        for name in args.only or list(COMMANDS):
            for _ in range(args.repeat):
                for backend, label, where in stores:  # alternately: the load drifts
                    took = timed(COMMANDS[name](tmp), env_for(backend, where))
                    results.setdefault((backend, label), {}).setdefault(name, []).append(took)
                    print(f"  {backend}, {label}, {name}: {took:.1f} s", flush=True)
    finally:
        for name in made_dbs:
            subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name}"], check=False)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
        f"\n| store | command | one round (median / best) | {args.rounds} rounds "
        "(median / best) | ratio of medians |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    backends = sorted({b for b, _, _ in stores}, key=["sqlite", "postgresql"].index)
    many = f"{args.rounds} rounds"
    for backend in backends:
        one, ten = results[(backend, "one round")], results[(backend, many)]
        for name in args.only or list(COMMANDS):
            a, b = one[name], ten[name]
            print(
                f"| {backend} | {name} | {statistics.median(a):.1f} s / {min(a):.1f} s | "
                f"{statistics.median(b):.1f} s / {min(b):.1f} s | "
                f"{statistics.median(b) / statistics.median(a):.2f} |"
            )
    for (backend, label), size in sizes.items():
        print(
            f"- {backend}, {label}: {size['values']:,} values, made in {size['load']:.0f} s"
            + (f" + {size['history']:.0f} s for the earlier rounds" if "history" in size else "")
        )


if __name__ == "__main__":
    main()
