"""Input templates: Excel out for a unit or a department, filled workbooks back in.

``write_template`` makes the workbook one org unit (or one department of the
top unit) fills for one period (the reference year Y): a guide sheet, one
sheet per form with the rows the unit fills, and a hidden sheet ``ktxh`` that
identifies the template. A form's sheet (0-based rows and columns)::

    row 0-3   title, form title, the unit and period, a one-line hint
    row 5-6   header: Mã | STT | Chỉ tiêu | Đơn vị tính |
              Năm Y-1 (tham khảo): Kế hoạch, TH 6 tháng, Ước TH cả năm, Thực hiện cả năm |
              Năm Y: Kế hoạch giao, TH 6 tháng, Ước TH cả năm | Kế hoạch năm Y+1
    row 7...  one row per catalog row: code, STT, name, unit, last year's
              values (locked, grey), this period's input cells (unlocked,
              yellow, prefilled with what is stored)

Headings are kept above the rows they hold; a unit below the top gets the
forms broken down by unit and no city-only rows. Every text is written as a
string, never as a formula. The sheets are protected (no password: it guards
against slips, not people); input cells are unlocked and validated (a number
or "-"; shares 0-100; counts whole and not negative).

The hidden sheet holds ``kind``, ``version``, ``dataset``, ``orgunit``,
``orgunit_name``, ``department``, ``year``, ``forms``, ``created``,
``checksum`` (SHA-256 of the layout: identity, every row's code, STT, name and
unit, every column) and the base: what each input cell held when the
template was made.

``read_workbook`` reads a filled template, or an annex workbook
(``ktxh.io.xlsx_forms.read_annex``), after ``ktxh.io.xlsx_safety`` has passed
its container, into entries for ``ktxh.domain.importing``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from ktxh.domain.catalog import Catalog, Consolidation, Form, Indicator, RowKind
from ktxh.domain.compare import round_half_up
from ktxh.domain.dataset import Dataset
from ktxh.domain.forecast import propose
from ktxh.domain.importing import (
    ABSENT,
    NONE_MARK,
    CellRef,
    Department,
    Entry,
    Expectation,
    Issue,
    Problem,
    SourceInfo,
    Stored,
    check_source,
    describe_key,
)
from ktxh.domain.numbers import format_number
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.targets import TARGET_MEASURES, is_target_text, target_of_cell
from ktxh.io.xlsx_forms import FONT, Formats, cell_at, cell_text, number_format, read_annex
from ktxh.io.xlsx_safety import (
    DEFAULT_LIMITS,
    Limits,
    Package,
    UnsafeFile,
    formula_cells,
    italic_cells,
    open_package,
)

TEMPLATE_VERSION = 1
ID_SHEET = "ktxh"
GUIDE_SHEET = "Hướng dẫn"
TITLE_MARK = "MẪU NHẬP SỐ LIỆU"
ID_NOTE = "Trang nhận dạng biểu mẫu do ktxh tạo; đừng sửa trang này."
BASE_HEADER = ("sheet", "cell", "base")

INPUT_FILL = "#FFF2CC"
REFERENCE_FILL = "#EDEDED"
HEADER_FILL = "#DDEBF7"

COL_CODE, COL_STT, COL_NAME, COL_UNIT = 0, 1, 2, 3
FIRST_VALUE_COL = 4
ROW_TITLE, ROW_FORM, ROW_UNIT, ROW_HINT = 0, 1, 2, 3
HEADER_TOP = 5
FIRST_ROW = HEADER_TOP + 2
NAME_WIDTH = 46

REFERENCE_MEASURES = (
    ("plan", "Kế hoạch"),
    ("h1", "TH 6 tháng"),
    ("estimate", "Ước TH cả năm"),
    ("actual", "Thực hiện cả năm"),
)
INPUT_HEADERS = {
    "plan": "Kế hoạch giao",
    "h1": "TH 6 tháng",
    "estimate": "Ước TH cả năm",
    "actual": "Thực hiện cả năm",
}


# A read-only column beside the round's estimate input: ktxh's proposed full-year
# estimate (ktxh.domain.forecast), the method in the cell's comment. Not an input:
# it is never read back (only input columns are), a person types the estimate.
FORECAST = "forecast"
FORECAST_HEADER = "Gợi ý ước TH (ktxh)"
FORECAST_FILL = "#F2F2E6"


class TemplateError(ValueError):
    """A template that cannot be made; the message is Vietnamese."""


@dataclass(frozen=True, slots=True)
class Column:
    measure: str
    year: int
    col: int
    group: str  # the top header over it ("Năm 2023")
    header: str  # its own header ("TH 6 tháng"); "" under a header merged down
    input: bool


@dataclass(frozen=True, slots=True)
class Row:
    indicator: Indicator
    row: int
    depth: int
    input: bool  # an indicator the unit fills; headings and context rows are not


@dataclass(frozen=True)
class SheetLayout:
    form: Form
    name: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def last_row(self) -> int:
        return FIRST_ROW + len(self.rows) - 1

    @property
    def last_col(self) -> int:
        return self.columns[-1].col

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.input)

    def header_cells(self) -> dict[tuple[int, int], str]:
        """Every header cell's text, as the sheet must show it."""
        out = {
            (HEADER_TOP, COL_CODE): "Mã",
            (HEADER_TOP, COL_STT): "STT",
            (HEADER_TOP, COL_NAME): "Chỉ tiêu",
            (HEADER_TOP, COL_UNIT): "Đơn vị tính",
        }
        seen: set[str] = set()
        for c in self.columns:
            if c.group not in seen:
                out[(HEADER_TOP, c.col)] = c.group
                seen.add(c.group)
            out[(HEADER_TOP + 1, c.col)] = c.header
        return out

    def row_cells(self, row: Row) -> dict[tuple[int, int], str]:
        ind = row.indicator
        return {
            (row.row, COL_CODE): ind.code,
            (row.row, COL_STT): ind.stt,
            (row.row, COL_NAME): ind.name,
            (row.row, COL_UNIT): ind.unit,
        }


