"""Consolidation and comparisons over a synthetic country.

    .venv/bin/python benchmarks/bench_core.py [--provinces 34] [--communes 3321]

The Lai Châu catalog (every indicator of the 13 forms) over a tree of 34
provinces and 3.321 communes and wards, plan / h1 / estimate of the reference
year and the next year's plan for every commune. Prints the timings; record
them in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import numpy as np
import polars as pl

from ktxh.domain.catalog import RowKind
from ktxh.domain.compare import comparison_frame
from ktxh.domain.consolidate import consolidate
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.io.datapackage import read_dataset, shipped_package


def build(provinces: int, communes: int, seed: int = 1) -> tuple[OrgTree, pl.DataFrame, int]:
    ds = read_dataset(shipped_package())
    units = [OrgUnit("vn", "Việt Nam", "quốc gia")]
    units += [OrgUnit(f"p{p}", f"Tỉnh {p}", "tỉnh", "vn") for p in range(provinces)]
    units += [OrgUnit(f"c{c}", f"Xã {c}", "xã", f"p{c % provinces}") for c in range(communes)]
    tree = OrgTree(units)
    codes = [i.code for i in ds.catalog if i.kind is RowKind.INDICATOR]
    leaves = [f"c{c}" for c in range(communes)]
    y = ds.reference_year
    cols = [("plan", y), ("h1", y), ("estimate", y), ("plan", y + 1)]
    rng = np.random.default_rng(seed)
    n = len(codes) * len(leaves)
    frames = []
    for measure, year in cols:
        frames.append(
            pl.DataFrame(
                {
                    "indicator": np.repeat(codes, len(leaves)),
                    "orgunit": np.tile(leaves, len(codes)),
                    "year": np.full(n, year, dtype=np.int32),
                    "measure": np.full(n, measure),
                    "value": rng.uniform(1, 1000, n).round(1),
                }
            )
        )
    values = pl.concat(frames)
    return tree, values, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provinces", type=int, default=34)
    ap.add_argument("--communes", type=int, default=3321)
    args = ap.parse_args()
    ds = read_dataset(shipped_package())
    t0 = time.perf_counter()
    tree, values, year = build(args.provinces, args.communes)
    t1 = time.perf_counter()
    totals = consolidate(values, ds.catalog, tree)
    t2 = time.perf_counter()
    everything = pl.concat([values, totals.select(values.columns)], how="vertical_relaxed")
    comps = comparison_frame(everything, ds.catalog, year)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"values: {values.height:,} (communes {args.communes:,}, provinces {args.provinces})")
    print(f"build synthetic data: {t1 - t0:.2f} s")
    print(f"consolidate: {t2 - t1:.2f} s -> {totals.height:,} totals")
    print(f"comparisons: {t3 - t2:.2f} s -> {comps.height:,} ratios")
    print(f"peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
