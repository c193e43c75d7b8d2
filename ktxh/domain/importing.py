"""Importing values typed elsewhere (Excel templates, annex workbooks): pure, no I/O.

A reader (``ktxh.io.xlsx_template``, ``ktxh.io.xlsx_forms``) turns a file into
:class:`Entry` objects, one per input cell: the value's key, what the cell
holds as the reader got it (a float for a number cell, a string for a text
cell, "" for an empty one), where it is (file, sheet, cell) and, for a
template, what the cell held when the template was made (its *base*). This
module decides what the entries mean against the values already stored:

* :func:`parse_cell` reads one cell strictly: numbers are numbers; text must
  be an unambiguous Vietnamese number ("2.731,1") or "-" (explicitly none);
  anything else is refused with a Vietnamese reason;
* :func:`check_source` holds a file's identity (dataset, period, unit) against
  what the importer expects;
* :func:`plan_import` compares every entry with the stored value and returns
  the :class:`ImportPlan`: the changes cell by cell (old -> new, with the file
  and cell each comes from) and every problem. Nothing may be applied when a
  problem is blocking;
* :func:`apply_changes` applies a plan's changes to a value frame (to see what
  an import would do to the totals and the checks before it is written).

Storage is the caller's (``ktxh.store.imports`` for the command line and the
web alike), which passes the store's locks as a predicate (:data:`LockCheck`).

Three-way rule for templates: a cell whose content equals its base was not
touched and changes nothing (the store may hold a newer value, entered since);
a touched cell whose stored value has changed since the template was made is a
conflict, refused rather than silently overwritten.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import polars as pl

from ktxh.domain.catalog import Catalog, Indicator, RowKind
from ktxh.domain.checks.model import cell_label
from ktxh.domain.consolidate import consolidate
from ktxh.domain.numbers import NumberError, format_number, grouped, parse_number
from ktxh.domain.orgunits import OrgTree, fold
from ktxh.domain.targets import ACCEPTED as TARGET_SPELLINGS
from ktxh.domain.targets import (
    TARGET_MEASURES,
    TargetError,
    is_number_like,
    is_target_text,
    looks_like_target,
    parse_target,
    target_key,
)
from ktxh.domain.targets import clean_text as clean_target_text
from ktxh.domain.values import KEY, SCHEMA

Key = tuple[str, str, int, str]

# Measures a file may write: printed comparison percentages are never imported
# (a workbook's comparison columns are computed, not typed).
IMPORT_MEASURES = ("plan", "h1", "estimate", "actual")

EMPTY_TEXT = "(trống)"


class Issue(StrEnum):
    """What kind of problem; a stable machine code beside the Vietnamese message."""

    # the file itself
    TOO_LARGE = "too_large"
    NOT_WORKBOOK = "not_workbook"
    XLS = "xls"
    ENCRYPTED = "encrypted"
    ZIP_BOMB = "zip_bomb"
    MACROS = "macros"
    EXTERNAL_LINKS = "external_links"
    DAMAGED = "damaged"
    UNSAFE_XML = "unsafe_xml"
    NOT_RECOGNISED = "not_recognised"
    # what the file is for
    OTHER_DATASET = "other_dataset"
    OTHER_UNIT = "other_unit"
    OTHER_PERIOD = "other_period"
    OLD_VERSION = "old_version"
    NEWER_VERSION = "newer_version"
    CHECKSUM = "checksum"
    # its layout
    STRUCTURE = "structure"
    MISSING_SHEET = "missing_sheet"
    # one cell
    NOT_A_NUMBER = "not_a_number"
    BAD_NUMBER = "bad_number"
    BAD_TARGET = "bad_target"  # a plan cell's text that reads as no target (docs/targets.md)
    FORMULA = "formula"
    UNIT_MARK = "unit_mark"
    # against the store
    FORBIDDEN = "forbidden"  # outside the importing account's scope (the web)
    LOCKED = "locked"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    UNKNOWN_KEY = "unknown_key"
    OUTSIDE_VALIDITY = "outside_validity"  # a unit not valid in the value's year


@dataclass(frozen=True, slots=True)
class CellRef:
    """Where something comes from: a file, and in it a sheet and a cell ("F12")."""

    file: str
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        parts = [f"tệp «{self.file}»"]
        if self.sheet:
            parts.append(f"trang «{self.sheet}»")
        if self.cell:
            parts.append(f"ô {self.cell}")
        return ", ".join(parts)

    @property
    def compact(self) -> str:
        """``file!sheet!cell``: the provenance kept with an imported value."""
        return "!".join(p for p in (self.file, self.sheet, self.cell) if p)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input, in Vietnamese, naming the file, sheet and cell."""

    ref: CellRef
    message: str
    issue: Issue
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}"


