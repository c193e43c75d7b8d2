"""Targets as resolutions write them, the documents that set them, and the rating.

A plan's target is not always one number. Councils and committees write ranges
("6,5-7%"), bounds ("trên 90%", "dưới 3%", "8% trở lên") and approximations
("khoảng 5.000"). :func:`parse_target` reads every such spelling strictly (its
numbers with :func:`ktxh.domain.numbers.parse_number`, so "4.70" is refused with
its reason) into a :class:`Target`: its kind, its bounds and whether each bound is
strict ("trên 90" is > 90, "từ 90 trở lên" is ≥ 90), with the text as written.
Text that cannot be read raises :class:`TargetError`, whose message lists what
would be accepted. :func:`format_target` writes a target back in one canonical
spelling that reads back as the same target.

The value table keeps one number per plan cell: a target's *representative*
(:meth:`Target.representative`) is the number that must be reached, the end of a
range that is worse by the indicator's direction (the lower end when higher is
better, the upper end when lower is better, the middle for a neutral one), the
bound of a bound, the number of an exact or approximate target. So the
comparison columns (estimate ÷ plan) and the consolidation keep working, and 100%
of the representative is the threshold of Đạt.

:func:`rate` says how a result stands against its target, by the indicator's
direction and the target's kind: within the target is **Đạt**, past its better
end is **Vượt**, short of it is **Không đạt**. A range is reached between its ends
and passed beyond its better end; an exact target is a range of one number; a
bound is reached on its side (it has no better end to pass, so it is Đạt however
far beyond); an approximate target is reached within :data:`APPROXIMATE_TOLERANCE`
(5%) of its number. The result is compared as shown (rounded half up to the
indicator's decimals). A missing result or target, or an indicator without a
better direction, is not rated ("chưa đánh giá", with the reason).
:func:`rating_expr` is the same rule over a polars frame.

Where a target comes from (:class:`Document`): a resolution of the People's
Council (nghị quyết HĐND), a decision of the People's Committee (quyết định
UBND), a plan, an assignment from the level above (giao chỉ tiêu của tỉnh), with
its number, date, issuer and level. A document may amend an earlier one
(``amends``): together they are one *line* of decisions, and in each line the
latest document dated on or before a day is the one in force that day; the
earlier ones stay as history. :class:`TargetBook` holds the documents and the
targets each set, cell by cell, and :meth:`TargetBook.resolve` says which target
rates a cell on a day: of the lines in force, the one of the highest
:data:`PRECEDENCE` (the unit's council resolution first, an assignment from
above after the unit's own acts), then the latest; without any document, the
plan cell's own target (typed, imported, or the number of the value). Lines in
force that disagree, and a plan cell that differs from the document in force,
are :class:`Conflict` s, shown side by side.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

import polars as pl

from ktxh.domain.catalog import Catalog, Direction, Indicator, Nature, RowKind
from ktxh.domain.compare import Rating, round_expr
from ktxh.domain.numbers import (
    NONE_MARKS,
    NumberError,
    format_number,
    parse_number,
    round_half_up,
)

Key = tuple[str, str, int, str]  # indicator, org unit, year, measure

TARGET_MEASURES = ("plan",)
"""Cells that hold targets: the year's plan (next year's plan is the plan of Y+1)."""

TARGET_ACTIONS = ("document", "set", "remove")
"""What a change of the book did: record (or correct) a document, set a document's
target for a cell, remove it."""

APPROXIMATE_TOLERANCE = Decimal("0.05")
"""An approximate target ("khoảng 5.000") is reached within 5% of its number, either way."""

NOT_RATED = "Chưa đánh giá"


class TargetKind(StrEnum):
    EXACT = "exact"  # "7,5"
    RANGE = "range"  # "6,5-7", "từ 6,5 đến 7"
    AT_LEAST = "at_least"  # lower bound: "trên 90", "từ 90 trở lên", "≥ 90"
    AT_MOST = "at_most"  # upper bound: "dưới 3", "không quá 3", "≤ 3"
    APPROXIMATE = "approximate"  # "khoảng 5.000"


KIND_LABELS = {
    TargetKind.EXACT: "một số",
    TargetKind.RANGE: "khoảng",
    TargetKind.AT_LEAST: "cận dưới",
    TargetKind.AT_MOST: "cận trên",
    TargetKind.APPROXIMATE: "xấp xỉ",
}

ACCEPTED = (
    "một số (7,5; 7,5%); một khoảng (6,5-7; 6,5 - 7%; 6,5% - 7%; từ 6,5 đến 7; 6,5 ÷ 7); "
    "cận dưới (trên 90; hơn 90; > 90; từ 90 trở lên; 90% trở lên; ≥ 90; ít nhất 90; "
    "tối thiểu 90; không dưới 90); cận trên (dưới 3; < 3; không quá 3; tối đa 3; ≤ 3; "
    "từ 3 trở xuống; không vượt quá 3); xấp xỉ (khoảng 5.000; xấp xỉ 5.000); "
    "số viết kiểu Việt Nam: 1.234,5"
)


class TargetError(ValueError):
    """Text that is not a target ktxh can read; the message (Vietnamese) says why and
    lists the spellings that would be accepted."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"«{text}» không đọc được thành chỉ tiêu: {reason}. Cách viết được chấp nhận: "
            f"{ACCEPTED}"
        )
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    """A target: the set of results that reach it, and the text it was written as.

    ``low`` / ``high`` are None where the target is open (a lower bound has no
    ``high``); ``low_strict`` / ``high_strict`` say the bound itself is excluded
    ("trên 90": 90 does not reach it). An exact or approximate target has
    ``low == high``. ``suffix`` is the "%" or "‰" written, ``text`` the text as
    written; neither takes part in equality (:meth:`same`).
    """

    kind: TargetKind
    low: Decimal | None
    high: Decimal | None
    low_strict: bool = False
    high_strict: bool = False
    suffix: str = ""
    text: str = ""

    @property
    def structure(self) -> tuple[str, Decimal | None, Decimal | None, bool, bool]:
        """What the target means, without how it was written."""
        return (self.kind.value, self.low, self.high, self.low_strict, self.high_strict)

    def same(self, other: Target | None) -> bool:
        return other is not None and self.structure == other.structure

    @property
    def number(self) -> Decimal:
        """The one number of an exact or approximate target, else a bound."""
        found = self.low if self.low is not None else self.high
        assert found is not None
        return found

    @property
    def decimals(self) -> int:
        """The most decimals any of its numbers was written with."""
        return max((_places(d) for d in (self.low, self.high) if d is not None), default=0)

    def representative(self, direction: Direction | str = Direction.UP) -> Decimal:
        """The number the value table keeps for this target: what must be reached."""
        if self.kind is TargetKind.RANGE:
            assert self.low is not None and self.high is not None
            direction = Direction(direction)
            if direction is Direction.DOWN:
                return self.high
            if direction is Direction.NEUTRAL:
                mid = (self.low + self.high) / 2
                return mid.quantize(Decimal(1).scaleb(-(self.decimals + 1))).normalize()
            return self.low
        return self.number

    def band(self) -> tuple[Decimal | None, Decimal | None]:
        """The results that reach the target, from ``low`` to ``high`` (None: open):
        an approximate target's number widened by :data:`APPROXIMATE_TOLERANCE`."""
        if self.kind is TargetKind.APPROXIMATE:
            v = self.number
            return v - abs(v) * APPROXIMATE_TOLERANCE, v + abs(v) * APPROXIMATE_TOLERANCE
        return self.low, self.high

    def contains(self, x: Decimal) -> bool:
        lo, hi = self.band()
        if lo is not None and (x < lo or (x == lo and self.low_strict)):
            return False
        return not (hi is not None and (x > hi or (x == hi and self.high_strict)))

    def describe(self) -> str:
        """In words, for people: "từ 6,5 đến 7%", "trên 90%", "khoảng 5.000"."""
        return format_target(self, words=True)

    def shown(self) -> str:
        """As written (the canonical spelling when nothing was written)."""
        return self.text or format_target(self)


