"""Quantitative statements of a narrative report, linked to the indicators.

A report's text repeats figures of its tables ("Tổng mức bán lẻ ... ước đạt
2.022 tỷ đồng, đạt 55% kế hoạch"). Each such figure is a :class:`Claim`: what
it says, about which indicator, measure and year, so that it can be checked
against the tables and written again from the data.

Writing them again (:func:`passages`): the claims of a section, in their
order, are the phrasebook. Each claim's clause keeps its wording, but its
number is taken from the value table (a value) or computed by
:mod:`ktxh.domain.compare` (a "đạt X% kế hoạch"), so the text always agrees
with the tables:

* the number comes from the table, never from the old text: where the source's
  text contradicts its own table (285,4 in the text, 258,4 in Biểu 3) the
  table wins;
* a share printed in the wrong unit is written in the indicator's true unit
  ("10,6%/năm" for a rate in ‰ becomes "10,6‰/năm");
* a claim with no table row, or whose cell is empty, is left out (it is listed
  in :attr:`Passage.left_out`): the generator never invents a number;
* typing slips of the phrase are tidied: emphasis marks, a word or two typed
  twice ("giá giá trị", "dân số dân số").

Clauses are joined as the source joins them: a ratio follows its value after a
comma; an "of which" item follows its parent after ", trong đó: "; a clause
that starts with a capital starts a new sentence, others follow after "; ".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from ktxh.domain.catalog import Catalog, Direction, Indicator, RowKind
from ktxh.domain.compare import ratio, round_half_up
from ktxh.domain.numbers import decimals_of, format_number
from ktxh.domain.targets import TargetBook, rate_cell, sections, tally


class ClaimKind(StrEnum):
    VALUE = "value"  # the indicator's value for a measure
    RATIO_PLAN = "ratio_plan"  # "đạt X% kế hoạch": measure / plan of the same year
    GROWTH_SAME_PERIOD = "growth_same_period"  # "tăng X% so với cùng kỳ"


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    section: str  # "I.1.1", "I.2", "II.4"
    item: str  # "(1)".."(8)" or ""
    seed_line: int | None
    text: str  # the clause as printed
    printed: str  # the number as printed
    unit_printed: str
    kind: ClaimKind
    indicator: str | None  # catalog code, None when no table row carries it
    measure: str
    year: int
    value: Decimal | None
    note: str = ""


# The sections of the usual KT-XH report whose figures are generated.
SECTION_FIRST_HALF = "I.1.1"  # results of the first half: one paragraph
SECTION_ESTIMATE = "I.2"  # the key indicators estimated for the year, items (1)..(8)
SECTION_TARGETS = "II.4"  # the key targets of next year, items (1)..(8)


class CellLike(Protocol):
    @property
    def value(self) -> float | None: ...

    @property
    def printed(self) -> str: ...


class Cells(Protocol):
    """Cells by (indicator, org unit, year, measure): :class:`ktxh.domain.tables.CellIndex`."""

    def __getitem__(self, key: tuple[str, str, int, str]) -> CellLike: ...


@dataclass(frozen=True, slots=True)
class Clause:
    claim: Claim
    text: str
    number: float  # the number written (rounded as written)


@dataclass(frozen=True, slots=True)
class Passage:
    section: str
    item: str  # "(1)" .. or "" for a paragraph
    text: str  # ready to print, "(1) " included
    clauses: tuple[Clause, ...]
    left_out: tuple[Claim, ...]  # claims with no table row or no value

    @property
    def empty(self) -> bool:
        return not self.clauses


_SHARES = ("%", "‰")
_EMPHASIS = re.compile(r"[*_]")
_REPEATED = re.compile(r"\b(\w+(?:\s\w+){0,2})\s\1\b")
_SPACES = re.compile(r"\s+")


def tidy(text: str) -> str:
    """Remove emphasis marks and a word or two typed twice; normalise spaces (NFC)."""
    text = unicodedata.normalize("NFC", _EMPHASIS.sub("", text))
    previous = None
    while previous != text:
        previous, text = text, _REPEATED.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _split(text: str, printed: str, last: bool) -> tuple[str, str] | None:
    """The text before and after the printed number (a whole number token)."""
    pattern = re.compile(rf"(?<![\d.,]){re.escape(printed)}(?![\d]|[.,]\d)")
    found = list(pattern.finditer(text))
    if not found:
        return None
    m = found[-1] if last else found[0]
    return text[: m.start()], text[m.end() :]


def _true_unit(suffix: str, indicator: Indicator) -> str:
    """Write a share in the indicator's true unit ("10,6%/năm" for a rate in ‰)."""
    if indicator.unit in _SHARES and suffix[:1] in _SHARES and suffix[:1] != indicator.unit:
        return indicator.unit + suffix[1:]
    return suffix


