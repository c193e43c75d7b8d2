"""Targets: reading them, and rating every result of a province at once (issue 13).

    .venv/bin/python benchmarks/bench_targets.py [--units 3000] [--typed 0.02] [--documented 2000]

The whole Lai Châu catalog over a province of 3.000 communes, the plan, first half,
estimate and actual of 2023 (a consistent plan: ktxh.domain.synthetic). A share of the
plan cells (``--typed``) is rewritten as targets typed the way resolutions write them
(ranges, bounds, approximations), and ``--documented`` cells get targets from two
documents, one amending the other, and a conflicting assignment from above. Then
:func:`ktxh.domain.targets.ratings_frame` rates every result, and
:func:`ktxh.domain.targets.parse_target` reads 100.000 texts. Record the output in
RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from datetime import date

import numpy as np
import polars as pl

from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import consistent_plan
from ktxh.domain.targets import (
    Document,
    DocumentKind,
    TargetBook,
    TargetRecord,
    parse_target,
    ratings_frame,
)
from ktxh.io.datapackage import read_dataset, shipped_package

SPELLINGS = ("{a}-{b}", "{a} - {b}%", "từ {a} đến {b}", "trên {a}", "từ {a} trở lên", "dưới {b}",
             "không quá {b}", "khoảng {a}")  # fmt: skip


def province(units: int, districts: int = 30) -> OrgTree:
    out = [OrgUnit("tinh", "Tỉnh", "tỉnh")]
    out += [OrgUnit(f"h{d}", f"Huyện {d}", "huyện", "tinh") for d in range(districts)]
    out += [OrgUnit(f"x{c}", f"Xã {c}", "xã", f"h{c % districts}") for c in range(units)]
    return OrgTree(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--typed", type=float, default=0.02, help="share of plan cells typed as text")
    ap.add_argument("--documented", type=int, default=2000, help="cells set by documents")
    args = ap.parse_args()
    ds = read_dataset(shipped_package())
    tree = province(args.units)
    t0 = time.perf_counter()
    columns = [(m, 2023) for m in ("plan", "h1", "estimate", "actual")]
    values = consistent_plan(
        ds.catalog, tree, 2023, ds.rules, seed=1, columns=columns, everywhere=True
    )
    if "printed" not in values.columns:
        values = values.with_columns(pl.lit("", pl.String).alias("printed"))
    rng = np.random.default_rng(0)
    plans = values.with_row_index("_i").filter(
        (pl.col("measure") == "plan") & pl.col("value").is_not_null()
    )
    chosen = plans.sample(fraction=args.typed, seed=0)
    texts = [
        SPELLINGS[int(rng.integers(len(SPELLINGS)))].format(
            a=format_number(round(v * 0.95, 1)), b=format_number(round(v * 1.05 + 0.1, 1))
        )
        for v in chosen["value"].to_list()
    ]
    printed = values["printed"].scatter(chosen["_i"].to_list(), texts)
    values = values.with_columns(printed.alias("printed"))
    council = DocumentKind.COUNCIL_RESOLUTION
    docs = {
        "a": Document("a", council, "1/NQ-HĐND", date(2022, 12, 10)),
        "b": Document("b", council, "9/NQ-HĐND", date(2023, 7, 1), amends="a"),
        "p": Document("p", DocumentKind.ASSIGNMENT, "5/QĐ-UBND", date(2022, 12, 1)),
    }
    records = []
    for ind, org, v in plans.head(args.documented).select("indicator", "orgunit", "value").rows():
        for code, factor in (("a", 0.9), ("b", 1.0), ("p", 0.8)):
            text = f"từ {format_number(round(v * factor, 1))} trở lên"
            target = parse_target(text)
            assert target is not None
            records.append(TargetRecord(ind, org, 2023, "plan", target, code))
    book = TargetBook(docs, records)
    t1 = time.perf_counter()
    rated = ratings_frame(values, ds.catalog, book, 2023, date(2023, 8, 30))
    t2 = time.perf_counter()
    sample = texts * (100_000 // max(len(texts), 1) + 1)
    for text in sample[:100_000]:
        parse_target(text)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = dict(rated.group_by("rating").len().iter_rows())
    print(f"machine: {platform.machine()}, {platform.python_version()}, polars {pl.__version__}")
    print(
        f"units: {len(tree):,}; values: {values.height:,}; typed targets: {len(texts):,}; "
        f"document targets: {len(records):,} ({args.documented:,} cells)"
    )
    print(f"make the plan: {t1 - t0:.1f} s")
    print(
        f"rate every result (ratings_frame): {t2 - t1:.2f} s -> {rated.height:,} ratings {counts}"
    )
    print(f"parse 100,000 target texts: {t3 - t2:.2f} s")
    print(f"peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