def _places(d: Decimal) -> int:
    exp = d.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _num(d: Decimal) -> str:
    """A bound as Vietnamese text with the decimals it was written with ("6,0")."""
    return format_number(d, _places(d))


def format_target(target: Target, *, words: bool = False) -> str:
    """One canonical spelling of a target, which :func:`parse_target` reads back as
    the same target: "7,5%", "6,5-7%" ("từ -1 đến 2" for a negative end), "trên 90",
    "từ 90 trở lên", "dưới 3", "không quá 3", "khoảng 5.000". ``words`` writes a
    range as "từ 6,5 đến 7%"."""
    s = target.suffix
    kind = target.kind
    if kind is TargetKind.EXACT:
        return f"{_num(target.number)}{s}"
    if kind is TargetKind.APPROXIMATE:
        return f"khoảng {_num(target.number)}{s}"
    if kind is TargetKind.RANGE:
        assert target.low is not None and target.high is not None
        lo, hi = _num(target.low), _num(target.high)
        if words or target.low < 0 or target.high < 0:
            return f"từ {lo}{s} đến {hi}{s}"
        return f"{lo}-{hi}{s}"
    if kind is TargetKind.AT_LEAST:
        assert target.low is not None
        lo = _num(target.low)
        return f"trên {lo}{s}" if target.low_strict else f"từ {lo}{s} trở lên"
    assert target.high is not None
    hi = _num(target.high)
    return f"dưới {hi}{s}" if target.high_strict else f"không quá {hi}{s}"


# --- reading ---------------------------------------------------------------------------

# Words before a number, longest first; (kind, strict). Compared after NFC and
# lower-casing, with runs of spaces made one.
_LOWER_WORDS: dict[str, bool] = {
    "không thấp hơn": False,
    "không nhỏ hơn": False,
    "không ít hơn": False,
    "không dưới": False,
    "tối thiểu": False,
    "ít nhất": False,
    "nhiều hơn": True,
    "lớn hơn": True,
    "cao hơn": True,
    "trên": True,
    "hơn": True,
    ">=": False,
    "≥": False,
    "⩾": False,
    ">": True,
}
_UPPER_WORDS: dict[str, bool] = {
    "không vượt quá": False,
    "không cao hơn": False,
    "không lớn hơn": False,
    "không nhiều hơn": False,
    "không hơn": False,
    "không quá": False,
    "tối đa": False,
    "nhỏ hơn": True,
    "thấp hơn": True,
    "ít hơn": True,
    "dưới": True,
    "<=": False,
    "≤": False,
    "⩽": False,
    "<": True,
}
_APPROX_WORDS = ("xấp xỉ", "khoảng", "chừng", "≈", "~")
_REACH_WORDS = ("phấn đấu đạt", "phấn đấu", "đạt")  # "đạt 95%": the target is 95
_UP_TAIL = "trở lên"
_DOWN_TAIL = "trở xuống"
# a number as typed: sign or parentheses, digits with "." and ",", then % or ‰
_NUMBER = r"[-−+]?\(?[0-9][0-9.,]*\)?(?:\s?[%‰])?"
_RANGE = re.compile(rf"^(?:từ\s)?(?P<a>{_NUMBER})\s?(?:-|–|—|÷|~|đến|tới)\s?(?P<b>{_NUMBER})$")
_SPACES = re.compile(r"\s+")
_SPACED_MARK = re.compile(r"\s*([-–—÷~%‰])\s*")