@dataclass(frozen=True)
class TemplateLayout:
    """Everything that decides where a value goes: compared on import, hashed in the file."""

    dataset: str
    orgunit: OrgUnit
    year: int
    forms: tuple[int, ...]
    department: Department | None
    sheets: tuple[SheetLayout, ...]

    def structure(self) -> dict[str, Any]:
        return {
            "version": TEMPLATE_VERSION,
            "dataset": self.dataset,
            "orgunit": self.orgunit.code,
            "year": self.year,
            "forms": list(self.forms),
            "sheets": [
                {
                    "name": s.name,
                    "form": s.form.number,
                    "columns": [[c.measure, c.year, c.col, c.input] for c in s.columns],
                    "rows": [[*_row_texts(r.indicator), r.row, r.input] for r in s.rows],
                }
                for s in self.sheets
            ],
        }

    def checksum(self) -> str:
        text = json.dumps(self.structure(), ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row_texts(ind: Indicator) -> list[str]:
    return [ind.code, ind.stt, ind.name, ind.unit]


def _depth(catalog: Catalog, ind: Indicator) -> int:
    n = 0
    while ind.parent is not None and n < 20:
        ind = catalog[ind.parent]
        n += 1
    return n


def _fills(ind: Indicator, is_top: bool) -> bool:
    """Whether a unit fills this row: the top unit every indicator, the others all
    but the city-only ones."""
    if ind.kind is RowKind.GROUP:
        return False
    return is_top or ind.consolidation is not Consolidation.CITY_ONLY


def _form_rows(catalog: Catalog, form: int, is_top: bool) -> list[Row]:
    indicators = catalog.in_form(form)
    filled = {i.code for i in indicators if _fills(i, is_top)}
    shown = set(filled)
    for code in filled:  # the headings and parents above a filled row stay as context
        ind = catalog[code]
        while ind.parent is not None and ind.parent not in shown:
            shown.add(ind.parent)
            ind = catalog[ind.parent]
    kept = [i for i in indicators if i.code in shown]
    return [
        Row(ind, FIRST_ROW + n, _depth(catalog, ind), ind.code in filled)
        for n, ind in enumerate(kept)
    ]


def _columns(form: Form, year: int) -> tuple[Column, ...]:
    """The year before (to look at; its actual is entered in this round), then the cells
    the form's layout declares for the round (:meth:`FormLayout.entered`)."""
    out = []
    col = FIRST_VALUE_COL
    ref_group = f"Năm {year - 1}"
    before = set()
    for measure, header in REFERENCE_MEASURES:
        # the year before is there to look at; its actual is entered in this round
        entered = measure == "actual"
        out.append(
            Column(
                measure, year - 1, col, ref_group, header + (" (nhập)" if entered else ""), entered
            )
        )
        before.add((measure, year - 1))
        col += 1
    for measure, y in form.layout.entered(year):
        if (measure, y) in before:
            continue
        if measure == "plan" and y == year + 1:
            group, header = f"Kế hoạch năm {y}", ""
        else:
            group, header = f"Năm {y}", INPUT_HEADERS[measure]
        out.append(Column(measure, y, col, group, header, True))
        col += 1
        if (measure, y) == ("estimate", year):  # ktxh's proposal beside it, never read back
            out.append(Column(FORECAST, y, col, group, FORECAST_HEADER, False))
            col += 1
    return tuple(out)


def template_layout(
    catalog: Catalog,
    tree: OrgTree,
    top: str,
    dataset: str,
    orgunit: str,
    year: int,
    forms: Sequence[int] | None = None,
    department: Department | None = None,
) -> TemplateLayout:
    """The layout of a template; raises :class:`TemplateError` when there is nothing to fill."""
    if orgunit not in tree.units:
        raise TemplateError(f"Không có đơn vị mã «{orgunit}» trong bộ dữ liệu")
    unit = tree[orgunit]
    if not tree.valid_in_year(orgunit, year):
        raise TemplateError(
            f"{unit.full_name} (mã {unit.code}) không có hiệu lực trong năm {year} "
            f"({unit.validity()}): không có biểu mẫu của đơn vị này cho kỳ năm {year}"
        )
    is_top = orgunit == top
    wanted = list(forms) if forms else (list(department.forms) if department else [])
    for n in wanted:
        if n not in catalog.forms:
            known = ", ".join(str(f) for f in sorted(catalog.forms))
            raise TemplateError(f"Không có biểu số {n}; các biểu: {known}")
    if not wanted:
        wanted = [n for n in sorted(catalog.forms) if is_top or catalog.forms[n].has_unit_breakdown]
    sheets = []
    for n in sorted(set(wanted)):
        form = catalog.forms[n]
        rows = _form_rows(catalog, n, is_top)
        # no input for a year the unit is not valid in (a ward abolished before next year)
        columns = tuple(
            replace(c, input=c.input and tree.valid_in_year(orgunit, c.year))
            for c in _columns(form, year)
        )
        if not any(r.input for r in rows) or not any(c.input for c in columns):
            if forms or department:
                raise TemplateError(
                    f"{form.label} không có chỉ tiêu nào để {unit.full_name} nhập "
                    "(các chỉ tiêu của biểu chỉ có ở cấp cao nhất)"
                )
            continue
        sheets.append(SheetLayout(form, f"Biểu {n}", columns, tuple(rows)))
    if not sheets:
        raise TemplateError(f"Không có biểu nào để {unit.full_name} nhập số liệu")
    return TemplateLayout(
        dataset, unit, year, tuple(s.form.number for s in sheets), department, tuple(sheets)
    )


# --- writing ------------------------------------------------------------------


def _text(ws: Any, row: int, col: int, text: str, fmt: Any) -> None:
    """Text as text, never a formula, whatever it starts with (=, +, -, @)."""
    if text:
        ws.write_string(row, col, text, fmt)
    else:
        ws.write_blank(row, col, None, fmt)


def _lines(text: str, width: float, indent: int = 0) -> int:
    per_line = max(8.0, width * 1.3 - 3 * indent)
    return max(1, math.ceil(len(text) / per_line))


def _stored_cells(ds: Dataset, orgunit: str, years: set[int]) -> dict[tuple[str, int, str], Stored]:
    f = ds.values.frame
    rows = f.filter((f["orgunit"] == orgunit) & f["year"].is_in(sorted(years))).select(
        "indicator", "year", "measure", "value", "printed"
    )
    out = {}
    for code, year, measure, value, printed in rows.iter_rows():
        if value is None:
            out[(code, year, measure)] = Stored(True, None, printed or "-")
        else:
            out[(code, year, measure)] = Stored(True, float(value), printed or "")
    return out


def _validation_kind(ds: Dataset, ind: Indicator) -> str:
    unit = ds.catalog.units.get(ind.unit)
    if ind.is_share:  # the same test as the share_bounds check
        return "share"
    if unit is not None and unit.is_count:
        return "count"
    return "number"


VALIDATIONS = {
    "number": (
        'OR({c}="-",ISNUMBER({c}))',
        "Ô này chỉ nhận số (hoặc dấu - nếu không có số liệu).",
    ),
    "share": (
        'OR({c}="-",AND(ISNUMBER({c}),{c}>=0,{c}<=100))',
        "Tỷ lệ (%) phải là số từ 0 đến 100 (hoặc dấu - nếu không có số liệu).",
    ),
    "count": (
        'OR({c}="-",AND(ISNUMBER({c}),{c}>=0,INT({c})={c}))',
        "Số đếm phải là số nguyên không âm (hoặc dấu - nếu không có số liệu).",
    ),
}
# a plan cell may also hold a target as a resolution writes it (text: ktxh reads it on
# import); a number typed there is held to the same rule as in the other cells
VALIDATIONS.update(
    {
        f"{kind}+target": (
            formula.replace('OR({c}="-",', 'OR({c}="-",ISTEXT({c}),', 1),
            message + " Ô kế hoạch nhận cả chỉ tiêu như nghị quyết viết: 6,5-7; trên 90; "
            "dưới 3; khoảng 5.000.",
        )
        for kind, (formula, message) in list(VALIDATIONS.items())
    }
)


def write_template(
    ds: Dataset,
    target: str | Path | IO[bytes],
    *,
    orgunit: str,
    year: int | None = None,
    forms: Sequence[int] | None = None,
    department: Department | None = None,
    dataset: str | None = None,
    created: datetime | None = None,
) -> TemplateLayout:
    """Write the input template of ``orgunit`` (a code) for ``year`` to ``target``.

    ``forms`` (or a ``department``'s forms) limit it to those forms; by default
    the top unit gets every form and a unit below it the forms broken down by
    unit. Raises :class:`TemplateError` when there is nothing to fill.
    """
    y = ds.reference_year if year is None else year
    name = dataset or ds.name
    layout = template_layout(
        ds.catalog, ds.tree, ds.top_orgunit, name, orgunit, y, forms, department
    )
    created = created or datetime.now().astimezone()
    stored = _stored_cells(ds, orgunit, {c.year for sh in layout.sheets for c in sh.columns})
    proposals = _proposals(ds, orgunit, y)
    options: dict[str, Any] = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    if not isinstance(target, str | Path):
        options["in_memory"] = True
    wb = xlsxwriter.Workbook(target if not isinstance(target, Path) else str(target), options)
    wb.set_properties(
        {
            "title": f"Mẫu nhập số liệu năm {y} - {layout.orgunit.full_name}",
            "author": "ktxh",
            "comments": f"Tạo bởi ktxh; mã kiểm tra {layout.checksum()[:12]}",
        }
    )
    fmts = Formats(wb)
    guide = wb.add_worksheet(GUIDE_SHEET)
    _write_guide(guide, fmts, layout, created)
    bases: list[tuple[str, str, Stored]] = []
    for sheet in layout.sheets:
        ws = wb.add_worksheet(sheet.name)
        _write_sheet(ws, fmts, ds, layout, sheet, stored, bases, proposals)
    hidden = wb.add_worksheet(ID_SHEET)
    _write_identity(hidden, layout, created, bases)
    hidden.hide()
    hidden.protect()
    guide.activate()
    try:
        wb.close()
    except FileCreateError as exc:
        raise TemplateError(f"Không ghi được tệp {target}: {exc}") from None
    return layout


def _write_guide(ws: Any, fmts: Formats, layout: TemplateLayout, created: datetime) -> None:
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 100)
    plain = fmts.get(text_wrap=True, valign="top")
    bold = fmts.get(bold=True, font_size=13)
    y = layout.year
    _text(ws, 0, 1, f"{TITLE_MARK} KẾ HOẠCH PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM {y}", bold)
    facts = [
        f"Đơn vị: {layout.orgunit.full_name}",
        f"Phòng, ban: {layout.department.name}" if layout.department else "",
        f"Kỳ báo cáo: năm {y} (kế hoạch, thực hiện 6 tháng, ước thực hiện cả năm) "
        f"và kế hoạch năm {y + 1}",
        "Các biểu: " + ", ".join(s.form.label for s in layout.sheets),
        f"Tạo lúc: {created:%H:%M ngày %d/%m/%Y}",
    ]
    row = 2
    for text in (f for f in facts if f):
        _text(ws, row, 1, text, plain)
        row += 1
    row += 1
    _text(ws, row, 1, "Cách nhập", fmts.get(bold=True))
    row += 1
    rules = [
        "Chỉ nhập vào các ô nền vàng; các ô khác đã khóa. Ô đã có số là số liệu đang lưu: "
        "sửa nếu cần, để nguyên nếu đúng.",
        "Gõ số như bình thường trên máy của mình (ô phải là số, không phải chữ). Nếu buộc phải "
        "gõ số dạng chữ, viết kiểu Việt Nam: 1.234,5 (dấu chấm ngăn hàng nghìn, dấu phẩy "
        "thập phân).",
        "Gõ dấu - nếu chỉ tiêu không có số liệu (không phát sinh). Để trống nếu chưa có số liệu; "
        "xóa số đang có trong ô nghĩa là xóa số liệu đó khi nhập.",
        "Tỷ lệ (%) nhập từ 0 đến 100 (85 nghĩa là 85%), không nhập 0,85. Số đếm (người, hộ, "
        "trường...) là số nguyên.",
        "Không dùng công thức trong ô nhập: ktxh không tính công thức trong tệp gửi đến, ô có "
        "công thức bị từ chối. Hãy gõ số (có thể dán giá trị: Dán đặc biệt > Giá trị).",
        "Không thêm, xóa, di chuyển dòng hay cột, không đổi tên trang tính, không xóa trang "
        "ẩn «ktxh»: tệp sai cấu trúc sẽ bị từ chối.",
        f"Các cột «Năm {y - 1}» chỉ để tham khảo.",
        f"Cột «{FORECAST_HEADER}» (chữ nghiêng) là số ước thực hiện cả năm ktxh gợi ý từ số "
        "thực hiện 6 tháng và số liệu các năm trước, cách tính ở ghi chú của ô; chỉ để tham "
        "khảo: ktxh không đọc cột này, hãy gõ số ước thực hiện vào cột «Ước TH cả năm».",
        "Lưu và gửi lại đúng tệp này, dạng .xlsx (không lưu thành .xls hay .xlsm, không đặt "
        "mật khẩu, không liên kết tới tệp khác).",
    ]
    for n, text in enumerate(rules, start=1):
        _text(ws, row, 0, f"{n}.", fmts.get(valign="top", align="right"))
        _text(ws, row, 1, text, plain)
        ws.set_row(row, 15 * _lines(text, 100) + 2)
        row += 1
    ws.protect()


