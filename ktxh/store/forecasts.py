"""Proposals for the empty "Ước TH cả năm" cells of a round, and their acceptance.

:func:`suggestions` reads the store and asks :func:`ktxh.domain.forecast.propose`
for a full-year estimate of every estimate cell of round Y that a unit enters (its
form's layout asks for the estimate of Y, the unit may hold the row, the unit is in
being at the end of Y) and that nobody has filled: the value (rounded to the
indicator's decimals), the range, the method, the past years it used and the note
for people. A cell where a person already entered an estimate (or "-") is never
proposed for; the answer says how many were skipped that way.

:func:`accept_forecast` is the only way a proposal becomes a value: one action, as
those of :mod:`ktxh.store.actions`, taken by a person. It proposes again from the
values as they are now, refuses (writing nothing) a cell that has no proposal any
more or whose proposal is not the one the person saw, and writes the rest through
:func:`~ktxh.store.actions.write_values` with the source ``forecast`` and a
``source_ref`` naming the method and the years, all or nothing: the audit trail
then says that the value is a proposal that person accepted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
from django.core.exceptions import PermissionDenied

from ktxh.domain.catalog import Catalog, Consolidation, RowKind
from ktxh.domain.compare import round_half_up
from ktxh.domain.forecast import METHOD_WORDS, MIN_YEARS, propose
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, period_day
from ktxh.store.actions import CellWrite, Written, new_batch, write_values
from ktxh.store.frames import current_plan, current_year, static_parts
from ktxh.store.lookup import lookup
from ktxh.store.models import Source, Value
from ktxh.store.permissions import scope_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MEASURES = ("plan", "h1", "estimate", "actual")  # what a proposal is made from
MAX_FILTER = 500  # more units or indicators than this: read all and filter in memory


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed full-year estimate for one empty estimate cell."""

    indicator: str
    orgunit: str
    year: int
    h1: float
    value: float  # rounded to the indicator's decimals
    low: float
    high: float
    method: str  # ratio, attainment, growth, mid_year, plan, double_h1
    years: tuple[int, ...]  # the past years the method used
    note: str  # for people (Vietnamese)
    decimals: int
    version: int = 0  # the cell's version now (a cleared cell keeps its count)

    @property
    def short(self) -> bool:
        """Made from fewer past years than a sound proposal needs: its range matters."""
        return len(self.years) < MIN_YEARS

    @property
    def method_words(self) -> str:
        return METHOD_WORDS.get(self.method, self.method)

    def shown(self, number: float | None = None) -> str:
        return format_number(self.value if number is None else number, self.decimals)

    def range_text(self) -> str:
        """ "1.200 - 1.350", or "" when the range is one number."""
        if self.shown(self.low) == self.shown(self.high):
            return ""
        return f"{self.shown(self.low)} - {self.shown(self.high)}"

    def source_ref(self) -> str:
        """What the audit trail records as the value's provenance."""
        years = f" (các năm {', '.join(str(y) for y in self.years)})" if self.years else ""
        return f"gợi ý ước TH của ktxh: {self.method}{years}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "orgunit": self.orgunit,
            "year": self.year,
            "measure": "estimate",
            "h1": self.h1,
            "value": self.value,
            "display": self.shown(),
            "low": self.low,
            "high": self.high,
            "range": self.range_text(),
            "method": self.method,
            "method_words": self.method_words,
            "years": list(self.years),
            "short_history": self.short,
            "note": self.note,
            "version": self.version,
        }


@dataclass
class Suggestions:
    year: int
    items: list[Suggestion] = field(default_factory=list)
    entered: int = 0  # estimate cells a person already filled: skipped
    without_h1: int = 0  # empty estimate cells with no first half yet: nothing to propose from

    def summary(self) -> str:
        """One line for people."""
        parts = [f"{format_number(len(self.items))} gợi ý ước thực hiện năm {self.year}"]
        if self.entered:
            parts.append(
                f"bỏ qua {format_number(self.entered)} ô đã có số ước thực hiện do người nhập"
            )
        if self.without_h1:
            parts.append(
                f"{format_number(self.without_h1)} ô trống chưa có số thực hiện 6 tháng nên "
                "chưa gợi ý được"
            )
        return "; ".join(parts)