def _shown_decimals(cell: CellLike, indicator: Indicator) -> int:
    shown = decimals_of(cell.printed) if cell.printed else None
    return indicator.decimals if shown is None else shown


def _value_clause(claim: Claim, ind: Indicator, cells: Cells, orgunit: str) -> Clause | None:
    cell = cells[(ind.code, orgunit, claim.year, claim.measure)]
    if cell.value is None:
        return None
    parts = _split(claim.text, claim.printed, last=False)
    if parts is None:
        return None
    decimals = _shown_decimals(cell, ind)
    number = float(round_half_up(cell.value, decimals))
    before, after = parts
    text = before + format_number(number, decimals) + _true_unit(after, ind)
    return Clause(claim, tidy(text), number)


_REACHED = re.compile(r"\b(đạt|bằng)(\s+)$")


def _ratio_clause(
    claim: Claim, ind: Indicator, cells: Cells, orgunit: str, catalog: Catalog
) -> Clause | None:
    """ "đạt X% kế hoạch": the measure against the plan, as the indicator's form
    compares (new ÷ old unless its form inverts lower-is-better rows). Where the
    ratio is new ÷ old of a lower-is-better indicator, above 100 is no success: the
    clause says "bằng X% kế hoạch" (equal to), not "đạt" (reached)."""
    new = cells[(ind.code, orgunit, claim.year, claim.measure)].value
    old = cells[(ind.code, orgunit, claim.year, "plan")].value
    r = ratio(new, old, ind.direction, ind.comparable, catalog.convention(ind.code))
    if r is None:
        return None
    parts = _split(claim.text, claim.printed, last=True)
    if parts is None:
        return None
    before, after = parts
    # only the "đạt X% kế hoạch" part: what precedes it belongs to the value clause
    before = before.rsplit(", ", 1)[-1]
    if ind.direction is Direction.DOWN and not catalog.inverted(ind.code):
        before = _REACHED.sub(r"bằng\2", before)
    number = round_half_up(r, 0)
    return Clause(claim, tidy(before + format_number(number, 0) + after), number)


def _growth_clause(claim: Claim, ind: Indicator, cells: Cells, orgunit: str) -> Clause | None:
    """Growth on the same period: from the table where it has the previous year,
    else the figure the claim states (the tables carry no previous year)."""
    new = cells[(ind.code, orgunit, claim.year, claim.measure)].value
    old = cells[(ind.code, orgunit, claim.year - 1, claim.measure)].value
    decimals = decimals_of(claim.printed) or 0
    if new is not None and old is not None and old > 0:
        growth = (new / old - 1.0) * 100.0
    elif claim.value is not None:
        growth = float(claim.value)
    else:
        return None
    parts = _split(claim.text, claim.printed, last=True)
    if parts is None:
        return None
    before, after = parts
    before = before.rsplit(", ", 1)[-1]
    if growth < 0:
        before = re.sub(r"\btăng\b", "giảm", before, count=1)
    number = round_half_up(abs(growth), decimals)
    return Clause(claim, tidy(before + format_number(number, decimals) + after), number)


def _clause(claim: Claim, catalog: Catalog, cells: Cells, orgunit: str) -> Clause | None:
    if claim.indicator is None or claim.indicator not in catalog.indicators:
        return None
    ind = catalog[claim.indicator]
    if claim.kind is ClaimKind.VALUE:
        return _value_clause(claim, ind, cells, orgunit)
    if claim.kind is ClaimKind.RATIO_PLAN:
        return _ratio_clause(claim, ind, cells, orgunit, catalog)
    return _growth_clause(claim, ind, cells, orgunit)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_clauses(clauses: Sequence[Clause], catalog: Catalog) -> str:
    """Join clauses the way the report does (see the module's docstring)."""
    out = ""
    last_value: Indicator | None = None
    for c in clauses:
        ind = catalog[c.claim.indicator] if c.claim.indicator else None
        if not out:
            out = c.text
        elif c.claim.kind is not ClaimKind.VALUE:
            out += ", " + c.text
        elif ind is not None and last_value is not None and ind.of_which:
            if ind.parent == last_value.code:
                out += ", trong đó: " + c.text
            elif last_value.of_which and ind.parent == last_value.parent:
                out += ", " + c.text
            else:
                out += "; " + c.text
        elif c.text[:1].isupper():
            out += ". " + c.text
        else:
            out += "; " + c.text
        if c.claim.kind is ClaimKind.VALUE:
            last_value = ind
    if out and not out.endswith("."):
        out += "."
    return _capitalise(out)


