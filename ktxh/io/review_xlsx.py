"""The review workbook of a reading: what a person goes through in Excel before
anything read from a past report is final.

Sheets:

* ``Cần xem lại``: one row per review item (an uncertain match, a shifted
  row, an unreadable cell, a number left over ...), with where it is in the
  file, the text as printed, what ktxh did and why, and three columns for the
  reviewer: the decision (a list: Đồng ý, Cách xếp khác, Sửa, Bỏ), the right value, a note;
* ``Giá trị đã đọc``: every value read, with its indicator, unit, org unit,
  year and measure, the number (a real number, Vietnamese format), the text as
  printed, where it was read, how sure the reading is and why;
* ``Các bảng``: every table found, the form it was taken for and how;
* ``Lỗi tệp``: input that could not be read at all, when there is any.

:func:`read_review` reads the reviewer's decisions back (a draft of the store takes
them: ktxh.store.drafts.apply_review).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook

from ktxh.domain.catalog import MEASURE_LABELS
from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import decimals_of, format_number
from ktxh.domain.placement import Sureness
from ktxh.domain.reading import Reading, Where, column_letters, fold
from ktxh.io.xlsx_safety import UnsafeFile, open_package

FONT = "Times New Roman"
SURENESS_LABELS = {Sureness.HIGH: "cao", Sureness.MEDIUM: "trung bình", Sureness.LOW: "thấp"}
DECISIONS = ["Đồng ý", "Cách xếp khác", "Sửa", "Bỏ"]


def where_parts(w: Where) -> list[str | int]:
    """File, page, table or sheet, row (or line), column: the columns of a location."""
    return [
        w.file,
        "" if w.page is None else w.page,
        w.sheet or ("" if w.table is None else w.table),
        w.line if w.line is not None else ("" if w.row is None else w.row),
        w.cell or ("" if w.col is None else w.col),
    ]


WHERE_HEADERS = ["Tệp", "Trang", "Bảng / trang tính", "Dòng / hàng", "Cột / ô"]


def _number_format(printed: str) -> str:
    d = decimals_of(printed) or 0
    pattern = "#,##0" + ("." + "0" * d if d else "")
    return f"{pattern};({pattern})"


def write_review(reading: Reading, ds: Dataset, path: Path) -> None:
    """Write the review workbook of ``reading`` (against the plan ``ds``) to ``path``."""
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    wb.set_properties({"title": "Kết quả đọc báo cáo cũ", "comments": "Tạo bởi ktxh"})
    base: dict[str, Any] = {"font_name": FONT, "font_size": 11, "valign": "top"}
    head = wb.add_format(
        {**base, "bold": True, "text_wrap": True, "border": 1, "bg_color": "#DDEBF7"}
    )
    text = wb.add_format({**base, "text_wrap": True})
    plain = wb.add_format(base)
    fill = wb.add_format({**base, "bg_color": "#FFF2CC", "border": 1})
    formats: dict[str, Any] = {}

    def number_fmt(printed: str) -> Any:
        key = _number_format(printed)
        if key not in formats:
            formats[key] = wb.add_format({**base, "num_format": key})
        return formats[key]

    # --- the review list -------------------------------------------------------------
    ws = wb.add_worksheet("Cần xem lại")
    headers = [
        "STT",
        "Loại",
        *WHERE_HEADERS,
        "Chữ in trên bản gốc",
        "Chỉ tiêu",
        "Nội dung cần xem",
        "Độ tin cậy",
        "Quyết định",
        "Giá trị đúng",
        "Ghi chú của người xem",
    ]
    ws.write_row(0, 0, headers, head)
    widths = [5, 22, 18, 6, 10, 8, 7, 24, 10, 70, 10, 12, 12, 24]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w, text if w >= 20 else plain)
    for i, item in enumerate(reading.review, start=1):
        ind = ds.catalog.indicators.get(item.indicator)
        row = [
            i,
            item.label,
            *where_parts(item.where),
            item.printed,
            f"{item.indicator} {ind.label}" if ind else item.indicator,
            item.message,
            SURENESS_LABELS[item.confidence],
        ]
        for c, cell in enumerate(row):
            if isinstance(cell, int):
                ws.write_number(i, c, cell, plain)
            else:
                ws.write_string(i, c, cell, text)
        for c in (len(row), len(row) + 1, len(row) + 2):
            ws.write_blank(i, c, None, fill)
    last = max(1, len(reading.review))
    decision_col = len(headers) - 3
    ws.data_validation(
        1,
        decision_col,
        last,
        decision_col,
        {
            "validate": "list",
            "source": DECISIONS,
            "input_title": "Quyết định",
            "input_message": "Đồng ý: giữ cách đọc của ktxh; Cách xếp khác: lấy cách xếp ktxh "
            "ghi sau «cách xếp khác»; Sửa: ghi giá trị đúng; Bỏ: không lấy",
            "error_title": "Giá trị không hợp lệ",
            "error_message": "Chọn một trong: " + ", ".join(DECISIONS),
        },
    )
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, last, len(headers) - 1)

    # --- the values --------------------------------------------------------------------
    ws = wb.add_worksheet("Giá trị đã đọc")
    headers = [
        "Mã chỉ tiêu",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Đơn vị",
        "Năm",
        "Số đo",
        "Giá trị",
        "In trên bản gốc",
        "Độ tin cậy",
        *WHERE_HEADERS,
        "Cách đọc",
    ]
    ws.write_row(0, 0, headers, head)
    for c, w in enumerate([10, 40, 12, 18, 6, 18, 12, 12, 10, 18, 6, 10, 8, 7, 60]):
        ws.set_column(c, c, w)
    names = {u.code: u.full_name for u in ds.tree}
    for i, v in enumerate(reading.values, start=1):
        ind = ds.catalog.indicators.get(v.indicator)
        ws.write_string(i, 0, v.indicator, plain)
        ws.write_string(i, 1, ind.label if ind else "", text)
        ws.write_string(i, 2, ind.unit if ind else "", plain)
        ws.write_string(i, 3, names.get(v.orgunit, v.orgunit), plain)
        ws.write_number(i, 4, v.year, plain)
        ws.write_string(i, 5, MEASURE_LABELS.get(v.measure, v.measure), plain)
        if v.value is None:
            ws.write_string(i, 6, "-", plain)
        else:
            ws.write_number(i, 6, v.value, number_fmt(v.printed))
        ws.write_string(i, 7, v.printed, plain)
        ws.write_string(i, 8, SURENESS_LABELS[v.confidence], plain)
        for c, part in enumerate(where_parts(v.where), start=9):
            if isinstance(part, int):
                ws.write_number(i, c, part, plain)
            else:
                ws.write_string(i, c, part, plain)
        ws.write_string(i, 14, v.note, text)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, max(1, len(reading.values)), len(headers) - 1)

    # --- the tables ----------------------------------------------------------------------
    ws = wb.add_worksheet("Các bảng")
    headers = [
        *WHERE_HEADERS[:3],
        "Biểu",
        "Nhận biểu theo",
        "Năm",
        "Số hàng tiêu đề",
        "Số dòng",
        "Dòng khớp danh mục",
    ]
    ws.write_row(0, 0, headers, head)
    for c, w in enumerate([24, 6, 16, 6, 22, 6, 10, 8, 12]):
        ws.set_column(c, c, w)
    for i, t in enumerate(reading.tables, start=1):
        cells: list[Any] = [
            *where_parts(t.where)[:3],
            "" if t.form is None else t.form,
            t.how,
            "" if t.year is None else t.year,
            t.header_rows,
            t.rows,
            t.matched,
        ]
        for c, item in enumerate(cells):
            if isinstance(item, int):
                ws.write_number(i, c, item, plain)
            else:
                ws.write_string(i, c, str(item), plain)

    if reading.problems:
        ws = wb.add_worksheet("Lỗi tệp")
        ws.write_row(0, 0, [*WHERE_HEADERS, "Lỗi"], head)
        ws.set_column(0, 0, 24)
        ws.set_column(5, 5, 90)
        for i, p in enumerate(reading.problems, start=1):
            for c, part in enumerate([*where_parts(p.where), p.message]):
                if isinstance(part, int):
                    ws.write_number(i, c, part, plain)
                else:
                    ws.write_string(i, c, part, text)
    wb.close()


# --- the workbook sent back -------------------------------------------------------------

REVIEW_SHEET = "Cần xem lại"
# the reviewer's words -> the decision (ktxh.store.models.Decision)
DECISION_WORDS = {
    "đồng ý": "accept",
    "cách xếp khác": "alternative",
    "sửa": "correct",
    "bỏ": "reject",
}


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """A row of the review sheet sent back: the item's number (STT), its kind as
    written, its file, and the reviewer's decision, right values and note."""

    file: str  # the review workbook's name
    sheet: str
    row: int  # 1-based, as the sheet shows it
    number: int
    label: str
    source_file: str  # the "Tệp" column: the file the item is about
    decision: str  # "", accept, alternative, correct, reject
    value_text: str
    note: str
    columns: dict[str, int]  # header -> 0-based column

    def where(self, header: str) -> str:
        col = self.columns.get(header)
        at = f", cột {column_letters(col + 1)} «{header}»" if col is not None else ""
        return f"tệp «{self.file}», trang «{self.sheet}», dòng {self.row}{at}"

    def texts(self) -> list[str]:
        """The right values typed, one per value of the item, separated by ";"."""
        return [t.strip() for t in self.value_text.split(";")] if self.value_text else [""]


