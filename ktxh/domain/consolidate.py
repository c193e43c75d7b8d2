"""Totals over the org-unit tree, each indicator by its own rule.

* ``sum``: the children's values added up (people, hectares, money).
* ``rate``: recomputed from the consolidated numerator and denominator
  (``basis`` = numerator, denominator), never averaged.
* ``weighted_mean``: weighted by another indicator (``basis`` = the weight,
  e.g. yield by area).
* ``count``: how many children meet the standard (value > 0).
* ``city_only`` and ``none``: no total is made.

The tree may have any depth: totals are made bottom-up, and a parent with no
stored value of its own uses the total computed for it.
"""

from __future__ import annotations

import polars as pl

from ktxh.domain.catalog import Catalog, Consolidation, Indicator
from ktxh.domain.orgunits import OrgTree, period_day

OUT_SCHEMA = {
    "indicator": pl.String,
    "orgunit": pl.String,
    "year": pl.Int32,
    "measure": pl.String,
    "value": pl.Float64,
    "n_children": pl.UInt32,
    "rule": pl.String,
}


def rate_factor(catalog: Catalog, ind: Indicator) -> float | None:
    """The k in ``rate = k · numerator / denominator``, from the three units' scales."""
    if len(ind.basis) != 2:
        return None
    num_ind, den_ind = catalog[ind.basis[0]], catalog[ind.basis[1]]
    rate_u, num_u, den_u = (catalog.units.get(i.unit) for i in (ind, num_ind, den_ind))
    if rate_u is None or num_u is None or den_u is None:
        return None
    return float(num_u.scale / den_u.scale / rate_u.scale)


def _rules(catalog: Catalog) -> pl.DataFrame:
    rows = []
    for ind in catalog:
        rule = ind.consolidation
        if rule in (Consolidation.CITY_ONLY, Consolidation.NONE):
            continue
        num = den = weight = None
        factor = None
        if rule is Consolidation.RATE:
            factor = rate_factor(catalog, ind)
            if factor is None:
                continue  # a rate without a known basis cannot be consolidated
            num, den = ind.basis
        elif rule is Consolidation.WEIGHTED_MEAN:
            if not ind.basis:
                continue
            weight = ind.basis[0]
        rows.append(
            {
                "indicator": ind.code,
                "rule": rule.value,
                "num": num,
                "den": den,
                "weight": weight,
                "factor": factor,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "rule": pl.String,
            "num": pl.String,
            "den": pl.String,
            "weight": pl.String,
            "factor": pl.Float64,
        },
    )


