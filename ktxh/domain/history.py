"""History mapped onto today's units: an earlier period's values for the units of a later day.

When units merge or split, "so với cùng kỳ" and trends compare a unit with the
units it was made of. :func:`values_for` gives, for every unit valid on a day,
the value of an earlier (year, measure) made from its predecessors'
(:meth:`ktxh.domain.orgunits.OrgTree.crosswalk`), each indicator by its own
rule:

* ``sum`` and ``count`` (flows, stocks, people, hectares): the predecessors'
  values added up, a part of a split by its share;
* ``rate``: recomputed from the mapped numerator and denominator, never averaged;
* ``weighted_mean`` (a yield): weighted by the mapped weight (the area);
* ``city_only`` and ``none``: only a unit that did not change has one.

A unit that did not change keeps its own value. Where a value cannot be made (a
split without shares, a unit begun from nothing, a predecessor without a value,
a rate without its numerator and denominator) the row says "không so sánh được"
and why, instead of guessing. Stored values are never rewritten: this is a view.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ktxh.domain.catalog import Catalog, Consolidation
from ktxh.domain.consolidate import rate_factor
from ktxh.domain.orgunits import OrgTree, Unknown, period_day

OUT_SCHEMA = {
    "indicator": pl.String,
    "orgunit": pl.String,
    "year": pl.Int32,
    "measure": pl.String,
    "value": pl.Float64,
    "mapped": pl.Boolean,  # made from other units' values
    "reason": pl.String,  # why there is no value ("" when there is one)
}

NOT_COMPARABLE = "không so sánh được"

FINAL = "full"
"""The measure of a year's final figure: its actual once entered, else its estimate."""


def values_for(
    values: pl.DataFrame,
    catalog: Catalog,
    tree: OrgTree,
    day: date,
    year: int,
    measure: str,
    indicators: list[str] | None = None,
) -> pl.DataFrame:
    """The value of (``year``, ``measure``) for every unit valid on ``day`` (and every
    indicator, or those named), made from the units valid in that period."""
    earlier = period_day(year, "estimate" if measure == FINAL else measure)
    cross = tree.crosswalk(day, earlier)
    codes = indicators if indicators is not None else [i.code for i in catalog if i.unit]
    period = values.filter(
        (pl.col("year") == year) & (pl.col("measure") == measure) & pl.col("value").is_not_null()
    ).select("indicator", pl.col("orgunit").alias("source"), "value")
    walk = pl.DataFrame(
        [
            (target, source, weight)
            for target, parts in cross.items()
            if not isinstance(parts, Unknown)
            for source, weight in parts.items()
        ],
        schema={"target": pl.String, "source": pl.String, "w": pl.Float64},
        orient="row",
    )
    same = walk.group_by("target").agg(
        ((pl.len() == 1) & (pl.col("source").first() == pl.col("target").first())).alias("same")
    )
    rules = {c: catalog[c].consolidation for c in codes}
    sums = [c for c, r in rules.items() if r in (Consolidation.SUM, Consolidation.COUNT)]
    rates: list[tuple[str, str, str, float]] = []
    for c, r in rules.items():
        factor = rate_factor(catalog, catalog[c]) if r is Consolidation.RATE else None
        if factor is not None:
            num, den = catalog[c].basis
            rates.append((c, num, den, factor))
    weighted = [
        (c, catalog[c].basis[0])
        for c, r in rules.items()
        if r is Consolidation.WEIGHTED_MEAN and catalog[c].basis
    ]
    own = [
        c
        for c in codes
        if c not in sums and c not in {r[0] for r in rates} and c not in {w[0] for w in weighted}
    ]
    bases = sorted({r[1] for r in rates} | {r[2] for r in rates} | set(sums))
    added = _additive(period, walk, bases)
    parts = [added.filter(pl.col("indicator").is_in(sums))]
    if rates:
        parts.append(_rates(period, walk, same, added, rates))
    if weighted:
        parts.append(_weighted(period, walk, same, weighted))
    if own:
        parts.append(_own(period, walk, same, own))
    made = pl.concat(parts, how="vertical_relaxed")
    unknown = pl.DataFrame(
        [
            (code, target, f"{NOT_COMPARABLE}: {p.reason}")
            for target, p in cross.items()
            if isinstance(p, Unknown)
            for code in codes
        ],
        schema={"indicator": pl.String, "target": pl.String, "reason": pl.String},
        orient="row",
    ).with_columns(pl.lit(None, pl.Float64).alias("value"), pl.lit(True).alias("mapped"))
    out = pl.concat([made.select(_MADE), unknown.select(_MADE)], how="vertical_relaxed").rename(
        {"target": "orgunit"}
    )
    return out.with_columns(
        pl.lit(year, pl.Int32).alias("year"), pl.lit(measure).alias("measure")
    ).select(list(OUT_SCHEMA))


_MADE = ["indicator", "target", "value", "mapped", "reason"]


