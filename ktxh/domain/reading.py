"""Reading the annex tables of a past report: from cells as printed to values.

The readers of :mod:`ktxh.io` (tab-separated OCR text, Word tables, Excel
annexes of any layout, PDF with a text layer, scanned pages through OCR) all
turn their file into one neutral structure, a :class:`RawDocument`: lines of
text and tables of rows of cells, each cell with its text as printed, where it
is (file, page, table or sheet, row, column) and, for OCR, a confidence.

:func:`interpret` reads such documents against a catalog, as a planning
officer would:

1. each table's form: a "Biểu số N" line above it, else its title, else the
   form of the table before it (a page break), checked against the names of
   its rows;
2. its header: which column is the unit, the plan, the first half, the
   estimate, next year's plan and each unit's, the comparison %; the years
   from the header (or the title); garbled diacritics are tolerated
   ("Uớc", "Útct", "Đóng Phong");
3. its rows, matched to the form's catalog rows by normalised name and unit,
   in order (names repeat: "Diện tích", "Năng suất" under every crop; the
   order decides);
4. every value cell parsed with the strict Vietnamese rules ("4.70" is a
   question, not a number: it goes to the review list);
5. each row's cells placed into (indicator, org unit, year, measure) by
   :mod:`ktxh.domain.placement`: under their headers when nothing was lost,
   by arithmetic when the OCR dropped or shifted cells, with how sure it is.

Every uncertain match, shifted row and unreadable cell is an item of the
review list (:class:`ReviewItem`), in Vietnamese, with where it is; input that
cannot be read at all (a table of a form the catalog does not have, a file
without a table) is a :class:`ReadProblem`. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz

from ktxh.domain.catalog import Catalog, Direction, Indicator, RowKind
from ktxh.domain.numbers import NumberError, format_number, parse_number
from ktxh.domain.orgunits import OrgTree
from ktxh.domain.placement import (
    MAIN_ROLES,
    RATIO_ROLES,
    Facts,
    Placement,
    Slot,
    Sureness,
    Token,
    place,
    under_headers,
)

Key = tuple[str, str, int, str]

DITTO_MARKS = frozenset({'"', "“", "”", "''", "〃", "„"})
OCR_UNSURE = 0.6  # an OCR'd cell below this confidence is a review item


# --- where a cell is ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """Where something is in a file. Rows and columns are 1-based, as people count.

    ``line`` is a line of a text file; ``row`` a row of a table (of a sheet for
    ``sheet``); ``table`` the table's number in the file (Word, PDF).
    """

    file: str
    page: int | None = None
    sheet: str = ""
    table: int | None = None
    line: int | None = None
    row: int | None = None
    col: int | None = None

    def whole_row(self) -> Where:
        """The same place without its column: a row as a whole."""
        return Where(self.file, self.page, self.sheet, self.table, self.line, self.row, None)

    def at(self, *, row: int | None = None, col: int | None = None) -> Where:
        return Where(
            self.file,
            self.page,
            self.sheet,
            self.table,
            self.line,
            self.row if row is None else row,
            self.col if col is None else col,
        )

    @property
    def cell(self) -> str:
        """ "D7" for a sheet's cell, else empty."""
        if not self.sheet or self.row is None or self.col is None:
            return ""
        return f"{column_letters(self.col)}{self.row}"

    def __str__(self) -> str:
        parts = [f"tệp «{self.file}»"]
        if self.page is not None:
            parts.append(f"trang {self.page}")
        if self.sheet:
            parts.append(f"trang tính «{self.sheet}»")
        if self.table is not None:
            parts.append(f"bảng {self.table}")
        if self.line is not None:
            parts.append(f"dòng {self.line}")
        if self.sheet and self.cell:
            parts.append(f"ô {self.cell}")
        else:
            if self.row is not None:
                parts.append(f"hàng {self.row}")
            if self.col is not None:
                parts.append(f"cột {self.col}")
        return ", ".join(parts)

    @property
    def compact(self) -> str:
        """``file!p3!t2!r5!c4`` (``file!Biểu 1!D7`` for a sheet, ``file!l394!c4`` for text):
        the provenance kept with a value read."""
        parts = [self.file]
        if self.page is not None:
            parts.append(f"p{self.page}")
        if self.sheet:
            parts.append(self.sheet)
            if self.cell:
                parts.append(self.cell)
                return "!".join(parts)
        if self.table is not None:
            parts.append(f"t{self.table}")
        if self.line is not None:
            parts.append(f"l{self.line}")
        if self.row is not None:
            parts.append(f"r{self.row}")
        if self.col is not None:
            parts.append(f"c{self.col}")
        return "!".join(parts)


