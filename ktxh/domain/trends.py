"""An indicator of one unit across every year a plan holds, with the comparisons with
the year before: the trend charts of the dashboard and ``GET /api/trends``.

Each year of the series has the plan, the first half (TH 6 tháng) and the year's
final figure (``full``: the actual once entered, else the estimate:
:func:`ktxh.domain.history.with_final`) of the unit, and two comparisons with the
year before:

* "so với cùng kỳ": the first half against the first half of the year before;
* the year against the year before: the final figure against last year's final
  figure (its actual once entered), which for the round under way is the
  estimate against last year's actual.

The units change (merges, splits): a year's values are those of the unit as it is
at the end of the series, made from its predecessors by each indicator's own rule
(:func:`ktxh.domain.history.values_for`); where they cannot be made the point says
"không so sánh được" and why. The comparisons follow :func:`ktxh.domain.compare.ratio`
(new ÷ old, or the form's declared convention; none for an indicator marked not
comparable, a zero or missing base, or a change of sign) and are rounded half up
to one decimal, as the narrative prints growth ("tăng 9,8% so với cùng kỳ").
A total the store does not hold is consolidated from the units below
(:func:`ktxh.domain.consolidate.consolidate`), as the forms show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from ktxh.domain.catalog import Catalog, Indicator, RatioConvention
from ktxh.domain.compare import ratio, round_half_up
from ktxh.domain.consolidate import consolidate
from ktxh.domain.history import FINAL, NOT_COMPARABLE, values_for, with_final
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, period_day

MEASURES = ("plan", "h1", "estimate", "actual")
CHANGE_DECIMALS = 1


@dataclass(frozen=True, slots=True)
class Change:
    """A year's figure against the year before's: ``ratio`` new ÷ old × 100 (unrounded),
    ``shown`` rounded for people ("109,8"), ``reason`` why there is none."""

    ratio: float | None
    shown: str
    reason: str


@dataclass(frozen=True, slots=True)
class Point:
    year: int
    plan: float | None
    h1: float | None
    full: float | None
    full_measure: str  # "actual", "estimate", or "" when the year has no final figure
    mapped: bool  # made from other units' values (a reorganisation)
    reasons: tuple[str, ...]  # why a figure of the year is missing ("không so sánh được: ...")
    h1_change: Change  # so với cùng kỳ
    full_change: Change  # the year against the year before


def with_totals(values: pl.DataFrame, catalog: Catalog, tree: OrgTree) -> pl.DataFrame:
    """``values`` and, where nothing is stored, the totals the units below make."""
    keep = values.select("indicator", "orgunit", "year", "measure", "value").filter(
        pl.col("measure").is_in(MEASURES) & pl.col("value").is_not_null()
    )
    totals = consolidate(values, catalog, tree).select(
        "indicator", "orgunit", pl.col("year").cast(pl.Int32), "measure", "value"
    )
    made = totals.filter(pl.col("value").is_not_null()).join(
        keep, on=["indicator", "orgunit", "year", "measure"], how="anti"
    )
    return pl.concat([keep.with_columns(pl.col("year").cast(pl.Int32)), made])


def series_day(tree: OrgTree, orgunit: str, years: Sequence[int]) -> date:
    """The day whose units a series is told for: the first half of the latest year in
    which ``orgunit`` is in being (the units of that day, their predecessors mapped)."""
    unit = tree[orgunit]
    for year in sorted(years, reverse=True):
        day = period_day(year, "h1")
        if unit.valid_on(day):
            return day
    if unit.valid_to is not None:
        return unit.valid_to - timedelta(days=1)
    return period_day(max(years), "h1") if years else date.today()


def trends(
    values: pl.DataFrame,
    catalog: Catalog,
    tree: OrgTree,
    indicators: Sequence[str],
    orgunit: str,
    years: Sequence[int] | None = None,
) -> dict[str, list[Point]]:
    """Each indicator's series for ``orgunit`` over ``years`` (by default every year
    ``values`` hold a plan, first half, estimate or actual of them)."""
    wanted = set(indicators)
    for code in indicators:  # a rate needs its numerator and denominator, a mean its weight
        wanted |= set(catalog[code].basis)
    frame = values.filter(pl.col("indicator").is_in(sorted(wanted)))
    if years is None:
        present = frame.filter(pl.col("measure").is_in(MEASURES) & pl.col("value").is_not_null())
        years = sorted({int(y) for y in present["year"].unique().to_list()})
    if not years or orgunit not in tree.units:
        return {code: [] for code in indicators}
    frame = with_final(with_totals(frame, catalog, tree))
    day = series_day(tree, orgunit, years)
    codes = list(indicators)
    got: dict[tuple[int, str], dict[str, tuple[float | None, bool, str]]] = {}
    for year in [years[0] - 1, *years]:
        for measure in ("plan", "h1", "actual", FINAL):
            rows = values_for(frame, catalog, tree, day, year, measure, codes).filter(
                pl.col("orgunit") == orgunit
            )
            # a year none of the unit's predecessors has a figure for is a gap, not a
            # figure that cannot be compared
            walk = tree.crosswalk(
                day, period_day(year, "estimate" if measure == FINAL else measure)
            )
            parts = walk.get(orgunit)
            sources = sorted(parts) if isinstance(parts, dict) else []
            held = set(
                frame.filter(
                    (pl.col("year") == year)
                    & (pl.col("measure") == measure)
                    & pl.col("orgunit").is_in(sources)
                )["indicator"].to_list()
            )
            got[(year, measure)] = {
                r["indicator"]: (
                    r["value"],
                    r["mapped"],
                    r["reason"] if r["indicator"] in held or not sources else "",
                )
                for r in rows.iter_rows(named=True)
            }
    out: dict[str, list[Point]] = {}
    none: tuple[float | None, bool, str] = (None, False, "")
    for code in codes:
        ind = catalog[code]
        convention = catalog.convention(code)
        points = []
        for year in years:
            plan, h1, actual, full = (
                got[(year, m)].get(code, none) for m in ("plan", "h1", "actual", FINAL)
            )
            measure = (
                "actual" if actual[0] is not None else "estimate" if full[0] is not None else ""
            )
            reasons = tuple(dict.fromkeys(c[2] for c in (plan, h1, full) if c[2]))
            # the first year of the series has no year before it to compare with: no reason
            first = year == years[0]
            last_h1 = got[(year - 1, "h1")].get(code, none)
            last_full = got[(year - 1, FINAL)].get(code, none)
            points.append(
                Point(
                    year,
                    plan[0],
                    h1[0],
                    full[0],
                    measure,
                    any(c[1] for c in (plan, h1, full)),
                    reasons,
                    _change(h1[0], last_h1, year, ind, convention, first),
                    _change(full[0], last_full, year, ind, convention, first),
                )
            )
        out[code] = points
    return out


def _change(
    new: float | None,
    old: tuple[float | None, bool, str],
    year: int,
    ind: Indicator,
    convention: RatioConvention,
    first: bool = False,
) -> Change:
    """``new`` against the year before's figure ``old`` (value, mapped, reason);
    ``first``: the year before is not in the series (nothing held for it)."""
    base, _, why = old
    r = ratio(new, base, ind.direction, ind.comparable, convention)
    if r is not None:
        return Change(r, format_number(round_half_up(r, CHANGE_DECIMALS), CHANGE_DECIMALS), "")
    if new is None or (first and base is None and not why):
        return Change(None, "", "")
    if not ind.comparable:
        reason = f"{NOT_COMPARABLE}: chỉ tiêu không so sánh theo tỷ lệ"
    elif base is None:
        reason = why or f"{NOT_COMPARABLE}: không có số liệu năm {year - 1}"
    elif base == 0 or new == 0:
        reason = f"{NOT_COMPARABLE}: số liệu năm {year - 1} hoặc năm {year} bằng 0"
    else:
        reason = f"{NOT_COMPARABLE}: số liệu năm {year} và năm {year - 1} trái dấu"
    return Change(None, "", reason)
