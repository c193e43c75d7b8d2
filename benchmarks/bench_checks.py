"""Every check over a synthetic plan of 3.000 units (the issue's benchmark).

    .venv/bin/python benchmarks/bench_checks.py [--units 3000] [--slips 30] [--rules]
        [--years 3] [--districts 30] [--consolidate] [--block-rows N]

The whole Lai Châu catalog, a province of 3.000 communes in 30 districts, and
for each of 3 years the plan, first half, estimate and final actual: about
14 million values (city-only rows get a value in every unit too, so that the
whole catalog is everywhere). A consistent plan is made (ktxh.domain.synthetic), a few
slips are typed in (in a process of its own, written to Parquet and read back, as a
plan comes from the store: the peak memory printed is the checking process's), then
every rule runs. Record the output in RESULTS.md.

The national run of issue 15: ``--units 3321 --districts 34 --years 10 --consolidate``
(the country's 3.321 communes under 34 provinces, ten years: about 50 million values),
which also times the consolidation of every total from the communes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from ktxh.domain.checks import CheckContext, generic_rules, group_causes, run_checks
from ktxh.domain.consolidate import consolidate
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import SLIPS, consistent_plan, inject_slip
from ktxh.domain.values import Keys
from ktxh.io.datapackage import read_dataset, shipped_package


def province(units: int, districts: int = 30) -> OrgTree:
    out = [OrgUnit("tinh", "Tỉnh", "tỉnh")]
    out += [OrgUnit(f"h{d}", f"Huyện {d}", "huyện", "tinh") for d in range(districts)]
    out += [OrgUnit(f"x{c}", f"Xã {c}", "xã", f"h{c % districts}") for c in range(units)]
    return OrgTree(out)


def make_plan(args: argparse.Namespace, path: Path) -> None:
    """The consistent plan with its slips, written to ``path`` (Parquet)."""
    ds = read_dataset(shipped_package())
    tree = province(args.units, args.districts)
    years = range(2025 - args.years, 2025)
    columns = [(m, y) for y in years for m in ("plan", "h1", "estimate", "actual")]
    keys = Keys.of(ds.catalog.indicators, tree.units)
    values = consistent_plan(
        ds.catalog,
        tree,
        2023,
        ds.rules,
        seed=1,
        columns=columns,
        everywhere=True,
        keys=None if args.text else keys,
    )
    rng = np.random.default_rng(0)
    for n in range(args.slips):
        out = inject_slip(ds.catalog, tree, values, SLIPS[n % len(SLIPS)], rng)
        if out is not None:
            values = out[0]
    values.write_parquet(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--slips", type=int, default=30)
    ap.add_argument("--rules", action="store_true", help="then time each rule alone")
    ap.add_argument("--years", type=int, default=3, help="years of values, the last 2024")
    ap.add_argument("--districts", type=int, default=30, help="units between top and communes")
    ap.add_argument("--consolidate", action="store_true", help="time the consolidation too")
    ap.add_argument(
        "--text", action="store_true", help="keys as text (the value table before issue 15)"
    )
    ap.add_argument(
        "--block-rows",
        type=int,
        default=None,
        help="rows a rule relates at once (CheckContext.block_rows; 0: one block)",
    )
    args = ap.parse_args()
    ds = read_dataset(shipped_package())
    tree = province(args.units, args.districts)
    # the plan's categories, fixed when it is loaded (ktxh.domain.values.Keys)
    keys = Keys.of(ds.catalog.indicators, tree.units)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ktxh-bench-checks-") as tmp:
        # made in a process of its own and read back, as a plan comes from the store: the
        # peak memory below is that of checking a plan, not of making one
        path = Path(tmp) / "plan.parquet"
        ctx_spawn = multiprocessing.get_context("spawn")
        child = ctx_spawn.Process(target=make_plan, args=(args, path))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("the synthetic plan could not be made")
        made = time.perf_counter() - t0
        values = pl.read_parquet(path)
        if not args.text:
            values = keys.cast(values)
    t0 = time.perf_counter() - made
    t1 = time.perf_counter()
    if args.consolidate:
        totals = consolidate(values, ds.catalog, tree, keys)
        so_far = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"consolidate every total: {time.perf_counter() - t1:.2f} s -> {totals.height:,} "
            f"totals; peak RSS so far {so_far:,.0f} MiB"
        )
        del totals
        t1 = time.perf_counter()
    blocks = {} if args.block_rows is None else {"block_rows": args.block_rows or None}
    ctx = CheckContext(ds.catalog, tree, values, 2023, "tinh", keys=keys, **blocks)
    findings = run_checks(ctx, ds.rules)
    t2 = time.perf_counter()
    causes = group_causes(findings, ctx)
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {platform.python_version()}, polars {pl.__version__}")
    rules = f"{len(generic_rules())} generic + {len(ds.rules)} declared"
    print(f"units: {len(tree):,}; values: {values.height:,}; rules: {rules}")
    print(f"make the plan (a process of its own) and read it back: {t1 - t0:.1f} s")
    print(
        f"run every check (findings grouped by cause): {t2 - t1:.2f} s -> "
        f"{len(findings):,} findings"
    )
    print(f"list them by cause: {t3 - t2:.2f} s -> {len(causes):,} causes")
    per_value = peak * 1024 * 1024 / values.height
    print(f"peak RSS: {peak:,.0f} MiB ({per_value:.0f} bytes per value)")
    if args.rules:
        # each rule alone, on a fresh context (the shared frames are made once first)
        ctx = CheckContext(ds.catalog, tree, values, 2023, "tinh", keys=keys, **blocks)
        ctx.declared = tuple(ds.rules)
        t = time.perf_counter()
        _ = ctx.frame
        print(f"  value frame with precision and confidence: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        _ = ctx.children
        print(f"  the units' sums below every total (shared): {time.perf_counter() - t:.2f} s")
        times: dict[str, float] = {}
        for rule in [*generic_rules(), *ds.rules]:
            t = time.perf_counter()
            for _ in rule.find(ctx):  # type: ignore[attr-defined]
                pass
            name = "declared rules" if hasattr(rule, "left") else str(rule.id)  # type: ignore[attr-defined]
            times[name] = times.get(name, 0.0) + time.perf_counter() - t
        for name, sec in sorted(times.items(), key=lambda x: -x[1]):
            print(f"  {name}: {sec:.2f} s")


if __name__ == "__main__":
    main()
