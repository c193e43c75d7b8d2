"""The columns and cells of the data-entry grid, from the form's declared layout.

Two views of a form (:mod:`ktxh.domain.layout`):

* a unit's view: the cells the unit fills in the round (the actual of the year
  before, then the layout's cells: :meth:`FormLayout.entered`), one column each;
* the city's view (``?xem=don-vi``): the form as the annex shows it: the unit's
  own columns and, where the layout breaks a column down, the units below as
  columns beside the total; comparisons computed as their headers say. A cell is
  editable where the person may edit that unit's form and nothing locks it; a
  total the units make (nothing stored) is shown in italics and is not editable.

The view (``views.grid``) checks the permission to see the form and renders what
:func:`grid_data` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from ktxh.domain.compare import ratio, round_half_up
from ktxh.domain.consolidate import consolidate
from ktxh.domain.layout import MEASURE_SHORT, FormLayout, short_header
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import period_day
from ktxh.domain.tables import CellIndex, Shown, shown_columns, value_cell
from ktxh.store import actions, frames
from ktxh.store.actions import display
from ktxh.store.models import Form, Indicator, OrgUnit, Value
from ktxh.store.permissions import can

if TYPE_CHECKING:
    from ktxh.store.models import AnyUser


@dataclass(frozen=True)
class GridColumn:
    year: int
    measure: str  # plan, h1, estimate, actual, full; "ratio" for a comparison
    heading: str
    orgunit: str  # whose value the column holds
    group: str = ""  # the header over it (the city's view)
    shown: Shown | None = None  # a comparison's declaration


@dataclass
class GroupHead:
    text: str
    span: int


@dataclass
class GridCell:
    key: str
    text: str
    version: int
    editable: bool
    derived: bool = False  # computed from other cells (a comparison, a total, "full")


@dataclass
class GridRow:
    indicator: Indicator
    depth: int
    cells: list[GridCell] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.indicator.is_group


@dataclass
class GridData:
    columns: list[GridColumn]
    groups: list[GroupHead]
    rows: list[GridRow]
    locked: bool
    city: bool


def unit_columns(
    layout: FormLayout, orgunit: str, year: int, measure: str | None = None
) -> list[GridColumn]:
    """A unit's columns in round ``year``: the actual of the year before, then the
    cells the layout declares; only those of ``measure`` when one is asked for."""
    cells = [("actual", year - 1), *(c for c in layout.entered(year) if c != ("actual", year - 1))]
    return [
        GridColumn(y, m, f"{MEASURE_SHORT[m]} {y}", orgunit)
        for m, y in cells
        if measure is None or m == measure
    ]


def city_columns(shown: Sequence[Shown], orgunit: str, year: int) -> list[GridColumn]:
    """The city's view: every declared column, the units below beside their total."""
    out = []
    for s in shown:
        if s.kind == "value":
            label = f"{MEASURE_SHORT[s.measure]} {s.year}"
            if s.orgunit is not None:
                head = s.unit_name
            elif s.column.units:
                head = "Tổng cộng"
            else:
                head = label
            group = label if s.column.units else ""
            out.append(GridColumn(s.year, s.measure, head, s.orgunit or orgunit, group))
        elif s.kind == "ratio":
            head = short_header(s.column, year) + " (%)"
            out.append(GridColumn(year, "ratio", head, orgunit, "So sánh", s))
    return out


def groups_of(columns: Sequence[GridColumn]) -> list[GroupHead]:
    """The header row over the columns: consecutive columns of one group merged."""
    out: list[GroupHead] = []
    for c in columns:
        if out and out[-1].text == c.group and c.group:
            out[-1].span += 1
        else:
            out.append(GroupHead(c.group, 1))
    return out


def _depths(indicators: Sequence[Indicator]) -> dict[str, int]:
    by_code = {i.code: i for i in indicators}
    out = {}
    for ind in indicators:
        depth, p = 0, ind.parent_code
        while p and p in by_code and depth < 10:
            depth, p = depth + 1, by_code[p].parent_code
        out[ind.code] = depth
    return out


