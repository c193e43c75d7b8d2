"""The catalog in a workbook, and the list of units a new plan starts from.

An office adopting ktxh writes its catalog (its forms and the columns each
prints, its units of measure, its indicators with their parents, units,
direction, consolidation and decimals, its check rules and its departments) in
Excel rather than in CSV files: :func:`write_catalog` writes the whole catalog
to a workbook, one sheet per part, with a drop-down list for every closed
field (the lists show Vietnamese words; the codes are accepted too), and
:func:`read_catalog` reads one back with the strictness of the value
templates: every fault is listed with its sheet, row and column, in
Vietnamese, with the accepted values, and nothing is returned while one
remains.

Reading has two stages. The workbook's own (sheets, headers, the words of the
lists, numbers typed as text, formulas) is checked here; then the rows, turned
into the data package's resources, are checked by the package's validation
(:func:`ktxh.io.datapackage.check_tables`), the same code that checks ``ktxh
load``, its faults named by the workbook's sheet, row and column. A rate
without its numerator and denominator, a weighted mean without its weight, is
a warning: the catalog is usable, but no total can be made and no rate check
can be run.

:func:`read_orgunit_list` reads the list of units (a CSV file with the columns
of ``orgunits.csv``, or a workbook's first sheet) the same way.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook

from ktxh.domain.catalog import Catalog, Children, Consolidation, Direction, Nature, RowKind
from ktxh.domain.numbers import NumberError, parse_number, plain_number
from ktxh.domain.reading import column_letters, fold
from ktxh.io.datapackage import (
    FORMAT_VERSION,
    RESOURCES,
    Package,
    PackageError,
    check_tables,
    rule_problems,
)
from ktxh.io.xlsx_safety import UnsafeFile, formula_cells, open_package

FONT = "Times New Roman"
CATALOG_RESOURCES = ("forms", "units", "indicators", "rules", "departments")
GUIDE_SHEET = "Hướng dẫn"


class CatalogError(PackageError):
    """A catalog workbook (or a list of units) that cannot be used; ``problems``
    lists every fault, located."""

    def __init__(self, problems: Sequence[str], what: str = "Danh mục") -> None:
        super().__init__(problems)
        self.args = (str(self.args[0]).replace("Gói dữ liệu", what, 1) if self.args else what,)


# --- what the sheets hold -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    code: str  # as the package writes it
    label: str  # as the workbook's list shows it


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a sheet: the package field it holds, its Vietnamese header, and for
    a closed field its choices."""

    field: str
    header: str
    width: int = 14
    choices: tuple[Choice, ...] = ()
    number: str = ""  # "integer" or "number": a real number cell
    help: str = ""

    @property
    def closed(self) -> bool:
        return bool(self.choices)


@dataclass(frozen=True, slots=True)
class Sheet:
    resource: str
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    help: str = ""

    def column(self, field_name: str) -> tuple[int, Column] | None:
        for i, c in enumerate(self.columns):
            if c.field == field_name:
                return i, c
        return None


YES = "có"
NO = "không"
FLAG = (Choice("1", YES), Choice("", NO))  # "1" or empty
BIT = (Choice("1", YES), Choice("0", NO))  # "1", "0" or empty

