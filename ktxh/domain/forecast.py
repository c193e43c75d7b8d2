"""A proposal for the full-year estimate (Ước TH cả năm) from the first half and history.

In July every office must estimate the whole year from six months. ktxh proposes
a figure beside each empty "Ước TH cả năm" cell, with the method stated, the
years it used and a range; it is never written unless a person accepts it.

The methods, each from the same unit's own history (the final figure of a past
year is its ``actual`` where entered, else its ``estimate``):

* ``ratio``: this year's first half times the usual ratio of the full year to
  its first half (the median of past years' ``full year / h1``): for a flow the
  share of the year a first half usually is, for a stock or a rate the usual
  move of the second half, relative to the level;
* ``attainment``: this year's plan times how much of the plan past years
  reached (the median of ``full year / plan``);
* ``growth``: last year's full year times this year's growth over the same
  period (``h1 this year / h1 last year``);
* ``mid_year``: the first half moved by the usual change of the second half (the
  median of ``full year - h1``), for series that reach zero or change sign, where
  a ratio means nothing;
* ``plan`` (no usable history): the plan itself; ``double_h1`` for a flow with no
  plan: twice the first half.

The method proposed is ``ratio`` for a unit whose past first halves and full
years are all above zero, ``mid_year`` otherwise: a backtest on synthetic
histories of flows, stocks and rates (benchmarks/bench_forecast.py,
benchmarks/RESULTS.md) found ``ratio`` the most accurate for all three natures,
ahead of the naive "estimate = plan" and "estimate = 2 × first half". The range is what the
method gives at the lowest and highest of the past ratios it took the median of
(with fewer than :data:`MIN_YEARS` years the range is wide and the note says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ktxh.domain.catalog import Catalog, Nature

MIN_YEARS = 3  # fewer past years: a proposal with a wide range and a note

METHOD_WORDS = {
    "ratio": "theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm của các năm trước",
    "attainment": "theo mức đạt kế hoạch của các năm trước",
    "growth": "theo tốc độ tăng so với cùng kỳ, áp vào số cả năm của năm trước",
    "mid_year": "theo mức thay đổi 6 tháng cuối năm của các năm trước",
    "plan": "bằng kế hoạch năm (chưa đủ số liệu các năm trước)",
    "double_h1": "gấp đôi số 6 tháng (chưa đủ số liệu các năm trước)",
}

METHODS = ("ratio", "attainment", "growth", "mid_year")

OUT_SCHEMA = {
    "indicator": pl.String,
    "orgunit": pl.String,
    "year": pl.Int32,
    "value": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "method": pl.String,
    "years": pl.String,  # the past years used, space separated
    "note": pl.String,  # for people, Vietnamese
}


@dataclass(frozen=True, slots=True)
class Proposal:
    indicator: str
    orgunit: str
    year: int
    value: float
    low: float
    high: float
    method: str
    years: tuple[int, ...]
    note: str


def history(values: pl.DataFrame, year: int) -> pl.DataFrame:
    """One row per (indicator, unit, past year) with ``plan``, ``h1`` and ``full`` (the
    actual, else the estimate), for the years before ``year``."""
    wide = values.filter(
        (pl.col("year") < year)
        & pl.col("measure").is_in(["plan", "h1", "estimate", "actual"])
        & pl.col("value").is_not_null()
    ).pivot(on="measure", index=["indicator", "orgunit", "year"], values="value")
    for m in ("plan", "h1", "estimate", "actual"):
        if m not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(m))
    return wide.select(
        "indicator",
        "orgunit",
        "year",
        "plan",
        "h1",
        pl.coalesce("actual", "estimate").alias("full"),
    )


def propose(
    values: pl.DataFrame,
    catalog: Catalog,
    year: int,
    method: str | None = None,
) -> pl.DataFrame:
    """A proposed full-year estimate of ``year`` for every (indicator, unit) that has a
    first half of ``year`` and no estimate yet. ``method`` forces one method for all
    (the backtest compares them); by default ``ratio`` for a positive history,
    ``mid_year`` otherwise."""
    now = values.filter((pl.col("year") == year) & pl.col("value").is_not_null())
    h1 = now.filter(pl.col("measure") == "h1").select(
        "indicator", "orgunit", pl.col("value").alias("h1")
    )
    plan = now.filter(pl.col("measure") == "plan").select(
        "indicator", "orgunit", pl.col("value").alias("plan")
    )
    done = now.filter(pl.col("measure") == "estimate").select("indicator", "orgunit")
    target = h1.join(done, on=["indicator", "orgunit"], how="anti").join(
        plan, on=["indicator", "orgunit"], how="left"
    )
    past = history(values, year)
    ratios = past.group_by("indicator", "orgunit").agg(
        *_stats((pl.col("full") / pl.col("h1")), "ratio"),
        ((pl.col("h1") <= 0) | (pl.col("full") <= 0)).any().alias("crosses"),
        *_stats((pl.col("full") / pl.col("plan")), "att"),
        *_stats((pl.col("full") - pl.col("h1")), "h2"),
        pl.col("year")
        .filter(pl.col("full").is_not_null())
        .sort()
        .cast(pl.String)
        .str.join(" ")
        .alias("years"),
        pl.col("full").filter(pl.col("year") == year - 1).first().alias("last_full"),
        pl.col("h1").filter(pl.col("year") == year - 1).first().alias("last_h1"),
    )
    natures = pl.DataFrame(
        {
            "indicator": [i.code for i in catalog],
            "nature": [i.nature.value for i in catalog],
        }
    )
    t = target.join(ratios, on=["indicator", "orgunit"], how="left").join(
        natures, on="indicator", how="left"
    )
    chosen = (
        pl.lit(method)
        if method is not None
        else pl.when(pl.col("crosses").fill_null(False) | (pl.col("h1") <= 0))
        .then(pl.lit("mid_year"))
        .otherwise(pl.lit("ratio"))
    )
    t = t.with_columns(chosen.alias("method"))
    estimates = {
        "ratio": (
            pl.col("h1") * pl.col("ratio_mid"),
            pl.col("h1") * pl.col("ratio_min"),
            pl.col("h1") * pl.col("ratio_max"),
            pl.col("ratio_n"),
        ),
        "attainment": (
            pl.col("plan") * pl.col("att_mid"),
            pl.col("plan") * pl.col("att_min"),
            pl.col("plan") * pl.col("att_max"),
            pl.col("att_n"),
        ),
        "growth": (
            pl.col("last_full") * pl.col("h1") / pl.col("last_h1"),
            pl.col("last_full") * pl.col("h1") / pl.col("last_h1"),
            pl.col("last_full") * pl.col("h1") / pl.col("last_h1"),
            pl.when(pl.col("last_full").is_not_null() & pl.col("last_h1").is_not_null())
            .then(1)
            .otherwise(0),
        ),
        "mid_year": (
            pl.col("h1") + pl.col("h2_mid"),
            pl.col("h1") + pl.col("h2_min"),
            pl.col("h1") + pl.col("h2_max"),
            pl.col("h2_n"),
        ),
    }

    def pick(part: int) -> pl.Expr:
        return pl.coalesce(
            [pl.when(pl.col("method") == name).then(e[part]) for name, e in estimates.items()]
        )

    t = t.with_columns(
        pick(0).alias("v"),
        pick(1).alias("lo"),
        pick(2).alias("hi"),
        pick(3).fill_null(0).alias("n"),
    )
    # no usable history (or a figure that is not finite): the plan, or twice the first half
    usable = pl.col("v").is_not_null() & pl.col("v").is_finite() & (pl.col("n") > 0)
    fallback_flow = (pl.col("nature") == Nature.FLOW.value) & pl.col("plan").is_null()
    t = t.with_columns(
        pl.when(usable)
        .then(pl.col("method"))
        .when(fallback_flow)
        .then(pl.lit("double_h1"))
        .otherwise(pl.lit("plan"))
        .alias("method"),
        pl.when(usable)
        .then(pl.col("v"))
        .when(fallback_flow)
        .then(pl.col("h1") * 2)
        .otherwise(pl.col("plan"))
        .alias("v"),
        pl.when(usable)
        .then(pl.min_horizontal("lo", "hi"))
        .otherwise(pl.min_horizontal(pl.col("h1") * 2, pl.col("plan")))
        .alias("lo"),
        pl.when(usable)
        .then(pl.max_horizontal("lo", "hi"))
        .otherwise(pl.max_horizontal(pl.col("h1") * 2, pl.col("plan")))
        .alias("hi"),
        pl.when(usable).then(pl.col("years")).otherwise(pl.lit("")).alias("years"),
    ).filter(pl.col("v").is_not_null())
    words = pl.col("method").replace_strict(METHOD_WORDS, default="")
    short = (
        (pl.col("n") < MIN_YEARS) & (pl.col("method") != "plan") & (pl.col("method") != "double_h1")
    )
    note = (
        pl.lit("Đề xuất ")
        + words
        + pl.when(pl.col("years") != "")
        .then(pl.lit(" (các năm ") + pl.col("years").str.replace_all(" ", ", ") + pl.lit(")"))
        .otherwise(pl.lit(""))
        + pl.when(short)
        .then(pl.lit("; ít năm số liệu nên khoảng tin cậy rộng"))
        .otherwise(pl.lit(""))
    )
    return t.select(
        "indicator",
        "orgunit",
        pl.lit(year, pl.Int32).alias("year"),
        pl.col("v").alias("value"),
        pl.col("lo").alias("low"),
        pl.col("hi").alias("high"),
        "method",
        "years",
        note.alias("note"),
    ).cast(OUT_SCHEMA)  # type: ignore[arg-type]


def _stats(expr: pl.Expr, name: str) -> list[pl.Expr]:
    finite = expr.filter(expr.is_finite())
    return [
        finite.median().alias(f"{name}_mid"),
        finite.min().alias(f"{name}_min"),
        finite.max().alias(f"{name}_max"),
        finite.len().alias(f"{name}_n"),
    ]