def _joined(period: pl.DataFrame, walk: pl.DataFrame, inds: list[str]) -> pl.DataFrame:
    """Every (indicator, target, source, weight) with the source's value (null: none)."""
    grid = pl.DataFrame({"indicator": inds}, schema={"indicator": pl.String}).join(
        walk, how="cross"
    )
    return grid.join(period, on=["indicator", "source"], how="left")


def _additive(period: pl.DataFrame, walk: pl.DataFrame, inds: list[str]) -> pl.DataFrame:
    """Weighted sums of the sources' values; a target with a source lacking a value has
    none, and says which sources lack it; a target that did not change and has no
    value of its own gets no row."""
    j = _joined(period, walk, inds)
    g = j.group_by("indicator", "target").agg(
        (pl.col("value") * pl.col("w")).sum().alias("sum"),
        pl.col("value").is_null().any().alias("gap"),
        pl.col("value").is_null().all().alias("none"),
        ((pl.len() > 1) | (pl.col("source").first() != pl.col("target").first())).alias("mapped"),
        pl.col("source")
        .filter(pl.col("value").is_null())
        .unique()
        .sort()
        .str.join(", ")
        .alias("missing"),
    )
    return g.filter(~pl.col("none") | pl.col("mapped")).select(
        "indicator",
        "target",
        pl.when(pl.col("gap")).then(None).otherwise(pl.col("sum")).alias("value"),
        "mapped",
        pl.when(pl.col("gap"))
        .then(
            pl.lit(f"{NOT_COMPARABLE}: thiếu số liệu của ")
            + pl.col("missing")
            + pl.lit(" (đơn vị trước khi sắp xếp)")
        )
        .otherwise(pl.lit(""))
        .alias("reason"),
    )


def _own(
    period: pl.DataFrame, walk: pl.DataFrame, same: pl.DataFrame, inds: list[str]
) -> pl.DataFrame:
    """Indicators with no rule across units: a unit that did not change keeps its value,
    one that changed has none."""
    keys = pl.DataFrame({"indicator": inds}, schema={"indicator": pl.String}).join(
        same, how="cross"
    )
    kept = (
        keys.filter(pl.col("same"))
        .join(period, left_on=["indicator", "target"], right_on=["indicator", "source"])
        .select(
            "indicator",
            "target",
            "value",
            pl.lit(False).alias("mapped"),
            pl.lit("").alias("reason"),
        )
    )
    changed = keys.filter(~pl.col("same")).select(
        "indicator",
        "target",
        pl.lit(None, pl.Float64).alias("value"),
        pl.lit(True).alias("mapped"),
        pl.lit(
            f"{NOT_COMPARABLE}: chỉ tiêu không cộng được giữa các đơn vị, mà đơn vị đã thay đổi"
        ).alias("reason"),
    )
    return pl.concat([kept, changed], how="vertical_relaxed")


def _rates(
    period: pl.DataFrame,
    walk: pl.DataFrame,
    same: pl.DataFrame,
    added: pl.DataFrame,
    rates: list[tuple[str, str, str, float]],
) -> pl.DataFrame:
    """A rate is its own value where the unit did not change and has one; else it is
    recomputed from the mapped numerator and denominator."""
    spec = pl.DataFrame(
        rates,
        schema={"indicator": pl.String, "num": pl.String, "den": pl.String, "factor": pl.Float64},
        orient="row",
    )
    own = _own(period, walk, same, [r[0] for r in rates]).filter(~pl.col("mapped"))
    side = added.select("indicator", "target", "value", "reason")
    wide = (
        spec.join(same.select("target"), how="cross")
        .join(
            side.rename({"indicator": "num", "value": "n", "reason": "rn"}),
            on=["num", "target"],
            how="left",
        )
        .join(
            side.rename({"indicator": "den", "value": "d", "reason": "rd"}),
            on=["den", "target"],
            how="left",
        )
    )
    recomputed = (
        wide.join(own.select("indicator", "target"), on=["indicator", "target"], how="anti")
        .join(same, on="target")
        .filter(~(pl.col("same") & (pl.col("n").is_null() | pl.col("d").is_null())))
        .select(
            "indicator",
            "target",
            pl.when(pl.col("d").is_not_null() & (pl.col("d") != 0) & pl.col("n").is_not_null())
            .then(pl.col("n") / pl.col("d") * pl.col("factor"))
            .otherwise(None)
            .alias("value"),
            pl.lit(True).alias("mapped"),
            pl.when(pl.col("d").is_not_null() & (pl.col("d") != 0) & pl.col("n").is_not_null())
            .then(pl.lit(""))
            .otherwise(
                pl.lit(f"{NOT_COMPARABLE}: thiếu tử số hoặc mẫu số (")
                + pl.col("num")
                + pl.lit(", ")
                + pl.col("den")
                + pl.lit(") để tính lại tỷ lệ")
            )
            .alias("reason"),
        )
    )
    return pl.concat([own.select(_MADE), recomputed.select(_MADE)], how="vertical_relaxed")