def estimate_cells(
    catalog: Catalog,
    tree: OrgTree,
    top: str,
    year: int,
    orgunits: Collection[str] | None = None,
    indicators: Collection[str] | None = None,
) -> pl.DataFrame:
    """The estimate cells of round ``year`` that units enter, (indicator, orgunit):
    forms whose layout asks for the estimate of ``year``; the top unit every row, a
    unit below it the rows of the forms broken down by unit but the city-only ones;
    units in being at the end of the year."""
    day = period_day(year, "estimate")
    units = [u.code for u in tree if u.valid_on(day) and (orgunits is None or u.code in orgunits)]
    city, everywhere = [], []
    for ind in catalog:
        if ind.kind is not RowKind.INDICATOR or (
            indicators is not None and ind.code not in indicators
        ):
            continue
        form = catalog.forms.get(ind.form)
        if form is None or ("estimate", year) not in form.layout.entered(year):
            continue
        if form.has_unit_breakdown and ind.consolidation is not Consolidation.CITY_ONLY:
            everywhere.append(ind.code)
        else:
            city.append(ind.code)
    schema = {"indicator": pl.String, "orgunit": pl.String}
    below = [u for u in units if u != top]
    parts = [
        pl.DataFrame({"indicator": everywhere}, schema={"indicator": pl.String}).join(
            pl.DataFrame({"orgunit": below}, schema={"orgunit": pl.String}), how="cross"
        )
    ]
    if top in units:
        parts.append(
            pl.DataFrame(
                {
                    "indicator": [*city, *everywhere],
                    "orgunit": [top] * (len(city) + len(everywhere)),
                },
                schema=schema,
            )
        )
    return pl.concat(parts, how="vertical_relaxed").select(list(schema))


def _frame(
    year: int, orgunits: Collection[str] | None, indicators: Collection[str] | None
) -> pl.DataFrame:
    """The stored values a proposal is made from (the year and the years before)."""
    qs = Value.objects.filter(measure__in=MEASURES, year__lte=year).exclude(
        value__isnull=True, printed=""
    )
    if orgunits is not None and len(orgunits) <= MAX_FILTER:
        qs = qs.filter(orgunit_id__in=sorted(orgunits))
    if indicators is not None and len(indicators) <= MAX_FILTER:
        qs = qs.filter(indicator_id__in=sorted(indicators))
    rows = qs.values_list("indicator_id", "orgunit_id", "year", "measure", "value", "printed")
    frame = pl.DataFrame(
        list(rows.iterator(chunk_size=20000)),
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
            "value": pl.Float64,
            "printed": pl.String,
        },
        orient="row",
    )
    if orgunits is not None:
        frame = frame.filter(pl.col("orgunit").is_in(sorted(orgunits)))
    if indicators is not None:
        frame = frame.filter(pl.col("indicator").is_in(sorted(indicators)))
    return frame


def _versions(year: int, keys: pl.DataFrame) -> dict[tuple[str, str], int]:
    """The versions of the cleared estimate cells among ``keys`` (a cell never
    written has none: version 0)."""
    if keys.is_empty():
        return {}
    qs = Value.objects.filter(year=year, measure="estimate", value__isnull=True, printed="")
    orgs = set(keys["orgunit"].unique().to_list())
    if len(orgs) <= MAX_FILTER:
        qs = qs.filter(orgunit_id__in=sorted(orgs))
    wanted = set(keys.select("indicator", "orgunit").iter_rows())
    return {
        (i, o): v
        for i, o, v in qs.values_list("indicator_id", "orgunit_id", "version")
        if (i, o) in wanted
    }


def suggestions(
    year: int | None = None,
    *,
    orgunits: Collection[str] | None = None,
    indicators: Collection[str] | None = None,
    forms: Collection[int] | None = None,
) -> Suggestions:
    """A proposal for every empty estimate cell of round ``year`` (the current round
    by default), for the units, indicators and forms named (all by default), in the
    catalog's order and the tree's."""
    plan = current_plan()
    parts = static_parts(plan)
    catalog, tree, top = parts.catalog, parts.tree, plan.top_orgunit
    year = current_year(plan) if year is None else year
    if forms is not None:
        in_forms = {i.code for i in catalog if i.form in forms}
        indicators = in_forms if indicators is None else in_forms & set(indicators)
    cells = estimate_cells(catalog, tree, top, year, orgunits, indicators)
    out = Suggestions(year)
    if cells.is_empty():
        return out
    wanted_orgs = set(cells["orgunit"].unique().to_list())
    wanted_inds = set(cells["indicator"].unique().to_list())
    frame = _frame(year, wanted_orgs, wanted_inds).join(
        cells, on=["indicator", "orgunit"], how="semi"
    )
    this_year = frame.filter(pl.col("year") == year)
    entered = this_year.filter(pl.col("measure") == "estimate").select("indicator", "orgunit")
    out.entered = entered.unique().height
    empty = cells.join(entered, on=["indicator", "orgunit"], how="anti")
    # "-" (entered as none) has no value: propose() would take it for an empty cell
    proposed = propose(frame.filter(pl.col("value").is_not_null()), catalog, year).join(
        empty, on=["indicator", "orgunit"], how="semi"
    )
    out.without_h1 = empty.height - proposed.height
    versions = _versions(year, proposed)
    h1 = {
        (i, o): v
        for i, o, v in this_year.filter(pl.col("measure") == "h1")
        .select("indicator", "orgunit", "value")
        .iter_rows()
    }
    order = {ind.code: n for n, ind in enumerate(catalog)}
    units = {code: n for n, code in enumerate(tree.units)}
    rows = sorted(
        proposed.iter_rows(named=True),
        key=lambda r: (order.get(r["indicator"], 0), units.get(r["orgunit"], 0)),
    )
    for r in rows:
        decimals = catalog[r["indicator"]].decimals
        out.items.append(
            Suggestion(
                r["indicator"],
                r["orgunit"],
                year,
                h1[(r["indicator"], r["orgunit"])],
                round_half_up(r["value"], decimals),
                round_half_up(r["low"], decimals),
                round_half_up(r["high"], decimals),
                r["method"],
                tuple(int(y) for y in r["years"].split()),
                r["note"],
                decimals,
                versions.get((r["indicator"], r["orgunit"]), 0),
            )
        )
    return out


