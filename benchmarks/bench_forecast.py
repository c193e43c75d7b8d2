"""Backtest of the full-year estimate proposals (ktxh.domain.forecast).

    .venv/bin/python benchmarks/bench_forecast.py [--units 2000] [--years 10] [--seed 7]

Synthetic histories of ``--years`` years for ``--units`` units, one indicator of
each nature, with known seasonal patterns and noise:

* flow (output, revenue): the year grows by a unit's own trend with noise; the
  first half is a unit's usual share of the year (40-55 %) with noise;
* stock (a level at a date: population, hectares): the level moves by a trend;
  the first half is the level at mid-year, part of the way there, with noise;
* rate (a share, e.g. the poverty rate): falls by a unit's own share of itself
  each year (3-12 %) with noise; the first half has covered part of the year's
  fall, with noise.

The plan of a year is last year's figure moved by the trend, missed or beaten
by a few percent. For the last year, every method proposes the full year from
its first half and the years before, and is scored against the true full year:
mean absolute percentage error (MAPE), by nature, for each method, the chosen
one, and the naive rules "estimate = plan" and "estimate = 2 × first half".
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import polars as pl

from ktxh.domain.catalog import Catalog, Form, Indicator, Nature
from ktxh.domain.forecast import METHODS, propose
from ktxh.domain.values import SCHEMA

NATURES = {"F": Nature.FLOW, "S": Nature.STOCK, "R": Nature.RATE}


def catalog() -> Catalog:
    inds = {
        code: Indicator(code, 1, n + 1, code, "", nature=nature)
        for n, (code, nature) in enumerate(NATURES.items())
    }
    return Catalog({1: Form(1, "T", ("plan", "h1", "estimate"))}, inds, {})


def histories(units: int, years: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, int, str, float]] = []
    start = 2026 - years + 1
    for u in range(units):
        unit = f"u{u:05d}"
        # flow
        level = rng.uniform(50, 5000)
        trend = rng.normal(0.07, 0.04)
        share = rng.uniform(0.40, 0.55)
        last = level
        for k in range(years):
            year = start + k
            full = level * (1 + trend) ** k * rng.normal(1, 0.03)
            h1 = full * rng.normal(share, 0.015)
            plan = last * (1 + trend) * rng.normal(1, 0.03)
            rows += [("F", unit, year, "plan", plan), ("F", unit, year, "h1", h1)]
            rows += [("F", unit, year, "actual", full)]
            last = full
        # stock
        level = rng.uniform(500, 50000)
        trend = rng.normal(0.015, 0.01)
        part = rng.uniform(0.35, 0.65)
        for k in range(years):
            year = start + k
            end = level * (1 + trend) * rng.normal(1, 0.004)
            mid = level + (end - level) * part + rng.normal(0, abs(end - level) * 0.1 + 1)
            plan = level * (1 + trend) * rng.normal(1, 0.005)
            rows += [("S", unit, year, "plan", plan), ("S", unit, year, "h1", mid)]
            rows += [("S", unit, year, "actual", end)]
            level = end
        # rate
        rate = rng.uniform(5, 40)
        pace = rng.uniform(0.03, 0.12)  # the share of the rate that goes in a year
        part = rng.uniform(0.3, 0.6)
        for k in range(years):
            year = start + k
            end = rate * (1 - pace * rng.normal(1, 0.2))
            mid = (rate - (rate - end) * part) * rng.normal(1, 0.005)
            plan = rate * (1 - pace)
            rows += [("R", unit, year, "plan", plan), ("R", unit, year, "h1", mid)]
            rows += [("R", unit, year, "actual", end)]
            rate = end
    frame = pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
            "value": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns(
        pl.lit("").alias("printed"),
        pl.lit("package").alias("source"),
        pl.lit("").alias("source_ref"),
        pl.lit(None, pl.Int32).alias("seed_line"),
        pl.lit("").alias("confidence"),
        pl.lit("").alias("note"),
    ).select(list(SCHEMA))


def mape(guess: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    j = guess.join(truth, on=["indicator", "orgunit"])
    return {
        code: float(
            j.filter(pl.col("indicator") == code)
            .select(((pl.col("value") - pl.col("truth")).abs() / pl.col("truth").abs()).mean())
            .item()
            * 100
        )
        for code in NATURES
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cat = catalog()
    data = histories(args.units, args.years, args.seed)
    year = int(data["year"].max())  # type: ignore[arg-type]
    truth = data.filter((pl.col("year") == year) & (pl.col("measure") == "actual")).select(
        "indicator", "orgunit", pl.col("value").alias("truth")
    )
    known = data.filter(~((pl.col("year") == year) & (pl.col("measure") == "actual")))
    now = known.filter(pl.col("year") == year)
    results: dict[str, dict[str, float]] = {}
    for method in METHODS:
        results[method] = mape(propose(known, cat, year, method), truth)
    results["ktxh (the method it proposes)"] = mape(propose(known, cat, year), truth)
    plan = now.filter(pl.col("measure") == "plan").select("indicator", "orgunit", "value")
    double = now.filter(pl.col("measure") == "h1").select(
        "indicator", "orgunit", (pl.col("value") * 2).alias("value")
    )
    results["naive: estimate = plan"] = mape(plan, truth)
    results["naive: estimate = 2 × first half"] = mape(double, truth)
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, "
        f"polars {pl.__version__}; {args.units:,} units × {args.years} years, seed {args.seed}; "
        f"proposals for {year}"
    )
    print()
    print("| method | flow | stock | rate |")
    print("| --- | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['F']:.2f} % | {r['S']:.2f} % | {r['R']:.2f} % |")


if __name__ == "__main__":
    main()
