"""The indicator catalog: forms (Biểu), indicators (chỉ tiêu) and units (ĐVT)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ktxh.domain.layout import FormLayout, LayoutError
from ktxh.domain.layout import parse as parse_layout


class Direction(StrEnum):
    """Which way is better: decides the rating of a comparison (Vượt / Đạt / Không đạt),
    not its arithmetic (see :class:`RatioConvention`)."""

    UP = "up"
    DOWN = "down"
    NEUTRAL = "neutral"


class Consolidation(StrEnum):
    """How the total of a parent org unit is made from its children."""

    SUM = "sum"
    RATE = "rate"  # recomputed from numerator and denominator
    WEIGHTED_MEAN = "weighted_mean"  # e.g. yield weighted by area
    COUNT = "count"  # number of children meeting a standard (value > 0)
    CITY_ONLY = "city_only"  # no breakdown below the top unit
    NONE = "none"


class Children(StrEnum):
    """What the direct sub-items of a row are to it."""

    COMPLETE = "complete"  # they add up to the parent
    PARTIAL = "partial"  # "Trong đó": of which; at most the parent
    STRUCTURE = "structure"  # shares in % of one whole: they add up to 100 (Cơ cấu ...)
    NONE = "none"  # not additive parts (area / yield / production ...)
    LEAF = ""


class RatioConvention(StrEnum):
    """How a form computes its comparison columns (So sánh %).

    A comparison column computes what its header says, new ÷ old ("Ước TH/KH"):
    that is ``NEW_OLD``, the default. Some forms print the other way round, old ÷ new,
    for the rows where lower is better (poverty, mortality ...), so that above 100
    reads as good: ``OLD_NEW_WHEN_LOWER_IS_BETTER``. Either way the indicator's
    direction, not the arithmetic, decides whether the result is good.
    """

    NEW_OLD = "new_old"
    OLD_NEW_WHEN_LOWER_IS_BETTER = "old_new_when_lower_is_better"

    @classmethod
    def parse(cls, text: str) -> RatioConvention:
        """ "" is the default, new ÷ old."""
        return cls(text) if text else cls.NEW_OLD

    def inverts(self, direction: Direction) -> bool:
        """Whether a row of this direction is compared old ÷ new."""
        return self is RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER and (
            direction is Direction.DOWN
        )


class Nature(StrEnum):
    """What kind of quantity an indicator is; decides which checks apply."""

    FLOW = "flow"  # accumulates over the year: output, revenue, visitors; h1 <= estimate
    STOCK = "stock"  # a level at a date: population, schools, hectares
    RATE = "rate"  # a share, a rate or an average: %, ‰, per 10.000, tạ/ha
    NONE = ""  # headings


class RowKind(StrEnum):
    GROUP = "group"  # a heading; carries no values
    INDICATOR = "indicator"


# Measures of a value. Comparison ratios are computed, never stored, except the
# percentages a source printed, which are kept to be checked against.
MEASURES = (
    "plan",
    "h1",
    "estimate",
    "actual",
    "printed_ratio_estimate_plan",
    "printed_ratio_nextplan_estimate",
)
PRINTED_RATIO_MEASURES = MEASURES[4:]

MEASURE_LABELS = {
    "plan": "Kế hoạch",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH cả năm",
    "actual": "Thực hiện cả năm",
    "printed_ratio_estimate_plan": "Ước TH/KH (%) in trên biểu",
    "printed_ratio_nextplan_estimate": "KH năm sau/Ước TH (%) in trên biểu",
}


# Dimensions whose values are counted, not measured: whole numbers, exact when
# printed without decimals (so rounding explains no difference).
COUNT_DIMENSIONS = frozenset(
    {
        "persons",
        "households",
        "animals",
        "items",
        "rooms",
        "cooperatives",
        "communes",
        "schools",
        "beds",
        "stations",
        "facilities",
        "departments",
        "sessions",
        "copies",
        "buildings",
        "sites",
        "streets",
        "clubs",
        "events",
        "subscriptions",
        "documents",
        "hamlets",
        "organisations",
        "visits",
    }
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of measure with its dimension and its scale to the dimension's base.

    ``1 tỷ đồng`` = 10⁹ ``đồng``; ``1 %`` = 0,01; ``1 tạ/ha`` = 100 kg/ha.
    """

    name: str
    dimension: str
    scale: Decimal
    base: str
    is_share: bool = False  # %, ‰: bounded shares and rates

    @property
    def is_count(self) -> bool:
        """Counted one by one (people, households, schools), not in thousands."""
        return self.dimension in COUNT_DIMENSIONS and self.scale == 1

    def same_quantity(self, other: Unit) -> bool:
        """Addable without conversion ("cháu" and "học sinh" are both people)."""
        return self.dimension == other.dimension and self.scale == other.scale

    def factor_to(self, other: Unit) -> Decimal:
        """The number to multiply a value in ``self`` by to express it in ``other``."""
        if self.dimension != other.dimension:
            raise ValueError(
                f"Không đổi được đơn vị «{self.name}» sang «{other.name}»: khác đại lượng"
            )
        return self.scale / other.scale