@dataclass(frozen=True, slots=True)
class Stored:
    """A cell's content: absent, explicitly none (a printed "-"), or a number."""

    present: bool = False
    value: float | None = None
    printed: str = ""

    def same(self, other: Stored) -> bool:
        if self.present != other.present:
            return False
        mine, theirs = target_key(self.printed), target_key(other.printed)
        if mine is not None or theirs is not None:  # targets ("6,5-7") compare as targets
            return mine == theirs
        return self.value == other.value

    def show(self) -> str:
        """For people: "2.731,1", "-", "(trống)"."""
        if not self.present:
            return EMPTY_TEXT
        if self.value is None:
            return "-"
        return self.printed or format_number(self.value, _own_decimals(self.value), parens=True)


ABSENT = Stored()
NONE_MARK = Stored(True, None, "-")


@dataclass(frozen=True, slots=True)
class Entry:
    """One input cell of a file.

    ``raw`` is what the reader got: float or int for a number cell, str for a
    text cell ("" when empty), bool, or a date/time when the spreadsheet took
    the input for one. ``base`` is what a template's cell held when it was
    made (None when unknown, e.g. an annex workbook: then an empty cell means
    "nothing said" rather than "delete"). ``computed_ok`` marks a total that a
    workbook may show consolidated from the units below (the annex's italics):
    it is not stored when it equals the consolidation.
    """

    key: Key
    raw: object
    ref: CellRef
    base: Stored | None = None
    computed_ok: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One value to add, update or delete, with the cell it comes from."""

    key: Key
    old: Stored
    new: Stored
    ref: CellRef

    @property
    def action(self) -> str:
        if not self.old.present:
            return "add"
        if not self.new.present:
            return "delete"
        return "update"


@dataclass
class ImportPlan:
    """What an import would do: the changes, and every problem found on the way."""

    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0  # cells read
    unchanged: int = 0  # cells equal to the stored value, or left as the template had them
    computed: int = 0  # annex totals left to consolidation

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking


class CellError(ValueError):
    """A cell that cannot be read as a value; the message is Vietnamese."""

    def __init__(self, issue: Issue, message: str) -> None:
        super().__init__(message)
        self.issue = issue
        self.message = message


# --- one cell -----------------------------------------------------------------


def _own_decimals(value: float) -> int:
    """The decimals of the shortest text that reads back as ``value`` (1330.5 -> 1)."""
    text = repr(value)
    if "e" not in text and "n" not in text:  # the usual case, without Decimal
        frac = text.partition(".")[2]
        return 0 if frac in ("", "0") else len(frac)
    exp = Decimal(text).normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def printed_number(value: float, decimals: int = 0) -> str:
    """How an imported number is kept as printed text: Vietnamese, with at least the
    indicator's decimals and every decimal the number has (``1.330,5``; negatives
    in parentheses as the forms print them).

    The same text as ``format_number(value, places, parens=True)``, without its
    rounding step: nothing is rounded here (every decimal is kept), and this runs
    for each of 100.000 imported cells.
    """
    d = Decimal(repr(value))
    places = max(_own_decimals(value), decimals)
    text = grouped(d, places)
    return f"({text})" if d < 0 else text


def parse_cell(raw: object, indicator: Indicator) -> Stored:
    """What an input cell says, strictly; raises :class:`CellError` with the reason.

    Number cells give numbers. A text cell must hold "-" (explicitly none) or a
    number written the Vietnamese way (``2.731,1``); text that could be read
    two ways (``4.70``) is refused with the reason, never guessed.
    """
    if raw is None:
        return ABSENT
    if isinstance(raw, bool):
        raise CellError(
            Issue.NOT_A_NUMBER,
            f"ô chứa giá trị {'TRUE' if raw else 'FALSE'} (đúng/sai), không phải số",
        )
    if isinstance(raw, int | float):
        value = float(raw)
        if not math.isfinite(value):
            raise CellError(Issue.NOT_A_NUMBER, "ô chứa giá trị lỗi, không phải số")
        return Stored(True, value, printed_number(value, indicator.decimals))
    if isinstance(raw, datetime | date):
        raise CellError(
            Issue.NOT_A_NUMBER,
            f"bảng tính đã hiểu nội dung ô là ngày tháng ({raw:%d/%m/%Y}), không phải số; "
            "hãy định dạng ô là số và gõ lại (số thập phân viết theo cài đặt của máy)",
        )
    if isinstance(raw, time | timedelta):
        raise CellError(
            Issue.NOT_A_NUMBER,
            "bảng tính đã hiểu nội dung ô là giờ phút, không phải số; "
            "hãy định dạng ô là số và gõ lại",
        )
    if not isinstance(raw, str):
        raise CellError(Issue.NOT_A_NUMBER, f"ô chứa «{raw}», không phải số")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        return ABSENT
    try:
        parsed = parse_number(text)
    except NumberError as exc:
        if any(ch.isalpha() for ch in text) or not any(ch.isdigit() for ch in text):
            raise CellError(Issue.NOT_A_NUMBER, f"ô chứa chữ «{text}», không phải số") from None
        raise CellError(Issue.BAD_NUMBER, f"ô chứa «{text}»: {exc.reason}") from None
    if parsed is None:
        return ABSENT
    if parsed.value is None:
        return NONE_MARK
    if parsed.suffix and parsed.suffix != indicator.unit:
        raise CellError(
            Issue.UNIT_MARK,
            f"ô chứa «{text}» có ký hiệu «{parsed.suffix}» nhưng chỉ tiêu tính bằng "
            f"«{indicator.unit or 'không có đơn vị'}»; hãy bỏ ký hiệu và nhập số",
        )
    return Stored(True, float(parsed.value), text)


def target_cell(raw: str, indicator: Indicator, error: CellError) -> Stored | CellError:
    """A plan cell's text that is a target ("6,5-7", "trên 90"): kept as written, with
    the number to reach (:meth:`ktxh.domain.targets.Target.representative`); the
    target's reason when it reads as none; ``error`` when it is no target at all."""
    text = clean_target_text(raw)
    if is_number_like(text):  # "4.70": the number's own reason
        return error
    if not (is_target_text(text) and looks_like_target(text)):  # "abc": no target either
        return CellError(
            error.issue,
            f"{error.message}; ô kế hoạch cũng nhận chỉ tiêu như văn bản viết: {TARGET_SPELLINGS}",
        )
    try:
        target = parse_target(text)
    except TargetError as exc:
        return CellError(Issue.BAD_TARGET, f"ô chứa {exc}")
    if target is None:
        return error
    if target.suffix and target.suffix != indicator.unit:
        return CellError(
            Issue.UNIT_MARK,
            f"ô chứa «{text}» có ký hiệu «{target.suffix}» nhưng chỉ tiêu tính bằng "
            f"«{indicator.unit or 'không có đơn vị'}»",
        )
    return Stored(True, float(target.representative(indicator.direction)), target.text)