KIND_CHOICES = (Choice(RowKind.INDICATOR, "chỉ tiêu"), Choice(RowKind.GROUP, "tiêu đề nhóm"))
CHILDREN_CHOICES = (
    Choice(Children.COMPLETE, "cộng đủ bằng dòng này"),
    Choice(Children.PARTIAL, "trong đó (một phần)"),
    Choice(Children.STRUCTURE, "cơ cấu (%) cộng bằng 100"),
    Choice(Children.NONE, "không cộng"),
)
NATURE_CHOICES = (
    Choice(Nature.FLOW, "lũy kế trong năm"),
    Choice(Nature.STOCK, "số thời điểm"),
    Choice(Nature.RATE, "tỷ lệ, bình quân"),
)
DIRECTION_CHOICES = (
    Choice(Direction.UP, "tăng là tốt"),
    Choice(Direction.DOWN, "giảm là tốt"),
    Choice(Direction.NEUTRAL, "trung tính"),
)
CONSOLIDATION_CHOICES = (
    Choice(Consolidation.SUM, "cộng"),
    Choice(Consolidation.RATE, "tỷ lệ từ tử số và mẫu số"),
    Choice(Consolidation.WEIGHTED_MEAN, "bình quân gia quyền"),
    Choice(Consolidation.COUNT, "đếm đơn vị đạt"),
    Choice(Consolidation.CITY_ONLY, "chỉ cấp trên"),
    Choice(Consolidation.NONE, "không tổng hợp"),
)
CONVENTION_CHOICES = (
    Choice("new_old", "mới/cũ"),
    Choice("old_new_when_lower_is_better", "cũ/mới khi giảm là tốt"),
)
OPERATOR_CHOICES = (Choice("==", "=="), Choice("<=", "<="), Choice(">=", ">="))
SEVERITY_CHOICES = (
    Choice("lỗi", "lỗi"),
    Choice("cảnh báo", "cảnh báo"),
    Choice("lưu ý", "lưu ý"),
)
SCOPE_CHOICES = (Choice("all", "mọi đơn vị"), Choice("top", "chỉ cấp trên"))

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "forms",
        "Biểu",
        (
            Column("form", "Số biểu", 8, number="integer", help="1, 2, 3 ..."),
            Column("title", "Tên biểu", 60, help="Tên in trên biểu; năm ghi {Y}, {Y+1}"),
            Column(
                "columns",
                "Các cột",
                46,
                help="các cột biểu in, theo thứ tự, cách nhau bởi dấu cách: plan@Y h1@Y "
                "estimate@Y plan@Y+1:units estimate@Y/plan@Y (hoặc các từ cũ plan h1 "
                "estimate next_plan units ratio_estimate_plan ratio_nextplan_estimate)",
            ),
            Column(
                "ratio_convention",
                "Cách tính so sánh",
                20,
                CONVENTION_CHOICES,
                help="mới/cũ (mặc định, như tiêu đề cột); cũ/mới khi giảm là tốt",
            ),
            Column("seed_line", "Dòng trong báo cáo gốc", 10, number="integer"),
        ),
        help="Mỗi dòng một biểu (Biểu số N) và các cột biểu đó in.",
    ),
    Sheet(
        "units",
        "Đơn vị tính",
        (
            Column("unit", "Đơn vị tính", 16, help="như ghi trong cột ĐVT của chỉ tiêu"),
            Column("dimension", "Đại lượng", 14, help="money, area, persons ..."),
            Column("scale", "Hệ số quy đổi", 16, number="number", help="1 đơn vị = ? đơn vị cơ sở"),
            Column("base", "Đơn vị cơ sở", 12),
            Column("share", "Là tỷ lệ (%, ‰)", 12, BIT),
        ),
        help="Mỗi dòng một đơn vị tính, với đại lượng và hệ số quy đổi về đơn vị cơ sở.",
    ),
    Sheet(
        "indicators",
        "Chỉ tiêu",
        (
            Column("code", "Mã chỉ tiêu", 11, help="không dấu: chữ, số, . - _ (B02.009)"),
            Column("form", "Biểu", 6, number="integer"),
            Column("stt", "STT", 6),
            Column("name", "Tên chỉ tiêu", 48),
            Column("full_name", "Tên đầy đủ", 30),
            Column("kind", "Loại dòng", 13, KIND_CHOICES),
            Column("parent", "Chỉ tiêu cha (mã)", 11),
            Column("of_which", "Trong đó", 9, FLAG),
            Column("children", "Các dòng con", 22, CHILDREN_CHOICES),
            Column("unit", "Đơn vị tính", 14),
            Column("unit_printed", "ĐVT in trên biểu", 12),
            Column("nature", "Tính chất", 16, NATURE_CHOICES),
            Column("direction", "Chiều tốt", 13, DIRECTION_CHOICES),
            Column("consolidation", "Cách tổng hợp", 22, CONSOLIDATION_CHOICES),
            Column(
                "basis",
                "Cơ sở (tử số, mẫu số; quyền số)",
                18,
                help="mã cách nhau bởi dấu cách: tử số rồi mẫu số (tỷ lệ), quyền số (bình quân)",
            ),
            Column("comparable", "So sánh được", 10, BIT),
            Column("decimals", "Số chữ số thập phân", 10, number="integer"),
            Column("parts", "Thành phần", 18, help="bộ mã cộng bằng dòng này; các bộ cách «;»"),
            Column("note", "Ghi chú", 30),
            Column("seed_line", "Dòng trong báo cáo gốc", 10, number="integer"),
            Column("values_line", "Dòng số liệu", 10, number="integer"),
            Column("unplaced", "Số in không xếp cột", 14),
        ),
        help="Mỗi dòng một dòng của biểu, theo thứ tự in (tiêu đề nhóm cũng là một dòng).",
    ),
    Sheet(
        "rules",
        "Quy tắc",
        (
            Column("id", "Mã quy tắc", 18),
            Column("title", "Tên quy tắc", 36),
            Column("left", "Vế trái", 22),
            Column("operator", "So sánh", 8, OPERATOR_CHOICES),
            Column("right", "Vế phải", 26),
            Column("tolerance", "Sai số cho phép", 10, number="number"),
            Column("severity", "Mức độ", 10, SEVERITY_CHOICES),
            Column("scope", "Phạm vi", 13, SCOPE_CHOICES),
            Column("message", "Thông báo", 60),
        ),
        required=False,
        help="Quy tắc kiểm tra: vế trái so sánh vế phải (mã chỉ tiêu, số, + - * /).",
    ),
    Sheet(
        "departments",
        "Phòng ban",
        (
            Column("code", "Mã phòng, ban", 18),
            Column("name", "Tên phòng, ban", 40),
            Column("forms", "Các biểu", 16, help="số biểu cách nhau bởi dấu cách: 2 3 4"),
        ),
        required=False,
        help="Các phòng, ban của đơn vị cấp cao nhất và các biểu mỗi phòng điền.",
    ),
)
SHEET_OF = {s.resource: s for s in SHEETS}