def clean_text(text: str) -> str:
    """A target's text as kept: NFC, without spaces at the ends, runs of spaces as one."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


_BEFORE_SUFFIX = re.compile(r"(?<=[0-9)])\s+(?=[%‰])")
_COMPARISON = re.compile(r"(>=|<=|[≥≤⩾⩽><≈])\s*")
_AFTER_SIGN = re.compile(r"(?<=[-−+(])\s+(?=[0-9(])")


def _norm(text: str) -> str:
    """For matching: lower case, one space, none around marks; "≥90" and ">= 90" alike."""
    s = clean_text(text).lower()
    s = _SPACED_MARK.sub(r" \1 ", s)
    s = _BEFORE_SUFFIX.sub("", s)  # "7 %" -> "7%"
    s = _COMPARISON.sub(r"\1 ", s)
    s = _AFTER_SIGN.sub("", s)  # "- 2" after a word or at the start
    return _SPACES.sub(" ", s).strip()


def _strip_prefix(s: str, words: Iterable[str]) -> tuple[str, str] | None:
    for w in words:
        if s == w:
            return w, ""
        if s.startswith(w) and (not w[-1].isalpha() or s[len(w)] == " "):
            return w, s[len(w) :].strip()
    return None


def _number(text: str, original: str) -> tuple[Decimal, str]:
    try:
        parsed = parse_number(text)
    except NumberError as exc:
        raise TargetError(original, f"«{text}»: {exc.reason}") from None
    if parsed is None or parsed.value is None:
        raise TargetError(original, f"«{text}» không phải một số")
    value = parsed.value
    if parsed.decimals and _places(value) < parsed.decimals:
        value = value.quantize(Decimal(1).scaleb(-parsed.decimals))
    return value, parsed.suffix


def _suffix(found: Sequence[str], original: str) -> str:
    marks = {s for s in found if s}
    if len(marks) > 1:
        raise TargetError(original, "các số ghi hai đơn vị khác nhau (% và ‰)")
    return marks.pop() if marks else ""


def _words(s: str) -> bool:
    return any(ch.isalpha() for ch in s)


def parse_target(text: str | None) -> Target | None:
    """Read a target written the Vietnamese way; None for an empty cell or "-".

    Raises :class:`TargetError` (the reason and the accepted spellings) for text it
    cannot read, and for a number that :func:`parse_number` refuses ("4.70")."""
    if text is None:
        return None
    return _parse(text)


@lru_cache(maxsize=65_536)  # a plan repeats its targets; a Target is immutable
def _parse(text: str) -> Target | None:
    written = clean_text(text)
    if not written or written in NONE_MARKS:
        return None
    s = _norm(written)
    reach = _strip_prefix(s, _REACH_WORDS)
    if reach is not None:
        s = reach[1]
        if not s:
            raise TargetError(written, f"thiếu số sau «{reach[0]}»")
    approx = _strip_prefix(s, _APPROX_WORDS)
    if approx is not None:
        s = approx[1]
        if not s:
            raise TargetError(written, f"thiếu số sau «{approx[0]}»")
    lower = _strip_prefix(s, _LOWER_WORDS)
    upper = _strip_prefix(s, _UPPER_WORDS) if lower is None else None
    bound: tuple[TargetKind, bool] | None = None
    if lower is not None:
        bound, s = (TargetKind.AT_LEAST, _LOWER_WORDS[lower[0]]), lower[1]
    elif upper is not None:
        bound, s = (TargetKind.AT_MOST, _UPPER_WORDS[upper[0]]), upper[1]
    tail = None
    for word, kind in ((_UP_TAIL, TargetKind.AT_LEAST), (_DOWN_TAIL, TargetKind.AT_MOST)):
        if s.endswith(word):
            tail, s = kind, s[: -len(word)].strip()
            if s.startswith("từ "):
                s = s[3:].strip()
    if tail is not None:
        if bound is not None and bound[0] is not tail:
            raise TargetError(written, "cận trên và cận dưới cùng một lúc")
        bound = bound or (tail, False)
    if bound is not None and approx is not None:
        raise TargetError(written, f"«{approx[0]}» không đi cùng một cận (trên, dưới, trở lên)")
    if not s:
        raise TargetError(written, "thiếu số")
    m = _RANGE.match(s)
    if m is not None:
        if bound is not None:
            raise TargetError(written, "một cận (trên, dưới, trở lên) chỉ có một số")
        low, s1 = _number(m.group("a"), written)
        high, s2 = _number(m.group("b"), written)
        if low >= high:
            raise TargetError(
                written,
                "khoảng phải viết từ số nhỏ đến số lớn, hai số khác nhau "
                f"(«{_num(low)}-{_num(high)}» viết là «{_num(high)}-{_num(low)}»)",
            )
        return Target(TargetKind.RANGE, low, high, suffix=_suffix((s1, s2), written), text=written)
    if s.startswith("từ ") and bound is None:
        raise TargetError(written, "sau «từ» cần «đến» một số khác, hoặc «trở lên», «trở xuống»")
    if _words(s):
        raise TargetError(written, f"có chữ ktxh không hiểu («{s}»)")
    if re.search(r"[0-9)%‰]\s?[-–—÷~]\s?[-−+(]?[0-9]", s):
        raise TargetError(
            written, "có nhiều số; chỉ tiêu là một số, hoặc một khoảng giữa hai số (6,5-7)"
        )
    value, suffix = _number(s, written)
    if bound is not None:
        kind, strict = bound
        if kind is TargetKind.AT_LEAST:
            return Target(kind, value, None, low_strict=strict, suffix=suffix, text=written)
        return Target(kind, None, value, high_strict=strict, suffix=suffix, text=written)
    kind = TargetKind.APPROXIMATE if approx is not None else TargetKind.EXACT
    return Target(kind, value, value, suffix=suffix, text=written)


_PLAIN = re.compile(r"^\s*[-−+(]?[0-9.,\s]*\)?\s*[%‰]?\s*$")


def is_target_text(text: str | None) -> bool:
    """Whether a cell's text is a target written in words or marks ("6,5-7",
    "trên 90"), not a plain number or "-" (cheap: no parsing for a plain number)."""
    if not text:
        return False
    s = text.strip()
    if not s or s in NONE_MARKS or not any(ch in "0123456789" for ch in s):
        return False  # a target has a number; a ditto mark (") is none
    return _PLAIN.match(s) is None or bool(re.search(r"[0-9)]\s*[-–—]", s))


def is_number_like(text: str) -> bool:
    """Digits, "." and ",", a sign, parentheses, % or ‰ only: a number, perhaps miswritten
    ("4.70"), whose own reason is the one to give."""
    return _PLAIN.match(text.strip()) is not None


_WORDS = re.compile(
    r"(?:^|\s)(?:"
    + "|".join(
        re.escape(w)
        for w in sorted(
            {*_LOWER_WORDS, *_UPPER_WORDS, *_APPROX_WORDS, *_REACH_WORDS, _UP_TAIL, _DOWN_TAIL}
            | {"từ", "đến", "tới"},
            key=len,
            reverse=True,
        )
        if w[0].isalpha()
    )
    + r")(?:\s|$)"
)


def looks_like_target(text: str) -> bool:
    """Whether a text that is no number was meant as a target: it has a word or a mark
    of one ("trên", "khoảng", "≥", "6,5-7"). Other text ("1e308", "abc") is refused
    with the number's own reason."""
    s = _norm(text)
    if any(m in s for m in ("≥", "≤", "⩾", "⩽", ">", "<", "≈", "~", "÷")):
        return True
    if re.search(r"[0-9)%‰]\s?[-–—]\s?[-−+(]?[0-9]", s):
        return True
    return _WORDS.search(s) is not None