@dataclass(frozen=True, slots=True)
class Form:
    """An annex form (Biểu số N) and the columns it prints."""

    number: int
    title: str
    columns: tuple[str, ...]
    seed_line: int | None = None
    ratio_convention: RatioConvention = RatioConvention.NEW_OLD

    @property
    def label(self) -> str:
        return f"Biểu số {self.number}"

    @property
    def layout(self) -> FormLayout:
        """The declared columns (:mod:`ktxh.domain.layout`)."""
        return _layout_of(self.columns)

    @property
    def has_unit_breakdown(self) -> bool:
        return self.layout.has_unit_breakdown

    @property
    def flags(self) -> tuple[str, ...]:
        """The layout in the first catalogs' words (plan h1 estimate next_plan units ...)."""
        return self.layout.flags()


@functools.lru_cache(maxsize=1024)
def _layout_of(columns: tuple[str, ...]) -> FormLayout:
    try:
        return parse_layout(columns)
    except LayoutError:
        return FormLayout(())  # a form read unchecked; read_package refuses such a layout


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    form: int
    position: int
    name: str
    unit: str = ""
    kind: RowKind = RowKind.INDICATOR
    stt: str = ""
    full_name: str = ""
    of_which: bool = False
    parent: str | None = None
    children: Children = Children.LEAF
    unit_printed: str = ""
    nature: Nature = Nature.STOCK
    direction: Direction = Direction.UP
    consolidation: Consolidation = Consolidation.SUM
    basis: tuple[str, ...] = ()
    comparable: bool = True
    decimals: int = 0
    seed_line: int | None = None
    values_line: int | None = None
    note: str = ""
    # complete sets of parts beyond the tree's sub-items: each set adds up to this row
    # (a rate lies within its parts' range); "urban + rural = population"
    parts: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        return self.full_name or self.name

    @property
    def is_share(self) -> bool:
        """A share in % ("Tỷ lệ ...", "Cơ cấu ..."), which lies between 0 and 100."""
        name = self.name.lower()
        return self.unit == "%" and name.startswith(("tỷ lệ", "cơ cấu")) and "tăng" not in name


