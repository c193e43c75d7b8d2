"""What a form's columns are: declared as data, followed by every surface.

A form's layout is an ordered list of columns written in ``forms.csv`` (column
``columns``), one token each, separated by spaces:

* ``plan@Y``, ``h1@Y``, ``estimate@Y``, ``actual@Y-1``, ``plan@Y+1``: the value of a
  measure in a year relative to the round (round Y reports year Y), or in an
  absolute year (``plan@2027``, for a multi-year plan); ``full@Y-1`` is the year's
  final figure: its actual once entered, else its estimate;
* the suffix ``:units`` breaks a value column down by the units below: the total,
  then one column per unit ("Tổng cộng", "Trong đó: ...");
* ``A/B`` (two value tokens) is a comparison column: A ÷ B in %, as its header
  says (``estimate@Y/plan@Y`` is "Ước TH/KH"; ``h1@Y/h1@Y-1`` is "so với cùng
  kỳ"); the form's ratio convention may invert it for the rows where lower is
  better (:class:`ktxh.domain.catalog.RatioConvention`);
* ``rating@Y`` is an "Đánh giá" column: each row's rating against its target.

The words of the first catalogs (``plan h1 estimate next_plan units
ratio_estimate_plan ratio_nextplan_estimate``) are still read: they mean the
layout of the Lai Châu forms, and :func:`parse` turns them into tokens.

Templates, the import, ``ktxh show``, the annex workbook and the web grid all take
their columns from :class:`FormLayout`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ktxh.domain.years import token as year_token

VALUE_MEASURES = ("plan", "h1", "estimate", "actual", "full")
ENTERED_MEASURES = ("plan", "h1", "estimate", "actual")

MEASURE_HEADERS = {
    "plan": "Kế hoạch giao",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH cả năm",
    "actual": "TH cả năm",
    "full": "TH cả năm",
}
UNIT_GROUPS = {
    "plan": "Kế hoạch năm {year}",
    "h1": "TH 6 tháng năm {year}",
    "estimate": "Ước TH cả năm {year}",
    "actual": "Thực hiện cả năm {year}",
    "full": "Thực hiện cả năm {year}",
}
MEASURE_SHORT = {
    "plan": "KH",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH",
    "actual": "TH cả năm",
    "full": "TH (ước) cả năm",
}

LEGACY_WORDS = (
    "plan",
    "h1",
    "estimate",
    "actual",
    "next_plan",
    "units",
    "ratio_estimate_plan",
    "ratio_nextplan_estimate",
    "ratio_h1_plan",
)

_YEAR = r"(?:\{Y(?:[+-]\d{1,2})?\}|Y(?:[+-]\d{1,2})?|\d{4})"
_VALUE = re.compile(rf"^(?P<measure>[a-z0-9_]+)@(?P<year>{_YEAR})(?P<units>:units)?$")


class LayoutError(ValueError):
    """A layout that cannot be read; the message is Vietnamese and says what is accepted."""


ACCEPTED = (
    "mỗi cột một từ, cách nhau bởi dấu cách: SỐ_ĐO@NĂM (plan@Y, h1@Y, estimate@Y, "
    "actual@Y-1, full@Y-1, plan@Y+1, plan@2027), thêm «:units» để chia theo các đơn vị "
    "cấp dưới (plan@Y+1:units), A/B cho cột so sánh (estimate@Y/plan@Y), rating@Y cho cột "
    "đánh giá; hoặc các từ cũ: " + ", ".join(LEGACY_WORDS)
)


@dataclass(frozen=True, slots=True)
class YearRef:
    """A year relative to the round (``offset``) or an absolute one (``absolute``)."""

    offset: int = 0
    absolute: int | None = None

    def at(self, round_year: int) -> int:
        return self.absolute if self.absolute is not None else round_year + self.offset

    @property
    def text(self) -> str:
        if self.absolute is not None:
            return str(self.absolute)
        return year_token(self.offset).strip("{}")

    @classmethod
    def parse(cls, text: str) -> YearRef:
        bare = text.strip("{}")
        if bare.isdigit():
            year = int(bare)
            if not 1900 <= year <= 2200:
                raise LayoutError(f"năm «{text}» ngoài khoảng 1900-2200")
            return cls(absolute=year)
        if bare == "Y":
            return cls(0)
        return cls(int(bare[1:]))


@dataclass(frozen=True, slots=True)
class Ref:
    """A value of a row: a measure in a year."""

    measure: str
    year: YearRef

    def at(self, round_year: int) -> tuple[str, int]:
        """(measure, year) in round ``round_year``; ``full`` stays ``full``."""
        return self.measure, self.year.at(round_year)

    @property
    def text(self) -> str:
        return f"{self.measure}@{self.year.text}"

    def label(self, round_year: int) -> str:
        """ "KH 2024", "TH 6 tháng 2023" ..."""
        return f"{MEASURE_SHORT[self.measure]} {self.year.at(round_year)}"


@dataclass(frozen=True, slots=True)
class Column:
    """One declared column: a value (``kind`` "value", maybe broken down by the units
    below), a comparison ("ratio": ``ref`` ÷ ``old``) or a rating ("rating")."""

    kind: str
    ref: Ref
    old: Ref | None = None
    units: bool = False

    @property
    def text(self) -> str:
        if self.kind == "ratio":
            assert self.old is not None
            return f"{self.ref.text}/{self.old.text}"
        if self.kind == "rating":
            return f"rating@{self.ref.year.text}"
        return self.ref.text + (":units" if self.units else "")

    def group(self, round_year: int) -> str:
        """The header over a value column: "Năm 2023", "Định hướng kế hoạch năm 2024"."""
        measure, year = self.ref.at(round_year)
        next_plan = measure == "plan" and year == round_year + 1
        if next_plan:
            return f"Định hướng kế hoạch năm {year}"
        if self.units:
            return UNIT_GROUPS[measure].format(year=year)
        return f"Năm {year}"

    def header(self, round_year: int) -> str:
        """A column's own header: the measure under its year's group, or a comparison's
        "new/old" as the Lai Châu forms print it."""
        if self.kind == "value":
            return MEASURE_HEADERS[self.ref.measure]
        if self.kind == "rating":
            return "Đánh giá"
        assert self.old is not None
        new, old = self.ref.at(round_year), self.old.at(round_year)
        y = round_year
        if new == ("estimate", y) and old == ("plan", y):
            return f"Ước TH cả năm {y}/Kế hoạch {y}"
        if new == ("plan", y + 1) and old == ("estimate", y):
            return f"Định hướng {y + 1}/Ước TH năm {y}"
        if new[0] == old[0] and new[1] == old[1] + 1 and new[0] == "h1":
            return f"TH 6 tháng {new[1]}/cùng kỳ {old[1]}"
        return f"{self.ref.label(round_year)}/{self.old.label(round_year)}"


def short_header(column: Column, round_year: int) -> str:
    """A comparison's header where room is short (the terminal, the grid): "Ước TH/KH",
    "So cùng kỳ", "So năm trước" ..."""
    if column.kind != "ratio" or column.old is None:
        return column.header(round_year)
    new, old = column.ref.at(round_year), column.old.at(round_year)
    y = round_year
    if new == ("estimate", y) and old == ("plan", y):
        return "Ước TH/KH"
    if new == ("plan", y + 1) and old == ("estimate", y):
        return "KH năm sau/Ước TH"
    if new[0] == old[0] == "h1" and new[1] == old[1] + 1:
        return "So cùng kỳ"
    if old[0] in ("full", "actual") and new[1] == old[1] + 1:
        return "So năm trước"
    return f"{MEASURE_SHORT[new[0]]}/{MEASURE_SHORT[old[0]]}"


def _value(text: str) -> Ref:
    found = _VALUE.match(text)
    if found is None or found.group("units"):
        raise LayoutError(f"«{text}» không phải một cột số liệu (SỐ_ĐO@NĂM)")
    measure = found.group("measure")
    if measure not in VALUE_MEASURES:
        raise LayoutError(f"số đo «{measure}» không có; các số đo: " + ", ".join(VALUE_MEASURES))
    return Ref(measure, YearRef.parse(found.group("year")))


def _token(text: str) -> Column:
    if "/" in text:
        new, _, old = text.partition("/")
        return Column("ratio", _value(new), _value(old))
    found = _VALUE.match(text)
    if found is None:
        raise LayoutError(f"không hiểu «{text}»")
    if found.group("measure") == "rating":
        if found.group("units"):
            raise LayoutError(f"cột đánh giá «{text}» không chia theo đơn vị")
        return Column("rating", Ref("plan", YearRef.parse(found.group("year"))))
    ref = _value(text.removesuffix(":units"))
    if found.group("units") and ref.measure == "full":
        raise LayoutError(f"«{text}»: cột «full» không chia theo đơn vị")
    return Column("value", ref, units=bool(found.group("units")))


def _legacy(words: Sequence[str]) -> list[Column]:
    have = set(words)
    out = [Column("value", Ref(m, YearRef(0))) for m in ("plan", "h1", "estimate") if m in have]
    if "actual" in have:
        out.append(Column("value", Ref("actual", YearRef(-1))))
    if "next_plan" in have:
        out.append(Column("value", Ref("plan", YearRef(1)), units="units" in have))
    pairs = {
        "ratio_estimate_plan": (Ref("estimate", YearRef(0)), Ref("plan", YearRef(0))),
        "ratio_nextplan_estimate": (Ref("plan", YearRef(1)), Ref("estimate", YearRef(0))),
        "ratio_h1_plan": (Ref("h1", YearRef(0)), Ref("plan", YearRef(0))),
    }
    for word, (new, old) in pairs.items():
        if word in have:
            out.append(Column("ratio", new, old))
    return out


@dataclass(frozen=True, slots=True)
class FormLayout:
    columns: tuple[Column, ...]

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.columns)

    @property
    def values(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind == "value")

    @property
    def ratios(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind == "ratio")

    @property
    def has_unit_breakdown(self) -> bool:
        return any(c.units for c in self.columns)

    def entered(self, round_year: int) -> list[tuple[str, int]]:
        """The (measure, year) cells a unit fills for this form in round ``round_year``,
        in the layout's order, each once (``full`` is not entered: it is shown)."""
        out: list[tuple[str, int]] = []
        for c in self.values:
            cell = c.ref.at(round_year)
            if c.ref.measure in ENTERED_MEASURES and cell not in out:
                out.append(cell)
        return out

    def unit_measures(self, round_year: int) -> list[tuple[str, int]]:
        """The (measure, year) cells the units below enter (the ``:units`` columns)."""
        return [c.ref.at(round_year) for c in self.values if c.units]

    def flags(self) -> tuple[str, ...]:
        """The first catalogs' words for this layout, for code that still thinks in them
        (the report reader): those of the columns that have one."""
        out: list[str] = []
        for c in self.columns:
            if c.kind == "value" and c.ref.year.absolute is None:
                off, m = c.ref.year.offset, c.ref.measure
                if off == 0 and m in ("plan", "h1", "estimate"):
                    out.append(m)
                elif off == -1 and m == "actual":
                    out.append("actual")
                elif off == 1 and m == "plan":
                    out.append("next_plan")
                    if c.units:
                        out.append("units")
            elif c.kind == "ratio" and c.old is not None:
                pair = (c.ref.text, c.old.text)
                word = {
                    ("estimate@Y", "plan@Y"): "ratio_estimate_plan",
                    ("plan@Y+1", "estimate@Y"): "ratio_nextplan_estimate",
                    ("h1@Y", "plan@Y"): "ratio_h1_plan",
                }.get(pair)
                if word:
                    out.append(word)
        return tuple(out)


def parse(text: str | Sequence[str]) -> FormLayout:
    """A form's layout from its declaration (a string or its words); LayoutError in
    Vietnamese saying what is wrong and what is accepted."""
    words = text.split() if isinstance(text, str) else list(text)
    if not words:
        raise LayoutError("biểu chưa khai báo cột nào; " + ACCEPTED)
    if all(w in LEGACY_WORDS for w in words):
        return FormLayout(tuple(_legacy(words)))
    columns = []
    for w in words:
        try:
            columns.append(_token(w))
        except LayoutError as exc:
            raise LayoutError(f"{exc}; {ACCEPTED}") from None
    seen: set[str] = set()
    for c in columns:
        if c.text in seen:
            raise LayoutError(f"cột «{c.text}» khai báo hai lần")
        seen.add(c.text)
    return FormLayout(tuple(columns))
