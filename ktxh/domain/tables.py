"""A form as people read it: its rows and its declared columns, with every comparison.

This is the view that the terminal, the annex workbook and the web share: for one
org unit and round Y, each row of a form with the columns its layout declares
(:mod:`ktxh.domain.layout`): values of a measure in a year, broken down by the
units below where declared, and comparisons, for each the printed % (if the
source keeps one) beside the computed one. Comparisons are computed as the column
headers say (new ÷ old), or as the form's declared convention says
(:class:`ktxh.domain.catalog.RatioConvention`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from ktxh.domain.catalog import Catalog, Form, Indicator
from ktxh.domain.compare import (
    RATIOS,
    Agreement,
    RatioSpec,
    classify,
    input_decimals,
    ratio,
    round_half_up,
)
from ktxh.domain.layout import Column
from ktxh.domain.numbers import decimals_of

Key = tuple[str, str, int, str]

MAIN_COLUMNS: tuple[tuple[str, int], ...] = (("plan", 0), ("h1", 0), ("estimate", 0), ("plan", 1))


@dataclass(frozen=True, slots=True)
class Cell:
    value: float | None = None
    printed: str = ""
    present: bool = False  # stored (a printed "-" is present with value None)
    computed: bool = False  # not stored: consolidated from the units below


@dataclass(frozen=True, slots=True)
class Comparison:
    spec: RatioSpec
    computed: float | None
    printed: Cell
    decimals: int
    agreement: Agreement | None  # None when nothing was printed

    @property
    def rounded(self) -> float | None:
        return None if self.computed is None else round_half_up(self.computed, self.decimals)

    @property
    def differs(self) -> bool:
        return self.agreement not in (None, Agreement.EXACT)


@dataclass(frozen=True, slots=True)
class Shown:
    """A column as shown for one round: a value of ``orgunit`` (None: the row's own
    unit) for (``measure``, ``year``), a comparison (``spec``) or a rating."""

    column: Column
    kind: str  # "value", "ratio", "rating"
    measure: str = ""
    year: int = 0
    orgunit: str | None = None
    unit_name: str = ""  # a unit's column under "Trong đó"
    spec: RatioSpec | None = None

    @property
    def is_total(self) -> bool:
        return self.kind == "value" and self.column.units and self.orgunit is None


UnitsOn = Callable[[str, int], Sequence[tuple[str, str]]]
"""(measure, year) -> the units below, (code, name), that a breakdown shows."""


def ratio_spec(column: Column, year: int) -> RatioSpec:
    """The comparison of a declared ratio column in round ``year``: one of the known
    ones (whose printed % the dataset may keep) when it is one, else its own."""
    assert column.old is not None
    new, old = column.ref.at(year), column.old.at(year)
    for spec in RATIOS:
        if (spec.new[0], year + spec.new[1]) == new and (spec.old[0], year + spec.old[1]) == old:
            return spec
    return RatioSpec(
        column.text,
        (new[0], new[1] - year),
        (old[0], old[1] - year),
        None,
        0,
        column.header(year),
    )


def shown_columns(form: Form, year: int, units_on: UnitsOn | None = None) -> list[Shown]:
    """The columns of ``form`` in round ``year``, in order. ``units_on`` gives the units
    of a breakdown; without it the breakdowns show their total only."""
    out: list[Shown] = []
    for c in form.layout:
        if c.kind == "ratio":
            out.append(Shown(c, "ratio", spec=ratio_spec(c, year)))
        elif c.kind == "rating":
            out.append(Shown(c, "rating", year=c.ref.year.at(year)))
        else:
            measure, y = c.ref.at(year)
            out.append(Shown(c, "value", measure, y))
            if c.units and units_on is not None:
                out.extend(
                    Shown(c, "value", measure, y, code, name) for code, name in units_on(measure, y)
                )
    return out


@dataclass(frozen=True, slots=True)
class FormRow:
    indicator: Indicator
    depth: int
    values: tuple[Cell, ...]  # one per value column of the shown columns
    comparisons: tuple[Comparison, ...] = field(default=())  # one per comparison column

    @property
    def main(self) -> tuple[Cell, ...]:
        return self.values


class CellIndex:
    """Random access to the cells of a value frame by (indicator, org, year, measure)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._cells: dict[Key, Cell] = {
            (r[0], r[1], r[2], r[3]): Cell(r[4], r[5] or "", True)
            for r in frame.select(
                "indicator", "orgunit", "year", "measure", "value", "printed"
            ).iter_rows()
        }

    def __getitem__(self, key: Key) -> Cell:
        return self._cells.get(key, Cell())

    def fill_totals(self, totals: pl.DataFrame) -> CellIndex:
        """Add consolidated totals (from :func:`consolidate`) where nothing is stored."""
        for r in totals.select("indicator", "orgunit", "year", "measure", "value").iter_rows():
            key = (r[0], r[1], r[2], r[3])
            if key not in self._cells and r[4] is not None:
                self._cells[key] = Cell(r[4], "", False, True)
        return self


