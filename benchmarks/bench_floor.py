"""ktxh against hand-written floors: consolidation and the main check families.

    .venv/bin/python benchmarks/bench_floor.py [--units 3000] [--repeat 3] [--slips 30]

The data is bench_checks.py's: the whole Lai Châu catalog in a province of
``--units`` communes in 30 districts, plan / first half / estimate / actual for
2022-2024 (14,3 million values at 3.000 communes), a consistent plan with slips
typed in. On the same data, in the same run, alternating, each timed
``--repeat`` times (the median is printed):

* consolidation: ``ktxh.domain.consolidate.consolidate`` against the same totals
  (sum, count, rate from the summed numerator and denominator, weighted mean;
  district totals, then the province's from the districts) written by hand
  (a) in polars with string keys, as the value table came, (b) in polars with the
  keys cast to ``pl.Enum`` (the cast counted in its time), (c) in DuckDB SQL over
  a DuckDB table of the same values;
* three check families: the units add up to their total (``units_sum``), a rate
  is its numerator over its denominator (``rate_parts``), the first half within
  the year's estimate (``h1_le_estimate``, a comparison between columns): ktxh's
  rules (the check context made, the findings made) against the same violations
  found by hand in the same three ways.

Before anything is timed, each floor's result is checked equal to ktxh's (the
same totals to 1e-9, the same cells found). Prints a Markdown table; ratio =
ktxh ÷ the best floor. DuckDB reads the values from a Parquet file once (its
own table, not timed): without pyarrow it cannot scan a polars frame.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from ktxh.domain.catalog import Catalog, Consolidation, Nature, RowKind
from ktxh.domain.checks import CheckContext
from ktxh.domain.checks.rules import FirstHalfWithinYear, RateFromParts, UnitsAddUp
from ktxh.domain.consolidate import consolidate, rate_factor
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.synthetic import SLIPS, consistent_plan, inject_slip
from ktxh.domain.values import Keys
from ktxh.io.datapackage import read_dataset, shipped_package

KEY = ["indicator", "orgunit", "year", "measure"]
BASE = ["plan", "h1", "estimate", "actual"]
EPS = 1e-9
YEAR = 2023
# polars 2.1 reorders a chain of joins by its row estimates, and here turns the rate's
# joins on (code, unit, year, measure) into one on (unit, year, measure) alone: a
# many-to-many product that does not fit in memory. Joins run as written.
OPT = pl.QueryOptFlags(join_order=False)


def province(units: int, districts: int = 30) -> OrgTree:
    out = [OrgUnit("tinh", "Tỉnh", "tỉnh")]
    out += [OrgUnit(f"h{d}", f"Huyện {d}", "huyện", "tinh") for d in range(districts)]
    out += [OrgUnit(f"x{c}", f"Xã {c}", "xã", f"h{c % districts}") for c in range(units)]
    return OrgTree(out)


# --- what the floors know of the catalog (metadata, made once, not timed) ----------


def meta(catalog: Catalog) -> dict[str, Any]:
    inds = [i for i in catalog]
    units = catalog.units
    rules = []
    for i in inds:
        rule = i.consolidation
        if rule in (Consolidation.SUM, Consolidation.COUNT):
            rules.append((i.code, rule.value, None, None, None, None))
        elif rule is Consolidation.RATE:
            k = rate_factor(catalog, i)
            if k is not None:
                rules.append((i.code, "rate", i.basis[0], i.basis[1], None, k))
        elif rule is Consolidation.WEIGHTED_MEAN and i.basis:
            rules.append((i.code, "weighted_mean", None, None, i.basis[0], None))
    rates = []
    for i in inds:
        if i.kind is not RowKind.INDICATOR:
            continue
        if i.consolidation not in (Consolidation.RATE, Consolidation.CITY_ONLY):
            continue
        if len(i.basis) != 2:
            continue
        k = rate_factor(catalog, i)
        if k is not None:
            flow = catalog[i.basis[0]].nature is Nature.FLOW
            rates.append((i.code, i.basis[0], i.basis[1], k, flow))
    checked = [i for i in inds if i.kind is RowKind.INDICATOR]
    return {
        "codes": sorted(i.code for i in inds),
        "dec": {i.code: i.decimals for i in inds},
        "count": {i.code: bool(i.unit in units and units[i.unit].is_count) for i in inds},
        "rules": rules,
        "sums": [i.code for i in checked if i.consolidation is Consolidation.SUM],
        "counts": [i.code for i in checked if i.consolidation is Consolidation.COUNT],
        "rates": rates,
        "flows": [i.code for i in checked if i.nature is Nature.FLOW],
    }


# --- floors in polars ------------------------------------------------------------------


class PolarsFloor:
    """The floors in polars; ``enum`` casts the keys to pl.Enum first (timed)."""

    def __init__(self, m: dict[str, Any], tree: OrgTree, enum: bool) -> None:
        self.m, self.enum = m, enum
        self.orgs = sorted(u.code for u in tree)
        self.parent = {u.code: u.parent for u in tree if u.parent}
        self.tops = sorted(set(self.parent.values()))
        self.ind_t: Any = pl.Enum(m["codes"]) if enum else pl.String
        self.org_t: Any = pl.Enum(self.orgs) if enum else pl.String
        self.mea_t: Any = (
            pl.Enum(
                sorted({*BASE, "printed_ratio_estimate_plan", "printed_ratio_nextplan_estimate"})
            )
            if enum
            else pl.String
        )

    def keys(self, values: pl.DataFrame) -> pl.DataFrame:
        if not self.enum:
            return values
        return values.with_columns(
            pl.col("indicator").cast(self.ind_t),
            pl.col("orgunit").cast(self.org_t),
            pl.col("measure").cast(self.mea_t),
        )

    def table(self, data: dict[str, list[Any]], types: dict[str, Any]) -> pl.DataFrame:
        return pl.DataFrame(data, schema=types)

    def parent_of(self, col: str = "orgunit") -> pl.Expr:
        return pl.col(col).replace_strict(self.parent, default=None, return_dtype=self.org_t)

    def tol(self) -> pl.Expr:
        dec = pl.col("indicator").replace_strict(self.m["dec"], return_dtype=pl.Int32)
        count = pl.col("indicator").replace_strict(self.m["count"], return_dtype=pl.Boolean)
        return pl.when(count & (dec == 0)).then(0.0).otherwise(0.5 * pl.lit(10.0).pow(-dec))

    # consolidation: totals for every parent, bottom-up, as ktxh defines them
    def consolidate(self, values: pl.DataFrame) -> pl.DataFrame:
        f = self.keys(values)
        rules = self.table(
            {
                "indicator": [r[0] for r in self.m["rules"]],
                "rule": [r[1] for r in self.m["rules"]],
                "num": [r[2] for r in self.m["rules"]],
                "den": [r[3] for r in self.m["rules"]],
                "weight": [r[4] for r in self.m["rules"]],
                "factor": [r[5] for r in self.m["rules"]],
            },
            {
                "indicator": self.ind_t,
                "rule": pl.String,
                "num": self.ind_t,
                "den": self.ind_t,
                "weight": self.ind_t,
                "factor": pl.Float64,
            },
        )
        wanted = set(rules["indicator"].cast(pl.String))
        for c in ("num", "den", "weight"):
            wanted |= set(rules[c].drop_nulls().cast(pl.String))
        known = (
            f.lazy()
            .filter(pl.col("measure").is_in(BASE) & pl.col("indicator").is_in(sorted(wanted)))
            .select([*KEY, "value"])
        )
        depth: dict[str, int] = {}
        for child in self.parent:
            d, u = 0, child
            while u in self.parent:
                d, u = d + 1, self.parent[u]
            depth[child] = d
        out = []
        for level in range(max(depth.values()), 0, -1):
            kids = [c for c, d in depth.items() if d == level]
            done = self._level(known, rules, kids).collect(optimizations=OPT)
            out.append(done)
            missing = done.lazy().join(known, on=KEY, how="anti")
            known = pl.concat([known, missing.select([*KEY, "value"])])
        return pl.concat(out)

    def _level(self, known: pl.LazyFrame, rules: pl.DataFrame, kids: list[str]) -> pl.LazyFrame:
        k = known.filter(pl.col("orgunit").is_in(kids)).with_columns(
            self.parent_of().alias("parent")
        )
        g = ["indicator", "parent", "year", "measure"]
        simple_rules = rules.filter(pl.col("rule").is_in(["sum", "count"])).select(
            "indicator", "rule"
        )
        simple = (
            k.join(simple_rules.lazy(), on="indicator")
            .group_by([*g, "rule"])
            .agg(
                pl.when(pl.col("rule").first() == "count")
                .then((pl.col("value") > 0).sum().cast(pl.Float64))
                .otherwise(pl.col("value").sum())
                .alias("value"),
                pl.col("value").is_not_null().sum().cast(pl.UInt32).alias("n_children"),
            )
        )
        wm = rules.filter(pl.col("rule") == "weighted_mean").select("indicator", "weight")
        weights = k.select(
            pl.col("indicator").alias("weight"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("w"),
        )
        weighted = (
            k.join(wm.lazy(), on="indicator")
            .join(weights, on=["weight", "orgunit", "year", "measure"])
            .filter(pl.col("value").is_not_null() & pl.col("w").is_not_null())
            .group_by(g)
            .agg(
                ((pl.col("value") * pl.col("w")).sum() / pl.col("w").sum()).alias("value"),
                pl.len().cast(pl.UInt32).alias("n_children"),
            )
            .with_columns(pl.lit("weighted_mean").alias("rule"))
        )
        rr = rules.filter(pl.col("rule") == "rate").select("indicator", "num", "den", "factor")
        num = (
            k.join(
                rr.lazy().select(
                    pl.col("num").alias("indicator"), pl.col("indicator").alias("rate")
                ),
                on="indicator",
            )
            .group_by("rate", "parent", "year", "measure")
            .agg(pl.col("value").sum().alias("n"), pl.col("value").is_not_null().sum().alias("c"))
        )
        den = (
            k.join(
                rr.lazy().select(
                    pl.col("den").alias("indicator"), pl.col("indicator").alias("rate")
                ),
                on="indicator",
            )
            .group_by("rate", "parent", "year", "measure")
            .agg(pl.col("value").sum().alias("d"))
        )
        rates = (
            num.join(den, on=["rate", "parent", "year", "measure"])
            .join(rr.lazy().select(pl.col("indicator").alias("rate"), "factor"), on="rate")
            .filter(pl.col("d") != 0)
            .select(
                pl.col("rate").alias("indicator"),
                "parent",
                "year",
                "measure",
                (pl.col("n") / pl.col("d") * pl.col("factor")).alias("value"),
                pl.col("c").cast(pl.UInt32).alias("n_children"),
                pl.lit("rate").alias("rule"),
            )
        )
        cols = ["indicator", "parent", "year", "measure", "value", "n_children", "rule"]
        return (
            pl.concat([simple.select(cols), weighted.select(cols), rates.select(cols)])
            .with_columns(pl.when(pl.col("n_children") > 0).then(pl.col("value")).alias("value"))
            .rename({"parent": "orgunit"})
        )

    # check families: the cells found
    def units_sum(self, values: pl.DataFrame) -> pl.DataFrame:
        f = self.keys(values)
        codes = self.m["sums"] + self.m["counts"]
        counts = self.m["counts"]
        base = (
            f.lazy()
            .filter(
                pl.col("measure").is_in(BASE)
                & pl.col("value").is_not_null()
                & pl.col("indicator").is_in(codes)
            )
            .with_columns(self.tol().alias("tol"))
        )
        kids = (
            base.with_columns(self.parent_of().alias("parent"))
            .filter(pl.col("parent").is_not_null())
            .with_columns(
                pl.when(pl.col("indicator").is_in(counts))
                .then((pl.col("value") > 0).cast(pl.Float64))
                .otherwise(pl.col("value"))
                .alias("v"),
                pl.when(pl.col("indicator").is_in(counts))
                .then(0.0)
                .otherwise(pl.col("tol"))
                .alias("t"),
            )
            .group_by("indicator", "parent", "year", "measure")
            .agg(pl.col("v").sum().alias("children"), pl.col("t").sum().alias("ct"))
        )
        return (
            base.filter(pl.col("orgunit").is_in(self.tops))
            .join(kids, left_on=KEY, right_on=["indicator", "parent", "year", "measure"])
            .filter(
                (pl.col("value") - pl.col("children")).abs() > pl.col("tol") + pl.col("ct") + EPS
            )
            .select(KEY)
            .collect(optimizations=OPT)
        )

    def rate_parts(self, values: pl.DataFrame) -> pl.DataFrame:
        f = self.keys(values)
        r = self.m["rates"]
        spec = self.table(
            {
                "indicator": [x[0] for x in r],
                "num": [x[1] for x in r],
                "den": [x[2] for x in r],
                "k": [x[3] for x in r],
                "skip_h1": [x[4] for x in r],
            },
            {
                "indicator": self.ind_t,
                "num": self.ind_t,
                "den": self.ind_t,
                "k": pl.Float64,
                "skip_h1": pl.Boolean,
            },
        )
        codes = sorted({c for x in r for c in x[:3]})
        base = (
            f.lazy()
            .filter(
                pl.col("measure").is_in(BASE)
                & pl.col("value").is_not_null()
                & pl.col("indicator").is_in(codes)
            )
            .with_columns(self.tol().alias("tol"))
            .select([*KEY, "value", "tol"])
        )
        n = base.select(
            pl.col("indicator").alias("num"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("n"),
            pl.col("tol").alias("nt"),
        )
        d = base.select(
            pl.col("indicator").alias("den"),
            "orgunit",
            "year",
            "measure",
            pl.col("value").alias("d"),
            pl.col("tol").alias("dt"),
        )
        return (
            base.join(spec.lazy(), on="indicator")
            .join(n, on=["num", "orgunit", "year", "measure"])
            .join(d, on=["den", "orgunit", "year", "measure"])
            .filter(
                (pl.col("d") > pl.col("dt")) & ~(pl.col("skip_h1") & (pl.col("measure") == "h1"))
            )
            .with_columns(
                (pl.col("k") * (pl.col("n") - pl.col("nt")) / (pl.col("d") + pl.col("dt"))).alias(
                    "lo"
                ),
                (pl.col("k") * (pl.col("n") + pl.col("nt")) / (pl.col("d") - pl.col("dt"))).alias(
                    "hi"
                ),
            )
            .filter(
                (pl.col("value") + 2 * pl.col("tol") < pl.col("lo") - EPS)
                | (pl.col("value") - 2 * pl.col("tol") > pl.col("hi") + EPS)
            )
            .select(KEY)
            .collect(optimizations=OPT)
        )

    def h1_le_estimate(self, values: pl.DataFrame) -> pl.DataFrame:
        f = self.keys(values)
        base = (
            f.lazy()
            .filter(pl.col("value").is_not_null() & pl.col("indicator").is_in(self.m["flows"]))
            .with_columns(self.tol().alias("tol"))
        )
        h1 = base.filter(pl.col("measure") == "h1")
        est = base.filter(pl.col("measure") == "estimate").select(
            "indicator", "orgunit", "year", pl.col("value").alias("est"), pl.col("tol").alias("et")
        )
        return (
            h1.join(est, on=["indicator", "orgunit", "year"])
            .filter(pl.col("value") > pl.col("est") + pl.col("tol") + pl.col("et") + EPS)
            .select(KEY)
            .collect(optimizations=OPT)
        )


# --- floors in DuckDB ------------------------------------------------------------------


class DuckFloor:
    def __init__(self, m: dict[str, Any], tree: OrgTree, values: pl.DataFrame, tmp: Path) -> None:
        self.m = m
        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {os.cpu_count() or 2}")
        path = tmp / "values.parquet"
        values.write_parquet(path)
        self.con.execute(f"CREATE TABLE v AS SELECT * FROM read_parquet('{path}')")
        parent = [(u.code, u.parent) for u in tree if u.parent]
        self.con.execute("CREATE TABLE tree (child VARCHAR, parent VARCHAR)")
        self.con.executemany("INSERT INTO tree VALUES (?, ?)", parent)
        self.con.execute("CREATE TABLE meta (indicator VARCHAR, dec INTEGER, cnt BOOLEAN)")
        self.con.executemany(
            "INSERT INTO meta VALUES (?, ?, ?)",
            [(c, m["dec"][c], m["count"][c]) for c in m["codes"]],
        )
        self.con.execute(
            "CREATE TABLE rules (indicator VARCHAR, rule VARCHAR, num VARCHAR, den VARCHAR, "
            "weight VARCHAR, factor DOUBLE)"
        )
        self.con.executemany("INSERT INTO rules VALUES (?, ?, ?, ?, ?, ?)", m["rules"])
        self.con.execute(
            "CREATE TABLE rates (indicator VARCHAR, num VARCHAR, den VARCHAR, k DOUBLE, "
            "skip_h1 BOOLEAN)"
        )
        self.con.executemany("INSERT INTO rates VALUES (?, ?, ?, ?, ?)", m["rates"])
        self.con.execute("CREATE TABLE flows (indicator VARCHAR)")
        self.con.executemany("INSERT INTO flows VALUES (?)", [(c,) for c in m["flows"]])
        self.con.execute("CREATE TABLE sums (indicator VARCHAR, cnt BOOLEAN)")
        self.con.executemany(
            "INSERT INTO sums VALUES (?, ?)",
            [(c, False) for c in m["sums"]] + [(c, True) for c in m["counts"]],
        )
        depth: dict[str, int] = {}
        par = dict(parent)
        for child in par:
            d, u = 0, child
            while u in par:
                d, u = d + 1, par[u]
            depth[child] = d
        self.levels = [
            [c for c, d in depth.items() if d == lv] for lv in range(max(depth.values()), 0, -1)
        ]
        self.con.execute("CREATE TABLE lv (child VARCHAR, level INTEGER)")
        self.con.executemany("INSERT INTO lv VALUES (?, ?)", [(c, d) for c, d in depth.items()])
        self.tol = "CASE WHEN m.cnt AND m.dec = 0 THEN 0.0 ELSE 0.5 * power(10.0, -m.dec) END"

    def frame(self, sql: str) -> pl.DataFrame:
        return pl.DataFrame(self.con.execute(sql).fetchnumpy())

    def consolidate(self) -> pl.DataFrame:
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE known AS SELECT indicator, orgunit, year, measure, value "
            "FROM v WHERE measure IN ('plan','h1','estimate','actual') AND indicator IN ("
            "SELECT indicator FROM rules UNION SELECT num FROM rules UNION SELECT den FROM rules "
            "UNION SELECT weight FROM rules)"
        )
        outs = []
        for lv in sorted({d for d in range(1, len(self.levels) + 1)}, reverse=True):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE k AS
                SELECT kn.*, t.parent FROM known kn JOIN tree t ON kn.orgunit = t.child
                JOIN lv ON lv.child = kn.orgunit AND lv.level = {lv}"""
            )
            con.execute(
                """CREATE OR REPLACE TEMP TABLE done AS
                SELECT k.indicator, k.parent AS orgunit, k.year, k.measure,
                  CASE WHEN count(k.value) > 0 THEN
                    CASE WHEN r.rule = 'count'
                      THEN sum(CASE WHEN k.value > 0 THEN 1 ELSE 0 END)::DOUBLE
                    ELSE sum(k.value) END END AS value,
                  count(k.value)::UINTEGER AS n_children, r.rule
                FROM k JOIN rules r ON r.indicator = k.indicator AND r.rule IN ('sum','count')
                GROUP BY k.indicator, k.parent, k.year, k.measure, r.rule
                UNION ALL
                SELECT k.indicator, k.parent, k.year, k.measure,
                  sum(k.value * w.value) / sum(w.value), count(*)::UINTEGER, 'weighted_mean'
                FROM k JOIN rules r ON r.indicator = k.indicator AND r.rule = 'weighted_mean'
                JOIN k w ON w.indicator = r.weight AND w.orgunit = k.orgunit AND w.year = k.year
                  AND w.measure = k.measure
                WHERE k.value IS NOT NULL AND w.value IS NOT NULL
                GROUP BY k.indicator, k.parent, k.year, k.measure
                UNION ALL
                SELECT n.rate, n.parent, n.year, n.measure,
                  CASE WHEN n.c > 0 THEN n.s / d.s * r.factor END, n.c::UINTEGER, 'rate'
                FROM (SELECT r.indicator AS rate, k.parent, k.year, k.measure, sum(k.value) AS s,
                        count(k.value) AS c
                      FROM k JOIN rules r ON r.num = k.indicator AND r.rule = 'rate' GROUP BY ALL) n
                JOIN (SELECT r.indicator AS rate, k.parent, k.year, k.measure, sum(k.value) AS s
                      FROM k JOIN rules r ON r.den = k.indicator AND r.rule = 'rate' GROUP BY ALL) d
                  USING (rate, parent, year, measure)
                JOIN rules r ON r.indicator = n.rate
                WHERE d.s <> 0"""
            )
            outs.append(self.frame("SELECT * FROM done"))
            con.execute(
                "INSERT INTO known SELECT d.indicator, d.orgunit, d.year, d.measure, d.value "
                "FROM done d ANTI JOIN known kn USING (indicator, orgunit, year, measure)"
            )
        return pl.concat(outs)

    def units_sum(self) -> pl.DataFrame:
        return self.frame(
            f"""WITH b AS (SELECT v.indicator, v.orgunit, v.year, v.measure, v.value, s.cnt,
                  {self.tol} AS tol
                FROM v JOIN sums s USING (indicator) JOIN meta m USING (indicator)
                WHERE v.value IS NOT NULL AND v.measure IN ('plan','h1','estimate','actual')),
              kids AS (SELECT b.indicator, t.parent, b.year, b.measure,
                  sum(CASE WHEN b.cnt THEN (b.value > 0)::DOUBLE ELSE b.value END) AS children,
                  sum(CASE WHEN b.cnt THEN 0.0 ELSE b.tol END) AS ct
                FROM b JOIN tree t ON t.child = b.orgunit GROUP BY ALL)
            SELECT b.indicator, b.orgunit, b.year, b.measure FROM b
            JOIN kids k ON k.indicator = b.indicator AND k.parent = b.orgunit
              AND k.year = b.year AND k.measure = b.measure
            WHERE abs(b.value - k.children) > b.tol + k.ct + {EPS}"""
        )

    def rate_parts(self) -> pl.DataFrame:
        return self.frame(
            f"""WITH b AS (SELECT v.indicator, v.orgunit, v.year, v.measure, v.value,
                  {self.tol} AS tol FROM v JOIN meta m USING (indicator)
                WHERE v.value IS NOT NULL AND v.measure IN ('plan','h1','estimate','actual')
                  AND v.indicator IN (SELECT indicator FROM rates UNION SELECT num FROM rates
                                      UNION SELECT den FROM rates)),
              x AS (SELECT b.*, r.k,
                  r.k * (n.value - n.tol) / (d.value + d.tol) AS lo,
                  r.k * (n.value + n.tol) / (d.value - d.tol) AS hi
                FROM b JOIN rates r USING (indicator)
                JOIN b n ON n.indicator = r.num AND n.orgunit = b.orgunit AND n.year = b.year
                  AND n.measure = b.measure
                JOIN b d ON d.indicator = r.den AND d.orgunit = b.orgunit AND d.year = b.year
                  AND d.measure = b.measure
                WHERE d.value > d.tol AND NOT (r.skip_h1 AND b.measure = 'h1'))
            SELECT indicator, orgunit, year, measure FROM x
            WHERE value + 2 * tol < lo - {EPS} OR value - 2 * tol > hi + {EPS}"""
        )

    def h1_le_estimate(self) -> pl.DataFrame:
        return self.frame(
            f"""WITH b AS (SELECT v.indicator, v.orgunit, v.year, v.measure, v.value,
                  {self.tol} AS tol FROM v JOIN meta m USING (indicator)
                WHERE v.value IS NOT NULL AND v.indicator IN (SELECT indicator FROM flows)
                  AND v.measure IN ('h1', 'estimate'))
            SELECT h.indicator, h.orgunit, h.year, h.measure FROM b h
            JOIN b e ON e.indicator = h.indicator AND e.orgunit = h.orgunit AND e.year = h.year
              AND e.measure = 'estimate'
            WHERE h.measure = 'h1' AND h.value > e.value + h.tol + e.tol + {EPS}"""
        )