def target_of_cell(value: float | None, printed: str) -> Target | None:
    """The target a plan cell holds: its text when that is a target, else its number
    (exact); None when it is empty or "-". A text that no longer reads (it cannot
    happen to a cell written through ktxh) falls back to the number."""
    if is_target_text(printed):
        try:
            found = parse_target(printed)
        except TargetError:
            found = None
        if found is not None:
            return found
    if value is None:
        return None
    d = Decimal(repr(float(value)))
    return Target(TargetKind.EXACT, d, d, text=printed)


def target_key(text: str | None) -> tuple[str, Decimal | None, Decimal | None, bool, bool] | None:
    """The structure of a target text, None for a plain number, "-", empty or
    unreadable text: so that two spellings of one target compare equal."""
    if not is_target_text(text):
        return None
    try:
        found = parse_target(text)
    except TargetError:
        return None
    return None if found is None else found.structure


# --- rating ----------------------------------------------------------------------------

RATING_LABELS = {Rating.EXCEEDED: "Vượt", Rating.MET: "Đạt", Rating.MISSED: "Không đạt"}
RATING_CODES = {Rating.EXCEEDED: "exceeded", Rating.MET: "met", Rating.MISSED: "missed"}
RESULT_MEASURES = ("h1", "estimate", "actual")


@dataclass(frozen=True, slots=True)
class Assessment:
    """A result held against its target: the rating, or None with the reason."""

    rating: Rating | None
    reason: str = ""

    @property
    def label(self) -> str:
        return NOT_RATED if self.rating is None else RATING_LABELS[self.rating]

    @property
    def code(self) -> str:
        return "not_rated" if self.rating is None else RATING_CODES[self.rating]

    @property
    def reached(self) -> bool:
        """Đạt or Vượt ("đạt và vượt kế hoạch")."""
        return self.rating in (Rating.MET, Rating.EXCEEDED)


def h1_rated(nature: Nature | str) -> bool:
    """Whether a first-half result is held against the year's target: a level or a
    rate is; a flow (revenue, output) has had half a year to accumulate and is not."""
    return Nature(nature) is not Nature.FLOW


def _decimal(x: float | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(repr(float(x)))


def rate(
    result: float | Decimal | None,
    target: Target | None,
    direction: Direction | str,
    *,
    decimals: int | None = None,
) -> Assessment:
    """Vượt / Đạt / Không đạt of ``result`` against ``target`` (module docstring).

    ``decimals``: the result is compared as shown, rounded half up to these decimals
    (at least the target's own); None compares it exactly."""
    direction = Direction(direction)
    if direction is Direction.NEUTRAL:
        return Assessment(None, "chỉ tiêu không có chiều tốt, xấu để đánh giá")
    if target is None:
        return Assessment(None, "chưa có kế hoạch (chỉ tiêu) để so")
    if result is None or (isinstance(result, float) and result != result):
        return Assessment(None, "chưa có số liệu thực hiện")
    x = _decimal(result)
    if not x.is_finite():
        return Assessment(None, "số liệu thực hiện không phải số hữu hạn")
    if decimals is not None:
        x = round_half_up(x, max(decimals, target.decimals))
    lo, hi = target.band()
    below = lo is not None and (x < lo or (x == lo and target.low_strict))
    above = hi is not None and (x > hi or (x == hi and target.high_strict))
    if not below and not above:
        return Assessment(Rating.MET)
    better = above if direction is Direction.UP else below
    return Assessment(Rating.EXCEEDED if better else Rating.MISSED)


def rating_expr(
    result: pl.Expr,
    low: pl.Expr,
    high: pl.Expr,
    low_strict: pl.Expr,
    high_strict: pl.Expr,
    direction: pl.Expr,
    decimals: pl.Expr,
) -> pl.Expr:
    """:func:`rate` over a frame: the rating's code ("exceeded", "met", "missed") or
    null where nothing is rated. ``low`` / ``high`` are the target's band
    (:meth:`Target.band`, null where open, both null where there is no target);
    ``decimals`` the decimals to round the result to (null: exactly)."""
    x = pl.when(decimals.is_null()).then(result).otherwise(round_expr(result, decimals))
    below = low.is_not_null() & ((x < low) | ((x == low) & low_strict))
    above = high.is_not_null() & ((x > high) | ((x == high) & high_strict))
    no_target = low.is_null() & high.is_null()
    better = pl.when(direction == "up").then(above).otherwise(below)
    return (
        pl.when(
            (direction == "neutral")
            | no_target
            | result.is_null()
            | result.is_nan().fill_null(True)
        )
        .then(pl.lit(None, pl.String))
        .when(~below & ~above)
        .then(pl.lit("met"))
        .when(better)
        .then(pl.lit("exceeded"))
        .otherwise(pl.lit("missed"))
    )


# --- documents and where a target comes from ---------------------------------------------


class DocumentKind(StrEnum):
    COUNCIL_RESOLUTION = "nghi_quyet_hdnd"
    COMMITTEE_DECISION = "quyet_dinh_ubnd"
    PLAN = "ke_hoach_ubnd"
    ASSIGNMENT = "giao_chi_tieu"
    OTHER = "khac"


DOCUMENT_KIND_LABELS = {
    DocumentKind.COUNCIL_RESOLUTION: "Nghị quyết HĐND",
    DocumentKind.COMMITTEE_DECISION: "Quyết định UBND",
    DocumentKind.PLAN: "Kế hoạch UBND",
    DocumentKind.ASSIGNMENT: "Giao chỉ tiêu của cấp trên",
    DocumentKind.OTHER: "Văn bản khác",
}

PRECEDENCE = (
    DocumentKind.COUNCIL_RESOLUTION,
    DocumentKind.COMMITTEE_DECISION,
    DocumentKind.PLAN,
    DocumentKind.ASSIGNMENT,
    DocumentKind.OTHER,
)
"""Which line of decisions rates a cell when several are in force: the unit's council
resolution (the plan it adopted) first; an assignment from the level above is a floor
the unit's own acts build on, so it rates only where the unit has none."""


@dataclass(frozen=True, slots=True)
class Document:
    """A document that sets targets: "Nghị quyết số 12/NQ-HĐND ngày 10/12/2022 của
    HĐND thành phố". ``amends``: the code of the document it amends."""

    code: str
    kind: DocumentKind
    number: str
    day: date
    issuer: str = ""
    level: str = ""
    title: str = ""
    amends: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        """ "Nghị quyết HĐND số 12/NQ-HĐND ngày 10/12/2022 (HĐND thành phố Lai Châu)"."""
        kind = DOCUMENT_KIND_LABELS[self.kind]
        number = f" số {self.number}" if self.number else ""
        issuer = f" ({self.issuer})" if self.issuer else ""
        return f"{kind}{number} ngày {self.day:%d/%m/%Y}{issuer}"

    @property
    def short(self) -> str:
        return self.number or self.code


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """The target one document set for one cell (``document`` "": typed into the
    plan cell itself), when and by whom it was recorded."""

    indicator: str
    orgunit: str
    year: int
    measure: str
    target: Target
    document: str = ""
    recorded_at: datetime | None = None
    recorded_by: str = ""
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.indicator, self.orgunit, self.year, self.measure)


