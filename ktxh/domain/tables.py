"""A form as people read it: its rows, the usual columns, and both comparisons.

This is the view that the terminal, the annex workbook and the web share:
for one org unit and reference year Y, each row of a form with
KH Y, TH 6 tháng Y, Ước TH Y, KH Y+1, the children's KH Y+1, and for each
comparison the printed % (if any) beside the computed one. Comparisons are
computed as the column headers say (new ÷ old), or as the form's declared
convention says (:class:`ktxh.domain.catalog.RatioConvention`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ktxh.domain.catalog import Catalog, Indicator
from ktxh.domain.compare import (
    RATIOS,
    Agreement,
    RatioSpec,
    classify,
    input_decimals,
    ratio,
    round_half_up,
)
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
class FormRow:
    indicator: Indicator
    depth: int
    main: tuple[Cell, ...]
    children: tuple[Cell, ...]
    comparisons: tuple[Comparison, ...] = field(default=())


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


def form_rows(
    catalog: Catalog,
    cells: CellIndex,
    form: int,
    orgunit: str,
    year: int,
    children: list[str] | None = None,
) -> list[FormRow]:
    rows = []
    for ind in catalog.in_form(form):
        main = tuple(cells[(ind.code, orgunit, year + off, m)] for m, off in MAIN_COLUMNS)
        kids = tuple(cells[(ind.code, c, year + 1, "plan")] for c in children or [])
        comps = []
        for spec in RATIOS:
            if spec.printed_measure is None:
                continue
            new = cells[(ind.code, orgunit, year + spec.new[1], spec.new[0])]
            old = cells[(ind.code, orgunit, year + spec.old[1], spec.old[0])]
            printed = cells[
                (ind.code, orgunit, year + spec.printed_year_offset, spec.printed_measure)
            ]
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
            comps.append(Comparison(spec, computed, printed, dec, agreement))
        rows.append(FormRow(ind, catalog.depth(ind.code), main, kids, tuple(comps)))
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
