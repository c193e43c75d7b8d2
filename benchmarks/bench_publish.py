"""The publishing bundle: the annex workbook (13 sheets) and the narrative report (.docx).

    .venv/bin/python benchmarks/bench_publish.py [--units 1000] [--repeat 5] [--pdf]

1. The Lai Châu city dataset, as shipped.
2. A synthetic province built in memory from the Lai Châu catalog: one
   province with ``--units`` communes directly below it (the two-level
   administration since July 2025), plan / first half / estimate of the
   reference year and next year's plan for every indicator and commune; the
   province's totals are consolidated from the communes (city-only indicators
   get a value of their own). Every form with a unit breakdown then has one
   column per commune.

``--pdf`` also times the LibreOffice conversions of the city's two files.
Prints the timings; record them in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from ktxh.domain.catalog import Consolidation, RowKind
from ktxh.domain.dataset import Dataset
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.values import SCHEMA, ValueTable
from ktxh.io.datapackage import read_dataset, shipped_package
from ktxh.io.docx_report import write_report
from ktxh.io.xlsx_forms import write_annex


def province(base: Dataset, units: int, seed: int = 1) -> Dataset:
    """A province of ``units`` communes with the catalog of ``base``."""
    tree = OrgTree(
        [OrgUnit("tinh", "Tỉnh Mẫu", "tỉnh")]
        + [OrgUnit(f"x{i:04d}", f"Xã {i + 1}", "xã", "tinh") for i in range(units)]
    )
    indicators = [i for i in base.catalog if i.kind is RowKind.INDICATOR]
    codes = [i.code for i in indicators]
    leaves = [f"x{i:04d}" for i in range(units)]
    y = base.reference_year
    rng = np.random.default_rng(seed)
    frames = []
    n = len(codes) * units
    for measure, year in (("plan", y), ("h1", y), ("estimate", y), ("plan", y + 1)):
        frames.append(
            pl.DataFrame(
                {
                    "indicator": np.repeat(codes, units),
                    "orgunit": np.tile(leaves, len(codes)),
                    "year": np.full(n, year, dtype=np.int32),
                    "measure": np.full(n, measure),
                    "value": rng.uniform(1, 1000, n).round(1),
                }
            )
        )
        own = [i.code for i in indicators if i.consolidation is Consolidation.CITY_ONLY]
        frames.append(
            pl.DataFrame(
                {
                    "indicator": own,
                    "orgunit": ["tinh"] * len(own),
                    "year": np.full(len(own), year, dtype=np.int32),
                    "measure": [measure] * len(own),
                    "value": rng.uniform(1, 1000, len(own)).round(1),
                }
            )
        )
    values = pl.concat(frames).with_columns(
        pl.lit(None, pl.String).alias(c) for c in SCHEMA if c not in frames[0].columns
    )
    meta = {**base.meta, "top_orgunit": "tinh", "title": f"Tỉnh mẫu, {units} xã"}
    return dataclasses.replace(
        base, tree=tree, values=ValueTable(values.select(list(SCHEMA)).cast(SCHEMA)), meta=meta
    )


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) wall time in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def bundle(ds: Dataset, out: Path) -> None:
    write_annex(ds, out / "phu-luc.xlsx")
    write_report(ds, out / "bao-cao.docx")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pdf", action="store_true")
    args = ap.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        city = read_dataset(shipped_package())
        print(f"read the Lai Châu dataset: {time.perf_counter() - t0:.3f} s")
        med, best = timed(lambda: write_annex(city, out / "phu-luc.xlsx"), args.repeat)
        print(f"city annex workbook (13 sheets): median {med:.3f} s, best {best:.3f} s")
        med, best = timed(lambda: write_report(city, out / "bao-cao.docx"), args.repeat)
        print(f"city report (.docx): median {med:.3f} s, best {best:.3f} s")
        med, best = timed(lambda: bundle(city, out), args.repeat)
        size = (out / "phu-luc.xlsx").stat().st_size + (out / "bao-cao.docx").stat().st_size
        print(f"city bundle: median {med:.3f} s, best {best:.3f} s ({size / 1024:.0f} KiB)")
        if args.pdf:
            from ktxh.io.pdf import to_pdf

            for name in ("phu-luc.xlsx", "bao-cao.docx"):
                med, best = timed(lambda n=name: to_pdf(out / n, out / f"{n}.pdf"), 2)
                print(f"city PDF of {name} (LibreOffice): median {med:.2f} s")

        t0 = time.perf_counter()
        prov = province(city, args.units)
        print(
            f"build the synthetic province: {time.perf_counter() - t0:.2f} s, "
            f"{len(prov.values):,} values, {args.units:,} communes"
        )
        repeat = max(1, args.repeat // 2)
        med, best = timed(lambda: write_annex(prov, out / "phu-luc.xlsx"), repeat)
        print(f"province annex workbook: median {med:.2f} s, best {best:.2f} s")
        med, best = timed(lambda: write_report(prov, out / "bao-cao.docx"), repeat)
        print(f"province report (.docx): median {med:.2f} s, best {best:.2f} s")
        med, best = timed(lambda: bundle(prov, out), repeat)
        size = (out / "phu-luc.xlsx").stat().st_size
        print(
            f"province bundle: median {med:.2f} s, best {best:.2f} s (xlsx {size / 2**20:.1f} MiB)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