def grid_data(
    user: AnyUser,
    org: OrgUnit,
    form: Form,
    year: int,
    top: str,
    *,
    measure: str | None = None,
    city: bool = False,
) -> GridData:
    """The grid of ``form`` for ``org`` in round ``year`` (see the module's text)."""
    plan = frames.current_plan()
    static = frames.static_parts(plan)
    domain_form = static.catalog.forms[form.number]
    tree = static.tree
    shown: list[Shown] = []
    if city:

        def units_on(m: str, y: int) -> list[tuple[str, str]]:
            return [(u.code, u.name) for u in tree.children(org.code, on=period_day(y, m))]

        shown = shown_columns(domain_form, year, units_on)
        columns = city_columns(shown, org.code, year)
    else:
        columns = unit_columns(domain_form.layout, org.code, year, measure)
    stored_cols = [c for c in columns if c.measure in ("plan", "h1", "estimate", "actual")]
    orgs = {c.orgunit for c in columns}
    years = {c.year for c in columns} | {c.year - 1 for c in columns}
    units = {o.code: o for o in OrgUnit.objects.filter(code__in=orgs)}
    may_edit = {code: can(user, "edit", o, form.number) for code, o in units.items()}
    locks = actions.locks_for((c.orgunit, form.number, c.year, c.measure) for c in stored_cols)
    indicators = list(Indicator.objects.filter(form=form).order_by("position"))
    values = {
        (v.indicator_id, v.orgunit_id, v.year, v.measure): v
        for v in Value.objects.filter(
            orgunit_id__in=orgs, indicator__form=form, year__in=years
        ).exclude(value__isnull=True, printed="")
    }
    cells: CellIndex | None = None
    if city or any(c.measure == "full" for c in columns):
        ds = frames.dataset_from_store(year, window=True)
        frame = ds.values.frame.filter(pl.col("year").is_in(sorted(years)))
        totals = consolidate(frame, ds.catalog, ds.tree).filter(pl.col("orgunit").is_in(orgs))
        cells = CellIndex(frame.filter(pl.col("orgunit").is_in(orgs))).fill_totals(totals)
    depths = _depths(indicators)
    rows = []
    for ind in indicators:
        row = GridRow(ind, depths[ind.code])
        rows.append(row)
        if ind.is_group:
            continue
        info = static.catalog.indicators.get(ind.code)
        city_only = ind.row.get("consolidation") == "city_only"
        for n, c in enumerate(columns):
            key = f"{ind.code}|{c.orgunit}|{c.year}|{c.measure}"
            if c.measure == "ratio":
                key += f"-{n}"  # a key of its own: nothing is stored under it
            if c.shown is not None and c.shown.spec is not None and cells is not None and info:
                spec = c.shown.spec
                new = value_cell(cells, ind.code, c.orgunit, year + spec.new[1], spec.new[0])
                old = value_cell(cells, ind.code, c.orgunit, year + spec.old[1], spec.old[0])
                convention = static.catalog.convention(ind.code)
                r = ratio(new.value, old.value, info.direction, info.comparable, convention)
                text = "" if r is None else format_number(round_half_up(r, 0), 0)
                row.cells.append(GridCell(key, text, 0, False, True))
                continue
            v = values.get((ind.code, c.orgunit, c.year, c.measure))
            if v is None and cells is not None and c.measure not in ("ratio",):
                computed = value_cell(cells, ind.code, c.orgunit, c.year, c.measure)
                if computed.computed or (c.measure == "full" and computed.present):
                    text = display(computed.value, computed.printed, ind.decimals)
                    row.cells.append(GridCell(key, text, 0, False, True))
                    continue
            enterable = (
                c.measure in ("plan", "h1", "estimate", "actual")
                and (c.orgunit == top or (form.has_unit_breakdown and not city_only))
                and may_edit.get(c.orgunit, False)
            )
            locked = actions.lock_of(locks, c.orgunit, form.number, c.year, c.measure)
            row.cells.append(
                GridCell(
                    key,
                    display(v.value, v.printed, ind.decimals) if v else "",
                    v.version if v else 0,
                    enterable and locked is None,
                )
            )
    return GridData(columns, groups_of(columns) if city else [], rows, bool(locks), city)
