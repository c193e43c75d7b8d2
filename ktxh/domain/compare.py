"""Comparison ratios (So sánh %), as the official forms print them.

The rule, learnt from the 2024 Lai Châu report (see docs/comparisons.md):

* ``estimate(Y) / plan(Y)`` and ``plan(Y+1) / estimate(Y)``, times 100; the
  narrative also uses ``h1(Y) / plan(Y)`` ("đạt 55% kế hoạch").
* For an indicator where lower is better the ratio is printed the other way
  round, ``old / new``, so that above 100 always means better.
* Rounded half up to the decimals printed (a whole number in most forms, one
  decimal in Biểu 9).
* No ratio where it means nothing: an indicator marked not comparable (a
  "mức giảm", a structure), a zero or missing base, or a change of sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from ktxh.domain.catalog import Catalog, Direction


@dataclass(frozen=True, slots=True)
class RatioSpec:
    """``new / old`` between two (measure, year offset) cells of the same row."""

    key: str
    new: tuple[str, int]
    old: tuple[str, int]
    printed_measure: str | None  # where the source keeps its printed %, if any
    printed_year_offset: int
    label: str


RATIOS = (
    RatioSpec(
        "estimate_plan",
        ("estimate", 0),
        ("plan", 0),
        "printed_ratio_estimate_plan",
        0,
        "Ước TH/KH",
    ),
    RatioSpec(
        "nextplan_estimate",
        ("plan", 1),
        ("estimate", 0),
        "printed_ratio_nextplan_estimate",
        1,
        "KH năm sau/Ước TH",
    ),
    RatioSpec("h1_plan", ("h1", 0), ("plan", 0), None, 0, "TH 6 tháng/KH"),
)
RATIO_BY_KEY = {r.key: r for r in RATIOS}


def ratio(
    new: float | None,
    old: float | None,
    direction: Direction = Direction.UP,
    comparable: bool = True,
) -> float | None:
    """The comparison % of ``new`` against ``old``, unrounded; None where meaningless."""
    if not comparable or new is None or old is None:
        return None
    if any(math.isnan(x) for x in (new, old)):
        return None
    if (new < 0) != (old < 0) and new != 0 and old != 0:
        return None
    num, den = (old, new) if direction is Direction.DOWN else (new, old)
    if den == 0:
        return None
    return num / den * 100.0


def round_half_up(x: float, decimals: int = 0) -> float:
    """Half away from zero, robust to binary noise (102,85 -> 102,9)."""
    scale = 10.0**decimals
    return math.copysign(math.floor(abs(x) * scale + 0.5 + 1e-9) / scale, x)


def round_expr(expr: pl.Expr, decimals: pl.Expr | int) -> pl.Expr:
    """The vectorised twin of :func:`round_half_up`."""
    scale = pl.lit(10.0).pow(decimals)
    return (expr.abs() * scale + 0.5 + 1e-9).floor() / scale * expr.sign()


class Agreement(StrEnum):
    EXACT = "exact"  # rounded ratio equals the printed one
    ROUNDING = "rounding"  # explained by the rounding of the printed inputs
    INVERTED = "inverted"  # the printed one is the ratio the other way round
    MISMATCH = "mismatch"
    NOT_COMPUTABLE = "not_computable"  # printed, but we compute none


def _bounds(new: float, old: float, dn: int, do: int, direction: Direction) -> tuple[float, float]:
    """Range of the ratio when each input is only known to its printed decimals."""
    hn, ho = 0.5 * 10.0**-dn, 0.5 * 10.0**-do
    cands = []
    for a in (new - hn, new + hn):
        for b in (old - ho, old + ho):
            r = ratio(a, b, direction)
            if r is not None:
                cands.append(r)
    return (min(cands), max(cands)) if cands else (math.nan, math.nan)


def classify(
    printed: float,
    printed_decimals: int,
    new: float | None,
    old: float | None,
    new_decimals: int,
    old_decimals: int,
    direction: Direction,
    comparable: bool,
) -> tuple[Agreement, float | None]:
    """How a printed % agrees with the ratio computed from its row's cells."""
    computed = ratio(new, old, direction, comparable)
    if computed is None:
        return Agreement.NOT_COMPUTABLE, None
    if round_half_up(computed, printed_decimals) == printed:
        return Agreement.EXACT, computed
    assert new is not None and old is not None
    lo, hi = _bounds(new, old, new_decimals, old_decimals, direction)
    half = 0.5 * 10.0**-printed_decimals
    if lo - half <= printed <= hi + half:
        return Agreement.ROUNDING, computed
    # the other way round, with the same allowance for the rounding of the inputs
    other = Direction.UP if direction is Direction.DOWN else Direction.DOWN
    lo, hi = _bounds(new, old, new_decimals, old_decimals, other)
    if lo - half <= printed <= hi + half:
        return Agreement.INVERTED, computed
    return Agreement.MISMATCH, computed


def comparison_frame(values: pl.DataFrame, catalog: Catalog, year: int) -> pl.DataFrame:
    """Every comparison of reference ``year``, computed and, where printed, as printed.

    One row per (indicator, orgunit, ratio): ``computed`` (unrounded),
    ``printed`` (the source's number), ``printed_text``. Vectorised over the
    whole value table.
    """
    if "printed" not in values.columns:
        values = values.with_columns(pl.lit(None, pl.String).alias("printed"))
    meta = pl.DataFrame(
        {
            "indicator": [i.code for i in catalog],
            "down": [i.direction is Direction.DOWN for i in catalog],
            "comparable": [i.comparable for i in catalog],
        }
    )
    frames = []
    for spec in RATIOS:
        new_m, new_off = spec.new
        old_m, old_off = spec.old
        new = values.filter(
            (pl.col("measure") == new_m) & (pl.col("year") == year + new_off)
        ).select("indicator", "orgunit", pl.col("value").alias("new"))
        old = values.filter(
            (pl.col("measure") == old_m) & (pl.col("year") == year + old_off)
        ).select("indicator", "orgunit", pl.col("value").alias("old"))
        f = new.join(old, on=["indicator", "orgunit"], how="full", coalesce=True)
        if spec.printed_measure is not None:
            printed = values.filter(
                (pl.col("measure") == spec.printed_measure)
                & (pl.col("year") == year + spec.printed_year_offset)
            ).select(
                "indicator",
                "orgunit",
                pl.col("value").alias("printed"),
                pl.col("printed").alias("printed_text"),
            )
            f = f.join(printed, on=["indicator", "orgunit"], how="full", coalesce=True)
        else:
            f = f.with_columns(
                pl.lit(None, pl.Float64).alias("printed"),
                pl.lit(None, pl.String).alias("printed_text"),
            )
        f = f.join(meta, on="indicator", how="left")
        num = pl.when(pl.col("down")).then(pl.col("old")).otherwise(pl.col("new"))
        den = pl.when(pl.col("down")).then(pl.col("new")).otherwise(pl.col("old"))
        same_sign = (pl.col("new") >= 0) == (pl.col("old") >= 0)
        f = f.with_columns(
            pl.when(pl.col("comparable") & (den != 0) & same_sign)
            .then(num / den * 100.0)
            .otherwise(None)
            .alias("computed"),
            pl.lit(spec.key).alias("ratio"),
        )
        frames.append(
            f.select(
                "indicator", "orgunit", "ratio", "new", "old", "computed", "printed", "printed_text"
            )
        )
    return pl.concat(frames, how="vertical_relaxed")