def column_letters(col: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    out = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


# --- the neutral structure the readers make ------------------------------------------


@dataclass(frozen=True, slots=True)
class RawCell:
    text: str  # as printed (a number cell of a workbook: as its format shows it)
    where: Where
    confidence: float | None = None  # OCR: 0..1
    number: float | None = None  # a workbook's number cell: its exact value


@dataclass
class RawTable:
    rows: list[list[RawCell]]
    where: Where  # the table (file, page, sheet, table number)
    name: str = ""  # a sheet's name ("Biểu 2"): a hint of the form
    # cells are in a true grid (a workbook, a Word table, a ruled PDF table): a cell is
    # in its column. OCR'd text is not: cells may be lost or shifted.
    grid: bool = False


@dataclass(frozen=True, slots=True)
class RawText:
    """A line of text outside the tables: a form's number, its title."""

    text: str
    where: Where


@dataclass
class RawDocument:
    file: str
    blocks: list[RawText | RawTable] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)  # the reader's refusals

    @property
    def tables(self) -> list[RawTable]:
        return [b for b in self.blocks if isinstance(b, RawTable)]


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """Input that cannot be read: the message is Vietnamese and says where."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# --- what the reading gives ------------------------------------------------------------


class ReviewKind(StrEnum):
    ROW_MATCH = "row_match"  # a row matched to an indicator with a doubt
    UNKNOWN_ROW = "unknown_row"  # a row with values that matches no indicator
    PLACEMENT = "placement"  # cells moved by reasoning, or a best guess
    UNREADABLE = "unreadable"  # a cell that is not a number ("4.70", OCR noise)
    LEFT_OVER = "left_over"  # a printed number placed nowhere
    OCR = "ocr"  # an OCR'd cell read with low confidence
    FORM = "form"  # a table's form found by its rows, not by its title
    YEAR = "year"  # the years could not be read from the header
    DUPLICATE = "duplicate"  # a value read twice, differently
    GROUP_VALUES = "group_values"  # numbers on a heading row
    DITTO = "ditto"  # a ditto mark (") in a value cell


REVIEW_LABELS = {
    ReviewKind.ROW_MATCH: "Khớp dòng chưa chắc",
    ReviewKind.UNKNOWN_ROW: "Dòng không có trong danh mục",
    ReviewKind.PLACEMENT: "Ô bị lệch, xếp lại theo số học",
    ReviewKind.UNREADABLE: "Ô không đọc được thành số",
    ReviewKind.LEFT_OVER: "Số thừa, không xếp vào cột nào",
    ReviewKind.OCR: "Chữ nhận dạng (OCR) không chắc",
    ReviewKind.FORM: "Biểu nhận theo tên các dòng",
    ReviewKind.YEAR: "Không đọc được năm ở tiêu đề",
    ReviewKind.DUPLICATE: "Giá trị đọc hai lần, khác nhau",
    ReviewKind.GROUP_VALUES: "Dòng tiêu đề nhóm có số",
    ReviewKind.DITTO: "Dấu nháy (như trên) ở ô số liệu",
}


@dataclass(frozen=True, slots=True)
class ReadValue:
    indicator: str
    orgunit: str
    year: int
    measure: str
    value: float | None  # None for a printed "-"
    printed: str
    where: Where
    confidence: Sureness
    note: str = ""
    ocr_confidence: float | None = None

    @property
    def key(self) -> Key:
        return (self.indicator, self.orgunit, self.year, self.measure)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    kind: ReviewKind
    where: Where
    message: str  # Vietnamese: what is in doubt and why
    printed: str = ""  # the text as printed, where one cell is concerned
    indicator: str = ""
    keys: tuple[Key, ...] = ()  # the values concerned
    confidence: Sureness = Sureness.LOW
    # for a placement in doubt: the values the next-best placement would store
    # (key, value, as printed), for a person who picks it instead
    alternative: tuple[tuple[Key, float | None, str], ...] = ()

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self.kind]

    def __str__(self) -> str:
        return f"{self.where}: {self.label}: {self.message}"


@dataclass
class TableInfo:
    """How one table was read, for the report of a reading."""

    where: Where
    form: int | None
    how: str  # "nhãn Biểu số", "tiêu đề", "tiếp trang trước", "tên các dòng", "tên trang tính"
    year: int | None
    header_rows: int
    rows: int
    matched: int


@dataclass
class Reading:
    values: list[ReadValue] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    tables: list[TableInfo] = field(default_factory=list)
    year: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_key(self) -> dict[Key, ReadValue]:
        return {v.key: v for v in self.values}

    def rows(self) -> list[dict[str, Any]]:
        """Rows for a value frame (:data:`ktxh.domain.values.SCHEMA`): source "file",
        ``source_ref`` the compact provenance."""
        return [
            {
                "indicator": v.indicator,
                "orgunit": v.orgunit,
                "year": v.year,
                "measure": v.measure,
                "value": v.value,
                "printed": v.printed,
                "source": "file",
                "source_ref": v.where.compact,
                "seed_line": None,
                "confidence": v.confidence.value,
                "note": v.note,
            }
            for v in self.values
        ]


# --- text normalisation ----------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no diacritics, "đ" as "d", punctuation as spaces (but "/" and "%"
    kept): "Uớc TH cả năm 2023/KH" -> "uoc th ca nam 2023/kh"."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^\w/%‰]+", " ", s)
    return " ".join(s.replace("_", " ").split())


_STT = re.compile(r"^(?:[IVXLC]{1,5}|[A-Za-z]|\d{1,2}(?:\.\d{1,2}){0,2}|[-+*•–])[.)]?$")
_STT_PREFIX = re.compile(r"^(?P<stt>[IVXLC]{1,5}|[A-Za-z]|\d{1,2}(?:\.\d{1,2}){0,2})[.)]?\s+(?=\S)")
_MARKERS = re.compile(r"^(?:trong do|tdo|t do|trong dó|td)\b\s*:?\s*|^[-+*•–]\s*")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def name_key(text: str) -> str:
    """A row's name for matching: folded, without "Trong đó:", "-", "+" in front."""
    s = fold(text)
    for _ in range(4):
        t = _MARKERS.sub("", s).strip()
        if t == s:
            break
        s = t
    return s


def cell_kind(text: str) -> str:
    """ "empty", "number" (or "-"), "ditto", "bad" (digits that are no number), "text"."""
    t = unicodedata.normalize("NFC", text).strip()
    if not t:
        return "empty"
    if t in DITTO_MARKS:
        return "ditto"
    try:
        parse_number(t)
        return "number"
    except NumberError:
        pass
    if re.fullmatch(r"[\d.,()%‰\s−-]+", t) and any(ch.isdigit() for ch in t):
        return "bad"
    return "text"


# --- headers ---------------------------------------------------------------------------

_HEADER_WORDS = (
    "chi tieu",
    "noi dung",
    "don vi",
    "dvt",
    "ke hoach",
    "thuc hien",
    "6 thang",
    "uoc",
    "dinh huong",
    "so sanh",
    "ghi chu",
    "tong cong",
    "trong do",
    "stt",
    "nam 20",
    "ca nam",
)


def _is_column_numbers(texts: list[str]) -> bool:
    """A row numbering the columns: 1 2 3 ... or (1) (2) (3) or A B 1 2."""
    nums = []
    for t in texts:
        m = re.fullmatch(r"\(?(\d{1,2})\)?", t.strip())
        if m is None:
            if not re.fullmatch(r"[A-Z]", t.strip()):
                return False
        else:
            nums.append(int(m.group(1)))
    return len(nums) >= 4 and nums == sorted(nums) and len(set(nums)) == len(nums)


@dataclass
class _Context:
    """What interpretation needs from the plan: catalog, units, years."""

    catalog: Catalog
    tree: OrgTree
    top: str
    year: int | None
    units: list[tuple[str, str]]  # (code, folded name) of the units below the top
    unit_names: dict[str, str]  # code -> name
    unit_words: set[str]  # folded catalog unit names and printed units

    @classmethod
    def make(cls, catalog: Catalog, tree: OrgTree, top: str, year: int | None) -> _Context:
        kids = tree.children(top)
        words = {fold(u) for u in catalog.units}
        words |= {fold(i.unit_printed) for i in catalog if i.unit_printed}
        words.discard("")
        return cls(
            catalog,
            tree,
            top,
            year,
            [(k.code, fold(k.name)) for k in kids],
            {k.code: k.name for k in kids},
            words,
        )

    def unit_of(self, text: str) -> str | None:
        """The unit below the top whose name this header text is (OCR slips allowed)."""
        f = fold(text)
        if not f or len(f) > 40:
            return None
        for prefix in ("phuong ", "xa ", "thi tran ", "huyen ", "thi xa ", "thanh pho ", "tp "):
            if f.startswith(prefix) and len(f) > len(prefix) + 2:
                f = f[len(prefix) :]
        best, best_score = None, 0.0
        for code, name in self.units:
            s = fuzz.ratio(f, name)
            if s > best_score:
                best, best_score = code, s
        return best if best_score >= 80 else None