# --- ktxh ------------------------------------------------------------------------------


def ktxh_family(
    ds: Any, tree: OrgTree, values: pl.DataFrame, keys: Keys, *rules: Any
) -> pl.DataFrame:
    """The cells the rules find, the check context made for them as a run makes it."""
    ctx = CheckContext(ds.catalog, tree, values, YEAR, "tinh", keys=keys)
    ids = {r.id for r in rules}
    found = [f for r in rules for f in r.find(ctx) if f.rule in ids]
    return pl.DataFrame(
        [(f.indicator, f.orgunit, f.year, f.measure) for f in found],
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
        },
        orient="row",
    )


def cells(frame: pl.DataFrame) -> set[tuple[Any, ...]]:
    f = frame.select(
        pl.col("indicator").cast(pl.String),
        pl.col("orgunit").cast(pl.String),
        pl.col("year").cast(pl.Int32),
        pl.col("measure").cast(pl.String),
    )
    return set(f.iter_rows())


def same_totals(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    def norm(f: pl.DataFrame) -> pl.DataFrame:
        return f.select(
            pl.col("indicator").cast(pl.String),
            pl.col("orgunit").cast(pl.String),
            pl.col("year").cast(pl.Int32),
            pl.col("measure").cast(pl.String),
            pl.col("value").cast(pl.Float64),
            pl.col("n_children").cast(pl.UInt32),
            pl.col("rule").cast(pl.String),
        ).sort(KEY)

    x, y = norm(a), norm(b)
    if (
        x.height != y.height
        or x.select(KEY, "n_children", "rule").to_dicts()
        != y.select(KEY, "n_children", "rule").to_dicts()
    ):
        return False
    va, vb = x["value"].to_numpy(), y["value"].to_numpy()
    both = ~(np.isnan(va) | np.isnan(vb))
    return bool(
        np.array_equal(np.isnan(va), np.isnan(vb))
        and np.allclose(va[both], vb[both], rtol=1e-9, atol=1e-9)
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--slips", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ds = read_dataset(shipped_package())
    tree = province(args.units)
    columns = [(m, y) for y in (2022, 2023, 2024) for m in BASE]
    t = time.perf_counter()
    # ktxh's value table is compact (categorical keys fixed when the plan is loaded); the
    # floors start from the same values with text keys
    keys = Keys.of(ds.catalog.indicators, tree.units)
    values = consistent_plan(
        ds.catalog, tree, YEAR, ds.rules, seed=1, columns=columns, everywhere=True, keys=keys
    )
    rng = np.random.default_rng(0)
    for n in range(args.slips):
        out = inject_slip(ds.catalog, tree, values, SLIPS[n % len(SLIPS)], rng)
        if out is not None:
            values = out[0]
    plain = values.with_columns(pl.col("indicator", "orgunit", "measure").cast(pl.String))
    print(
        f"data: {plain.height:,} values, {len(tree):,} units, "
        f"made in {time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    keys.cast(plain)
    print(f"the keys as categories (once, when a plan is loaded): {time.perf_counter() - t:.2f} s")
    m = meta(ds.catalog)
    pf, pe = PolarsFloor(m, tree, enum=False), PolarsFloor(m, tree, enum=True)
    tmp = Path(tempfile.mkdtemp(prefix="ktxh-floor-"))
    duck = DuckFloor(m, tree, plain, tmp)

    rules = {
        "units_sum": UnitsAddUp(),
        "rate_parts": RateFromParts(),
        "h1_le_estimate": FirstHalfWithinYear(),
    }
    tasks: dict[str, dict[str, Callable[[], Any]]] = {
        "consolidation": {
            "ktxh": lambda: consolidate(values, ds.catalog, tree, keys),
            "polars, string keys": lambda: pf.consolidate(plain),
            "polars, pl.Enum keys (cast timed)": lambda: pe.consolidate(plain),
            "DuckDB": duck.consolidate,
        }
    }
    for name, rule in rules.items():
        tasks[name] = {
            "ktxh": (lambda r=rule: ktxh_family(ds, tree, values, keys, r)),
            "polars, string keys": (lambda n=name: getattr(pf, n)(plain)),
            "polars, pl.Enum keys (cast timed)": (lambda n=name: getattr(pe, n)(plain)),
            "DuckDB": (lambda n=name: getattr(duck, n)()),
        }

    def three(floor: Any) -> pl.DataFrame:
        f = floor.keys(plain) if isinstance(floor, PolarsFloor) else None
        if isinstance(floor, PolarsFloor):  # one cast for the three (the floor's best)
            floor = PolarsFloor(floor.m, tree, floor.enum)
            floor.keys = lambda v, f=f: f  # type: ignore[method-assign]
        return pl.concat(
            [getattr(floor, n)(plain) if f is not None else getattr(floor, n)() for n in rules],
            how="vertical_relaxed",
        )

    tasks["the three check families on one context"] = {
        "ktxh": lambda: ktxh_family(ds, tree, values, keys, *rules.values()),
        "polars, string keys": lambda: three(pf),
        "polars, pl.Enum keys (cast timed)": lambda: three(pe),
        "DuckDB": lambda: three(duck),
    }
    # equal before timed
    for task, ways in tasks.items():
        ref = ways["ktxh"]()
        for way, fn in ways.items():
            if way == "ktxh":
                continue
            got = fn()
            ok = same_totals(ref, got) if task == "consolidation" else cells(ref) == cells(got)
            if not ok:
                raise SystemExit(f"{task}: {way} differs from ktxh")
        size = ref.height
        print(
            f"{task}: every floor equal to ktxh "
            f"({size:,} {'totals' if task == 'consolidation' else 'cells found'})"
        )
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for task, ways in tasks.items():
            for way, fn in ways.items():
                t = time.perf_counter()
                fn()
                times.setdefault((task, way), []).append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\npolars {pl.__version__}, DuckDB {duckdb.__version__}, "
        f"Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; median of {args.repeat}"
    )
    print(
        "| task | ktxh | polars, string keys | polars, pl.Enum keys (cast timed) | DuckDB "
        "| ktxh ÷ best |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for task, ways in tasks.items():
        med = {w: statistics.median(times[(task, w)]) for w in ways}
        best = min(v for w, v in med.items() if w != "ktxh")
        cols = " | ".join(f"{med[w]:.2f} s" for w in ways)
        print(f"| {task} | {cols} | {med['ktxh'] / best:.2f} |")
    print(f"peak RSS of this process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