# --- locks --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lock:
    """Why a cell cannot be written now: a form submitted or approved for a round,
    or a closed round. ``orgunit`` and ``form`` None: every unit, every form."""

    year: int
    orgunit: str | None = None
    form: int | None = None
    approved_by: str = ""
    approved_at: str = ""
    note: str = ""
    state: str = "đã được phê duyệt"

    def describe(self) -> str:
        """ "đã được duyệt bởi admin ngày 15/07/2024 (Biểu số 2, kỳ báo cáo năm 2023)"."""
        text = self.state
        if self.approved_by:
            text += f" bởi {self.approved_by}"
        if self.approved_at:
            text += f" ngày {self.approved_at}"
        if self.note:
            text += f" ({self.note})"
        return text


LockCheck = Callable[[Key], Lock | None]
"""Given a value's key, the lock that covers it, or None (the store's)."""


# --- who fills what ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Department:
    """A department (phòng, ban, sở) of the top unit: the forms it fills (``departments.csv``)."""

    code: str
    name: str
    forms: tuple[int, ...]


def find_department(departments: Sequence[Department], query: str) -> Department:
    """Look a department up by code or name, ignoring case and diacritics."""
    q = fold(query)
    hits = [d for d in departments if q in (fold(d.code), fold(d.name))]
    if len(hits) == 1:
        return hits[0]
    names = ", ".join(d.name for d in departments) or "chưa khai báo phòng, ban nào"
    if not hits:
        raise KeyError(f"Không có phòng, ban «{query}». Các phòng, ban: {names}")
    raise KeyError(f"«{query}» khớp nhiều phòng, ban: {', '.join(d.name for d in hits)}")