def _is_header_row(cells: list[RawCell], ctx: _Context, strong: bool = False) -> bool:
    texts = list(dict.fromkeys(c.text.strip() for c in cells if c.text.strip()))
    if not texts:
        return False
    if _is_column_numbers(texts):
        return True
    words = 0
    for t in texts:
        f = fold(t)
        kind = cell_kind(t)
        if kind == "number" and not _YEAR.fullmatch(t.strip()):
            return False
        if kind in ("bad", "ditto"):
            return False
        if any(w in f for w in _HEADER_WORDS) or ctx.unit_of(t):
            words += 1
    if strong:
        return words >= 3
    return words >= 1 and len(texts) >= 2


@dataclass
class _Column:
    col: int
    role: str  # stt, name, unitcol, note, unit, next, plan, h1, estimate, actual, ratio_*
    orgunit: str = ""
    year: int | None = None
    label: str = ""


def _side_role(text: str, next_year: int | None) -> str | None:
    f = fold(text)
    years = [int(y) for y in _YEAR.findall(f)]
    if "6 thang" in f:
        return "h1"
    if re.search(r"\bu\w{0,3}c\b|\buoc\b|\bu\w{1,3} th\b", f):
        return "estimate"
    if "dinh huong" in f:
        return "next"
    if "ke hoach" in f or re.search(r"\bkh\w?\b", f):
        if next_year is not None and next_year in years:
            return "next"
        return "plan"
    if "thuc hien" in f or re.search(r"\bth\b", f):
        return "estimate"
    return None


def _role(label: str, context: str, ctx: _Context) -> tuple[str, str]:
    """(role, orgunit) of a header column from its lowest label and the labels above."""
    f = fold(label)
    c = fold(context)
    if not f:
        return "", ""
    if re.fullmatch(r"s?tt|so tt|t|tr|tim|ttt", f):
        return "stt", ""
    if fuzz.partial_ratio("chi tieu", f) >= 88 or "noi dung" in f:
        return "name", ""
    if "ghi chu" in f:
        return "note", ""
    unit = ctx.unit_of(label)
    if unit is not None:
        return "unit", unit
    if f in ("dvt", "don vi", "d vt") or "don vi tinh" in f or f.startswith("don vi "):
        return "unitcol", ""
    if "/" in f:
        left, _, right = f.partition("/")
        years = [int(y) for y in _YEAR.findall(f)]
        ny = max(years) if len(set(years)) > 1 else None
        new, old = _side_role(left, ny), _side_role(right, ny)
        if new == "estimate" and old == "plan":
            return "ratio_estimate_plan", ""
        if new == "next" and old in ("estimate", "plan"):
            return "ratio_nextplan_estimate", ""
        if new == "plan" and old == "estimate" and ny is not None:
            return "ratio_nextplan_estimate", ""
        return "ratio", ""
    if "so sanh" in f:
        return "ratio", ""
    if "tong cong" in f or f in ("tong so", "tong", "cong", "tong cong") or "tong c" in f:
        return "next", ""
    if "trong do" in f:
        return "", ""
    if "6 thang" in f:
        return "h1", ""
    if re.search(r"\bu\w{0,3}c\b|\buoc\b", f) or re.search(r"^\w{1,4} (th|thuc hien) ca nam", f):
        return "estimate", ""
    if "dinh huong" in f:
        return "next", ""
    if "ke hoach" in f or re.fullmatch(r"kh\w?( giao)?( nam \d{4})?", f):
        years = [int(y) for y in _YEAR.findall(f + " " + c)]
        if ctx.year is not None and ctx.year + 1 in years and ctx.year not in years:
            return "next", ""
        return "plan", ""
    if "thuc hien" in f and "ca nam" in f:
        return "actual", ""
    return "", ""


@dataclass
class _Header:
    rows: int
    columns: dict[int, _Column]
    years: Counter[int]  # the reference year each header text suggests
    text: str  # every header text, folded


def _header(rows: list[list[RawCell]], n_rows: int, ctx: _Context) -> _Header:
    width = max((len(r) for r in rows[:n_rows]), default=0)
    grid = [
        [(r[c].text.strip() if c < len(r) else "") for c in range(width)] for r in rows[:n_rows]
    ]
    # a merged label sits in its first column: spread it right over the columns that
    # have a label below it, up to the next label of its row
    for i in range(len(grid) - 1):
        below = [any(grid[j][c] for j in range(i + 1, len(grid))) for c in range(width)]
        c = 0
        while c < width:
            if grid[i][c]:
                d = c + 1
                while d < width and not grid[i][d] and below[d]:
                    grid[i][d] = grid[i][c]
                    d += 1
                c = d
            else:
                c += 1
    columns: dict[int, _Column] = {}
    years: Counter[int] = Counter()
    for c in range(width):
        labels = [grid[i][c] for i in range(len(grid)) if grid[i][c]]
        if not labels:
            continue
        # the lowest label that says what the column is
        role, org = "", ""
        for lab in reversed(labels):
            role, org = _role(lab, " ".join(labels), ctx)
            if role:
                label = lab
                break
        if not role:
            continue
        all_years = [int(y) for y in _YEAR.findall(fold(" ".join(labels)))]
        col = _Column(c, role, org, None, label)
        if all_years:
            col.year = all_years[-1]
        columns[c] = col
        if role in ("plan", "h1", "estimate") and col.year:
            years[col.year] += 1
        elif role in ("next", "unit") and col.year:
            years[col.year - 1] += 1
        elif role == "ratio_estimate_plan" and all_years:
            years[min(all_years)] += 1
    text = fold(" ".join(" ".join(r) for r in grid))
    return _Header(n_rows, columns, years, text)


# --- rows ------------------------------------------------------------------------------


@dataclass
class _Row:
    cells: list[RawCell]
    where: Where
    stt: str = ""
    name: str = ""
    unit: str = ""
    tokens: list[tuple[Token, RawCell, str]] = field(default_factory=list)  # token, cell, kind
    table: int = 0  # index of its table in the reading
    key: str = ""  # name_key(name)

    @property
    def has_numbers(self) -> bool:
        return any(kind in ("number", "bad") for _, _, kind in self.tokens)


def _token(cell: RawCell, col: int, text: str) -> tuple[Token, str]:
    kind = cell_kind(text)
    if cell.number is not None and kind != "bad":
        dec = _decimals_shown(text)
        return Token(col, cell.number, dec), "number"
    if kind == "number":
        parsed = parse_number(text)
        assert parsed is not None
        if parsed.value is None:
            return Token(col, None, 0), "number"
        return Token(col, float(parsed.value), parsed.decimals), "number"
    if kind == "ditto":
        return Token(col, None, 0, readable=False), "ditto"
    return Token(col, None, 0, readable=False), "bad"