# --- acceptance ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A person's acceptance of the proposal for one cell. ``value``: the proposal
    they saw (the acceptance is refused if the proposal is now another)."""

    indicator: str
    orgunit: str
    year: int
    value: float | None = None


class ForecastRefused(Exception):
    """Nothing was written; ``problems`` says why (Vietnamese), cell by cell.
    ``status``: 404 an unknown indicator or unit, 409 the cell or its proposal
    changed since it was shown, 422 a cell that has no proposal."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(m for _, m in problems[:5]))
        self.problems = problems

    @property
    def status(self) -> int:
        order = (404, 409, 422)
        return min((s for s, _ in self.problems), key=order.index)


@dataclass
class Accepted:
    written: Written
    suggestions: list[Suggestion]


def accept_forecast(actor: User, cells: Sequence[Acceptance]) -> Accepted:
    """Write the proposals for ``cells`` as their estimates, as ``actor`` accepts them:
    all or nothing. Raises :class:`ForecastRefused` (a cell unknown, without a
    proposal, or whose proposal changed), PermissionDenied (a cell outside the
    actor's scope) or :class:`~ktxh.store.actions.WriteRefused` (locked, changed
    meanwhile: see write_values)."""
    if not cells:
        raise ForecastRefused([(422, "Chưa chọn ô nào để nhận gợi ý")])
    index = lookup()
    scope = scope_of(actor)
    problems: list[tuple[int, str]] = []
    for c in cells:
        ind, org = index.indicators.get(c.indicator), index.orgunits.get(c.orgunit)
        if ind is None or org is None:
            what = f"chỉ tiêu «{c.indicator}»" if ind is None else f"đơn vị «{c.orgunit}»"
            problems.append((404, f"Không có {what}"))
            continue
        if scope is None or not scope.reaches_path(org.path, ind.form):
            raise PermissionDenied(
                f"Tài khoản không có quyền nhập biểu số {ind.form} của {org.full_name}"
            )
    if problems:
        raise ForecastRefused(problems)
    found: dict[tuple[str, str, int], Suggestion] = {}
    entered: dict[int, set[tuple[str, str]]] = {}
    for year in sorted({c.year for c in cells}):
        mine = [c for c in cells if c.year == year]
        made = suggestions(
            year,
            orgunits={c.orgunit for c in mine},
            indicators={c.indicator for c in mine},
        )
        found.update({(s.indicator, s.orgunit, year): s for s in made.items})
        entered[year] = _entered(year, mine)
    chosen: list[Suggestion] = []
    for c in cells:
        s = found.get((c.indicator, c.orgunit, c.year))
        where = f"{c.indicator}, {index.orgunits[c.orgunit].full_name}, ước TH năm {c.year}"
        if s is None:
            if (c.indicator, c.orgunit) in entered.get(c.year, set()):
                problems.append(
                    (
                        409,
                        f"{where}: ô đã có số ước thực hiện do người nhập; gợi ý không thay số đó",
                    )
                )
            else:
                problems.append(
                    (
                        422,
                        f"{where}: không có gợi ý (ô không phải ô ước thực hiện của kỳ, hoặc "
                        "chưa có số thực hiện 6 tháng)",
                    )
                )
            continue
        if c.value is not None and s.shown(c.value) != s.shown():
            problems.append(
                (
                    409,
                    f"{where}: gợi ý đã đổi từ {s.shown(c.value)} thành {s.shown()} (số liệu "
                    "vừa thay đổi); hãy xem lại rồi nhận lần nữa",
                )
            )
            continue
        chosen.append(s)
    if problems:
        raise ForecastRefused(problems)
    writes = [
        CellWrite(
            s.indicator,
            s.orgunit,
            s.year,
            "estimate",
            s.version,
            text=s.shown(),  # as the indicator prints: "165,0" for one decimal
            source_ref=s.source_ref(),
        )
        for s in chosen
    ]
    written = write_values(actor, writes, source=Source.FORECAST, batch=new_batch())
    return Accepted(written, chosen)


def _entered(year: int, cells: Sequence[Acceptance]) -> set[tuple[str, str]]:
    """Which of ``cells`` hold an estimate (a number or "-") now."""
    wanted = {(c.indicator, c.orgunit) for c in cells}
    qs = (
        Value.objects.filter(year=year, measure="estimate")
        .filter(orgunit_id__in=sorted({o for _, o in wanted}))
        .exclude(value__isnull=True, printed="")
        .values_list("indicator_id", "orgunit_id")
    )
    return {k for k in qs if k in wanted}