def _review_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format_number(value, parens=True)
    return unicodedata.normalize("NFC", str(value)).strip()


def read_review(data: bytes, file: str) -> tuple[list[ReviewRow], list[str]]:
    """The decisions of a review workbook sent back, and its own faults (a file that is
    not a review workbook, a decision that is not one of the list), each located by
    file, sheet, row and column. Which item a row is, and whether its decision fits
    it, is the draft's business (ktxh.store.drafts.apply_review)."""
    try:
        open_package(data, file)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except UnsafeFile as exc:
        return [], [f"tệp «{file}»: {exc.message}"]
    except (CalamineError, ValueError, OSError) as exc:
        return [], [f"tệp «{file}»: tệp bị hỏng, không đọc được ({exc})"]
    if REVIEW_SHEET not in book.sheet_names:
        return [], [
            f"tệp «{file}»: không phải bảng xem lại của ktxh (không có trang «{REVIEW_SHEET}»)"
        ]
    grid = book.get_sheet_by_name(REVIEW_SHEET).to_python(skip_empty_area=False)
    header = [_review_cell(v) for v in (grid[0] if grid else [])]
    columns = {h: i for i, h in enumerate(header) if h}
    needed = ["STT", "Loại", "Quyết định", "Giá trị đúng"]
    missing = [h for h in needed if h not in columns]
    if missing:
        return [], [
            f"tệp «{file}», trang «{REVIEW_SHEET}», dòng 1: thiếu cột "
            + ", ".join(f"«{m}»" for m in missing)
        ]
    faults: list[str] = []
    rows: list[ReviewRow] = []

    def get(raw: Sequence[object], header_name: str) -> str:
        i = columns.get(header_name)
        return _review_cell(raw[i]) if i is not None and i < len(raw) else ""

    words = {fold(w): code for w, code in DECISION_WORDS.items()}
    for r, raw in enumerate(grid[1:], start=2):
        cells: list[object] = list(raw)
        number_text = get(cells, "STT")
        if not any(_review_cell(v) for v in cells):
            continue
        base = ReviewRow(file, REVIEW_SHEET, r, 0, "", "", "", "", "", columns)
        if not number_text.isdigit():
            faults.append(f"{base.where('STT')}: «{number_text}» không phải số thứ tự của một mục")
            continue
        word = get(cells, "Quyết định")
        decision = words.get(fold(word), "") if word else ""
        if word and not decision:
            faults.append(
                f"{base.where('Quyết định')}: «{word}» không phải quyết định; chọn một trong: "
                + ", ".join(f"«{d}»" for d in DECISIONS)
            )
            continue
        value_text = get(cells, "Giá trị đúng")
        if decision == "correct" and not value_text:
            faults.append(
                f"{base.where('Giá trị đúng')}: quyết định «Sửa» nhưng chưa ghi giá trị đúng "
                "(ghi «-» nếu không có số liệu)"
            )
            continue
        rows.append(
            ReviewRow(
                file,
                REVIEW_SHEET,
                r,
                int(number_text),
                get(cells, "Loại"),
                get(cells, "Tệp"),
                decision,
                value_text,
                get(cells, "Ghi chú của người xem"),
                columns,
            )
        )
    return rows, faults