@dataclass(frozen=True, slots=True)
class Source:
    """A target in force from one place: a document (with its line of amendments),
    or the plan cell itself (``document`` None)."""

    target: Target
    document: Document | None = None

    @property
    def label(self) -> str:
        return self.document.label if self.document else "kế hoạch nhập trên biểu"

    @property
    def short(self) -> str:
        return self.document.short if self.document else "trên biểu"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two targets in force for one cell that differ. ``compatible``: a result that
    reaches the first (the one that rates) always reaches the second."""

    first: Source
    second: Source
    compatible: bool

    def message(self) -> str:
        a, b = self.first, self.second
        tail = (
            f"; đạt chỉ tiêu của {a.short} thì cũng đạt chỉ tiêu của {b.short}"
            if self.compatible
            else "; hai chỉ tiêu không khớp nhau, cần thống nhất"
        )
        return (
            f"chỉ tiêu theo {a.label} là «{a.target.shown()}», theo {b.label} là "
            f"«{b.target.shown()}»{tail}"
        )


@dataclass(frozen=True, slots=True)
class Resolved:
    """Which target rates a cell on a day, and where it comes from."""

    target: Target | None
    source: Source | None
    sources: tuple[Source, ...] = ()  # every target in force, the one that rates first
    history: tuple[tuple[TargetRecord, Document], ...] = ()  # amended or not yet in force
    conflicts: tuple[Conflict, ...] = ()


def implies(a: Target, b: Target) -> bool:
    """Whether every result that reaches ``a`` reaches ``b`` (interval inclusion)."""
    alo, ahi = a.band()
    blo, bhi = b.band()
    if blo is not None:
        if alo is None or alo < blo:
            return False
        if alo == blo and b.low_strict and not a.low_strict:
            return False
    if bhi is not None:
        if ahi is None or ahi > bhi:
            return False
        if ahi == bhi and b.high_strict and not a.high_strict:
            return False
    return True


class BookError(ValueError):
    """Documents or targets that do not hold together; the message is Vietnamese."""


@dataclass
class TargetBook:
    """The documents and the targets they set, cell by cell (and the structure of
    the targets typed into plan cells, ``document`` "")."""

    documents: dict[str, Document] = field(default_factory=dict)
    records: list[TargetRecord] = field(default_factory=list)
    _by_key: dict[Key, list[TargetRecord]] = field(default_factory=dict, init=False, repr=False)
    _line: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for r in self.records:
            self._by_key.setdefault(r.key, []).append(r)
        for code in self.documents:
            self._line[code] = self._root(code)

    def _root(self, code: str) -> str:
        seen = [code]
        doc = self.documents[code]
        while doc.amends and doc.amends in self.documents:
            if doc.amends in seen:
                raise BookError(
                    f"văn bản {code}: vòng sửa đổi khép kín ({' → '.join([*seen, doc.amends])})"
                )
            seen.append(doc.amends)
            doc = self.documents[doc.amends]
        return seen[-1]

    def __len__(self) -> int:
        return len(self.records)

    def line(self, code: str) -> str:
        """The first document of the line of amendments ``code`` belongs to."""
        return self._line.get(code, code)

    def amendments(self, code: str) -> list[Document]:
        """The documents that amend ``code``, directly or through another, by date."""
        root = self.line(code)
        doc = self.documents[code]
        return sorted(
            (
                d
                for c, d in self.documents.items()
                if c != code and self._line.get(c) == root and d.day >= doc.day
            ),
            key=lambda d: (d.day, d.code),
        )

    def cells(self) -> list[Key]:
        return sorted(self._by_key)

    def of_cell(self, key: Key) -> list[TargetRecord]:
        return list(self._by_key.get(key, ()))

    def own(self, key: Key) -> TargetRecord | None:
        """The structure recorded for the target typed into the plan cell, if any."""
        return next((r for r in self._by_key.get(key, ()) if not r.document), None)

    def documented(self) -> set[Key]:
        """The cells some document sets a target for."""
        return {k for k, rs in self._by_key.items() if any(r.document for r in rs)}

    def resolve(self, key: Key, own: Target | None, on: date | None = None) -> Resolved:
        """The target that rates the cell ``key`` on ``on`` (None: every document
        counts, whatever its date), with the other targets in force and the
        conflicts. ``own`` is the plan cell's own target (:func:`target_of_cell`)."""
        lines: dict[str, list[TargetRecord]] = {}
        for r in self._by_key.get(key, ()):
            if r.document and r.document in self.documents:
                lines.setdefault(self.line(r.document), []).append(r)
        in_force: list[tuple[TargetRecord, Document]] = []
        history: list[tuple[TargetRecord, Document]] = []
        for records in lines.values():
            dated = sorted(
                ((r, self.documents[r.document]) for r in records),
                key=lambda rd: (rd[1].day, rd[1].code),
            )
            valid = [rd for rd in dated if on is None or rd[1].day <= on]
            if valid:
                in_force.append(valid[-1])
            history.extend(rd for rd in dated if not valid or rd is not valid[-1])
        in_force.sort(
            key=lambda rd: (PRECEDENCE.index(rd[1].kind), -rd[1].day.toordinal(), rd[1].code)
        )
        sources = [Source(r.target, d) for r, d in in_force]
        history.sort(key=lambda rd: (rd[1].day, rd[1].code), reverse=True)
        if not sources:
            source = Source(own) if own is not None else None
            return Resolved(own, source, (source,) if source else (), tuple(history))
        first = sources[0]
        conflicts = [
            Conflict(first, s, implies(first.target, s.target))
            for s in sources[1:]
            if not s.target.same(first.target)
        ]
        if own is not None and not own.same(first.target):
            mine = Source(own)
            sources.append(mine)
            conflicts.append(Conflict(first, mine, implies(first.target, own)))
        return Resolved(first.target, first, tuple(sources), tuple(history), tuple(conflicts))

    def check(self, keys: Iterable[Key] = ()) -> list[str]:
        """What does not hold together (Vietnamese): a record naming an unknown
        document, an amendment of an unknown document, a document amending a later one."""
        problems: list[str] = []
        for code, doc in self.documents.items():
            if doc.amends and doc.amends not in self.documents:
                problems.append(f"văn bản {code}: sửa đổi văn bản {doc.amends} không có")
            elif doc.amends and self.documents[doc.amends].day > doc.day:
                earlier = self.documents[doc.amends]
                problems.append(
                    f"văn bản {code} ({doc.day:%d/%m/%Y}) sửa đổi văn bản {doc.amends} ban hành "
                    f"sau nó ({earlier.day:%d/%m/%Y})"
                )
        for r in self.records:
            if r.document and r.document not in self.documents:
                problems.append(
                    f"chỉ tiêu {r.indicator}, {r.orgunit}, năm {r.year}: văn bản {r.document} "
                    "không có"
                )
        return problems