ORGUNIT_SHEET = Sheet(
    "orgunits",
    "Đơn vị",
    (
        Column("code", "Mã đơn vị", 16),
        Column("name", "Tên đơn vị", 24),
        Column("level", "Cấp", 14),
        Column("parent", "Đơn vị cấp trên (mã)", 16),
        Column("valid_from", "Hiệu lực từ", 12),
        Column("valid_to", "Hiệu lực đến", 12),
    ),
)
# other headers accepted for the list of units
ORGUNIT_ALIASES = {
    "ma": "code",
    "ten": "name",
    "cap tren": "parent",
    "ma cap tren": "parent",
    "don vi cap tren": "parent",
    "tu ngay": "valid_from",
    "den ngay": "valid_to",
}


# --- writing --------------------------------------------------------------------------


def catalog_tables(
    rows: Mapping[str, Sequence[Mapping[str, str]]],
) -> dict[str, list[dict[str, str]]]:
    """The catalog's resources out of a package's rows (``Package.rows``)."""
    return {name: [dict(r) for r in rows.get(name, ())] for name in CATALOG_RESOURCES}


def write_catalog(
    tables: Mapping[str, Sequence[Mapping[str, str]]], path: Path | io.BytesIO
) -> None:
    """Write a catalog (package rows of forms, units, indicators, rules, departments)
    to a workbook with a list for every closed field."""
    wb = xlsxwriter.Workbook(
        path if isinstance(path, io.BytesIO) else str(path),
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": isinstance(path, io.BytesIO),
        },
    )
    wb.set_properties({"title": "Danh mục chỉ tiêu", "comments": "Tạo bởi ktxh"})
    base: dict[str, Any] = {"font_name": FONT, "font_size": 11, "valign": "top"}
    head = wb.add_format(
        {**base, "bold": True, "text_wrap": True, "border": 1, "bg_color": "#DDEBF7"}
    )
    text = wb.add_format({**base, "text_wrap": True})
    plain = wb.add_format(base)
    closed = wb.add_format({**base, "bg_color": "#FFF2CC"})
    _write_guide(wb, head, text)
    for sheet in SHEETS:
        ws = wb.add_worksheet(sheet.name)
        ws.write_row(0, 0, [c.header for c in sheet.columns], head)
        ws.set_row(0, 45)
        for i, c in enumerate(sheet.columns):
            ws.set_column(i, i, c.width, closed if c.closed else text if c.width >= 30 else plain)
        rows = _sheet_rows(sheet, tables.get(sheet.resource, ()))
        for r, cells in enumerate(rows, start=1):
            for i, (c, value) in enumerate(zip(sheet.columns, cells, strict=True)):
                if value == "":
                    continue
                if c.number and _is_plain_number(value):
                    ws.write_number(r, i, float(value) if "." in value else int(value))
                else:
                    ws.write_string(r, i, value)
        last = max(len(rows) + 500, 1000)
        for i, c in enumerate(sheet.columns):
            if c.closed:
                labels = [ch.label for ch in c.choices]
                ws.data_validation(
                    1,
                    i,
                    last,
                    i,
                    {
                        "validate": "list",
                        "source": labels,
                        "input_title": c.header[:32],
                        "input_message": (c.help or "Chọn trong danh sách")[:255],
                        "error_title": "Giá trị không hợp lệ",
                        "error_message": ("Chọn một trong: " + ", ".join(labels))[:255],
                    },
                )
            elif c.number:
                ws.data_validation(
                    1,
                    i,
                    last,
                    i,
                    {
                        "validate": "integer" if c.number == "integer" else "decimal",
                        "criteria": ">=",
                        "value": 0 if c.number == "integer" else -1e300,
                        "error_title": "Giá trị không hợp lệ",
                        "error_message": "Ghi một số"
                        + (" nguyên không âm" if c.number == "integer" else ""),
                    },
                )
        unit_col = sheet.column("unit")
        if sheet.resource == "indicators" and unit_col is not None:
            ws.data_validation(
                1,
                unit_col[0],
                last,
                unit_col[0],
                {
                    "validate": "list",
                    "source": f"='{SHEET_OF['units'].name}'!$A$2:$A$1000",
                    "error_type": "warning",
                    "error_title": "Đơn vị tính chưa có",
                    "error_message": "Đơn vị tính này chưa có trong trang «Đơn vị tính»",
                },
            )
        ws.freeze_panes(1, 2 if sheet.resource == "indicators" else 1)
    wb.close()