def _items(claims: Iterable[Claim], section: str) -> list[tuple[str, list[Claim]]]:
    groups: dict[str, list[Claim]] = {}
    for c in claims:
        if c.section == section:
            groups.setdefault(c.item, []).append(c)
    return list(groups.items())


def passages(
    claims: Iterable[Claim], catalog: Catalog, cells: Cells, orgunit: str, section: str
) -> list[Passage]:
    """One passage per item of ``section`` (one for a paragraph without items), in order."""
    out = []
    for item, group in _items(claims, section):
        written: list[Clause] = []
        left_out: list[Claim] = []
        for claim in group:
            clause = _clause(claim, catalog, cells, orgunit)
            if clause is None:
                left_out.append(claim)
            else:
                written.append(clause)
        text = join_clauses(written, catalog) if written else ""
        if item and text:
            text = f"{item} {text}"
        out.append(Passage(section, item, text, tuple(written), tuple(left_out)))
    return out


@dataclass(frozen=True, slots=True)
class Narrative:
    """The generated quantitative passages of a KT-XH report."""

    first_half: Passage | None  # "Tổng mức bán lẻ ... ước đạt 2.022 tỷ đồng, đạt 55% kế hoạch; ..."
    estimate_items: tuple[Passage, ...]  # "Dự ước thực hiện các chỉ tiêu chủ yếu năm Y" (1)..(8)
    target_items: tuple[Passage, ...]  # "Các mục tiêu chủ yếu năm Y+1" (1)..(8)
    # "có 18/22 chỉ tiêu đạt và vượt kế hoạch": overall, then per section (tally_sentences)
    tally: tuple[str, ...] = ()

    @property
    def left_out(self) -> list[Claim]:
        every = [*([self.first_half] if self.first_half else []), *self.estimate_items]
        every += self.target_items
        return [c for p in every for c in p.left_out]


def narrative(
    claims: Iterable[Claim],
    catalog: Catalog,
    cells: Cells,
    orgunit: str,
    *,
    targets: TargetBook | None = None,
    year: int | None = None,
    on: date | None = None,
) -> Narrative:
    """The passages; with ``targets`` and ``year``, also the tally of the key indicators
    against their targets in force on ``on`` (:func:`tally_sentences`)."""
    claims = list(claims)
    first = passages(claims, catalog, cells, orgunit, SECTION_FIRST_HALF)
    tallied = (
        tally_sentences(catalog, cells, targets, orgunit, year, on)
        if targets is not None and year is not None
        else ()
    )
    return Narrative(
        first_half=first[0] if first else None,
        estimate_items=tuple(passages(claims, catalog, cells, orgunit, SECTION_ESTIMATE)),
        target_items=tuple(passages(claims, catalog, cells, orgunit, SECTION_TARGETS)),
        tally=tallied,
    )


# --- the tally against the targets (docs/targets.md) --------------------------------------


def tally_sentences(
    catalog: Catalog,
    cells: Cells,
    targets: TargetBook,
    orgunit: str,
    year: int,
    on: date | None = None,
    form: int | None = None,
) -> tuple[str, ...]:
    """How the key indicators (the rows of ``form``, the first form by default: Biểu số
    1 holds them) stand against their targets in force: "Đánh giá chung: trong 21 chỉ
    tiêu chủ yếu năm 2023, có 18/20 chỉ tiêu đạt và vượt kế hoạch (...)", then one
    sentence per section of the form ("Các chỉ tiêu về kinh tế: có 3/3 ..."). Each row
    counts by its rating of the year (the actual where there is one, else the
    estimate); the rows that cannot be rated are counted apart. Empty without forms."""
    if not catalog.forms:
        return ()
    form = min(catalog.forms) if form is None else form
    rated = {
        ind.code: rate_cell(ind, orgunit, year, cells, targets, on).main
        for ind in catalog.in_form(form)
        if ind.kind is RowKind.INDICATOR
    }
    if not rated:
        return ()
    overall = tally("", rated.values())
    out = [
        f"Đánh giá chung: trong {format_number(len(rated))} chỉ tiêu chủ yếu năm {year}, "
        f"{overall.sentence()}."
    ]
    for name, inds in sections(catalog, form):
        if name:
            part = tally(name, [rated[i.code] for i in inds])
            out.append(f"{_capitalise(name.lower())}: {part.sentence()}.")
    return tuple(out)