def document_from_row(r: Mapping[str, str]) -> Document:
    """One row of documents.csv (every column a string); ValueError names the field."""
    try:
        kind = DocumentKind(r.get("kind", ""))
    except ValueError:
        allowed = ", ".join(f"{k.value} ({DOCUMENT_KIND_LABELS[k]})" for k in DocumentKind)
        raise ValueError(
            f"loại văn bản «{r.get('kind', '')}» không có; các loại: {allowed}"
        ) from None
    return Document(
        code=r["code"],
        kind=kind,
        number=r.get("number", ""),
        day=date.fromisoformat(r["date"]),
        issuer=r.get("issuer", ""),
        level=r.get("level", ""),
        title=r.get("title", ""),
        amends=r.get("amends", ""),
        note=r.get("note", ""),
    )


def record_from_row(r: Mapping[str, str]) -> TargetRecord:
    """One row of targets.csv (every column a string): its text must read as the
    target its columns say; ValueError (Vietnamese) otherwise."""
    target = parse_target(r.get("text", ""))
    if target is None:
        raise ValueError("cột «text» trống: ghi chỉ tiêu như văn bản viết (6,5-7%, trên 90)")
    stated = (
        r.get("kind", ""),
        _column_number(r, "low"),
        _column_number(r, "high"),
        r.get("low_strict") == "1",
        r.get("high_strict") == "1",
    )
    given = any(r.get(c) for c in ("kind", "low", "high", "low_strict", "high_strict"))
    if given and stated != target.structure:  # nothing stated: read from the text
        raise ValueError(
            f"chỉ tiêu «{target.text}» đọc được là {KIND_LABELS[target.kind]} "
            f"({structure_text(target)}), khác các cột kind, low, high, low_strict, high_strict"
        )
    at = r.get("recorded_at", "")
    return TargetRecord(
        indicator=r["indicator"],
        orgunit=r["orgunit"],
        year=int(r["year"]),
        measure=r.get("measure") or "plan",
        target=target,
        document=r.get("document", ""),
        recorded_at=datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None,
        recorded_by=r.get("recorded_by", ""),
        note=r.get("note", ""),
    )


def _column_number(r: Mapping[str, str], name: str) -> Decimal | None:
    text = r.get(name, "")
    if not text:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"cột «{name}»: «{text}» không phải số (dấu chấm thập phân)") from None


def structure_text(target: Target) -> str:
    """kind=range low=6.5 high=7 ..., as the package's columns write it."""
    parts = [f"kind={target.kind.value}"]
    if target.low is not None:
        parts.append(f"low={_plain(target.low)}")
    if target.high is not None:
        parts.append(f"high={_plain(target.high)}")
    if target.low_strict:
        parts.append("low_strict=1")
    if target.high_strict:
        parts.append("high_strict=1")
    return " ".join(parts)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text


def target_columns(target: Target) -> dict[str, str]:
    """The structure of a target as the package's columns (text)."""
    return {
        "text": target.shown(),
        "kind": target.kind.value,
        "low": _plain(target.low) if target.low is not None else "",
        "high": _plain(target.high) if target.high is not None else "",
        "low_strict": "1" if target.low_strict else "0",
        "high_strict": "1" if target.high_strict else "0",
    }