# --- what a file is for -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a file says it is: a template for one unit, or an annex workbook."""

    file: str
    kind: str  # "template" | "annex"
    year: int
    orgunits: tuple[str, ...]  # the units whose values it holds
    dataset: str | None = None  # the dataset a template was made from
    forms: tuple[int, ...] = ()
    department: str | None = None

    def describe(self, tree: OrgTree) -> str:
        names = [tree[c].full_name if c in tree.units else c for c in self.orgunits]
        forms = ", ".join(str(f) for f in self.forms)
        if self.kind == "annex":
            return f"phụ lục biểu số liệu năm {self.year} (biểu {forms})"
        return f"biểu mẫu nhập của {', '.join(names)}, năm {self.year} (biểu {forms})"


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the importer accepts: this dataset, this period, these units (None: any)."""

    dataset: str
    year: int
    orgunits: frozenset[str] | None = None


def check_source(info: SourceInfo, expected: Expectation, tree: OrgTree) -> list[Problem]:
    """A file made for another dataset, period or unit is refused as a whole."""
    ref = CellRef(info.file)
    out = []
    if info.kind == "template" and info.dataset is not None and info.dataset != expected.dataset:
        out.append(
            Problem(
                ref,
                f"biểu mẫu được tạo từ bộ dữ liệu «{info.dataset}», không phải bộ dữ liệu "
                f"đang nhập «{expected.dataset}»; hãy tải biểu mẫu từ bộ dữ liệu này",
                Issue.OTHER_DATASET,
            )
        )
    if info.kind == "annex":
        if info.year not in (expected.year, expected.year - 1):
            out.append(
                Problem(
                    ref,
                    f"đây là phụ lục năm {info.year}; chỉ nhận phụ lục năm {expected.year} "
                    f"hoặc năm trước ({expected.year - 1}, để bắt đầu năm mới)",
                    Issue.OTHER_PERIOD,
                )
            )
    elif info.year != expected.year:
        out.append(
            Problem(
                ref,
                f"biểu mẫu dành cho năm {info.year}, nhưng đang nhập số liệu năm "
                f"{expected.year}; hãy dùng biểu mẫu của năm {expected.year}",
                Issue.OTHER_PERIOD,
            )
        )
    unknown = [c for c in info.orgunits if c not in tree.units]
    if unknown:
        out.append(
            Problem(
                ref,
                f"biểu mẫu dành cho đơn vị mã «{unknown[0]}», không có trong bộ dữ liệu này",
                Issue.OTHER_UNIT,
            )
        )
    elif expected.orgunits is not None:
        foreign = [c for c in info.orgunits if c not in expected.orgunits]
        if foreign:
            allowed = ", ".join(
                sorted(tree[c].full_name for c in expected.orgunits if c in tree.units)
            )
            whose = ", ".join(tree[c].full_name for c in foreign)
            out.append(
                Problem(
                    ref,
                    f"tệp có số liệu của {whose}, không phải của đơn vị được nhập "
                    f"({allowed or 'không có'})",
                    Issue.OTHER_UNIT,
                )
            )
    return out


# --- the plan -----------------------------------------------------------------


def describe_key(catalog: Catalog, tree: OrgTree, key: Key) -> str:
    """ "B02.009 «Lúa ruộng - Diện tích», phường Đoàn Kết, KH 2024"."""
    indicator, orgunit, year, measure = key
    ind = catalog.indicators.get(indicator)
    name = f"{indicator} «{ind.label}»" if ind is not None else indicator
    org = tree[orgunit].full_name if orgunit in tree.units else orgunit
    return f"{name}, {org}, {cell_label(measure, year)}"


def _stored_lookup(current: pl.DataFrame, keys: list[Key]) -> list[Stored]:
    """The stored content of each key, in order."""
    if not keys:
        return []
    wanted = pl.DataFrame(
        {
            "indicator": [k[0] for k in keys],
            "orgunit": [k[1] for k in keys],
            "year": [k[2] for k in keys],
            "measure": [k[3] for k in keys],
            "_i": list(range(len(keys))),
        },
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
            "_i": pl.Int64,
        },
    )
    printed = pl.col("printed") if "printed" in current.columns else pl.lit("", pl.String)
    cur = current.select(
        pl.col("indicator").cast(pl.String),
        pl.col("orgunit").cast(pl.String),
        pl.col("year").cast(pl.Int32),
        pl.col("measure").cast(pl.String),
        pl.col("value").cast(pl.Float64),
        printed.cast(pl.String).fill_null("").alias("printed"),
        pl.lit(True).alias("_present"),
    )
    joined = wanted.join(cur, on=list(KEY), how="left").sort("_i")
    out = []
    for value, text, present in joined.select("value", "printed", "_present").iter_rows():
        if not present:
            out.append(ABSENT)
        elif value is None:
            out.append(Stored(True, None, text or "-"))
        else:
            out.append(Stored(True, float(value), text))
    return out


def plan_import(
    entries: Sequence[Entry],
    current: pl.DataFrame,
    catalog: Catalog,
    tree: OrgTree,
    *,
    locked: LockCheck | None = None,
    problems: Iterable[Problem] = (),
) -> ImportPlan:
    """Compare every entry with the stored values; return the changes and the problems.

    ``current`` is the value frame (at least the key columns and ``value``;
    ``printed`` when there is one). ``problems`` found earlier (by the readers,
    by :func:`check_source`) are carried into the plan so that one list says
    everything. The plan is ``ok`` only when no problem is blocking.
    """
    plan = ImportPlan(problems=list(problems), entries=len(entries))
    chosen: dict[Key, tuple[Entry, Stored | CellError]] = {}
    for e in entries:
        indicator, orgunit, _, measure = e.key
        ind = catalog.indicators.get(indicator)
        if (
            ind is None
            or ind.kind is RowKind.GROUP
            or orgunit not in tree.units
            or measure not in IMPORT_MEASURES
        ):
            plan.problems.append(
                Problem(
                    e.ref,
                    f"ô không ứng với số liệu nào của bộ dữ liệu ({', '.join(map(str, e.key))})",
                    Issue.UNKNOWN_KEY,
                )
            )
            continue
        parsed: Stored | CellError
        try:
            parsed = parse_cell(e.raw, ind)
        except CellError as exc:
            parsed = exc
            if measure in TARGET_MEASURES and isinstance(e.raw, str):
                parsed = target_cell(e.raw, ind, exc)
        prev = chosen.get(e.key)
        if prev is None:
            chosen[e.key] = (e, parsed)
        elif (
            isinstance(prev[1], Stored) and isinstance(parsed, Stored) and not prev[1].same(parsed)
        ):
            plan.problems.append(
                Problem(
                    e.ref,
                    f"{describe_key(catalog, tree, e.key)}: {prev[0].ref} cũng ghi số liệu "
                    f"này nhưng khác giá trị ({prev[1].show()} và {parsed.show()})",
                    Issue.DUPLICATE,
                )
            )

    keys = list(chosen)
    olds = _stored_lookup(current, keys)
    maybe_computed: list[Change] = []
    for key, old in zip(keys, olds, strict=True):
        entry, new = chosen[key]
        if isinstance(new, CellError):
            if isinstance(entry.raw, str) and old.present and entry.raw.strip() == old.printed:
                plan.unchanged += 1  # the file shows exactly what is stored (a ditto mark)
            else:
                plan.problems.append(
                    Problem(
                        entry.ref, f"{describe_key(catalog, tree, key)}: {new.message}", new.issue
                    )
                )
            continue
        if entry.base is None:
            if not new.present or new.same(old):
                plan.unchanged += 1
                continue
        else:
            if new.same(entry.base) or new.same(old):
                plan.unchanged += 1
                continue
            if not old.same(entry.base):
                plan.problems.append(
                    Problem(
                        entry.ref,
                        f"{describe_key(catalog, tree, key)}: số liệu đã thay đổi sau khi tạo "
                        f"biểu mẫu (lúc tạo: {entry.base.show()}, hiện nay: {old.show()}, "
                        f"tệp ghi: {new.show()}); hãy tải biểu mẫu mới, nhập lại rồi gửi",
                        Issue.CONFLICT,
                    )
                )
                continue
        change = Change(key, old, new, entry.ref)
        if entry.computed_ok and not old.present and new.value is not None:
            maybe_computed.append(change)
        else:
            plan.changes.append(change)

    if maybe_computed:
        kept = _drop_consolidated(maybe_computed, plan.changes, current, catalog, tree)
        plan.computed = len(maybe_computed) - len(kept)
        plan.unchanged += plan.computed
        plan.changes.extend(kept)

    for c in plan.changes:
        unit = tree.units[c.key[1]]
        if c.new.present and not tree.valid_in_year(unit.code, c.key[2]):
            plan.problems.append(
                Problem(
                    c.ref,
                    f"{describe_key(catalog, tree, c.key)}: {unit.full_name} (mã {unit.code}) "
                    f"không có hiệu lực trong năm {c.key[2]} ({unit.validity()}), nên không "
                    "nhận số liệu của năm đó",
                    Issue.OUTSIDE_VALIDITY,
                )
            )
    if locked is not None:
        for c in plan.changes:
            lock = locked(c.key)
            if lock is not None:
                plan.problems.append(
                    Problem(
                        c.ref,
                        f"{describe_key(catalog, tree, c.key)}: số liệu {lock.describe()}, "
                        f"đã khóa nên không ghi đè được ({c.old.show()} → {c.new.show()})",
                        Issue.LOCKED,
                    )
                )
    order = {key: n for n, key in enumerate(chosen)}  # the order the cells were read in
    plan.changes.sort(key=lambda c: order[c.key])
    files = {e.ref.file: n for n, e in reversed(list(enumerate(entries)))}
    for p in plan.problems:
        files.setdefault(p.ref.file, len(files) + len(entries))
    plan.problems.sort(key=lambda p: (files[p.ref.file], *_position(p.ref)))
    return plan


_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def _position(ref: CellRef) -> tuple[int, int, str, int, int]:
    """Where a reference is, for sorting: file-level first, then the form sheets by number,
    then by row and column."""
    if not ref.sheet:
        return (0, 0, "", 0, 0)
    m = re.fullmatch(r"Biểu (\d+)", ref.sheet)
    sheet = (1, int(m.group(1)), "") if m else (2, 0, ref.sheet)
    c = _CELL.match(ref.cell)
    if c is None:
        return (*sheet, 0, 0)
    col = 0
    for ch in c.group(1):
        col = col * 26 + ord(ch) - 64
    return (*sheet, int(c.group(2)), col)


def _drop_consolidated(
    candidates: list[Change],
    others: list[Change],
    current: pl.DataFrame,
    catalog: Catalog,
    tree: OrgTree,
) -> list[Change]:
    """The candidate totals that differ from what consolidation makes of the values
    after the other changes (the rest are left to consolidation, not stored)."""
    after = apply_changes(current, others)
    codes = {c.key[0] for c in candidates}
    codes |= {b for code in list(codes) for b in catalog[code].basis}
    totals = consolidate(after.filter(pl.col("indicator").is_in(list(codes))), catalog, tree)
    made = {
        (r[0], r[1], r[2], r[3]): r[4]
        for r in totals.select("indicator", "orgunit", "year", "measure", "value").iter_rows()
        if r[4] is not None
    }
    kept = []
    for c in candidates:
        total = made.get(c.key)
        assert c.new.value is not None
        if total is None or not math.isclose(total, c.new.value, rel_tol=1e-9, abs_tol=1e-9):
            kept.append(c)
    return kept


def apply_changes(frame: pl.DataFrame, changes: Sequence[Change]) -> pl.DataFrame:
    """The value frame with the changes applied (all of them: call it only on an ok plan).

    Imported values carry ``source`` "import" and ``source_ref`` ``file!sheet!cell``;
    they lose any seed line, confidence and note of the value they replace.
    """
    if not changes:
        return frame
    keys = pl.DataFrame(
        {
            "indicator": [c.key[0] for c in changes],
            "orgunit": [c.key[1] for c in changes],
            "year": [c.key[2] for c in changes],
            "measure": [c.key[3] for c in changes],
        },
        schema={k: SCHEMA[k] for k in KEY},
    )
    kept = frame.join(keys, on=list(KEY), how="anti")
    rows: list[dict[str, Any]] = [
        {
            "indicator": c.key[0],
            "orgunit": c.key[1],
            "year": c.key[2],
            "measure": c.key[3],
            "value": c.new.value,
            "printed": c.new.printed if c.new.value is not None else (c.new.printed or "-"),
            "source": "import",
            "source_ref": c.ref.compact,
            "seed_line": None,
            "confidence": "",
            "note": "",
        }
        for c in changes
        if c.new.present
    ]
    added = pl.DataFrame(rows, schema=SCHEMA)
    added = added.select([c for c in frame.columns if c in added.columns])
    return pl.concat([kept, added], how="diagonal_relaxed")


ACTION_LABELS = {"add": "thêm", "update": "sửa", "delete": "xóa"}


def describe_change(catalog: Catalog, tree: OrgTree, change: Change) -> str:
    """ "Biểu 2, ô K12 · B02.009 «…», phường Đoàn Kết, KH 2024: 1.324,6 → 1.330,5"."""
    where = f"{change.ref.sheet}, ô {change.ref.cell}" if change.ref.cell else change.ref.file
    return (
        f"{where} · {describe_key(catalog, tree, change.key)}: "
        f"{change.old.show()} → {change.new.show()}"
    )