def _decimals_shown(text: str) -> int:
    t = text.strip().rstrip("%‰").strip("()")
    return len(t.rpartition(",")[2]) if "," in t else 0


def _parse_row(cells: list[RawCell], where: Where) -> _Row:
    """Split a body row into its label (STT, name, unit) and its value cells."""
    row = _Row(cells, where)
    filled = [(i, c, c.text.strip()) for i, c in enumerate(cells) if c.text.strip()]
    kinds = [cell_kind(t) for _, _, t in filled]
    j = 0
    # STT: a short label followed by a name
    if (
        filled
        and _STT.match(filled[0][2])
        and len(filled) > 1
        and kinds[1] == "text"
        and not (kinds[0] == "number" and filled[0][0] > 1)
    ):
        row.stt = filled[0][2]
        j = 1
    if j < len(filled) and kinds[j] == "text":
        name = filled[j][2]
        if not row.stt:
            m = _STT_PREFIX.match(name)
            if m and len(name) > len(m.group(0)) + 2:
                row.stt, name = m.group("stt"), name[m.end() :]
        row.name = name
        j += 1
        units: list[str] = []
        while j < len(filled) and kinds[j] in ("text", "ditto") and len(filled[j][2]) <= 30:
            if kinds[j] == "ditto" and units:
                break  # a ditto mark after the unit stands in a value cell
            units.append(filled[j][2])
            j += 1
        row.unit = " ".join(units)
    elif j < len(filled) and kinds[j] == "ditto":
        row.unit = filled[j][2]
        j += 1
    rest = filled[j:]
    last_value = max(
        (k for k, (_, _, t) in enumerate(rest) if cell_kind(t) in ("number", "bad", "ditto")),
        default=-1,
    )
    for k, (i, cell, text) in enumerate(rest):
        parts = text.split()
        if len(parts) > 1 and all(cell_kind(p) == "number" for p in parts):
            # numbers run together in one cell (a lost tab): each is a cell of its own
            for p in parts:
                part = RawCell(p, cell.where, cell.confidence)
                tok, kind = _token(part, i, p)
                row.tokens.append((tok, part, kind))
            continue
        kind = cell_kind(text)
        if kind == "text":
            if k > last_value:
                break  # a note after the values
            if row.tokens or k < last_value:
                # text among the values: a cell that could not be read as a number
                row.tokens.append((Token(i, None, 0, readable=False), cell, "bad"))
            continue
        tok, kind = _token(cell, i, text)
        row.tokens.append((tok, cell, kind))
    row.key = name_key(row.name)
    return row


# --- which form a table is -------------------------------------------------------------

_FORM_LABEL = re.compile(r"\bbi\w{0,2}u\s*(?:so\s*)?:?\s*(\d{1,3})\b")


def _title_key(text: str) -> str:
    return " ".join(w for w in fold(_YEAR.sub(" ", text)).split() if not w.isdigit())


def _form_by_title(lines: Sequence[str], catalog: Catalog) -> int | None:
    titles = {n: _title_key(f.title) for n, f in catalog.forms.items()}
    best, best_score = None, 0.0
    for line in lines:
        key = _title_key(line)
        if len(key) < 12:
            continue
        for n, t in titles.items():
            s = fuzz.ratio(key, t)
            if s > best_score:
                best, best_score = n, s
    return best if best_score >= 80 else None


def _form_scores(rows: list[_Row], catalog: Catalog) -> dict[int, float]:
    """How many of the table's named rows have a close name in each form."""
    names: dict[int, list[str]] = {}
    for ind in catalog:
        names.setdefault(ind.form, []).append(name_key(ind.name))
    named = [r for r in rows if len(r.key) >= 3]
    out: dict[int, float] = {}
    if not named:
        return out
    for form, keys in names.items():
        hits = 0
        for r in named:
            if any(fuzz.ratio(r.key, k) >= 85 for k in keys):
                hits += 1
        out[form] = hits / len(named)
    return out


# --- matching rows to the catalog ------------------------------------------------------


def _similarity(row: _Row, ind: Indicator) -> float:
    if not row.key:
        return 0.0
    a = row.key
    s = max(fuzz.ratio(a, name_key(ind.name)), 0.97 * fuzz.ratio(a, name_key(ind.full_name)))
    return s / 100.0


def _unit_agrees(row_unit: str, ind: Indicator) -> float:
    u = fold(row_unit)
    if not u:
        return 0.0
    cands = {fold(ind.unit_printed), fold(ind.unit)} - {""}
    if not cands:
        return -0.1
    squeeze = u.replace(" ", "")
    if any(squeeze == c.replace(" ", "") for c in cands):
        return 0.12
    best = max(fuzz.ratio(u, c) for c in cands)
    return 0.06 if best >= 90 else -0.08


def _match_gain(row: _Row, ind: Indicator) -> float:
    sim = _similarity(row, ind)
    g = 3.0 * (sim - 0.55)
    g += _unit_agrees(row.unit, ind)
    if row.stt and ind.stt and fold(row.stt) == fold(ind.stt):
        g += 0.1
    if ind.kind is RowKind.GROUP and row.has_numbers:
        g -= 0.6
    return g


END_SKIP = -0.02


def _align(rows: list[_Row], inds: list[Indicator]) -> list[tuple[int, int]]:
    """Order-keeping alignment of printed rows to catalog rows (Needleman-Wunsch)."""
    n, m = len(rows), len(inds)
    skip_row = [-0.15 if not r.has_numbers else -0.6 for r in rows]
    skip_ind = [-0.25 if i.kind is RowKind.GROUP else -0.45 for i in inds]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        score[i][0] = score[i - 1][0] + skip_row[i - 1]
        back[i][0] = 1
    # a page of a form prints a stretch of its rows: catalog rows before the first
    # printed row and after the last cost little, rows left out in between more
    for j in range(1, m + 1):
        score[0][j] = score[0][j - 1] + END_SKIP
        back[0][j] = 2
    gains = [[_match_gain(r, ind) for ind in inds] for r in rows]
    for i in range(1, n + 1):
        gi = gains[i - 1]
        for j in range(1, m + 1):
            best, how = score[i - 1][j - 1] + gi[j - 1], 0
            s1 = score[i - 1][j] + skip_row[i - 1]
            if s1 > best:
                best, how = s1, 1
            s2 = score[i][j - 1] + skip_ind[j - 1]
            if s2 > best:
                best, how = s2, 2
            score[i][j], back[i][j] = best, how
    pairs = []
    i = n
    j = max(range(m + 1), key=lambda k: (score[n][k] + (m - k) * END_SKIP, k))
    while i > 0 or j > 0:
        how = back[i][j]
        if i > 0 and j > 0 and how == 0:
            if gains[i - 1][j - 1] > -0.9:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and (how == 1 or j == 0):
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return pairs


# --- the columns of a form ---------------------------------------------------------------