def _weighted(
    period: pl.DataFrame,
    walk: pl.DataFrame,
    same: pl.DataFrame,
    weighted: list[tuple[str, str]],
) -> pl.DataFrame:
    """A mean weighted by another indicator (a yield by its area), over the sources."""
    spec = pl.DataFrame(
        weighted, schema={"indicator": pl.String, "weight": pl.String}, orient="row"
    )
    j = (
        spec.join(walk, how="cross")
        .join(period, on=["indicator", "source"], how="left")
        .join(
            period.rename({"indicator": "weight", "value": "wt"}),
            on=["weight", "source"],
            how="left",
        )
    )
    g = j.group_by("indicator", "target").agg(
        (
            (pl.col("value") * pl.col("wt") * pl.col("w")).sum()
            / (pl.col("wt") * pl.col("w")).sum()
        ).alias("mean"),
        (pl.col("value").is_null() | pl.col("wt").is_null()).any().alias("gap"),
        ((pl.len() > 1) | (pl.col("source").first() != pl.col("target").first())).alias("mapped"),
        pl.col("value").first().alias("first"),
        pl.col("weight").first().alias("weight"),
    )
    return g.select(
        "indicator",
        "target",
        pl.when(~pl.col("mapped"))
        .then(pl.col("first"))
        .when(pl.col("gap"))
        .then(None)
        .otherwise(pl.col("mean"))
        .alias("value"),
        "mapped",
        pl.when(pl.col("mapped") & pl.col("gap"))
        .then(
            pl.lit(f"{NOT_COMPARABLE}: thiếu số liệu hoặc quyền số (")
            + pl.col("weight")
            + pl.lit(") của đơn vị trước khi sắp xếp")
        )
        .otherwise(pl.lit(""))
        .alias("reason"),
    ).filter(pl.col("mapped") | pl.col("value").is_not_null())


def with_final(values: pl.DataFrame) -> pl.DataFrame:
    """``values`` with each (indicator, unit, year)'s final figure added as measure
    ``full``: the actual where one is entered, else the estimate. Both stay as they
    are: once the actual of a year is entered it replaces the estimate in every
    comparison of that year made on ``full``."""
    keep = pl.col("measure").is_in(["actual", "estimate"]) & pl.col("value").is_not_null()
    final = (
        values.filter(keep)
        .with_columns((pl.col("measure") == "actual").alias("_actual"))
        .sort("_actual", descending=True)
        .unique(["indicator", "orgunit", "year"], keep="first", maintain_order=True)
        .drop("_actual")
        .with_columns(pl.lit(FINAL).alias("measure"))
    )
    return pl.concat([values, final.select(values.columns)], how="vertical_relaxed")


def compare_years(
    values: pl.DataFrame,
    catalog: Catalog,
    tree: OrgTree,
    year: int,
    measure: str,
    base_year: int,
    indicators: list[str] | None = None,
    base_measure: str | None = None,
) -> pl.DataFrame:
    """Each unit's (``year``, ``measure``) against (``base_year``, ``base_measure``,
    by default the same measure: "so với cùng kỳ" for a first half, a trend across
    years; ``full`` for last year's final figure, see :func:`with_final`), for the
    units of the later period, the base made from their predecessors where they
    changed: ``value``, ``base``, ``ratio`` (value ÷ base × 100, null where it cannot
    be made) and ``reason`` (why not, in Vietnamese)."""
    if FINAL in (measure, base_measure) and not values.filter(pl.col("measure") == FINAL).height:
        values = with_final(values)
    base_measure = base_measure or measure
    day = period_day(year, "estimate" if measure == FINAL else measure)
    now = values.filter(
        (pl.col("year") == year) & (pl.col("measure") == measure) & pl.col("value").is_not_null()
    ).select("indicator", "orgunit", "value")
    if indicators is not None:
        now = now.filter(pl.col("indicator").is_in(indicators))
    base = values_for(values, catalog, tree, day, base_year, base_measure, indicators).select(
        "indicator", "orgunit", pl.col("value").alias("base"), "mapped", "reason"
    )
    joined = now.join(base, on=["indicator", "orgunit"], how="left")
    comparable = {i.code for i in catalog if i.comparable}
    return joined.select(
        "indicator",
        "orgunit",
        "value",
        "base",
        pl.col("mapped").fill_null(False),
        pl.when(
            pl.col("base").is_not_null()
            & (pl.col("base") != 0)
            & pl.col("indicator").is_in(sorted(comparable))
        )
        .then(pl.col("value") / pl.col("base") * 100)
        .otherwise(None)
        .alias("ratio"),
        pl.when(pl.col("reason").is_not_null() & (pl.col("reason") != ""))
        .then(pl.col("reason"))
        .when(pl.col("base").is_null())
        .then(pl.lit(f"{NOT_COMPARABLE}: không có số liệu năm {base_year}"))
        .when(~pl.col("indicator").is_in(sorted(comparable)))
        .then(pl.lit(f"{NOT_COMPARABLE}: chỉ tiêu không so sánh theo tỷ lệ"))
        .when(pl.col("base") == 0)
        .then(pl.lit(f"{NOT_COMPARABLE}: số liệu năm {base_year} bằng 0"))
        .otherwise(pl.lit(""))
        .alias("reason"),
    )