def book_from_rows(
    documents: Sequence[Mapping[str, str]], targets: Sequence[Mapping[str, str]]
) -> tuple[TargetBook, list[tuple[str, int, str]]]:
    """A book from the rows of documents.csv and targets.csv; the problems as
    (file, row index from 0, message), so that the caller can locate them."""
    problems: list[tuple[str, int, str]] = []
    docs: dict[str, Document] = {}
    for n, r in enumerate(documents):
        try:
            doc = document_from_row(r)
        except (KeyError, ValueError) as exc:
            problems.append(("documents.csv", n, str(exc)))
            continue
        docs[doc.code] = doc
    records: list[TargetRecord] = []
    for n, r in enumerate(targets):
        try:
            records.append(record_from_row(r))
        except TargetError as exc:
            problems.append(("targets.csv", n, str(exc)))
        except (KeyError, ValueError) as exc:
            problems.append(("targets.csv", n, str(exc)))
    try:
        book = TargetBook(docs, records)
    except BookError as exc:
        problems.append(("documents.csv", 0, str(exc)))
        return TargetBook(), problems
    for p in book.check():
        problems.append(("documents.csv" if p.startswith("văn bản") else "targets.csv", -1, p))
    return book, problems


# --- rating the cells of a plan -----------------------------------------------------------


class CellLike(Protocol):
    @property
    def value(self) -> float | None: ...

    @property
    def printed(self) -> str: ...


class Cells(Protocol):
    def __getitem__(self, key: Key) -> CellLike: ...


FLOW_H1 = "số 6 tháng của chỉ tiêu cộng dồn cả năm không so với kế hoạch cả năm"


@dataclass(frozen=True, slots=True)
class CellRating:
    """One row of a form for one unit and year: its target (and where it comes from)
    and each result held against it."""

    indicator: Indicator
    orgunit: str
    year: int
    resolved: Resolved
    results: tuple[tuple[str, float | None, Assessment], ...]

    def of(self, measure: str) -> Assessment:
        for m, _, a in self.results:
            if m == measure:
                return a
        raise KeyError(measure)

    @property
    def target(self) -> Target | None:
        return self.resolved.target

    @property
    def main(self) -> Assessment:
        """The rating of the year: the actual where there is one, else the estimate."""
        actual = self.of("actual")
        return actual if actual.rating is not None else self.of("estimate")


def rate_cell(
    indicator: Indicator,
    orgunit: str,
    year: int,
    cells: Cells,
    book: TargetBook,
    on: date | None = None,
) -> CellRating:
    """The target of one row (one unit, one year) and its first half, estimate and
    actual rated against it (:func:`rate`, by the indicator's direction, as shown)."""
    key = (indicator.code, orgunit, year, "plan")
    plan = cells[key]
    own = target_of_cell(plan.value, plan.printed)
    resolved = book.resolve(key, own, on)
    results = []
    for measure in RESULT_MEASURES:
        cell = cells[(indicator.code, orgunit, year, measure)]
        if measure == "h1" and not h1_rated(indicator.nature):
            assessment = Assessment(None, FLOW_H1)
        else:
            assessment = rate(
                cell.value, resolved.target, indicator.direction, decimals=indicator.decimals
            )
        results.append((measure, cell.value, assessment))
    return CellRating(indicator, orgunit, year, resolved, tuple(results))


def ratings_frame(
    values: pl.DataFrame,
    catalog: Catalog,
    book: TargetBook,
    year: int,
    on: date | None = None,
) -> pl.DataFrame:
    """Every result of ``year`` (first half where meaningful, estimate, actual) of every
    unit rated against its target, over the whole value table at once: one row per
    (indicator, orgunit, measure) with ``result``, ``target`` (the text, as written),
    ``document`` (the code of the document it comes from, "" for the plan cell),
    ``conflict`` and ``rating`` ("exceeded", "met", "missed"; null: not rated), in no
    particular order (sorting millions of rows is the caller's choice).

    Plain numbers are exact targets, read by column; only the cells typed as targets
    and those a document sets are read one by one (:meth:`TargetBook.resolve`)."""
    meta = pl.DataFrame(
        [
            (i.code, i.direction.value, i.decimals, h1_rated(i.nature))
            for i in catalog
            if i.kind is RowKind.INDICATOR
        ],
        schema={
            "indicator": pl.String,
            "direction": pl.String,
            "decimals": pl.Int32,
            "h1_rated": pl.Boolean,
        },
        orient="row",
    )
    plans = values.filter((pl.col("measure") == "plan") & (pl.col("year") == year)).select(
        "indicator", "orgunit", "value", pl.col("printed").fill_null("")
    )
    texts = plans.filter(
        ~pl.col("printed").str.contains(_PLAIN.pattern)
        | pl.col("printed").str.contains(r"[0-9)]\s*[-–—]")
    ).filter(~pl.col("printed").is_in(list(NONE_MARKS)) & (pl.col("printed") != ""))
    special = {(r[0], r[1]) for r in texts.select("indicator", "orgunit").iter_rows()} | {
        (k[0], k[1]) for k in book.documented() if k[2] == year and k[3] == "plan"
    }
    keys = pl.DataFrame(
        sorted(special), schema={"indicator": pl.String, "orgunit": pl.String}, orient="row"
    )
    by_cell = {
        (r[0], r[1]): (r[2], r[3])
        for r in plans.join(keys, on=["indicator", "orgunit"], how="semi").iter_rows()
    }
    rows = []
    for ind, org in sorted(special):
        value, printed = by_cell.get((ind, org), (None, ""))
        got = book.resolve((ind, org, year, "plan"), target_of_cell(value, printed or ""), on)
        t = got.target
        lo, hi = t.band() if t is not None else (None, None)
        doc = got.source.document.code if got.source and got.source.document else ""
        rows.append(
            (
                ind,
                org,
                None if lo is None else float(lo),
                None if hi is None else float(hi),
                bool(t and t.low_strict),
                bool(t and t.high_strict),
                t.shown() if t is not None else None,
                doc,
                bool(got.conflicts),
                t.decimals if t is not None else 0,
            )
        )
    target_schema = {
        "indicator": pl.String,
        "orgunit": pl.String,
        "low": pl.Float64,
        "high": pl.Float64,
        "low_strict": pl.Boolean,
        "high_strict": pl.Boolean,
        "target": pl.String,
        "document": pl.String,
        "conflict": pl.Boolean,
        "target_decimals": pl.Int32,
    }
    special_frame = pl.DataFrame(rows, schema=target_schema, orient="row")
    plain = plans.join(
        special_frame.select("indicator", "orgunit"), on=["indicator", "orgunit"], how="anti"
    ).select(
        "indicator",
        "orgunit",
        pl.col("value").alias("low"),
        pl.col("value").alias("high"),
        pl.lit(False).alias("low_strict"),
        pl.lit(False).alias("high_strict"),
        pl.when(pl.col("value").is_null()).then(None).otherwise(pl.col("printed")).alias("target"),
        pl.lit("").alias("document"),
        pl.lit(False).alias("conflict"),
        pl.lit(0, pl.Int32).alias("target_decimals"),
    )
    targets = pl.concat([plain.cast(target_schema), special_frame], how="vertical")  # type: ignore[arg-type]
    results = values.filter(
        pl.col("measure").is_in(RESULT_MEASURES) & (pl.col("year") == year)
    ).select("indicator", "orgunit", "measure", pl.col("value").alias("result"))
    f = (
        results.join(meta, on="indicator", how="inner")
        .join(targets, on=["indicator", "orgunit"], how="left")
        .with_columns(pl.col("conflict").fill_null(False), pl.col("document").fill_null(""))
    )
    shown = pl.max_horizontal(pl.col("decimals"), pl.col("target_decimals").fill_null(0))
    rating = rating_expr(
        pl.col("result"),
        pl.col("low"),
        pl.col("high"),
        pl.col("low_strict").fill_null(False),
        pl.col("high_strict").fill_null(False),
        pl.col("direction"),
        shown,
    )
    return f.select(
        "indicator",
        "orgunit",
        pl.lit(year, pl.Int32).alias("year"),
        "measure",
        "result",
        "target",
        "document",
        "conflict",
        pl.when((pl.col("measure") == "h1") & ~pl.col("h1_rated"))
        .then(pl.lit(None, pl.String))
        .otherwise(rating)
        .alias("rating"),
    )