_FORM_ROLES = {
    "plan": ("plan",),
    "h1": ("h1",),
    "estimate": ("estimate",),
    "actual": ("actual",),
    "next_plan": ("next",),
    "ratio_estimate_plan": ("ratio_estimate_plan",),
    "ratio_nextplan_estimate": ("ratio_nextplan_estimate",),
}


def _slots(form_columns: Sequence[str], header: _Header | None, ctx: _Context) -> list[Slot]:
    """The columns a row of this table has, in order, with the header's positions."""
    roles: list[str] = []
    for name in form_columns:
        if name == "units":
            roles.extend(f"unit:{code}" for code, _ in ctx.units)
        else:
            roles.extend(_FORM_ROLES.get(name, ()))
    if not roles and header is not None:
        roles = [
            (f"unit:{c.orgunit}" if c.role == "unit" else c.role)
            for c in sorted(header.columns.values(), key=lambda c: c.col)
            if c.role in (*MAIN_ROLES, "next", "unit", *RATIO_ROLES)
        ]
    positions: dict[str, int] = {}
    years: dict[str, int] = {}
    if header is not None:
        for c in sorted(header.columns.values(), key=lambda c: c.col):
            key = f"unit:{c.orgunit}" if c.role == "unit" else c.role
            positions.setdefault(key, c.col)
            if c.year is not None:
                years.setdefault(key, c.year)
    # the header's own order where it gives every column; else the catalog's order
    if roles and all(r in positions for r in roles):
        roles.sort(key=lambda r: positions[r])
    else:
        # keep only positions that increase along the order
        last = -1
        for r in roles:
            p = positions.get(r)
            if p is not None and p <= last:
                positions.pop(r)
            elif p is not None:
                last = p
    out = []
    for r in roles:
        if r.startswith("unit:"):
            code = r[5:]
            out.append(Slot("unit", code, ctx.unit_names.get(code, code), positions.get(r)))
        else:
            out.append(Slot(r, col=positions.get(r), year=years.get(r)))
    return out


def _key_of(slot: Slot, ind: str, ctx: _Context, year: int) -> Key | None:
    if slot.role in ("plan", "h1", "estimate"):
        return (ind, ctx.top, year, slot.role)
    if slot.role == "actual":
        # "Thực hiện năm ...": the year its header says, else the year before Y
        return (ind, ctx.top, slot.year or year - 1, "actual")
    if slot.role == "next":
        return (ind, ctx.top, year + 1, "plan")
    if slot.role == "unit":
        return (ind, slot.orgunit, year + 1, "plan")
    if slot.role == "ratio_estimate_plan":
        return (ind, ctx.top, year, "printed_ratio_estimate_plan")
    if slot.role == "ratio_nextplan_estimate":
        return (ind, ctx.top, year + 1, "printed_ratio_nextplan_estimate")
    return None


# --- the reading -----------------------------------------------------------------------


@dataclass
class _Table:
    raw: RawTable
    index: int
    titles: list[RawText]
    header: _Header | None
    rows: list[_Row]
    form: int | None = None
    how: str = ""
    year: int | None = None


def _split_table(raw: RawTable, ctx: _Context) -> tuple[list[RawText], _Header | None, list[_Row]]:
    """Title rows, header and body rows of a table."""
    rows = raw.rows
    titles: list[RawText] = []
    i = 0
    # leading rows with a single text (merged over the width): the title block
    while i < len(rows):
        texts = {c.text.strip() for c in rows[i] if c.text.strip()}
        if len(texts) == 1 and not _is_header_row(rows[i], ctx, strong=True):
            cell = next(c for c in rows[i] if c.text.strip())
            t = cell.text.strip()
            if len(texts) == 1 and cell_kind(t) == "text":
                titles.append(RawText(t, cell.where))
                i += 1
                continue
        if not texts:
            i += 1
            continue
        break
    start = i
    while i < len(rows) and _is_header_row(rows[i], ctx):
        i += 1
    header = _header(rows[start:], i - start, ctx) if i > start else None
    body: list[_Row] = []
    for r in rows[i:]:
        if not any(c.text.strip() for c in r):
            continue
        if _is_header_row(r, ctx, strong=True):
            continue  # a header repeated at a page break
        first = next(c for c in r if c.text.strip())
        body.append(_parse_row(r, first.where.whole_row()))
    return titles, header, body


def _split_at_labels(raw: RawTable) -> list[RawTable]:
    """A sheet that holds several forms, one under the other: a new table at each row
    that holds nothing but a form's label ("Biểu số 3")."""
    starts = [0]
    for i, row in enumerate(raw.rows):
        texts = {c.text.strip() for c in row if c.text.strip()}
        if i > 0 and len(texts) == 1 and _FORM_LABEL.fullmatch(fold(next(iter(texts)))):
            starts.append(i)
    if len(starts) == 1:
        return [raw]
    out = []
    for a, b in itertools.pairwise([*starts, len(raw.rows)]):
        out.append(RawTable(raw.rows[a:b], raw.where, raw.name if a == 0 else "", raw.grid))
    return out


def _reference_year(table: _Table) -> int | None:
    """The year Y a table reviews, from its header, else its title."""
    header = table.header
    if header is not None:
        years = sorted({int(y) for y in _YEAR.findall(header.text)})
        if len(years) == 2 and years[1] == years[0] + 1:
            return years[0]  # "Năm 2023" ... "Định hướng kế hoạch năm 2024"
        if header.years:
            top = header.years.most_common()
            if len(top) == 1 or top[0][1] > top[1][1]:
                return top[0][0]
    for t in table.titles:
        f = fold(t.text)
        years = [int(y) for y in _YEAR.findall(f)]
        if not years or "kem theo" in f:
            continue
        if "dinh huong" in f or "ke hoach" in f:
            return years[-1] - 1
        if "uoc" in f or "thuc hien" in f:
            return years[-1]
    return None


