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
from ktxh.domain.values import Keys, by_code, is_compact, text_keys

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


BASE_MEASURES = ("plan", "h1", "estimate", "actual")
# polars 2.1 reorders a chain of joins by its row estimates and can turn the joins on
# (code, unit, year, measure) into one on (unit, year, measure) alone: a many-to-many
# product. The engines' lazy plans run their joins as written.
PLAN = pl.QueryOptFlags(join_order=False)


def _rules(catalog: Catalog, keys: Keys) -> pl.DataFrame:
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
            "indicator": keys.indicator,
            "rule": pl.String,
            "num": keys.indicator,
            "den": keys.indicator,
            "weight": keys.indicator,
            "factor": pl.Float64,
        },
    )


def _one_level(
    known: pl.LazyFrame, rules: pl.DataFrame, parents: dict[str, str], keys: Keys
) -> pl.LazyFrame:
    """Totals for the parents of ``parents`` (child -> parent) from ``known`` values:
    the children's rows only, each with its parent looked up by its unit's category."""
    kv = known.filter(
        pl.col("orgunit").is_in(keys.series("orgunit", parents).implode())
    ).with_columns(by_code(keys.orgunit, "orgunit", parents, keys.orgunit).alias("parent"))
    keys_ = ["indicator", "parent", "year", "measure"]
    simple_rules = rules.filter(pl.col("rule").is_in(["sum", "count"])).select("indicator", "rule")
    simple = (
        kv.join(simple_rules.lazy(), on="indicator")
        .group_by([*keys_, "rule"])
        .agg(
            pl.when(pl.col("rule").first() == "count")
            .then((pl.col("value") > 0).sum().cast(pl.Float64))
            .otherwise(pl.col("value").sum())
            .alias("value"),
            pl.col("value").is_not_null().sum().cast(pl.UInt32).alias("n_children"),
        )
    )
    mean_rules = rules.filter(pl.col("rule") == "weighted_mean").select("indicator", "weight")
    side = kv.select(
        pl.col("indicator").alias("weight"),
        "orgunit",
        "year",
        "measure",
        pl.col("value").alias("v2"),
    )
    weighted = (
        kv.join(mean_rules.lazy(), on="indicator")
        .join(side, on=["weight", "orgunit", "year", "measure"], how="left")
        .filter(pl.col("value").is_not_null() & pl.col("v2").is_not_null())
        .group_by(keys_)
        .agg(
            ((pl.col("value") * pl.col("v2")).sum() / pl.col("v2").sum()).alias("value"),
            pl.len().cast(pl.UInt32).alias("n_children"),
        )
        .with_columns(pl.lit("weighted_mean").alias("rule"))
    )
    rate_rules = rules.filter(pl.col("rule") == "rate")
    num = (
        kv.join(
            rate_rules.lazy().select(
                pl.col("num").alias("indicator"), pl.col("indicator").alias("rate")
            ),
            on="indicator",
        )
        .group_by("rate", "parent", "year", "measure")
        .agg(pl.col("value").sum().alias("num"), pl.col("value").is_not_null().sum().alias("n"))
    )
    den = (
        kv.join(
            rate_rules.lazy().select(
                pl.col("den").alias("indicator"), pl.col("indicator").alias("rate")
            ),
            on="indicator",
        )
        .group_by("rate", "parent", "year", "measure")
        .agg(pl.col("value").sum().alias("den"))
    )
    rates = (
        num.join(den, on=["rate", "parent", "year", "measure"], how="inner")
        .join(rate_rules.lazy().select(pl.col("indicator").alias("rate"), "factor"), on="rate")
        .filter(pl.col("den") != 0)
        .select(
            pl.col("rate").alias("indicator"),
            "parent",
            "year",
            "measure",
            (pl.col("num") / pl.col("den") * pl.col("factor")).alias("value"),
            pl.col("n").cast(pl.UInt32).alias("n_children"),
            pl.lit("rate").alias("rule"),
        )
    )
    cols = ["indicator", "parent", "year", "measure", "value", "n_children", "rule"]
    return (
        pl.concat([f.select(cols) for f in (simple, weighted, rates)])
        .with_columns(
            pl.when(pl.col("n_children") > 0).then(pl.col("value")).otherwise(None).alias("value")
        )
        .rename({"parent": "orgunit"})
    )


def consolidate(
    values: pl.DataFrame, catalog: Catalog, tree: OrgTree, keys: Keys | None = None
) -> pl.DataFrame:
    """Computed totals for every org unit that has children, bottom-up.

    Returns one row per (indicator, parent org unit, year, measure) with the
    computed ``value``, the number of children that had a value, and the rule.
    Stored values are not changed; compare them with these to check a plan.

    A tree that changes over time is taken as it was in each value's period
    (:func:`ktxh.domain.orgunits.period_day`): the values of a year and measure are
    consolidated over the units valid then, so that a unit merged into another is
    never counted twice, and the values of units not valid then are left out.

    One planned query per level of the tree: the rows of the indicators some rule
    consolidates (and of their bases) are taken first, with categorical keys
    (:class:`~ktxh.domain.values.Keys`; ``keys`` the plan's, else made from the
    catalog and the tree), and only then joined and grouped. The keys come back as
    they came: text for a text frame, categories for a compact one.
    """
    keys = keys or Keys.of(catalog.indicators, tree.units)
    rules = _rules(catalog, keys)
    wanted = {
        c
        for col in ("indicator", "num", "den", "weight")
        for c in rules[col].drop_nulls().cast(pl.String).to_list()
    }
    known = (
        values.lazy()
        .filter(pl.col("measure").is_in(BASE_MEASURES) & pl.col("indicator").is_in(sorted(wanted)))
        .select("indicator", "orgunit", "year", "measure", "value")
        .cast(keys.dtypes)  # type: ignore[arg-type]
    )
    if not tree.changes:
        out = _consolidate(known, rules, tree, keys)
    else:
        parts = []
        for (year, measure), group in (
            known.collect(optimizations=PLAN)
            .partition_by(["year", "measure"], as_dict=True, maintain_order=True)
            .items()
        ):
            snapshot = tree.at(period_day(int(str(year)), str(measure)))
            inside = group.lazy().filter(
                pl.col("orgunit").is_in(keys.series("orgunit", snapshot.units).implode())
            )
            parts.append(_consolidate(inside, rules, snapshot, keys))
        out = pl.concat(parts) if parts else pl.DataFrame(schema=OUT_SCHEMA).cast(keys.dtypes)  # type: ignore[arg-type]
    out = out.select(list(OUT_SCHEMA)).cast({"year": pl.Int32})
    return out if is_compact(values) else text_keys(out)


def _consolidate(
    known: pl.LazyFrame, rules: pl.DataFrame, tree: OrgTree, keys: Keys
) -> pl.DataFrame:
    results = []
    max_depth = max((tree.depth(u.code) for u in tree), default=0)
    key = ["indicator", "orgunit", "year", "measure"]
    for depth in range(max_depth, 0, -1):
        parents = {u.code: u.parent for u in tree if tree.depth(u.code) == depth and u.parent}
        level = _one_level(known, rules, parents, keys).collect(optimizations=PLAN)
        results.append(level)
        if depth == 1:
            break
        # a parent without a stored value of its own passes the computed one up
        missing = level.lazy().join(known.select(key), on=key, how="anti")
        known = pl.concat([known.select(*key, "value"), missing.select(*key, "value")])
    if not results:
        return pl.DataFrame(schema=OUT_SCHEMA).cast(keys.dtypes)  # type: ignore[arg-type]
    return pl.concat(results)