def _write_guide(wb: Any, head: Any, text: Any) -> None:
    ws = wb.add_worksheet(GUIDE_SHEET)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 100)
    lines: list[tuple[str, str]] = [
        (
            "Danh mục chỉ tiêu",
            "Sửa các trang của sổ tính này rồi nhập lại bằng «ktxh start "
            "--catalog TỆP» (kế hoạch mới) hoặc «ktxh catalog import TỆP» (kế hoạch đang có).",
        ),
        (
            "",
            "Dòng 1 của mỗi trang là tiêu đề cột: đừng đổi tên trang, tên cột. Ô nền vàng "
            "chọn trong danh sách. Số ghi thành số, không ghi thành chữ.",
        ),
        ("", "Mỗi lỗi được báo với tên trang, dòng và cột; khi còn lỗi, không ghi gì."),
    ]
    for sheet in SHEETS:
        lines.append((f"Trang «{sheet.name}»", sheet.help))
        for c in sheet.columns:
            accepted = ""
            if c.closed:
                accepted = " Chọn: " + ", ".join(f"«{ch.label}»" for ch in c.choices) + "."
            if c.help or accepted:
                lines.append((f"  {c.header}", (c.help + "." if c.help else "") + accepted))
    ws.write_row(0, 0, ["Mục", "Hướng dẫn"], head)
    for r, (a, b) in enumerate(lines, start=1):
        ws.write_string(r, 0, a, text)
        ws.write_string(r, 1, b, text)


def _sheet_rows(sheet: Sheet, rows: Sequence[Mapping[str, str]]) -> list[list[str]]:
    """The cells (text) of a sheet's rows, in the sheet's column order."""
    if sheet.resource == "indicators":
        rows = sorted(rows, key=lambda r: (int(r.get("form") or 0), int(r.get("position") or 0)))
    out = []
    for r in rows:
        cells = []
        for c in sheet.columns:
            value = r.get(c.field, "") or ""
            if c.closed and value != "":
                value = next((ch.label for ch in c.choices if ch.code == value), value)
            cells.append(value)
        out.append(cells)
    return out


_PLAIN = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _is_plain_number(text: str) -> bool:
    return bool(_PLAIN.match(text))


# --- reading --------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def cell_text(value: object) -> str:
    """A cell as text: numbers plainly (2, 0.5), dates ISO, text NFC and stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return plain_number(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


@dataclass
class _SheetRead:
    """One sheet as read: its rows (the sheet row of each, 1-based, and its cells by
    field) and where each field is."""

    sheet: Sheet
    name: str  # the sheet's name as found (a CSV file's name)
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)  # field -> (0-based, header)
    file: str = ""  # the workbook's name, when it is named in the places
    csv: bool = False  # a CSV file: no sheet, no column letters
    missing: list[str] = field(default_factory=list)  # required columns not in the header

    def about_missing(self, text: str) -> bool:
        """A fault of a cell under a column the header lacks (said once, for the header)."""
        if not text.startswith(self.place):
            return False
        for f in self.missing:
            spec = self.sheet.column(f)
            if spec is not None and f"cột «{spec[1].header}»:" in text:
                return True
        return False

    @property
    def place(self) -> str:
        if self.csv:
            return f"tệp «{self.name}»"
        return (f"tệp «{self.file}», " if self.file else "") + f"trang «{self.name}»"

    def where(self, rows: Sequence[int] = (), column: str | None = None) -> str:
        parts = [self.place]
        if rows:
            parts.append("dòng " + ", ".join(str(r) for r in rows))
        if column is not None:
            at = self.columns.get(column)
            if at is not None:
                letter = "" if self.csv else f"{column_letters(at[0] + 1)} "
                parts.append(f"cột {letter}«{at[1]}»")
            else:
                spec = self.sheet.column(column)
                parts.append(f"cột «{spec[1].header if spec else column}»")
        return ", ".join(parts)

    def header_cell(self, index: int) -> str:
        letter = f" {column_letters(index + 1)}" if not self.csv else f" {index + 1}"
        return f"{self.place}, dòng 1, cột{letter}"


class _Faults:
    """Faults in the order found, each once; a later stage's fault at a place an earlier
    one already named is left out (one cell, one fault)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        place = _place_of(text)
        if not any(_place_of(t) == place for t in self.items) or place == text:
            self.items.append(text)

    def extend_new_places(self, texts: Iterable[str]) -> None:
        for t in texts:
            self.add(t)

    def sorted(self) -> list[str]:
        """By sheet (in the workbook's order), row and column; faults of a whole file
        first."""
        order = {s.name: i for i, s in enumerate(SHEETS)}

        def key(text: str) -> tuple[int, int, int]:
            m = _PLACE.match(text)
            if m is None:
                return (-1, 0, 0)
            col = m.group("col") or ""
            col_n = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(col)))
            return (order.get(m.group("sheet"), 99), int(m.group("row") or 0), col_n)

        return sorted(self.items, key=key)