def interpret(
    docs: Iterable[RawDocument],
    catalog: Catalog,
    tree: OrgTree,
    top: str,
    *,
    year: int | None = None,
) -> Reading:
    """Read the annex tables of one or more documents against a catalog.

    ``year`` is the reference year Y (plan, first half and estimate of Y, next
    year's plan of Y+1) when the headers do not say it or say it wrongly;
    without it, the headers' (and titles') years are used.
    """
    ctx = _Context.make(catalog, tree, top, year)
    reading = Reading()
    tables: list[_Table] = []
    for doc in docs:
        reading.problems.extend(doc.problems)
        if not doc.tables and not doc.problems:
            reading.problems.append(
                ReadProblem(Where(doc.file), "không tìm thấy bảng số liệu nào trong tệp")
            )
        pending: list[RawText] = []
        previous: int | None = None
        for block in doc.blocks:
            if isinstance(block, RawText):
                pending.append(block)
                continue
            for part in _split_at_labels(block):
                titles, header, rows = _split_table(part, ctx)
                t = _Table(part, len(tables), [*pending, *titles], header, rows)
                pending = []
                for r in rows:
                    r.table = t.index
                _assign_form(t, previous, ctx, reading)
                if t.form is not None:
                    previous = t.form
                tables.append(t)
    # one report reviews one year: the year most of its tables say
    doc_years: dict[str, Counter[int]] = {}
    for t in tables:
        y = _reference_year(t)
        if y is not None:
            doc_years.setdefault(t.raw.where.file, Counter())[y] += 1
    all_years = sum(doc_years.values(), Counter())
    reading.year = year or (all_years.most_common(1)[0][0] if all_years else None)
    for t in tables:
        own = doc_years.get(t.raw.where.file)
        t.year = year or (own.most_common(1)[0][0] if own else reading.year)
        if t.year is None and t.form is not None:
            reading.review.append(
                ReviewItem(
                    ReviewKind.YEAR,
                    t.raw.where,
                    "không đọc được năm của bảng ở tiêu đề cột hay tên biểu; hãy cho biết "
                    "năm bằng tùy chọn --year",
                )
            )
    by_form: dict[int, list[_Table]] = {}
    for t in tables:
        if t.form is not None and t.year is not None:
            by_form.setdefault(t.form, []).append(t)
        reading.tables.append(
            TableInfo(
                t.raw.where,
                t.form,
                t.how,
                t.year,
                t.header.rows if t.header else 0,
                len(t.rows),
                0,
            )
        )
    seen: dict[Key, ReadValue] = {}
    for form, group in sorted(by_form.items()):
        matched = _read_form(form, group, ctx, reading, seen)
        for t in group:
            reading.tables[t.index].matched = matched.get(t.index, 0)
    return reading


def _assign_form(t: _Table, previous: int | None, ctx: _Context, reading: Reading) -> None:
    catalog = ctx.catalog
    texts = [x.text for x in t.titles]
    if t.raw.name:
        texts.append(t.raw.name)
    for x in texts:
        m = _FORM_LABEL.search(fold(x))
        if m:
            n = int(m.group(1))
            if n not in catalog.forms:
                where = next((y.where for y in t.titles if y.text == x), t.raw.where)
                known = ", ".join(str(k) for k in sorted(catalog.forms))
                reading.problems.append(
                    ReadProblem(
                        where,
                        f"bảng ghi «{x.strip()}» nhưng danh mục không có biểu số {n} (các biểu: "
                        f"{known}); bảng này không được đọc",
                    )
                )
                t.how = "biểu không có trong danh mục"
                return
            t.form, t.how = n, "nhãn «Biểu số»"
            return
    by_title = _form_by_title(texts, catalog)
    if by_title is not None:
        t.form, t.how = by_title, "tên biểu"
        return
    scores = _form_scores(t.rows, catalog)
    best = max(scores.items(), key=lambda kv: kv[1], default=(None, 0.0))
    if previous is not None:
        mine = scores.get(previous, 0.0)
        if best[0] is not None and best[0] != previous and best[1] >= mine + 0.35:
            t.form, t.how = best[0], "tên các dòng"
        else:
            t.form, t.how = previous, "tiếp theo bảng trước"
            return
    elif best[0] is not None and best[1] >= 0.4:
        t.form, t.how = best[0], "tên các dòng"
    if t.form is None:
        if not t.rows:
            return
        reading.problems.append(
            ReadProblem(
                t.raw.where,
                "bảng không có nhãn «Biểu số», tên biểu không khớp biểu nào của danh mục và "
                "tên các dòng cũng không (bảng của một biểu không có trong danh mục?); bảng "
                "này không được đọc",
            )
        )
        t.how = "không nhận ra biểu"
        return
    reading.review.append(
        ReviewItem(
            ReviewKind.FORM,
            t.raw.where,
            f"bảng không có nhãn hay tên biểu; nhận là biểu số {t.form} vì "
            f"{format_number(round(best[1] * 100))}% tên dòng khớp danh mục của biểu này",
            confidence=Sureness.MEDIUM,
        )
    )


def _attach_overflow(rows: list[_Row]) -> list[_Row]:
    """A row with no label and one or two numbers right after a row is its overflow."""
    out: list[_Row] = []
    for r in rows:
        if (
            out
            and not r.name
            and not r.stt
            and not r.unit
            and 0 < len(r.tokens) <= 2
            and out[-1].table == r.table
            and out[-1].tokens
        ):
            prev = out[-1]
            prev.tokens.extend(r.tokens)
            continue
        out.append(r)
    return out


def _read_form(
    form: int,
    tables: list[_Table],
    ctx: _Context,
    reading: Reading,
    seen: dict[Key, ReadValue],
) -> dict[int, int]:
    catalog = ctx.catalog
    inds = catalog.in_form(form)
    rows = _attach_overflow([r for t in tables for r in t.rows])
    # a ditto mark in the unit cell: the unit of the row above
    last_unit = ""
    for r in rows:
        if r.unit.strip() in DITTO_MARKS:
            r.unit = last_unit
        elif r.unit:
            last_unit = r.unit
    pairs = _align(rows, inds)
    matched_rows = {i for i, _ in pairs}
    per_table: Counter[int] = Counter()
    table_of = {t.index: t for t in tables}
    for i, r in enumerate(rows):
        if i not in matched_rows and r.has_numbers:
            reading.review.append(
                ReviewItem(
                    ReviewKind.UNKNOWN_ROW,
                    r.where,
                    f"dòng «{r.name or '(không có tên)'}» có số nhưng không khớp chỉ tiêu nào "
                    f"của biểu số {form}; các số của dòng không được đọc",
                    printed=" | ".join(c.text for c in r.cells if c.text.strip()),
                )
            )
    todo: list[tuple[_Row, Indicator, float]] = []
    for i, j in pairs:
        r, ind = rows[i], inds[j]
        per_table[r.table] += 1
        sim = _similarity(r, ind)
        if sim < 0.85 and r.key:
            conf = Sureness.MEDIUM if sim >= 0.6 else Sureness.LOW
            reading.review.append(
                ReviewItem(
                    ReviewKind.ROW_MATCH,
                    r.where,
                    f"dòng in «{r.name}» được hiểu là chỉ tiêu {ind.code} «{ind.label}» "
                    f"(giống {format_number(round(sim * 100))}%, theo thứ tự các dòng)",
                    printed=r.name,
                    indicator=ind.code,
                    confidence=conf,
                )
            )
        if ind.kind is RowKind.GROUP:
            if r.has_numbers:
                reading.review.append(
                    ReviewItem(
                        ReviewKind.GROUP_VALUES,
                        r.where,
                        f"dòng tiêu đề nhóm {ind.code} «{ind.label}» có số; các số không được đọc",
                        printed=" | ".join(c.text for c in r.cells if c.text.strip()),
                        indicator=ind.code,
                    )
                )
            continue
        if r.tokens:
            todo.append((r, ind, sim))
    placed: list[tuple[_Row, Indicator, Placement, list[Slot], float]] = []
    for t in tables:
        mine = [x for x in todo if x[0].table == t.index]
        if mine:
            placed.extend(_place_table(t, mine, catalog.forms[form].flags, ctx))
    # a ditto mark takes the value of the row printed just above, in the same column
    row_above = {id(b): a for a, b in itertools.pairwise(rows) if a.table == b.table}
    values_of: dict[int, dict[tuple[str, str], ReadValue]] = {}
    for r, ind, p, slots, sim in placed:
        prev = row_above.get(id(r))
        above = values_of.get(id(prev), {}) if prev is not None else {}
        values_of[id(r)] = _emit(
            r, ind, p, slots, sim, table_of[r.table], ctx, reading, seen, above
        )
    return dict(per_table)