@dataclass
class Catalog:
    forms: dict[int, Form]
    indicators: dict[str, Indicator]
    units: dict[str, Unit]
    _children: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for ind in self.indicators.values():
            if ind.parent is not None:
                self._children.setdefault(ind.parent, []).append(ind.code)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    def in_form(self, number: int) -> list[Indicator]:
        return sorted(
            (i for i in self.indicators.values() if i.form == number), key=lambda i: i.position
        )

    def children_of(self, code: str) -> list[Indicator]:
        return [self.indicators[c] for c in self._children.get(code, [])]

    def unit_of(self, indicator: Indicator) -> Unit | None:
        return self.units.get(indicator.unit)

    def convention(self, code: str) -> RatioConvention:
        """The comparison convention of the form an indicator is printed in."""
        form = self.forms.get(self.indicators[code].form)
        return form.ratio_convention if form is not None else RatioConvention.NEW_OLD

    def inverted(self, code: str) -> bool:
        """Whether this row's comparisons are old ÷ new (its form's convention)."""
        return self.convention(code).inverts(self.indicators[code].direction)

    def depth(self, code: str) -> int:
        """How many parents a row has (0 for a top-level row)."""
        n, ind = 0, self.indicators[code]
        while ind.parent is not None and n < 50:
            ind = self.indicators[ind.parent]
            n += 1
        return n

    def same_quantity(self, a: Indicator, b: Indicator) -> bool:
        """Addable without conversion: same dimension and scale ("cháu", "học sinh")."""
        ua, ub = self.units.get(a.unit), self.units.get(b.unit)
        if ua is None or ub is None:
            return a.unit == b.unit
        return ua.same_quantity(ub)

    def parts_of(self, code: str) -> tuple[list[str], list[str]]:
        """The sub-items of a parent that add up to it, and its "of which" items.

        Looks through headings (a heading's rows count as the parent's); only
        sub-items of the parent's quantity count. For a ``complete`` parent every
        such sub-item is a part except those marked ``of_which``; for a
        ``partial`` parent they are all "of which" items.
        """
        parent = self.indicators[code]
        whole: list[str] = []
        partial: list[str] = []
        stack = list(self.children_of(code))
        while stack:
            child = stack.pop(0)
            if child.kind is RowKind.GROUP:
                stack.extend(self.children_of(child.code))
            elif self.same_quantity(child, parent):
                adds_up = parent.children in (Children.COMPLETE, Children.STRUCTURE)
                if adds_up and not child.of_which:
                    whole.append(child.code)
                else:
                    partial.append(child.code)
        return whole, partial

    def validate(self) -> list[str]:
        """Structural problems, in Vietnamese; empty when the catalog is sound."""
        problems: list[str] = []
        positions: dict[int, list[int]] = {}
        for ind in self.indicators.values():
            positions.setdefault(ind.form, []).append(ind.position)
            where = f"Chỉ tiêu {ind.code} ({ind.name})"
            if ind.form not in self.forms:
                problems.append(f"{where}: không có biểu số {ind.form}")
            if ind.parent is not None and ind.parent not in self.indicators:
                problems.append(f"{where}: chỉ tiêu cha {ind.parent} không tồn tại")
            if ind.kind is RowKind.INDICATOR and ind.unit and ind.unit not in self.units:
                problems.append(f"{where}: đơn vị tính «{ind.unit}» chưa có trong danh mục")
            for b in ind.basis:
                if b not in self.indicators:
                    problems.append(f"{where}: chỉ tiêu cơ sở {b} không tồn tại")
            for group in ind.parts:
                for p in group:
                    if p not in self.indicators:
                        problems.append(f"{where}: chỉ tiêu thành phần {p} không tồn tại")
                    elif not self.same_quantity(self.indicators[p], ind):
                        problems.append(
                            f"{where}: chỉ tiêu thành phần {p} khác đơn vị tính "
                            f"(«{self.indicators[p].unit}» so với «{ind.unit}»)"
                        )
                if ind.code in group:
                    problems.append(f"{where}: một chỉ tiêu không thể là thành phần của chính nó")
        for form, pos in positions.items():
            if sorted(pos) != list(range(1, len(pos) + 1)):
                problems.append(f"Biểu số {form}: số thứ tự dòng không liên tục")
        return problems


def units_by_name(units: Iterable[Unit]) -> dict[str, Unit]:
    return {u.name: u for u in units}