def _decimals(cell: Cell) -> int:
    return decimals_of(cell.printed) or 0


def value_cell(cells: CellIndex, indicator: str, orgunit: str, year: int, measure: str) -> Cell:
    """A row's cell; ``full`` is the year's final figure: the actual once entered, else
    the estimate."""
    if measure == "full":
        actual = cells[(indicator, orgunit, year, "actual")]
        return (
            actual
            if actual.present or actual.computed
            else cells[(indicator, orgunit, year, "estimate")]
        )
    return cells[(indicator, orgunit, year, measure)]


def compare_cells(
    catalog: Catalog, ind: Indicator, spec: RatioSpec, new: Cell, old: Cell, printed: Cell
) -> Comparison:
    """One comparison of a row: computed as its header says (or the form's convention),
    and held against the printed % when there is one."""
    dec = _decimals(printed)
    agreement = None
    convention = catalog.convention(ind.code)
    unit = catalog.units.get(ind.unit)
    count = unit is not None and unit.is_count
    if printed.value is not None:
        agreement, _ = classify(
            printed.value,
            dec,
            new.value,
            old.value,
            input_decimals(new.printed, count),
            input_decimals(old.printed, count),
            ind.direction,
            ind.comparable,
            convention,
        )
    computed = ratio(new.value, old.value, ind.direction, ind.comparable, convention)
    return Comparison(spec, computed, printed, dec, agreement)


def form_rows(
    catalog: Catalog,
    cells: CellIndex,
    form: int,
    orgunit: str,
    year: int,
    units_on: UnitsOn | None = None,
) -> list[FormRow]:
    """Every row of ``form`` for ``orgunit`` in round ``year``, with the cells of its
    value columns (:func:`shown_columns`) and its comparisons."""
    columns = shown_columns(catalog.forms[form], year, units_on)
    rows = []
    for ind in catalog.in_form(form):
        values = tuple(
            value_cell(cells, ind.code, c.orgunit or orgunit, c.year, c.measure)
            for c in columns
            if c.kind == "value"
        )
        comps = []
        for c in columns:
            if c.spec is None:
                continue
            spec = c.spec
            new = value_cell(cells, ind.code, orgunit, year + spec.new[1], spec.new[0])
            old = value_cell(cells, ind.code, orgunit, year + spec.old[1], spec.old[0])
            printed = (
                cells[(ind.code, orgunit, year + spec.printed_year_offset, spec.printed_measure)]
                if spec.printed_measure is not None
                else Cell()
            )
            comps.append(compare_cells(catalog, ind, spec, new, old, printed))
        rows.append(FormRow(ind, catalog.depth(ind.code), values, tuple(comps)))
    return rows


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One percentage the source printed, held against the one computed from its row."""

    indicator: Indicator
    comparison: Comparison
    used_total: bool  # a total the form does not print was consolidated from the units


def ratio_audit(catalog: Catalog, cells: CellIndex, orgunit: str, year: int) -> list[AuditRow]:
    """Every printed comparison % of every form, in form and row order."""
    out = []
    for form in sorted(catalog.forms):
        for row in form_rows(catalog, cells, form, orgunit, year):
            for comp in row.comparisons:
                if comp.agreement is None:
                    continue
                spec = comp.spec
                used = any(
                    cells[(row.indicator.code, orgunit, year + off, m)].computed
                    for m, off in (spec.new, spec.old)
                )
                out.append(AuditRow(row.indicator, comp, used))
    return out