def _facts(ind: Indicator) -> Facts:
    return Facts(ind.consolidation.value, ind.direction is Direction.DOWN, ind.decimals)


def _merge_positions(slots: list[Slot], learned: dict[int, Counter[int]]) -> list[Slot]:
    """The header's columns, corrected by where the rows that arithmetic places put
    their cells: a page whose header lost or gained a column shifts the columns after
    it, as the rows show. Kept in order; a column in doubt is left unknown."""
    out = []
    last = -1
    shift = 0
    for i, sl in enumerate(slots):
        col = sl.col
        seen = learned.get(i)
        mode: int | None = None
        if seen:
            (best, n), *rest = seen.most_common()
            if n >= 2 * sum(k for _, k in rest) or not rest:
                mode = best
        if mode is not None:
            if col is not None:
                shift = mode - col
            col = mode
        elif col is not None:
            col += shift
        if col is not None and col <= last:
            col = None
        if col is not None:
            last = col
        out.append(replace(sl, col=col))
    return out


def _place_table(
    t: _Table,
    rows: list[tuple[_Row, Indicator, float]],
    form_columns: Sequence[str],
    ctx: _Context,
) -> list[tuple[_Row, Indicator, Placement, list[Slot], float]]:
    """Place the cells of a table's rows: first by arithmetic alone, to learn where this
    page's columns really are from the rows it proves; then every row with those
    columns; then the rows still in doubt as their sure neighbours."""
    header_slots = _slots(form_columns, t.header, ctx)
    order = {id(r): i for i, (r, _, _) in enumerate(rows)}
    direct: list[tuple[_Row, Indicator, Placement, list[Slot], float]] = []
    if t.raw.grid:
        rest = []
        for r, ind, sim in rows:
            tokens = [tok for tok, _, _ in r.tokens]
            p = under_headers(header_slots, tokens, _facts(ind))
            if p is None:
                rest.append((r, ind, sim))
            else:
                direct.append((r, ind, p, header_slots, sim))
        rows = rest
    bare = [replace(sl, col=None) for sl in header_slots]
    learned: dict[int, Counter[int]] = {}
    for r, ind, _ in rows:
        tokens = [tok for tok, _, _ in r.tokens]
        p = place(bare, tokens, _facts(ind))
        margin = p.score - p.runner_up.score if p.runner_up is not None else 99.0
        if p.reasons and p.sureness is not Sureness.LOW and margin >= 1.5:
            for s_i, t_i in p.assign.items():
                learned.setdefault(s_i, Counter())[tokens[t_i].col] += 1
    slots = _merge_positions(header_slots, learned)
    placed = []
    for r, ind, sim in rows:
        tokens = [tok for tok, _, _ in r.tokens]
        placed.append((r, ind, place(slots, tokens, _facts(ind)), slots, sim))
    # rows argued no better one way than another: as their sure neighbours on the page
    for k, (r, ind, p, _, sim) in enumerate(placed):
        if p.sureness is not Sureness.LOW or p.runner_up is None:
            continue
        n = len(r.tokens)
        neighbour = None
        for d in range(1, 8):
            for kk in (k - d, k + d):
                if 0 <= kk < len(placed):
                    r2, _, p2, _, _ = placed[kk]
                    shape = p2.skeleton(len(slots))
                    if (
                        len(r2.tokens) == n
                        and p2.sureness is not Sureness.LOW
                        and p2.reasons
                        and shape in p.close
                    ):
                        neighbour = shape
                        break
            if neighbour is not None:
                break
        if neighbour is None:
            continue
        tokens = [tok for tok, _, _ in r.tokens]
        again = place(slots, tokens, _facts(ind), prefer=neighbour)
        if again.skeleton(len(slots)) == neighbour and again.reasons:
            again.sureness = Sureness.MEDIUM
            again.reasons.append("cùng cách xếp với dòng bên cạnh có cùng số ô")
            placed[k] = (r, ind, again, slots, sim)
    return sorted([*direct, *placed], key=lambda x: order[id(x[0])])