def _write_sheet(
    ws: Any,
    fmts: Formats,
    ds: Dataset,
    layout: TemplateLayout,
    sheet: SheetLayout,
    stored: Mapping[tuple[str, int, str], Stored],
    bases: list[tuple[str, str, Stored]],
    proposals: Mapping[str, tuple[float, str]] | None = None,
) -> None:
    y = layout.year
    last = sheet.last_col
    ws.merge_range(
        ROW_TITLE, 0, ROW_TITLE, last, f"{TITLE_MARK} - {sheet.form.label}", fmts.get(bold=True)
    )
    ws.merge_range(
        ROW_FORM, 0, ROW_FORM, last, sheet.form.title, fmts.get(bold=True, text_wrap=True)
    )
    ws.set_row(ROW_FORM, 30)
    who = f"Đơn vị: {layout.orgunit.full_name}"
    if layout.department:
        who += f" - {layout.department.name}"
    ws.merge_range(
        ROW_UNIT, 0, ROW_UNIT, last, f"{who} · Kỳ báo cáo: năm {y}", fmts.get(italic=True)
    )
    ws.merge_range(
        ROW_HINT,
        0,
        ROW_HINT,
        last,
        f"Nhập số vào các ô nền vàng (dấu - nếu không có số liệu; ô kế hoạch nhận cả chỉ tiêu "
        f"như nghị quyết viết: 6,5-7, trên 90). Các cột năm {y - 1} chỉ để "
        "tham khảo. Không thêm, xóa hay di chuyển dòng, cột (xem trang «Hướng dẫn»).",
        fmts.get(italic=True, font_size=10, text_wrap=True),
    )
    ws.set_row(ROW_HINT, 28)

    h = fmts.get(bold=True, align="center", text_wrap=True, border=1, bg_color=HEADER_FILL)
    for col in (COL_CODE, COL_STT, COL_NAME, COL_UNIT):
        ws.merge_range(
            HEADER_TOP, col, HEADER_TOP + 1, col, sheet.header_cells()[(HEADER_TOP, col)], h
        )
    groups: dict[str, list[Column]] = {}
    for c in sheet.columns:
        groups.setdefault(c.group, []).append(c)
    for group, cols in groups.items():
        first, end = cols[0].col, cols[-1].col
        if len(cols) == 1 and not cols[0].header:
            ws.merge_range(HEADER_TOP, first, HEADER_TOP + 1, first, group, h)
            continue
        if first == end:
            ws.write_string(HEADER_TOP, first, group, h)
        else:
            ws.merge_range(HEADER_TOP, first, HEADER_TOP, end, group, h)
        for c in cols:
            _text(ws, HEADER_TOP + 1, c.col, c.header, h)
    ws.set_row(HEADER_TOP, 30)
    ws.set_row(HEADER_TOP + 1, 30)

    ws.set_column(COL_CODE, COL_CODE, 9)
    ws.set_column(COL_STT, COL_STT, 5)
    ws.set_column(COL_NAME, COL_NAME, NAME_WIDTH)
    ws.set_column(COL_UNIT, COL_UNIT, 10)
    ws.set_column(FIRST_VALUE_COL, last, 12)

    validations: dict[str, list[str]] = {}
    for r in sheet.rows:
        ind = r.indicator
        bold = ind.kind is RowKind.GROUP or r.depth == 0
        style: dict[str, Any] = {"border": 1}
        if bold:
            style["bold"] = True
        _text(ws, r.row, COL_CODE, ind.code, fmts.get(font_size=9, font_color="#595959", **style))
        _text(ws, r.row, COL_STT, ind.stt, fmts.get(align="center", **style))
        _text(
            ws,
            r.row,
            COL_NAME,
            ind.name,
            fmts.get(text_wrap=True, indent=min(r.depth, 6), **style),
        )
        _text(ws, r.row, COL_UNIT, ind.unit, fmts.get(align="center", text_wrap=True, **style))
        lines = _lines(ind.name, NAME_WIDTH, min(r.depth, 6))
        if lines > 1:
            ws.set_row(r.row, 15 * lines + 1)
        num = number_format(ind.decimals)
        for c in sheet.columns:
            if c.measure == FORECAST:
                _write_proposal(ws, fmts, r, c, style, num, (proposals or {}).get(ind.code))
                continue
            cell = stored.get((ind.code, c.year, c.measure), ABSENT)
            props = dict(style)
            if c.input and r.input:
                props.update(num_format=num, locked=False, bg_color=INPUT_FILL)
                if cell.present:
                    bases.append((sheet.name, xl_rowcol_to_cell(r.row, c.col), cell))
            elif c.input or ind.kind is RowKind.GROUP:
                cell = ABSENT
            else:
                props.update(num_format=num, bg_color=REFERENCE_FILL)
            if not cell.present:
                ws.write_blank(r.row, c.col, None, fmts.get(**props))
            elif cell.value is None:
                ws.write_string(r.row, c.col, "-", fmts.get(align="right", **props))
            elif is_target_text(cell.printed):  # "6,5-7", "trên 90": as written
                ws.write_string(r.row, c.col, cell.printed, fmts.get(align="right", **props))
            else:
                ws.write_number(r.row, c.col, cell.value, fmts.get(**props))
        if r.input and sheet.inputs:
            kind = _validation_kind(ds, ind)
            # runs of input columns of one kind: plan cells also take targets
            runs: list[tuple[str, int, int]] = []
            for c in sheet.inputs:
                k = f"{kind}+target" if c.measure in TARGET_MEASURES else kind
                if runs and runs[-1][0] == k and runs[-1][2] == c.col - 1:
                    runs[-1] = (k, runs[-1][1], c.col)
                else:
                    runs.append((k, c.col, c.col))
            for k, a, b in runs:
                first = xl_rowcol_to_cell(r.row, a)
                end = xl_rowcol_to_cell(r.row, b)
                validations.setdefault(k, []).append(f"{first}:{end}")
    for kind, ranges in validations.items():
        formula, message = VALIDATIONS[kind]
        first_cell = ranges[0].split(":")[0]
        ws.data_validation(
            ranges[0],
            {
                "validate": "custom",
                "value": "=" + formula.format(c=first_cell),
                "ignore_blank": True,
                "error_type": "stop",
                "error_title": "Giá trị không hợp lệ",
                "error_message": message,
                "multi_range": " ".join(ranges),
            },
        )
    ws.freeze_panes(FIRST_ROW, FIRST_VALUE_COL)
    ws.repeat_rows(HEADER_TOP, HEADER_TOP + 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_footer(f'&C&"{FONT}"&10Trang &P/&N')
    ws.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _proposals(ds: Dataset, orgunit: str, year: int) -> dict[str, tuple[float, str]]:
    """indicator -> (proposed estimate, its note with the range) for the unit's empty
    estimate cells of ``year`` that have a first half."""
    frame = ds.values.frame
    mine = frame.filter((frame["orgunit"] == orgunit) & (frame["year"] <= year))
    entered = set(  # an estimate typed, or "-" (none): nothing to propose
        mine.filter((mine["year"] == year) & (mine["measure"] == "estimate"))["indicator"]
    )
    out = {}
    for r in propose(mine.filter(mine["value"].is_not_null()), ds.catalog, year).iter_rows(
        named=True
    ):
        if r["indicator"] in entered:
            continue
        decimals = ds.catalog[r["indicator"]].decimals
        low, high = (format_number(r[k], decimals) for k in ("low", "high"))
        span = f"; khoảng {low} - {high}" if low != high else ""
        note = (
            f"{r['note']}{span}. Gợi ý của ktxh, chỉ để tham khảo: ô này không được nhập; "
            "hãy gõ số ước thực hiện vào ô bên trái."
        )
        out[r["indicator"]] = (round_half_up(r["value"], decimals), note)
    return out


def _write_proposal(
    ws: Any,
    fmts: Formats,
    row: Row,
    col: Column,
    style: dict[str, Any],
    num: str,
    proposal: tuple[float, str] | None,
) -> None:
    """A cell of the proposals' column: locked, its number with the method as a comment."""
    if not row.input:  # a heading: nothing proposed
        ws.write_blank(row.row, col.col, None, fmts.get(**style))
        return
    props = {**style, "num_format": num, "bg_color": FORECAST_FILL, "italic": True}
    if proposal is None:
        ws.write_blank(row.row, col.col, None, fmts.get(**props))
        return
    value, note = proposal
    ws.write_number(row.row, col.col, value, fmts.get(**props))
    ws.write_comment(row.row, col.col, note, {"x_scale": 2.2, "y_scale": 1.6, "author": "ktxh"})


def _write_identity(
    ws: Any, layout: TemplateLayout, created: datetime, bases: list[tuple[str, str, Stored]]
) -> None:
    facts = [
        ("kind", "template"),
        ("version", str(TEMPLATE_VERSION)),
        ("dataset", layout.dataset),
        ("orgunit", layout.orgunit.code),
        ("orgunit_name", layout.orgunit.full_name),
        ("department", layout.department.code if layout.department else ""),
        ("year", str(layout.year)),
        ("forms", " ".join(str(f) for f in layout.forms)),
        ("created", created.isoformat(timespec="seconds")),
        ("checksum", layout.checksum()),
    ]
    ws.write_string(0, 0, ID_SHEET)
    ws.write_string(0, 1, ID_NOTE)
    row = 1
    for key, value in facts:
        ws.write_string(row, 0, key)
        _text(ws, row, 1, value, None)
        row += 1
    row += 1
    for col, text in enumerate(BASE_HEADER):
        ws.write_string(row, col, text)
    for sheet, ref, cell in bases:
        row += 1
        ws.write_string(row, 0, sheet)
        ws.write_string(row, 1, ref)
        if cell.value is None:
            ws.write_string(row, 2, "-")
        elif is_target_text(cell.printed):
            ws.write_string(row, 2, cell.printed)
        else:
            ws.write_number(row, 2, cell.value)


def template_filename(layout: TemplateLayout) -> str:
    """A file name for people: ``mau-nhap-2023-doan-ket.xlsx``."""
    who = layout.department.code if layout.department else layout.orgunit.code
    return f"mau-nhap-{layout.year}-{who}.xlsx"


# --- reading ------------------------------------------------------------------


@dataclass
class ReadResult:
    """What one file gave: what it is, its input cells, and the problems found."""

    file: str
    source: SourceInfo | None = None
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


norm = cell_text
at = cell_at


SheetRows = Callable[[str], "list[list[object]] | None"]


def read_workbook(
    data: bytes,
    file: str,
    ds: Dataset,
    *,
    dataset: str | None = None,
    expected: Expectation | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReadResult:
    """Read a filled template or an annex workbook (bytes, as uploaded or read from disk).

    Never raises for a bad file: every problem is in the result, naming the
    file, the sheet and the cell. With ``expected``, a file made for another
    dataset, period or unit is refused as a whole (:func:`check_source`) and
    gives no entries.
    """
    result = ReadResult(file)
    try:
        package = open_package(data, file, limits)
    except UnsafeFile as exc:
        result.problems.append(Problem(CellRef(file), exc.message, exc.issue))
        return result
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        result.problems.append(
            Problem(CellRef(file), f"tệp bị hỏng, không đọc được ({exc})", Issue.DAMAGED)
        )
        return result
    names = list(book.sheet_names)
    cache: dict[str, list[list[object]]] = {}

    def sheet_rows(name: str) -> list[list[object]] | None:
        if name not in names:
            return None
        if name not in cache:
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                cache[name] = cast(list[list[object]], rows)
            except CalamineError as exc:
                result.problems.append(
                    Problem(CellRef(file, name), f"không đọc được trang ({exc})", Issue.DAMAGED)
                )
                cache[name] = []
        return cache[name]

    name = dataset or ds.name
    form_sheets = {f"Biểu {n}": ds.catalog.forms[n].label for n in sorted(ds.catalog.forms)}
    first_form = next((s for s in form_sheets if s in names), None)
    if ID_SHEET in names:
        _read_template(result, package, sheet_rows, ds, name)
    elif first_form is not None and norm(at(sheet_rows(first_form) or [], 0, 0)) == norm(
        form_sheets[first_form]
    ):
        present = [s for s in form_sheets if s in names]
        formulas = formula_cells(package, present)
        source, entries, problems = read_annex(
            ds, sheet_rows, file, formulas, italic_cells(package, present)
        )
        result.source = source
        result.entries.extend(entries)
        result.problems.extend(problems)
    else:
        if any(norm(at(sheet_rows(s) or [], 0, 0)).startswith(TITLE_MARK) for s in names):
            message = (
                f"biểu mẫu thiếu trang nhận dạng «{ID_SHEET}» (có thể các trang đã được chép "
                "sang sổ tính khác); hãy gửi đúng tệp đã tải về"
            )
        else:
            message = (
                "tệp không phải biểu mẫu nhập của ktxh, cũng không phải phụ lục biểu số liệu "
                f"(không có trang «{ID_SHEET}» hay «Biểu 1»...)"
            )
        result.problems.append(Problem(CellRef(file), message, Issue.NOT_RECOGNISED))
    if result.source is not None:
        # without an expectation: at least this dataset and its units, any period
        expected = expected or Expectation(name, result.source.year)
        refused = check_source(result.source, expected, ds.tree)
        if refused:
            result.problems = refused + result.problems
            result.entries = []
    return result


def _identity(rows: list[list[object]]) -> tuple[dict[str, str], dict[tuple[str, str], Stored]]:
    facts: dict[str, str] = {}
    bases: dict[tuple[str, str], Stored] = {}
    n = 1
    while n < len(rows) and norm(at(rows, n, 0)):
        facts[norm(at(rows, n, 0))] = norm(at(rows, n, 1))
        n += 1
    start = next(
        (
            r + 1
            for r in range(n, len(rows))
            if tuple(norm(at(rows, r, k)) for k in range(3)) == BASE_HEADER
        ),
        len(rows),
    )
    for row in rows[start:]:
        if len(row) < 3 or not row[0]:
            continue
        key = (norm(row[0]), norm(row[1]))
        c = row[2]
        if isinstance(c, int | float) and not isinstance(c, bool):
            bases[key] = Stored(True, float(c))
        elif norm(c) == "-":
            bases[key] = NONE_MARK
        elif isinstance(c, str) and is_target_text(norm(c)):  # a target, as written
            target = target_of_cell(None, norm(c))
            if target is not None:
                bases[key] = Stored(True, float(target.number), target.text)
    return facts, bases


def _read_template(
    result: ReadResult,
    package: Package,
    sheet_rows: SheetRows,
    ds: Dataset,
    dataset: str,
) -> None:
    file = result.file
    ident = CellRef(file, ID_SHEET)
    facts, bases = _identity(sheet_rows(ID_SHEET) or [])
    try:
        if facts.get("kind") != "template":
            raise ValueError("kind")
        version = int(float(facts["version"]))
        year = int(float(facts["year"]))
        forms = tuple(int(f) for f in facts["forms"].split())
        orgunit = facts["orgunit"]
        checksum = facts["checksum"]
    except (KeyError, ValueError):
        result.problems.append(
            Problem(
                ident,
                "trang nhận dạng của biểu mẫu bị sửa hoặc hỏng; hãy tải biểu mẫu mới",
                Issue.NOT_RECOGNISED,
            )
        )
        return
    if version < TEMPLATE_VERSION:
        result.problems.append(
            Problem(
                ident,
                f"biểu mẫu phiên bản {version} đã cũ (ktxh hiện dùng phiên bản "
                f"{TEMPLATE_VERSION}); hãy tải biểu mẫu mới và nhập lại",
                Issue.OLD_VERSION,
            )
        )
        return
    if version > TEMPLATE_VERSION:
        result.problems.append(
            Problem(
                ident,
                f"biểu mẫu phiên bản {version} mới hơn phiên bản ktxh này đọc được "
                f"({TEMPLATE_VERSION}); hãy cập nhật ktxh",
                Issue.NEWER_VERSION,
            )
        )
        return
    result.source = SourceInfo(
        file,
        "template",
        year,
        (orgunit,),
        facts.get("dataset") or None,
        forms,
        facts.get("department") or None,
    )
    if orgunit not in ds.tree.units or facts.get("dataset") != dataset:
        return  # check_source says which
    department = None
    if facts.get("department"):
        department = Department(facts["department"], facts["department"], forms)
    try:
        layout = template_layout(
            ds.catalog, ds.tree, ds.top_orgunit, dataset, orgunit, year, forms, department
        )
    except TemplateError as exc:
        result.problems.append(
            Problem(ident, f"biểu mẫu không còn khớp danh mục: {exc}", Issue.CHECKSUM)
        )
        return
    if layout.checksum() != checksum:
        result.problems.append(
            Problem(
                ident,
                "mã kiểm tra cấu trúc không khớp danh mục chỉ tiêu hiện nay: biểu mẫu đã cũ "
                "(danh mục thay đổi sau khi tạo biểu mẫu) hoặc trang nhận dạng bị sửa; hãy tải "
                "biểu mẫu mới và nhập lại",
                Issue.CHECKSUM,
            )
        )
        return
    formulas = formula_cells(package, [s.name for s in layout.sheets])
    for sheet in layout.sheets:
        rows = sheet_rows(sheet.name)
        if rows is None:
            result.problems.append(
                Problem(
                    CellRef(file, sheet.name),
                    f"thiếu trang «{sheet.name}» (trang bị xóa hoặc đổi tên); hãy dùng đúng "
                    "biểu mẫu đã tải",
                    Issue.MISSING_SHEET,
                )
            )
            continue
        problem = check_structure(file, sheet, rows)
        if problem is not None:
            result.problems.append(problem)
            continue
        in_sheet = formulas.get(sheet.name, {})
        inputs = [(c, xl_col_to_name(c.col)) for c in sheet.inputs]
        for r in sheet.rows:
            if not r.input:
                continue
            for c, letters in inputs:
                ref = f"{letters}{r.row + 1}"
                key = (r.indicator.code, orgunit, c.year, c.measure)
                where = CellRef(file, sheet.name, ref)
                if ref in in_sheet:
                    result.problems.append(formula_problem(ds, where, key, in_sheet[ref]))
                    continue
                raw = at(rows, r.row, c.col)
                base = bases.get((sheet.name, ref), ABSENT)
                result.entries.append(Entry(key, raw, where, base))


def formula_problem(ds: Dataset, where: CellRef, key: Any, formula: str) -> Problem:
    text = formula if len(formula) <= 60 else formula[:57] + "..."
    return Problem(
        where,
        f"{describe_key(ds.catalog, ds.tree, key)}: ô có công thức (={text}); ktxh không tính "
        "công thức trong tệp gửi đến, hãy gõ số (hoặc dán giá trị) thay cho công thức",
        Issue.FORMULA,
    )


def check_structure(file: str, sheet: SheetLayout, rows: list[list[object]]) -> Problem | None:
    """The first cell where a form's sheet differs from its layout, as a problem."""
    for (r, c), want in sorted(sheet.header_cells().items()):
        got = norm(at(rows, r, c))
        if got != norm(want):
            return Problem(
                CellRef(file, sheet.name, xl_rowcol_to_cell(r, c)),
                f"tiêu đề cột đã bị sửa, hoặc cột bị thêm, xóa: ô phải là «{want}» nhưng là "
                f"«{got}»; hãy dùng đúng biểu mẫu đã tải",
                Issue.STRUCTURE,
            )
    for row in sheet.rows:
        for (r, c), want in sorted(sheet.row_cells(row).items()):
            got = norm(at(rows, r, c))
            if got != norm(want):
                return Problem(
                    CellRef(file, sheet.name, xl_rowcol_to_cell(r, c)),
                    f"các dòng đã bị di chuyển, thêm hoặc xóa: ô phải là «{want}» (chỉ tiêu "
                    f"{row.indicator.code} «{row.indicator.name}») nhưng là «{got}»; hãy dùng "
                    "đúng biểu mẫu đã tải, không thêm, xóa hay di chuyển dòng",
                    Issue.STRUCTURE,
                )
    for r in range(sheet.last_row + 1, len(rows)):
        for c, v in enumerate(rows[r]):
            if norm(v):
                return Problem(
                    CellRef(file, sheet.name, xl_rowcol_to_cell(r, c)),
                    f"có dòng thêm vào dưới bảng (dòng {r + 1}); hãy xóa dòng đó, không thêm "
                    "dòng vào biểu mẫu",
                    Issue.STRUCTURE,
                )
    for r in range(HEADER_TOP, min(sheet.last_row + 1, len(rows))):
        for c in range(sheet.last_col + 1, len(rows[r])):
            if norm(rows[r][c]):
                return Problem(
                    CellRef(file, sheet.name, xl_rowcol_to_cell(r, c)),
                    "có cột thêm vào bên phải bảng; hãy xóa cột đó, không thêm cột vào biểu mẫu",
                    Issue.STRUCTURE,
                )
    return None