def rating_dict(r: CellRating) -> dict[str, Any]:
    """A row's target (where it comes from, the others in force, its history, the
    conflicts) and its results' ratings, as JSON for the API, the grid and the command line."""
    res = r.resolved
    target = res.target

    def target_dict(t: Target | None) -> dict[str, Any] | None:
        if t is None:
            return None
        return {
            "text": t.shown(),
            "kind": t.kind.value,
            "describe": t.describe(),
            "low": float(t.low) if t.low is not None else None,
            "high": float(t.high) if t.high is not None else None,
            "low_strict": t.low_strict,
            "high_strict": t.high_strict,
        }

    def document_dict(d: Document | None) -> dict[str, Any] | None:
        if d is None:
            return None
        return {
            "code": d.code,
            "kind": d.kind.value,
            "kind_label": DOCUMENT_KIND_LABELS[d.kind],
            "number": d.number,
            "date": d.day.isoformat(),
            "issuer": d.issuer,
            "level": d.level,
            "label": d.label,
        }

    return {
        "indicator": r.indicator.code,
        "orgunit": r.orgunit,
        "year": r.year,
        "target": target_dict(target),
        "document": document_dict(res.source.document if res.source else None),
        "sources": [
            {"target": target_dict(s.target), "document": document_dict(s.document)}
            for s in res.sources
        ],
        "history": [
            {"target": target_dict(rec.target), "document": document_dict(doc)}
            for rec, doc in res.history
        ],
        "conflicts": [{"message": c.message(), "compatible": c.compatible} for c in res.conflicts],
        "ratings": {
            m: {
                "result": value,
                "rating": a.code,
                "label": a.label,
                "reason": a.reason,
            }
            for m, value, a in r.results
        },
    }


# --- the tally: "có 18/22 chỉ tiêu đạt và vượt kế hoạch" ------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """How many indicators of a section reached their targets."""

    label: str
    exceeded: int = 0
    met: int = 0
    missed: int = 0
    not_rated: int = 0

    @property
    def rated(self) -> int:
        return self.exceeded + self.met + self.missed

    @property
    def reached(self) -> int:
        return self.exceeded + self.met

    def sentence(self, what: str = "kế hoạch") -> str:
        """ "có 18/22 chỉ tiêu đạt và vượt kế hoạch (vượt 5, đạt 13, không đạt 4)"."""
        if not self.rated:
            return f"chưa có chỉ tiêu nào đánh giá được so với {what}"
        parts = [
            f"{word} {format_number(n)}"
            for word, n in (("vượt", self.exceeded), ("đạt", self.met), ("không đạt", self.missed))
            if n
        ]
        text = (
            f"có {format_number(self.reached)}/{format_number(self.rated)} chỉ tiêu đạt và "
            f"vượt {what} ({', '.join(parts)})"
        )
        if self.not_rated:
            text += f"; {format_number(self.not_rated)} chỉ tiêu chưa đánh giá"
        return text


def tally(label: str, assessments: Iterable[Assessment]) -> Tally:
    counts = {Rating.EXCEEDED: 0, Rating.MET: 0, Rating.MISSED: 0}
    not_rated = 0
    for a in assessments:
        if a.rating is None:
            not_rated += 1
        else:
            counts[a.rating] += 1
    return Tally(
        label, counts[Rating.EXCEEDED], counts[Rating.MET], counts[Rating.MISSED], not_rated
    )


def sections(catalog: Catalog, form: int) -> list[tuple[str, list[Indicator]]]:
    """The indicators of a form under each of its top-level headings ("CÁC CHỈ TIÊU
    VỀ KINH TẾ" ...), in order; a form without headings is one section ""."""
    out: list[tuple[str, list[Indicator]]] = []
    for ind in catalog.in_form(form):
        top = ind
        while top.parent is not None and top.parent in catalog.indicators:
            top = catalog[top.parent]
        if top.kind is RowKind.GROUP and top.parent is None:
            if not out or out[-1][0] != top.name:
                out.append((top.name, []))
            if ind.kind is RowKind.INDICATOR:
                out[-1][1].append(ind)
        elif ind.kind is RowKind.INDICATOR:
            if not out or out[-1][0] != "":
                out.append(("", []))
            out[-1][1].append(ind)
    return [(name, inds) for name, inds in out if inds]


def report_day(meta: Mapping[str, Any]) -> date | None:
    """The date of a round's report (a plan's ``report.date``, ISO), whose targets in
    force rate what it publishes; None when it has none (every document counts)."""
    report = meta.get("report")
    text = report.get("date") if isinstance(report, Mapping) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