_PLACE = re.compile(
    r"^(?:tệp «[^»]*», )?trang «(?P<sheet>[^»]*)»(?:, dòng (?P<row>\d+))?(?:[^,:]*)"
    r"(?:, cột (?P<col>[A-Z]+))?"
)


def _place_of(text: str) -> str:
    return text.split(": ", 1)[0]


def _header_map(sheet: Sheet, aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in sheet.columns:
        for key in (c.header, c.field):
            out[_norm(key)] = c.field
            out[fold(key)] = c.field
    for k, v in (aliases or {}).items():
        out[k] = v
    return out


def _read_sheet(
    sheet: Sheet,
    name: str,
    grid: list[list[object]],
    faults: _Faults,
    formulas: Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
    file_name: str = "",
    csv_file: bool = False,
) -> _SheetRead:
    """A sheet's header (row 1) and rows; blank rows are skipped."""
    read = _SheetRead(sheet, name, file=file_name, csv=csv_file)
    if not grid:
        return read
    known = _header_map(sheet, aliases)
    header = [cell_text(v) for v in grid[0]]
    for i, h in enumerate(header):
        if not h:
            continue
        found = known.get(_norm(h)) or known.get(fold(h))
        if found is None:
            faults.add(
                f"{read.header_cell(i)}: tiêu đề «{h}» không phải cột của "
                + ("tệp" if csv_file else "trang")
                + " này; các cột: "
                + ", ".join(c.header for c in sheet.columns)
            )
            continue
        if found in read.columns:
            faults.add(
                f"{read.header_cell(i)}: cột «{h}» lặp lại (đã có cột «{read.columns[found][1]}»)"
            )
            continue
        read.columns[found] = (i, h)
    required = [c for c in sheet.columns if c.field in _required_fields(sheet)]
    missing = [c.header for c in required if c.field not in read.columns]
    if missing:
        faults.add(f"{read.place}, dòng 1: thiếu cột " + ", ".join(f"«{m}»" for m in missing))
        read.missing = [c.field for c in required if c.field not in read.columns]
    for r, raw in enumerate(grid[1:], start=2):
        cells = {f: cell_text(raw[i]) if i < len(raw) else "" for f, (i, _) in read.columns.items()}
        if not any(cells.values()):
            continue
        for i, h in read.columns.values():
            ref = f"{column_letters(i + 1)}{r}"
            if ref in formulas:
                faults.add(
                    f"{read.place}, dòng {r}, cột {column_letters(i + 1)} «{h}»: ô có "
                    f"công thức (={formulas[ref]}); hãy ghi giá trị, không ghi công thức"
                )
        read.rows.append((r, cells))
    return read


def _required_fields(sheet: Sheet) -> set[str]:
    res = RESOURCES[sheet.resource]
    out = {f.name for f in res.fields if f.required}
    if sheet.resource == "indicators":
        out.discard("position")  # the order of the rows
    if sheet.resource == "forms":
        out.add("title")
    return out


def _translate(read: _SheetRead, faults: _Faults) -> list[dict[str, str]]:
    """The sheet's rows as package rows: the words of the lists as codes, numbers typed
    as text (Vietnamese style) as numbers, a form's column groups as ``columns``."""
    sheet = read.sheet
    out = []
    for r, cells in read.rows:
        row: dict[str, str] = {}
        for f, text in cells.items():
            spec = sheet.column(f)
            assert spec is not None
            c = spec[1]
            if c.closed:
                code = _choice(c, text)
                if code is None:
                    labels = ", ".join(f"«{ch.label}»" for ch in c.choices)
                    blank = " (hoặc để trống)" if _blank_allowed(sheet, f) else ""
                    faults.add(
                        f"{read.where([r], f)}: «{text}» không hợp lệ; chọn một trong: "
                        f"{labels}{blank}"
                    )
                    code = text
                row[f] = code
            elif c.number and text:
                value = _number(text, c.number == "integer")
                if value is None:
                    what = "số nguyên" if c.number == "integer" else "số"
                    faults.add(f"{read.where([r], f)}: «{text}» không phải {what}")
                    value = text
                row[f] = value
            elif f == "forms":
                row[f] = " ".join(text.replace(",", " ").replace(";", " ").split())
            elif f == "columns":
                row[f] = " ".join(text.split())
            else:
                row[f] = text
        out.append(row)
    return out


def _blank_allowed(sheet: Sheet, field_name: str) -> bool:
    return field_name not in _required_fields(sheet)


def _choice(c: Column, text: str) -> str | None:
    if text == "":
        return ""
    key = _norm(text)
    for ch in c.choices:
        if key in (_norm(ch.label), _norm(ch.code)) or (
            fold(text) and fold(text) == fold(ch.label)
        ):
            return ch.code
    if c.choices in (FLAG, BIT) and fold(text) in ("x", "1", "co", "yes"):
        return "1"
    if c.choices == BIT and fold(text) in ("0", "khong", "no"):
        return "0"
    if c.choices == FLAG and fold(text) in ("0", "khong", "no"):
        return ""
    return None


def _number(text: str, integer: bool) -> str | None:
    """A number typed as text: "1.000.000" (Vietnamese), "0,5", or "1000000"."""
    plain = text.replace(" ", "")
    if _PLAIN.match(plain):
        value = Decimal(plain)
    else:
        try:
            parsed = parse_number(plain)
        except NumberError:
            return None
        if parsed is None or parsed.value is None:
            return None
        value = parsed.value
    if integer and value != value.to_integral_value():
        return None
    try:
        return plain_number(value)
    except InvalidOperation:
        return None


Locator = Callable[[str, Sequence[int], str | None], str]


def _locator(reads: Mapping[str, _SheetRead], fallback: Locator | None = None) -> Locator:
    """Names a package fault by the sheet, row and column it came from."""

    def locate(path: str, rows: Sequence[int], column: str | None) -> str:
        name = path.removesuffix(".csv")
        read = reads.get(name)
        if read is None:
            if fallback is not None:
                return fallback(path, rows, column)
            sheet = SHEET_OF.get(name)
            return f"trang «{sheet.name}»" if sheet else path
        sheet_rows = [read.rows[n - 2][0] for n in rows if 0 <= n - 2 < len(read.rows)]
        if column == "position":
            column = "form"
        return read.where(sheet_rows, column)

    return locate


# Catalog problems that the package names by the indicator's code only: placed on its row.
_BY_CODE = re.compile(r"^Chỉ tiêu (?P<code>\S+) \(")
_CODE_FIELDS = (
    ("chỉ tiêu cơ sở", "basis"),
    ("chỉ tiêu thành phần", "parts"),
    ("thành phần của chính nó", "parts"),
    ("chỉ tiêu cha", "parent"),
    ("đơn vị tính", "unit"),
    ("biểu số", "form"),
)


def _place_catalog_problem(text: str, read: _SheetRead | None) -> str:
    if read is None:
        return text
    prefix = f"trang «{read.name}»: "
    if not text.startswith(prefix):
        return text
    rest = text[len(prefix) :]
    m = _BY_CODE.match(rest)
    if m is None:
        return text
    row = next((r for r, cells in read.rows if cells.get("code") == m.group("code")), None)
    column = next((f for word, f in _CODE_FIELDS if word in rest), None)
    if row is None:
        return text
    return f"{read.where([row], column)}: {rest}"


@dataclass
class CatalogRead:
    """A catalog workbook read back: the package rows of its resources, the catalog,
    and the warnings (usable, but something will not be computed or checked)."""

    tables: dict[str, list[dict[str, str]]]
    catalog: Catalog
    warnings: list[str]
    locate: Locator


def _open_book(data: bytes, file: str) -> tuple[CalamineWorkbook, Any]:
    try:
        package = open_package(data, file)
    except UnsafeFile as exc:
        raise CatalogError([f"tệp «{file}»: {exc.message}"]) from None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        raise CatalogError([f"tệp «{file}»: tệp bị hỏng, không đọc được ({exc})"]) from None
    return book, package


def _grid(book: CalamineWorkbook, name: str) -> list[list[object]]:
    try:
        return cast(
            list[list[object]], book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        )
    except CalamineError as exc:
        raise CatalogError([f"trang «{name}»: không đọc được ({exc})"]) from None


def read_catalog_sheets(data: bytes, file: str) -> tuple[dict[str, _SheetRead], list[str]]:
    """The sheets of a catalog workbook, and the workbook's own faults."""
    book, package = _open_book(data, file)
    names = list(book.sheet_names)
    by_norm = {_norm(n): n for n in names} | {fold(n): n for n in names}
    faults = _Faults()
    reads: dict[str, _SheetRead] = {}
    found = {s.resource: by_norm.get(_norm(s.name)) or by_norm.get(fold(s.name)) for s in SHEETS}
    formulas = formula_cells(package, [n for n in found.values() if n])
    for sheet in SHEETS:
        name = found[sheet.resource]
        if name is None:
            if sheet.required:
                faults.add(
                    f"tệp «{file}»: thiếu trang «{sheet.name}» (các trang cần có: "
                    + ", ".join(f"«{s.name}»" for s in SHEETS if s.required)
                    + ")"
                )
            continue
        reads[sheet.resource] = _read_sheet(
            sheet, name, _grid(book, name), faults, formulas.get(name, {})
        )
    return reads, faults.items


def read_catalog(source: Path | bytes, file: str = "") -> CatalogRead:
    """Read a catalog workbook completely; :class:`CatalogError` lists every fault."""
    if isinstance(source, Path):
        file = file or source.name
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CatalogError([f"không mở được tệp {source}: {exc.strerror or exc}"]) from None
    else:
        data = source
    reads, faults = read_catalog_sheets(data, file or "danh-muc.xlsx")
    return check_catalog(reads, faults)


def check_catalog(reads: Mapping[str, _SheetRead], own_faults: Sequence[str]) -> CatalogRead:
    """The sheets of a catalog as a catalog: their words and numbers (here), then the
    package's validation; :class:`CatalogError` lists every fault of both, once."""
    faults = _Faults()
    for f in own_faults:
        faults.add(f)
    tables: dict[str, list[dict[str, str]]] = {}
    for name in CATALOG_RESOURCES:
        read = reads.get(name)
        tables[name] = _translate(read, faults) if read is not None else []
    _positions(tables["indicators"])
    _references(reads, tables, faults)
    locate = _locator(reads)
    placeholder = [{"code": "x", "name": "x", "level": "x"}]
    head = _head("danh-muc", "x", 2000)
    pkg: Package | None = None
    try:
        pkg = check_tables(head, {**tables, "orgunits": placeholder}, locate=locate)
    except PackageError as exc:
        faults.extend_new_places(
            _place_catalog_problem(p, reads.get("indicators"))
            for p in exc.problems
            if not any(r.about_missing(p) for r in reads.values())
        )
    if faults.items or pkg is None:
        raise CatalogError(faults.sorted())
    return CatalogRead(tables, pkg.catalog, catalog_warnings(pkg.catalog, reads), locate)


def _references(
    reads: Mapping[str, _SheetRead], tables: Mapping[str, list[dict[str, str]]], faults: _Faults
) -> None:
    """What the package checks only once every cell is sound, checked at once so that a
    workbook's faults come in one list: the codes of the rules and of the bases and
    parts of the indicators, the forms of the departments."""
    codes = {r.get("code", "") for r in tables["indicators"]}
    forms = {r.get("form", "") for r in tables["forms"]}
    pairs = (
        ("rules", tables["rules"]),
        ("departments", tables["departments"]),
        ("indicators", tables["indicators"]),
    )
    for name, rows in pairs:
        read = reads.get(name)
        if read is None:
            continue
        for (r, _), row in zip(read.rows, rows, strict=True):
            if name == "rules":
                for column, why in rule_problems(row, codes):
                    faults.add(f"{read.where([r], column)}: {why}")
            elif name == "departments":
                for f in row.get("forms", "").split():
                    if f not in forms:
                        faults.add(f"{read.where([r], 'forms')}: không có biểu số {f}")
            else:
                unknown = [b for b in row.get("basis", "").split() if b not in codes]
                if unknown:
                    faults.add(
                        f"{read.where([r], 'basis')}: mã không có trong trang «{read.name}»: "
                        + ", ".join(unknown)
                    )
                unknown = [
                    b for b in row.get("parts", "").replace(";", " ").split() if b not in codes
                ]
                if unknown:
                    faults.add(
                        f"{read.where([r], 'parts')}: mã không có trong trang «{read.name}»: "
                        + ", ".join(unknown)
                    )


def _positions(indicators: list[dict[str, str]]) -> None:
    """Each indicator's position: its order among the rows of its form."""
    counts: dict[str, int] = {}
    for r in indicators:
        form = r.get("form", "")
        counts[form] = counts.get(form, 0) + 1
        r["position"] = str(counts[form])


def catalog_warnings(catalog: Catalog, reads: Mapping[str, _SheetRead] | None = None) -> list[str]:
    """What a usable catalog leaves undone: a rate without its numerator and
    denominator, a weighted mean without its weight."""
    read = (reads or {}).get("indicators")
    rows = {cells.get("code"): r for r, cells in read.rows} if read else {}

    def where(code: str) -> str:
        if read is None or code not in rows:
            return f"chỉ tiêu {code}"
        return read.where([rows[code]], "basis")

    out = []
    for ind in catalog:
        if ind.kind is RowKind.GROUP:
            continue
        if ind.consolidation is Consolidation.RATE and len(ind.basis) != 2:
            missing = "mẫu số" if len(ind.basis) == 1 else "tử số và mẫu số"
            out.append(
                f"{where(ind.code)}: {ind.code} «{ind.label}» tổng hợp theo tỷ lệ nhưng chưa "
                f"khai báo {missing}: ktxh không tính được số của cấp trên từ các đơn vị, không "
                "kiểm tra được tỷ lệ"
            )
        elif ind.consolidation is Consolidation.WEIGHTED_MEAN and not ind.basis:
            out.append(
                f"{where(ind.code)}: {ind.code} «{ind.label}» tổng hợp bình quân gia quyền nhưng "
                "chưa khai báo quyền số: ktxh không tính được số của cấp trên từ các đơn vị"
            )
        elif (
            ind.consolidation is Consolidation.CITY_ONLY
            and ind.nature is Nature.RATE
            and len(ind.basis) == 1
        ):
            out.append(
                f"{where(ind.code)}: {ind.code} «{ind.label}» là tỷ lệ có tử số nhưng thiếu "
                "mẫu số: không kiểm tra được tỷ lệ"
            )
    return out


def _head(name: str, top: str, year: int) -> dict[str, Any]:
    return {
        "name": name,
        "ktxh": {"format_version": FORMAT_VERSION, "reference_year": year, "top_orgunit": top},
    }


# --- the list of units ------------------------------------------------------------------


@dataclass
class OrgList:
    rows: list[dict[str, str]]
    locate: Locator


def read_orgunit_list(source: Path | bytes, file: str = "") -> OrgList:
    """A list of units: a CSV file (UTF-8, the columns of ``orgunits.csv``, or their
    Vietnamese headers) or a workbook (its first sheet, or one named «Đơn vị»).
    The list's own faults (file, headers, formulas) raise :class:`CatalogError`; its
    cells are checked with the plan (:func:`ktxh.io.datapackage.check_tables`) by the
    returned locator."""
    if isinstance(source, Path):
        file = file or source.name
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise CatalogError(
                [f"không mở được tệp {source}: {exc.strerror or exc}"], "Danh sách đơn vị"
            ) from None
    else:
        data = source
    file = file or "don-vi.csv"
    faults = _Faults()
    if data.startswith(b"PK"):
        book, package = _open_book(data, file)
        names = list(book.sheet_names)
        name = next((n for n in names if fold(n) == fold(ORGUNIT_SHEET.name)), names[0])
        formulas = formula_cells(package, [name]).get(name, {})
        read = _read_sheet(
            ORGUNIT_SHEET, name, _grid(book, name), faults, formulas, ORGUNIT_ALIASES, file
        )
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CatalogError(
                [f"tệp «{file}», dòng {line}: không phải văn bản UTF-8"], "Danh sách đơn vị"
            ) from None
        dialect = (
            ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        grid: list[list[object]] = [
            list(r) for r in csv.reader(io.StringIO(text), delimiter=dialect)
        ]
        read = _read_sheet(ORGUNIT_SHEET, file, grid, faults, {}, ORGUNIT_ALIASES, csv_file=True)
    if faults.items:
        raise CatalogError(faults.items, "Danh sách đơn vị")
    rows = [
        {f: cells.get(f, "") for f in (c.field for c in ORGUNIT_SHEET.columns)}
        for _, cells in read.rows
    ]
    for (_, cells), row in zip(read.rows, rows, strict=True):
        for f in ("valid_from", "valid_to"):
            row[f] = _date_text(cells.get(f, ""))
    if not rows:
        raise CatalogError([f"tệp «{file}»: danh sách không có đơn vị nào"], "Danh sách đơn vị")

    def locate(path: str, rows_: Sequence[int], column: str | None) -> str:
        return read.where(
            [read.rows[n - 2][0] for n in rows_ if 0 <= n - 2 < len(read.rows)], column
        )

    return OrgList(rows, locate)


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date_text(text: str) -> str:
    """A date as ISO: "2025-07-01", "01/07/2025" (Vietnamese order) or a date cell."""
    m = _DMY.match(text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        except ValueError:
            return text
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text
