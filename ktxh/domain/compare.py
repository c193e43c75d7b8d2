"""Comparison ratios (So sánh %), as the forms' column headers say.

The rule (DESIGN.md §3; measured on the 2024 Lai Châu report in docs/comparisons.md):

* A comparison column computes what its header says, new ÷ old:
  ``estimate(Y) / plan(Y)`` and ``plan(Y+1) / estimate(Y)``, times 100; the
  narrative also uses ``h1(Y) / plan(Y)`` ("đạt 55% kế hoạch").
* A form may declare another convention (:class:`RatioConvention`): old ÷ new
  for its lower-is-better rows. The indicator's direction decides the rating
  (:func:`performance`, :func:`rating`), never the arithmetic of the default.
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

from ktxh.domain.catalog import Catalog, Direction, RatioConvention
from ktxh.domain.numbers import decimals_of


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
    convention: RatioConvention = RatioConvention.NEW_OLD,
) -> float | None:
    """The comparison % of ``new`` against ``old``, unrounded; None where meaningless.

    New ÷ old, as a column header says; old ÷ new only where ``convention`` inverts
    rows of this ``direction``."""
    if not comparable or new is None or old is None:
        return None
    if any(math.isnan(x) for x in (new, old)):
        return None
    if (new < 0) != (old < 0) and new != 0 and old != 0:
        return None
    num, den = (old, new) if convention.inverts(direction) else (new, old)
    if den == 0:
        return None
    return num / den * 100.0


def performance(
    new: float | None,
    old: float | None,
    direction: Direction = Direction.UP,
    comparable: bool = True,
) -> float | None:
    """The comparison oriented so that above 100 is better: new ÷ old, but old ÷ new
    where lower is better. For colours and ratings, not for printing in a column."""
    return ratio(new, old, direction, comparable, RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER)


class Rating(StrEnum):
    """How a result stands against its target (DESIGN.md §3)."""

    EXCEEDED = "Vượt"
    MET = "Đạt"
    MISSED = "Không đạt"


def rating(
    new: float | None,
    old: float | None,
    direction: Direction = Direction.UP,
    comparable: bool = True,
    decimals: int = 0,
) -> Rating | None:
    """Vượt / Đạt / Không đạt of ``new`` against the target ``old``, by the direction;
    None for a neutral indicator or where no ratio means anything. Equal once
    rounded to ``decimals`` is Đạt."""
    if direction is Direction.NEUTRAL:
        return None
    p = performance(new, old, direction, comparable)
    if p is None:
        return None
    shown = round_half_up(p, decimals)
    if shown > 100:
        return Rating.EXCEEDED
    return Rating.MET if shown == 100 else Rating.MISSED


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


_OLD_NEW = RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER


def ratio_bounds(
    new: float, old: float, dn: int, do: int, inverted: bool = False
) -> tuple[float, float]:
    """Range of the ratio when each input is only known to its printed decimals."""
    hn, ho = 0.5 * 10.0**-dn, 0.5 * 10.0**-do
    cands = []
    for a in (new - hn, new + hn):
        for b in (old - ho, old + ho):
            r = ratio(a, b, Direction.DOWN if inverted else Direction.UP, True, _OLD_NEW)
            if r is not None:
                cands.append(r)
    return (min(cands), max(cands)) if cands else (math.nan, math.nan)


def input_decimals(printed: str | None, count: bool = False) -> int:
    """How many decimals an input of a comparison is known to: those printed; a count
    printed whole (people, schools) is exact."""
    d = decimals_of(printed) or 0
    return 6 if count and d == 0 else d


def agrees(
    printed: float,
    printed_decimals: int,
    new: float,
    old: float,
    new_decimals: int,
    old_decimals: int,
    inverted: bool = False,
) -> bool:
    """Whether ``printed`` is new ÷ old (old ÷ new when ``inverted``) rounded, allowing
    for the rounding of the printed inputs."""
    r = ratio(new, old, Direction.DOWN if inverted else Direction.UP, True, _OLD_NEW)
    if r is None:
        return False
    if round_half_up(r, printed_decimals) == printed:
        return True
    lo, hi = ratio_bounds(new, old, new_decimals, old_decimals, inverted)
    half = 0.5 * 10.0**-printed_decimals
    return lo - half <= printed <= hi + half


def classify(
    printed: float,
    printed_decimals: int,
    new: float | None,
    old: float | None,
    new_decimals: int,
    old_decimals: int,
    direction: Direction,
    comparable: bool,
    convention: RatioConvention = RatioConvention.NEW_OLD,
) -> tuple[Agreement, float | None]:
    """How a printed % agrees with the ratio its column computes (``convention``)
    from its row's cells: exactly, within the rounding of the inputs, the other way
    round (old ÷ new for new ÷ old and back), or not at all."""
    computed = ratio(new, old, direction, comparable, convention)
    if computed is None:
        return Agreement.NOT_COMPUTABLE, None
    if round_half_up(computed, printed_decimals) == printed:
        return Agreement.EXACT, computed
    assert new is not None and old is not None
    inverted = convention.inverts(direction)
    if agrees(printed, printed_decimals, new, old, new_decimals, old_decimals, inverted):
        return Agreement.ROUNDING, computed
    # the other way round, with the same allowance for the rounding of the inputs
    if agrees(printed, printed_decimals, new, old, new_decimals, old_decimals, not inverted):
        return Agreement.INVERTED, computed
    return Agreement.MISMATCH, computed


def comparison_frame(values: pl.DataFrame, catalog: Catalog, year: int) -> pl.DataFrame:
    """Every comparison of reference ``year``, computed and, where printed, as printed.

    Each row is compared as its form's convention says (new ÷ old unless the form
    inverts its lower-is-better rows). One row per (indicator, orgunit, ratio):
    ``computed`` (unrounded),
    ``printed`` (the source's number), ``printed_text``. Vectorised over the
    whole value table.
    """
    if "printed" not in values.columns:
        values = values.with_columns(pl.lit(None, pl.String).alias("printed"))
    meta = pl.DataFrame(
        {
            "indicator": [i.code for i in catalog],
            "inverted": [catalog.inverted(i.code) for i in catalog],
            "comparable": [i.comparable for i in catalog],
        },
        schema={"indicator": pl.String, "inverted": pl.Boolean, "comparable": pl.Boolean},
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
        num = pl.when(pl.col("inverted")).then(pl.col("old")).otherwise(pl.col("new"))
        den = pl.when(pl.col("inverted")).then(pl.col("new")).otherwise(pl.col("old"))
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
