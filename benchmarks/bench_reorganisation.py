"""Consolidation and comparisons across the 2025 reorganisation, at national size.

    .venv/bin/python benchmarks/bench_reorganisation.py [--communes 3321] [--merge 3]
        [--districts 700] [--indicators 60] [--years 10]

A tree like Vietnam's: one top unit with ``--districts`` districts and
``--communes × --merge`` communes below them until 1 July 2025; from that day
``--communes`` new communes directly under the top, each the merge of
``--merge`` old ones, and the district level abolished. ``--indicators`` of the
Lai Châu catalog (sums, rates with their numerators and denominators, yields with
their areas), with plan, first half and estimate for ``--years`` years up to 2026
(each value for the units valid in its period). Timed: the consolidation of the
latest year over the tree of its period, "so với cùng kỳ" of the first half of
2026 against 2025 (the new communes against their predecessors), and the trend:
every earlier year mapped onto the communes of 2026. Prints a Markdown table
for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import date

import numpy as np
import polars as pl

from ktxh.domain.catalog import Catalog, Consolidation
from ktxh.domain.consolidate import consolidate
from ktxh.domain.history import compare_years, values_for
from ktxh.domain.orgunits import EventKind, OrgEvent, OrgTree, OrgUnit, period_day
from ktxh.io.datapackage import read_dataset, shipped_package

REFORM = date(2025, 7, 1)
MEASURES = ("plan", "h1", "estimate")


def pick_indicators(catalog: Catalog, n: int) -> Catalog:
    """``n`` indicators with every rule, and what rates and yields are made of."""
    chosen: list[str] = []
    for rule in (Consolidation.RATE, Consolidation.WEIGHTED_MEAN, Consolidation.SUM):
        for ind in catalog:
            if ind.consolidation is rule and len(chosen) < n and ind.code not in chosen:
                if rule is not Consolidation.SUM and len(ind.basis) < (
                    2 if rule is Consolidation.RATE else 1
                ):
                    continue
                chosen.append(ind.code)
                chosen += [b for b in ind.basis if b not in chosen]
    keep = {c: catalog[c] for c in chosen}
    return Catalog(catalog.forms, keep, catalog.units)


def tree(communes: int, merge: int, districts: int) -> OrgTree:
    units = [OrgUnit("vn", "Cả nước", "toàn quốc")]
    units += [
        OrgUnit(f"h{d:04d}", f"Huyện {d}", "huyện", "vn", valid_to=REFORM) for d in range(districts)
    ]
    old = communes * merge
    units += [
        OrgUnit(f"o{c:05d}", f"Xã cũ {c}", "xã", f"h{c % districts:04d}", valid_to=REFORM)
        for c in range(old)
    ]
    units += [
        OrgUnit(f"n{c:04d}", f"Xã mới {c}", "xã", "vn", valid_from=REFORM) for c in range(communes)
    ]
    events = [
        OrgEvent(
            f"m{c}",
            REFORM,
            EventKind.MERGE,
            tuple(f"o{c * merge + k:05d}" for k in range(merge)),
            (f"n{c:04d}",),
        )
        for c in range(communes)
    ]
    events.append(OrgEvent("huyen", REFORM, EventKind.ABOLISH_LEVEL, level="huyện"))
    return OrgTree(units, events)


def values(cat: Catalog, t: OrgTree, years: range, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    codes = [i.code for i in cat if i.unit]
    for year in years:
        for measure in MEASURES:
            units = [u.code for u in t.at(period_day(year, measure)) if u.level == "xã"]
            n = len(units) * len(codes)
            frames.append(
                pl.DataFrame(
                    {
                        "indicator": np.repeat(codes, len(units)),
                        "orgunit": np.tile(units, len(codes)),
                        "year": np.full(n, year, dtype=np.int32),
                        "measure": [measure] * n,
                        "value": rng.uniform(1, 1000, n),
                    }
                )
            )
    return pl.concat(frames)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--communes", type=int, default=3321)
    ap.add_argument("--merge", type=int, default=3)
    ap.add_argument("--districts", type=int, default=700)
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    cat = pick_indicators(read_dataset(shipped_package()).catalog, args.indicators)
    t0 = time.perf_counter()
    t = tree(args.communes, args.merge, args.districts)
    data = values(cat, t, range(2027 - args.years, 2027), seed=1)
    made = time.perf_counter() - t0
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, polars {pl.__version__}"
    )
    print(
        f"tree: {len(t):,} units ({args.districts:,} districts and {args.communes * args.merge:,} "
        f"communes until 30/06/2025, {args.communes:,} communes from 01/07/2025); "
        f"{len(cat)} indicators; {data.height:,} values over {args.years} years "
        f"(made in {made:.1f} s)"
    )
    timings = []
    start = time.perf_counter()
    latest = data.filter(pl.col("year") == 2026)
    totals = consolidate(latest, cat, t)
    timings.append(
        ("consolidate 2026 (tree of each period)", time.perf_counter() - start, totals.height)
    )
    start = time.perf_counter()
    same = compare_years(data, cat, t, 2026, "h1", 2025)
    timings.append(
        (
            "so với cùng kỳ: h1 2026 against h1 2025 mapped onto 2026's communes",
            time.perf_counter() - start,
            same.height,
        )
    )
    start = time.perf_counter()
    n = 0
    for year in range(2027 - args.years, 2026):
        n += values_for(data, cat, t, date(2026, 12, 31), year, "estimate").height
    timings.append(
        (
            f"trend: the estimates of {args.years - 1} earlier years mapped onto 2026's communes",
            time.perf_counter() - start,
            n,
        )
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n| step | time | rows |\n| --- | ---: | ---: |")
    for name, seconds, rows in timings:
        print(f"| {name} | {seconds:.2f} s | {rows:,} |")
    print(f"| peak memory (whole process, data included) | {peak:,.0f} MiB | |")


if __name__ == "__main__":
    main()