def _one_level(known: pl.DataFrame, rules: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """Totals for the parents in ``parents`` (child -> parent) from ``known`` values."""
    kv = known.select("indicator", "orgunit", "year", "measure", "value").join(
        parents, left_on="orgunit", right_on="child", how="inner"
    )
    keys = ["indicator", "parent", "year", "measure"]
    base = kv.join(rules, on="indicator", how="inner")

    simple = (
        base.filter(pl.col("rule").is_in(["sum", "count"]))
        .group_by([*keys, "rule"])
        .agg(
            pl.when(pl.col("rule").first() == "count")
            .then((pl.col("value") > 0).sum().cast(pl.Float64))
            .otherwise(pl.col("value").sum())
            .alias("value"),
            pl.col("value").is_not_null().sum().cast(pl.UInt32).alias("n_children"),
        )
    )

    side = kv.select(
        pl.col("indicator").alias("side"), "orgunit", "year", "measure", pl.col("value").alias("v2")
    )
    weighted = (
        base.filter(pl.col("rule") == "weighted_mean")
        .join(
            side,
            left_on=["weight", "orgunit", "year", "measure"],
            right_on=["side", "orgunit", "year", "measure"],
            how="left",
        )
        .filter(pl.col("value").is_not_null() & pl.col("v2").is_not_null())
        .group_by([*keys, "rule"])
        .agg(
            ((pl.col("value") * pl.col("v2")).sum() / pl.col("v2").sum()).alias("value"),
            pl.len().cast(pl.UInt32).alias("n_children"),
        )
    )

    rate_rules = rules.filter(pl.col("rule") == "rate")
    num = (
        kv.join(rate_rules, left_on="indicator", right_on="num", how="inner")
        .group_by(pl.col("indicator_right").alias("rate"), "parent", "year", "measure")
        .agg(pl.col("value").sum().alias("num"), pl.col("value").is_not_null().sum().alias("n"))
    )
    den = (
        kv.join(rate_rules, left_on="indicator", right_on="den", how="inner")
        .group_by(pl.col("indicator_right").alias("rate"), "parent", "year", "measure")
        .agg(pl.col("value").sum().alias("den"))
    )
    rates = (
        num.join(den, on=["rate", "parent", "year", "measure"], how="inner")
        .join(rate_rules.select("indicator", "factor"), left_on="rate", right_on="indicator")
        .filter(pl.col("den") != 0)
        .select(
            pl.col("rate").alias("indicator"),
            "parent",
            "year",
            "measure",
            pl.lit("rate").alias("rule"),
            (pl.col("num") / pl.col("den") * pl.col("factor")).alias("value"),
            pl.col("n").cast(pl.UInt32).alias("n_children"),
        )
    )
    cols = ["indicator", "parent", "year", "measure", "value", "n_children", "rule"]
    out = pl.concat([f.select(cols) for f in (simple, weighted, rates)], how="vertical_relaxed")
    out = out.with_columns(
        pl.when(pl.col("n_children") > 0).then(pl.col("value")).otherwise(None).alias("value")
    )
    return out.rename({"parent": "orgunit"}).select(list(OUT_SCHEMA)).cast(OUT_SCHEMA)  # type: ignore[arg-type]


def consolidate(values: pl.DataFrame, catalog: Catalog, tree: OrgTree) -> pl.DataFrame:
    """Computed totals for every org unit that has children, bottom-up.

    Returns one row per (indicator, parent org unit, year, measure) with the
    computed ``value``, the number of children that had a value, and the rule.
    Stored values are not changed; compare them with these to check a plan.

    A tree that changes over time is taken as it was in each value's period
    (:func:`ktxh.domain.orgunits.period_day`): the values of a year and measure are
    consolidated over the units valid then, so that a unit merged into another is
    never counted twice, and the values of units not valid then are left out.
    """
    known = values.filter(pl.col("measure").is_in(["plan", "h1", "estimate", "actual"]))
    if not tree.changes:
        return _consolidate(known, _rules(catalog), tree)
    rules = _rules(catalog)
    parts = []
    for (year, measure), group in known.partition_by(
        ["year", "measure"], as_dict=True, maintain_order=True
    ).items():
        snapshot = tree.at(period_day(int(str(year)), str(measure)))
        inside = group.filter(pl.col("orgunit").is_in(list(snapshot.units)))
        parts.append(_consolidate(inside, rules, snapshot))
    if not parts:
        return pl.DataFrame(schema=OUT_SCHEMA)
    return pl.concat(parts, how="vertical_relaxed")


def _consolidate(known: pl.DataFrame, rules: pl.DataFrame, tree: OrgTree) -> pl.DataFrame:
    results = []
    max_depth = max((tree.depth(u.code) for u in tree), default=0)
    for depth in range(max_depth, 0, -1):
        parents = pl.DataFrame(
            [{"child": u.code, "parent": u.parent} for u in tree if tree.depth(u.code) == depth],
            schema={"child": pl.String, "parent": pl.String},
        )
        level = _one_level(known, rules, parents)
        results.append(level)
        # a parent without a stored value of its own passes the computed one up
        missing = level.join(
            known.select("indicator", "orgunit", "year", "measure"),
            on=["indicator", "orgunit", "year", "measure"],
            how="anti",
        )
        known = pl.concat(
            [
                known.select("indicator", "orgunit", "year", "measure", "value"),
                missing.select("indicator", "orgunit", "year", "measure", "value"),
            ],
            how="vertical_relaxed",
        )
    if not results:
        return pl.DataFrame(schema=OUT_SCHEMA)
    return pl.concat(results, how="vertical_relaxed")