def _emit(
    r: _Row,
    ind: Indicator,
    p: Placement,
    slots: list[Slot],
    sim: float,
    table: _Table,
    ctx: _Context,
    reading: Reading,
    seen: dict[Key, ReadValue],
    above: dict[tuple[str, str], ReadValue],
) -> dict[tuple[str, str], ReadValue]:
    """Store a placed row's values; ``above`` is the row printed just above (for a ditto
    mark). Returns this row's values by column."""
    assert table.year is not None
    mine: dict[tuple[str, str], ReadValue] = {}
    row_sure = Sureness.HIGH if sim >= 0.85 else Sureness.MEDIUM if sim >= 0.6 else Sureness.LOW
    sure = min(p.sureness, row_sure, key=_rank)
    note_parts = []
    if p.sureness is not Sureness.HIGH:
        if p.reasons:
            note_parts.append("; ".join(p.reasons))
        if p.doubts:
            note_parts.append("nghi vấn: " + "; ".join(p.doubts))
    note = ". ".join(note_parts)
    keys: list[Key] = []
    for s_i, t_i in sorted(p.assign.items()):
        slot = slots[s_i]
        tok, cell, kind = r.tokens[t_i]
        key = _key_of(slot, ind.code, ctx, table.year)
        if key is None:
            continue
        where = cell.where
        column = (slot.role, slot.orgunit)
        if kind == "ditto":
            # "as above": the value of the row above in this column, if it has one
            prev = above.get(column)
            tok = Token(tok.col, prev.value if prev is not None else None, tok.decimals)
            said = (
                f"lấy giá trị dòng trên «{prev.printed}»"
                if prev is not None and prev.value is not None
                else "dòng trên không có số ở cột này nên hiểu là không có số liệu"
            )
            reading.review.append(
                ReviewItem(
                    ReviewKind.DITTO,
                    where,
                    f"{ind.code} «{ind.label}», cột {slot.name}: dấu nháy «{cell.text.strip()}» "
                    f"(như trên) ở ô số liệu; {said}",
                    printed=cell.text.strip(),
                    indicator=ind.code,
                    keys=(key,),
                    confidence=Sureness.MEDIUM,
                )
            )
        elif kind == "bad":
            reason = _unreadable_reason(cell.text)
            reading.review.append(
                ReviewItem(
                    ReviewKind.UNREADABLE,
                    where,
                    f"{ind.code} «{ind.label}», cột {slot.name}: {reason}; ô không được đọc, "
                    "hãy nhập số đúng",
                    printed=cell.text.strip(),
                    indicator=ind.code,
                    keys=(key,),
                )
            )
            continue
        value_sure = sure
        if cell.confidence is not None and cell.confidence < OCR_UNSURE:
            value_sure = Sureness.LOW
            reading.review.append(
                ReviewItem(
                    ReviewKind.OCR,
                    where,
                    f"{ind.code} «{ind.label}», cột {slot.name}: chữ số nhận dạng được "
                    f"«{cell.text.strip()}» với độ tin cậy "
                    f"{format_number(round(cell.confidence * 100))}%",
                    printed=cell.text.strip(),
                    indicator=ind.code,
                    keys=(key,),
                )
            )
        printed = cell.text.strip()
        if len(printed.split()) > 1:
            printed = _printed_of(tok)
        if kind == "ditto":
            value_sure = min(value_sure, Sureness.MEDIUM, key=_rank)
        value = ReadValue(
            key[0],
            key[1],
            key[2],
            key[3],
            tok.value,
            printed,
            where,
            value_sure,
            note,
            cell.confidence,
        )
        old = seen.get(key)
        if old is not None:
            if old.value != value.value:
                reading.review.append(
                    ReviewItem(
                        ReviewKind.DUPLICATE,
                        where,
                        f"{ind.code} «{ind.label}»: đã đọc «{old.printed}» ở {old.where}, ở "
                        f"đây in «{printed}»; giữ giá trị đọc trước",
                        printed=printed,
                        indicator=ind.code,
                        keys=(key,),
                    )
                )
            continue
        seen[key] = value
        mine[column] = value
        reading.values.append(value)
        keys.append(key)
    if p.left_over:
        printed = ", ".join(f"«{r.tokens[i][1].text.strip()}»" for i in p.left_over)
        reading.review.append(
            ReviewItem(
                ReviewKind.LEFT_OVER,
                r.where,
                f"{ind.code} «{ind.label}»: {printed} không thuộc cột nào (cột thừa, số lặp "
                "lại hoặc ô lệch); không được đọc",
                printed=printed,
                indicator=ind.code,
            )
        )
    if p.sureness is not Sureness.HIGH and keys:
        alt = ""
        alternative: tuple[tuple[Key, float | None, str], ...] = ()
        if p.runner_up is not None:
            alt = "; cách xếp khác: " + _describe(p.runner_up, slots, r)
            alternative = _placed_values(p.runner_up, slots, r, ind, ctx, table.year)
        reading.review.append(
            ReviewItem(
                ReviewKind.PLACEMENT,
                r.where,
                f"{ind.code} «{ind.label}»: "
                + (
                    "các ô nằm đúng dưới tiêu đề cột nhưng số học không khớp, có cách xếp "
                    "khác gần như hợp lý bằng; đã giữ "
                    if p.at_header or p.in_order
                    else "các ô không nằm đúng dưới tiêu đề cột; đã xếp "
                )
                + f"{_describe(p, slots, r)}"
                + (f" ({'; '.join(p.reasons)})" if p.reasons else "")
                + (f"; nghi vấn: {'; '.join(p.doubts)}" if p.doubts else "")
                + alt,
                printed=" | ".join(t[1].text.strip() for t in r.tokens),
                indicator=ind.code,
                keys=tuple(keys),
                confidence=p.sureness,
                alternative=alternative,
            )
        )
    return mine


def _placed_values(
    p: Placement, slots: list[Slot], r: _Row, ind: Indicator, ctx: _Context, year: int
) -> tuple[tuple[Key, float | None, str], ...]:
    """The values a placement stores (key, value, as printed); unreadable cells and ditto
    marks are left out."""
    out = []
    for s_i, t_i in sorted(p.assign.items()):
        key = _key_of(slots[s_i], ind.code, ctx, year)
        tok, cell, kind = r.tokens[t_i]
        if key is None or kind in ("bad", "ditto"):
            continue
        printed = cell.text.strip()
        if len(printed.split()) > 1:
            printed = _printed_of(tok)
        out.append((key, tok.value, printed))
    return tuple(out)


def _printed_of(tok: Token) -> str:
    if tok.value is None:
        return "-"
    return format_number(tok.value, tok.decimals, parens=True)


def _describe(p: Placement, slots: list[Slot], r: _Row) -> str:
    parts = []
    for s_i, t_i in sorted(p.assign.items()):
        parts.append(f"{slots[s_i].name} = {r.tokens[t_i][1].text.strip() or '-'}")
    return ", ".join(parts) if parts else "không ô nào"


def _unreadable_reason(text: str) -> str:
    t = text.strip()
    if t in DITTO_MARKS:
        return f"dấu nháy «{t}» (như trên) ở ô số liệu"
    try:
        parse_number(t)
    except NumberError as exc:
        return str(exc)
    return f"«{t}» không phải là số"


_RANK = {Sureness.HIGH: 2, Sureness.MEDIUM: 1, Sureness.LOW: 0}


def _rank(s: Sureness) -> int:
    return _RANK[s]


# --- holding a reading against known values -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """A known value the reading does not reproduce."""

    key: Key
    value: float | None  # the known value (None: a printed "-")
    printed: str
    read: ReadValue | None  # what the reading has under the key, if anything

    @property
    def kind(self) -> str:
        return "missing" if self.read is None else "different"


@dataclass
class Agreement:
    """How far a reading reproduces known values (a dataset transcribed by hand, or the
    values a published annex was made from).

    Counted over the known values: one agrees when the reading has the same key
    (indicator, org unit, year, measure) with the same value (both "-", or equal
    numbers). Values the reading has beyond them are ``extra``.
    """

    total: int
    same: int
    differences: list[Difference]
    extra: list[ReadValue]

    @property
    def share(self) -> float:
        return self.same / self.total if self.total else 1.0


def same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def agreement(reading: Reading, known: Iterable[tuple[Key, float | None, str]]) -> Agreement:
    """Hold ``reading`` against ``known`` values: (key, value, printed) triples."""
    got = reading.by_key()
    total = same = 0
    differences = []
    keys = set()
    for key, value, printed in known:
        keys.add(key)
        total += 1
        hit = got.get(key)
        if hit is not None and same_value(hit.value, value):
            same += 1
        else:
            differences.append(Difference(key, value, printed, hit))
    extra = [v for k, v in got.items() if k not in keys]
    return Agreement(total, same, differences, extra)
