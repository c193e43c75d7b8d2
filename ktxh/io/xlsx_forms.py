"""The official annex workbook: one sheet per Biểu, laid out as the forms are on paper.

Each sheet has the title block ("Biểu số N", the title, "(Kèm theo báo cáo số
.../BC-UBND ngày ... của UBND ...)"), the merged multi-row header of the form
(Năm Y: Kế hoạch giao, TH 6 tháng, Ước TH cả năm; Định hướng kế hoạch năm Y+1:
Tổng cộng and, "Trong đó", the units below; So sánh (%); Ghi chú), then one
row per catalog row: STT and name as in the catalog, group rows bold, sub-items
indented, the unit, and the values as real numbers formatted with the
indicator's decimals (``#,##0.0``; the viewer's locale shows "2.022,5").

The comparison columns are Excel formulas over the cells of their row, with the
direction rule of :mod:`ktxh.domain.compare` (lower-is-better indicators
``old / new``) and guards against empty, "-" and zero cells; the value ktxh
computes is cached in the file so that viewers that do not recalculate show it.
Where a form leaves the city total blank but its units give it, the total
consolidated from the units is written (in italics).

Checks can colour cells: ``highlights`` maps a value's key to a severity
("lỗi", "cảnh báo", "lưu ý") and a message, which becomes a cell comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ktxh.domain.catalog import PRINTED_RATIO_MEASURES, Form, Indicator, RowKind
from ktxh.domain.compare import ratio
from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import CellRef, Entry, Issue, Problem, SourceInfo, describe_key
from ktxh.domain.numbers import decimals_of
from ktxh.domain.orgunits import period_day
from ktxh.domain.report import ReportMeta
from ktxh.domain.tables import CellIndex, Shown, shown_columns, value_cell
from ktxh.domain.targets import is_target_text, rate_cell, report_day
from ktxh.io.publish import report_cells

Key = tuple[str, str, int, str]
Highlights = Mapping[Key, tuple[str, str]]

FONT = "Times New Roman"
SEVERITY_FILLS = {"lỗi": "#FF7C80", "cảnh báo": "#FFC000", "lưu ý": "#FFFF66"}
NONE_TEXT = "-"
COMPUTED_NOTE = "Số in nghiêng ở cột tổng: biểu gốc để trống, tổng cộng tính từ các đơn vị."

# Rows of the title block; the header starts below it.
ROW_LABEL, ROW_TITLE, ROW_REFERENCE = 0, 1, 2
HEADER_TOP = 4
NAME_WIDTH, UNIT_WIDTH = 44, 10

_TOP_LEVEL_STT = re.compile(r"^(?:[IVXLC]+|[A-Z])$")


class AnnexError(ValueError):
    """Input the annex cannot be written from; the message is Vietnamese."""


def sheet_name(form: Form) -> str:
    return f"Biểu {form.number}"


@dataclass
class Layout:
    """Where everything of one form goes on its sheet (0-based rows and columns): the
    form's declared columns (:func:`ktxh.domain.tables.shown_columns`) from column 3."""

    form: Form
    sheet: str
    year: int  # the round the layout is for
    columns: list[tuple[Shown, int]]  # every shown column with its sheet column
    note_col: int
    header_rows: int
    rows: dict[str, int] = field(default_factory=dict)  # indicator code -> row
    cols: dict[tuple[str, int, str], int] = field(default_factory=dict)  # (org, year, measure)

    @property
    def first_row(self) -> int:
        return HEADER_TOP + self.header_rows

    @property
    def last_col(self) -> int:
        return self.note_col

    @property
    def values(self) -> list[tuple[Shown, int]]:
        return [(s, c) for s, c in self.columns if s.kind == "value"]

    @property
    def ratios(self) -> list[tuple[Shown, int]]:
        return [(s, c) for s, c in self.columns if s.kind == "ratio"]


def _layout(ds: Dataset, form: Form, indicators: list[Indicator]) -> Layout:
    y = ds.reference_year
    top = ds.top_orgunit

    def units_on(measure: str, year: int) -> list[tuple[str, str]]:
        return [(u.code, u.name) for u in ds.tree.children(top, on=period_day(year, measure))]

    shown = shown_columns(form, y, units_on)
    columns = [(s, 3 + i) for i, s in enumerate(shown)]
    has_units = any(s.orgunit is not None for s in shown)
    layout = Layout(
        form=form,
        sheet=sheet_name(form),
        year=y,
        columns=columns,
        note_col=3 + len(shown),
        header_rows=3 if has_units else 2,
    )
    for s, c in columns:
        if s.kind == "value":
            layout.cols.setdefault((s.orgunit or top, s.year, s.measure), c)
        elif s.spec is not None and s.spec.printed_measure is not None:
            key = (top, y + s.spec.printed_year_offset, s.spec.printed_measure)
            layout.cols.setdefault(key, c)
    for i, ind in enumerate(indicators):
        layout.rows[ind.code] = layout.first_row + i
    return layout


def annex_layouts(ds: Dataset) -> dict[int, Layout]:
    """The layout of every form's sheet, by form number."""
    return {
        n: _layout(ds, ds.catalog.forms[n], ds.catalog.in_form(n)) for n in sorted(ds.catalog.forms)
    }


def annex_cell(ds: Dataset, key: Key) -> tuple[str, int, int] | None:
    """(sheet name, row, column), 0-based, of a value's cell in the annex; None if not shown.

    The printed comparison measures map onto their comparison column.
    """
    indicator, orgunit, year, measure = key
    ind = ds.catalog.indicators.get(indicator)
    if ind is None or ind.form not in ds.catalog.forms:
        return None
    layout = _layout(ds, ds.catalog.forms[ind.form], ds.catalog.in_form(ind.form))
    col = layout.cols.get((orgunit, year, measure))
    if col is None:
        return None
    return layout.sheet, layout.rows[indicator], col


def number_format(decimals: int) -> str:
    """``#,##0.0;(#,##0.0)``: grouped, fixed decimals, negatives in parentheses."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return f"{pattern};({pattern})"


def _ratio_decimals(ds: Dataset) -> dict[tuple[int, str], int]:
    """Decimals the source prints for each form's comparisons (most often used; else 0)."""
    f = ds.values.frame.filter(pl.col("measure").is_in(PRINTED_RATIO_MEASURES)).select(
        "indicator", "measure", "printed"
    )
    counts: dict[tuple[int, str], Counter[int]] = {}
    for code, measure, printed in f.iter_rows():
        d = decimals_of(printed)
        ind = ds.catalog.indicators.get(code)
        if d is None or ind is None:
            continue
        counts.setdefault((ind.form, measure), Counter())[d] += 1
    out = {}
    for key, c in counts.items():
        best = max(c.values())
        out[key] = max(d for d, n in c.items() if n == best)
    return out


class Formats:
    """XlsxWriter formats made once per combination of properties (Times New Roman, 11 pt)."""

    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self._cache: dict[tuple[tuple[str, Any], ...], Any] = {}

    def get(self, **props: Any) -> Any:
        base: dict[str, Any] = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
        base.update(props)
        key = tuple(sorted(base.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._wb.add_format(base)
            self._cache[key] = fmt
        return fmt


def _check_highlights(highlights: Highlights) -> dict[Key, tuple[str, str]]:
    out = {}
    for key, (severity, message) in highlights.items():
        sev = unicodedata.normalize("NFC", severity)
        if sev not in SEVERITY_FILLS:
            known = ", ".join(f"«{s}»" for s in SEVERITY_FILLS)
            raise AnnexError(f"Mức độ «{severity}» không hợp lệ; dùng một trong: {known}")
        out[key] = (sev, message)
    return out


INVERTED_HEADER_MARK = " (*)"
INVERTED_NOTE = "(*) tính ngược: cũ/mới"
INVERTED_COMMENT = (
    "(*) Cột so sánh tính như tiêu đề (mới/cũ); riêng chỉ tiêu càng thấp càng tốt, "
    "theo quy ước của biểu, tính ngược lại (cũ/mới) và ghi ở cột Ghi chú."
)


def _formula(new: str, old: str, inverted: bool = False) -> str:
    """``new / old × 100`` as the column header says (``old / new`` where the form's
    convention inverts the row), blank where meaningless.

    Mirrors :func:`ktxh.domain.compare.ratio`: both cells numbers (not empty,
    not "-"), a non-zero denominator, no change of sign.
    """
    num, den = (old, new) if inverted else (new, old)
    return (
        f"=IF(AND(ISNUMBER({new}),ISNUMBER({old})),"
        f'IF(AND({den}<>0,{new}*{old}>=0),{num}/{den}*100,""),"")'
    )


def _text(ws: Any, row: int, col: int, text: str, fmt: Any) -> None:
    """Text as text, never a formula, even when it starts with =, +, - or @."""
    if text:
        ws.write_string(row, col, text, fmt)
    else:
        ws.write_blank(row, col, None, fmt)


def _merge(ws: Any, r1: int, c1: int, r2: int, c2: int, text: str, fmt: Any) -> None:
    if (r1, c1) == (r2, c2):
        ws.write_string(r1, c1, text, fmt)
    else:
        ws.merge_range(r1, c1, r2, c2, text, fmt)


HeaderCell = tuple[int, int, int, int, str]
"""(first row, first column, last row, last column, text) of a header cell."""


def _value_blocks(layout: Layout) -> list[list[tuple[Shown, int]]]:
    """The value columns by declared column: a column and, after it, its units."""
    blocks: list[list[tuple[Shown, int]]] = []
    for s, c in layout.columns:
        if s.kind != "value":
            continue
        if s.orgunit is not None and blocks:
            blocks[-1].append((s, c))
        else:
            blocks.append([(s, c)])
    return blocks


def header_cells(layout: Layout, y: int) -> list[HeaderCell]:
    """Every cell of a form's header for round ``y``, as the forms print it: "Năm Y"
    over that year's measures, "Định hướng kế hoạch năm Y+1" over next year's plan
    ("Tổng cộng" and, "Trong đó", the units where it is broken down), a period's
    plan years under "Kế hoạch giai đoạn", "So sánh (%)" over the comparisons,
    "Đánh giá", "Ghi chú"."""
    top, bottom = HEADER_TOP, HEADER_TOP + layout.header_rows - 1
    out: list[HeaderCell] = [
        (top, 0, bottom, 0, "STT"),
        (top, 1, bottom, 1, "Chỉ tiêu"),
        (top, 2, bottom, 2, "Đơn vị tính"),
    ]
    blocks = _value_blocks(layout)
    # (group text, own header or None for a single cell down to the bottom) per block
    labels: list[tuple[str, str | None]] = []
    for block in blocks:
        col = block[0][0].column
        measure, year = col.ref.at(y)
        if col.units:
            labels.append((col.group(y), "Tổng cộng"))
        elif measure == "plan" and col.ref.year.absolute is not None:
            labels.append(("", f"Năm {year}"))  # a period's plan: grouped below
        elif measure == "plan" and year == y + 1:
            labels.append((col.group(y), None))
        else:
            labels.append((col.group(y), col.header(y)))
    # a run of absolute plan years is one period: "Kế hoạch giai đoạn 2026-2028"
    i = 0
    while i < len(blocks):
        if labels[i][0] == "":
            j = i
            while j + 1 < len(blocks) and labels[j + 1][0] == "":
                j += 1
            first = blocks[i][0][0].column.ref.at(y)[1]
            last = blocks[j][0][0].column.ref.at(y)[1]
            text = f"Kế hoạch giai đoạn {first}-{last}" if j > i else f"Kế hoạch năm {first}"
            for k in range(i, j + 1):
                labels[k] = (text, labels[k][1])
            i = j + 1
        else:
            i += 1
    i = 0
    while i < len(blocks):
        group, own = labels[i]
        block = blocks[i]
        first_col, last_col = block[0][1], block[-1][1]
        if own is None:
            out.append((top, first_col, bottom, first_col, group))
            i += 1
            continue
        if block[0][0].column.units:
            out.append((top, first_col, top, last_col, group))
            out.append((top + 1, first_col, bottom, first_col, own))
            if len(block) > 1:
                out.append((top + 1, block[1][1], top + 1, last_col, "Trong đó"))
                out.extend((bottom, c, bottom, c, s.unit_name) for s, c in block[1:])
            i += 1
            continue
        j = i
        while (
            j + 1 < len(blocks)
            and labels[j + 1][0] == group
            and labels[j + 1][1] is not None
            and not blocks[j + 1][0][0].column.units
            and blocks[j + 1][0][1] == blocks[j][-1][1] + 1
        ):
            j += 1
        out.append((top, first_col, top, blocks[j][-1][1], group))
        for k in range(i, j + 1):
            own_text = labels[k][1]
            assert own_text is not None
            out.append((top + 1, blocks[k][0][1], bottom, blocks[k][0][1], own_text))
        i = j + 1
    # consecutive comparisons under one "So sánh (%)"; a rating is a column of its own
    runs: list[list[tuple[Shown, int]]] = []
    for shown, c in layout.columns:
        if shown.kind == "rating":
            out.append((top, c, bottom, c, shown.column.header(y)))
        elif shown.kind == "ratio":
            if runs and runs[-1][-1][1] == c - 1:
                runs[-1].append((shown, c))
            else:
                runs.append([(shown, c)])
    for run in runs:
        out.append((top, run[0][1], top, run[-1][1], "So sánh (%)"))
        out.extend((top + 1, c, bottom, c, shown.column.header(y)) for shown, c in run)
    out.append((top, layout.note_col, bottom, layout.note_col, "Ghi chú"))
    return out


def _write_header(
    ws: Any, layout: Layout, fmts: Formats, y: int, meta: ReportMeta, inverted: bool = False
) -> None:
    """``inverted``: some rows compare old ÷ new (the form's convention); their
    comparison headers are marked and explained."""
    last = layout.last_col
    form = layout.form
    ws.merge_range(
        ROW_LABEL, 0, ROW_LABEL, last, form.label, fmts.get(bold=True, font_size=12, align="center")
    )
    ws.merge_range(
        ROW_TITLE,
        0,
        ROW_TITLE,
        last,
        form.title,
        fmts.get(bold=True, font_size=13, align="center", text_wrap=True),
    )
    ws.set_row(ROW_TITLE, 36)
    ws.merge_range(
        ROW_REFERENCE,
        0,
        ROW_REFERENCE,
        last,
        meta.reference,
        fmts.get(italic=True, font_size=12, align="center"),
    )
    h = fmts.get(bold=True, align="center", text_wrap=True, border=1)
    ratio_cols = {c for _, c in layout.ratios}
    for r1, c1, r2, c2, text in header_cells(layout, y):
        marked = inverted and r1 == HEADER_TOP + 1 and c1 in ratio_cols
        _merge(ws, r1, c1, r2, c2, text + (INVERTED_HEADER_MARK if marked else ""), h)
        if marked:
            ws.write_comment(
                r1, c1, INVERTED_COMMENT, {"author": "ktxh", "x_scale": 2, "font_name": FONT}
            )
    top, bottom = HEADER_TOP, HEADER_TOP + layout.header_rows - 1
    for r in range(top, bottom + 1):
        ws.set_row(r, 48 if r == bottom else 22)


def _row_style(ind: Indicator, depth: int) -> dict[str, Any]:
    bold = ind.kind is RowKind.GROUP or (depth == 0 and bool(_TOP_LEVEL_STT.match(ind.stt)))
    style: dict[str, Any] = {"border": 1}
    if bold:
        style["bold"] = True
    return style


def _page_setup(ws: Any, layout: Layout) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # fit to width, as many pages as needed down
    ws.repeat_rows(HEADER_TOP, layout.first_row - 1)
    ws.freeze_panes(layout.first_row, 3)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer(f'&C&"{FONT}"&10Trang &P/&N')
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, NAME_WIDTH)
    ws.set_column(2, 2, UNIT_WIDTH)
    y = layout.year
    for s, c in layout.columns:
        if s.kind == "ratio" or s.kind == "rating":
            width = 12
        elif s.orgunit is not None:
            width = 9
        elif s.column.units or (s.measure == "plan" and s.year == y + 1):
            width = 11
        else:
            width = 10
        ws.set_column(c, c, width)
    ws.set_column(layout.note_col, layout.note_col, 10)


def _lines(text: str, width: float, indent: int = 0) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide.

    Neither Excel nor LibreOffice fits the height of a row to wrapped text in a
    file they did not lay out themselves, so the writer sets it.
    """
    per_line = max(8.0, width * 1.45 - 3 * indent)
    words = text.split()
    lines, used = 1, 0.0
    for w in words:
        need = len(w) + (1 if used else 0)
        if used and used + need > per_line:
            lines += 1
            used = len(w)
        else:
            used += need
    return lines


class _Sheet:
    """Writes the rows of one form's sheet."""

    def __init__(
        self,
        ws: Any,
        fmts: Formats,
        layout: Layout,
        cells: CellIndex,
        marks: Mapping[Key, tuple[str, str]],
        year: int,
        top: str,
        ratio_decimals: Mapping[tuple[int, str], int],
    ) -> None:
        self.ws, self.fmts, self.layout, self.cells = ws, fmts, layout, cells
        self.marks, self.y, self.top = marks, year, top
        self.ratio_decimals = ratio_decimals
        self.used_computed = False
        self.value_cols = [(s.orgunit or top, s.year, s.measure, c) for s, c in layout.values]

    def _mark(self, key: Key, props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        hit = self.marks.get(key)
        if hit is None:
            return props, None
        return {**props, "bg_color": SEVERITY_FILLS[hit[0]], "pattern": 1}, hit[1]

    def _comment(self, row: int, col: int, comment: str | None) -> None:
        if comment:
            self.ws.write_comment(
                row, col, comment, {"author": "ktxh", "x_scale": 2, "font_name": FONT}
            )

    def write_row(self, ind: Indicator, depth: int) -> None:
        ws, fmts, layout, cells = self.ws, self.fmts, self.layout, self.cells
        row = layout.rows[ind.code]
        style = _row_style(ind, depth)
        indent = min(depth, 6)
        _text(ws, row, 0, ind.stt, fmts.get(align="center", **style))
        _text(ws, row, 1, ind.name, fmts.get(text_wrap=True, indent=indent, **style))
        # the true unit: the OCR'd print may say "%" for "‰" or "Tg/ha" for "tạ/ha"
        unit = ind.unit
        _text(ws, row, 2, unit, fmts.get(align="center", text_wrap=True, **style))
        lines = max(_lines(ind.name, NAME_WIDTH, indent), _lines(unit, UNIT_WIDTH))
        if lines > 1:
            ws.set_row(row, 15 * lines + 1)
        num_fmt = number_format(ind.decimals)
        group = ind.kind is RowKind.GROUP
        # the formats of an unmarked cell, made once per row
        plain = {
            "blank": fmts.get(**style),
            "text": fmts.get(align="right", **style),
            "number": fmts.get(num_format=num_fmt, **style),
            "computed": fmts.get(num_format=num_fmt, italic=True, **style),
        }
        for org, year, measure, c in self.value_cols:
            key = (ind.code, org, year, measure)
            cell = value_cell(cells, ind.code, org, year, measure)
            if group or not (cell.present or cell.computed):
                kind = "blank"
            elif cell.value is None:
                kind = "text"
            elif cell.computed:
                kind = "computed"
                self.used_computed = True
            else:
                kind = "number"
            fmt, comment = plain[kind], None
            printed_dec = decimals_of(cell.printed) if kind == "number" else None
            if printed_dec is not None and printed_dec != ind.decimals:
                # a value shows the decimals it was printed with: 207, not 207,000
                fmt = fmts.get(num_format=number_format(printed_dec), **style)
            if key in self.marks:
                props = {**style, "italic": kind == "computed"}
                if kind == "text":
                    props["align"] = "right"
                elif kind in ("number", "computed"):
                    props["num_format"] = (
                        num_fmt if printed_dec is None else number_format(printed_dec)
                    )
                props, comment = self._mark(key, props)
                fmt = fmts.get(**props)
            if kind == "blank":
                ws.write_blank(row, c, None, fmt)
            elif kind == "text":
                # a printed "-" (or ditto mark): text, never a formula
                ws.write_string(row, c, cell.printed or NONE_TEXT, fmt)
            elif kind == "number" and is_target_text(cell.printed):
                # a target as the resolution writes it ("6,5-7", "trên 90"): text, as written
                ws.write_string(row, c, cell.printed, fmt if key in self.marks else plain["text"])
            else:
                ws.write_number(row, c, cell.value, fmt)
            self._comment(row, c, comment)
        y, top = self.y, self.top
        inverted = layout.form.ratio_convention.inverts(ind.direction) and ind.comparable
        for shown, c in layout.ratios:
            spec = shown.spec
            assert spec is not None
            if spec.printed_measure is not None:
                key = (ind.code, top, y + spec.printed_year_offset, spec.printed_measure)
                props, comment = self._mark(key, dict(style))
                dec = self.ratio_decimals.get((layout.form.number, spec.printed_measure), 0)
            else:
                props, comment, dec = dict(style), None, 0
            fmt = fmts.get(num_format=number_format(dec), **props)
            if group or not ind.comparable:
                ws.write_blank(row, c, None, fmt)
                self._comment(row, c, comment)
                continue
            new = value_cell(cells, ind.code, top, y + spec.new[1], spec.new[0]).value
            old = value_cell(cells, ind.code, top, y + spec.old[1], spec.old[0]).value
            cached = ratio(new, old, ind.direction, ind.comparable, layout.form.ratio_convention)
            new_col = layout.cols.get((top, y + spec.new[1], spec.new[0]))
            old_col = layout.cols.get((top, y + spec.old[1], spec.old[0]))
            typed = any(  # a target written as text: the number to reach, not a formula
                is_target_text(value_cell(cells, ind.code, top, y + off, m).printed)
                for m, off in (spec.new, spec.old)
            )
            if new_col is not None and old_col is not None and not typed:
                formula = _formula(
                    xl_rowcol_to_cell(row, new_col), xl_rowcol_to_cell(row, old_col), inverted
                )
                ws.write_formula(row, c, formula, fmt, "" if cached is None else cached)
            elif cached is not None:
                ws.write_number(row, c, cached, fmt)
            else:
                ws.write_blank(row, c, None, fmt)
            self._comment(row, c, comment)
        if inverted and layout.ratios and not group:
            ws.write_string(row, layout.note_col, INVERTED_NOTE, fmts.get(text_wrap=True, **style))
        else:
            ws.write_blank(row, layout.note_col, None, fmts.get(**style))


def write_annex(
    ds: Dataset,
    path: Path,
    *,
    highlights: Highlights | None = None,
) -> None:
    """Write the annex workbook (every form, one sheet each) to ``path``."""
    marks = _check_highlights(highlights or {})
    meta = ReportMeta.from_mapping(ds.meta.get("report"))
    y = ds.reference_year
    top = ds.top_orgunit
    cells = report_cells(ds)
    ratio_dec = _ratio_decimals(ds)
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    wb.set_properties(
        {
            "title": f"Phụ lục biểu số liệu - {ds.title}",
            "author": meta.issuer_short or "ktxh",
            "comments": "Tạo bởi ktxh",
        }
    )
    fmts = Formats(wb)
    for number in sorted(ds.catalog.forms):
        form = ds.catalog.forms[number]
        indicators = ds.catalog.in_form(number)
        layout = _layout(ds, form, indicators)
        ws = wb.add_worksheet(layout.sheet)
        _page_setup(ws, layout)
        inverted = any(
            form.ratio_convention.inverts(i.direction) and i.comparable for i in indicators
        )
        _write_header(ws, layout, fmts, y, meta, inverted)
        sheet = _Sheet(ws, fmts, layout, cells, marks, y, top, ratio_dec)
        for ind in indicators:
            sheet.write_row(ind, ds.catalog.depth(ind.code))
            _write_ratings(ws, fmts, layout, ind, ds.catalog.depth(ind.code), cells, ds, top)
        if sheet.used_computed:
            ws.write_string(
                layout.first_row + len(indicators) + 1,
                1,
                COMPUTED_NOTE,
                fmts.get(italic=True, font_size=10),
            )
    wb.close()


def _write_ratings(
    ws: Any,
    fmts: Formats,
    layout: Layout,
    ind: Indicator,
    depth: int,
    cells: CellIndex,
    ds: Dataset,
    top: str,
) -> None:
    """The "Đánh giá" columns a form declares (``rating@Y``): the row's result of that
    year (the actual, else the estimate) against its target in force on the report's
    day: Vượt, Đạt, Không đạt; blank where it is not rated (docs/targets.md)."""
    ratings = [(s, c) for s, c in layout.columns if s.kind == "rating"]
    if not ratings:
        return
    fmt = fmts.get(align="center", **_row_style(ind, depth))
    day = report_day(ds.meta)
    for shown, c in ratings:
        if ind.kind is RowKind.GROUP:
            ws.write_blank(layout.rows[ind.code], c, None, fmt)
            continue
        rated = rate_cell(ind, top, shown.year, cells, ds.targets, day).main
        if rated.rating is None:
            ws.write_blank(layout.rows[ind.code], c, None, fmt)
        else:
            ws.write_string(layout.rows[ind.code], c, rated.label, fmt)


# --- reading an annex back (a new year starts from last year's annex) ----------

DITTO_MARKS = frozenset({'"', "“", "”", "''", "〃"})


def cell_text(value: object) -> str:
    """A cell's text for comparison: NFC, spaces collapsed; 3.0 -> "3"."""
    if isinstance(value, str):
        text = value
    elif value is None:
        return ""
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if text.isprintable() and "  " not in text and text == text.strip():
        return text  # the usual case: nothing to collapse
    return " ".join(text.split())


def cell_at(rows: Sequence[Sequence[object]], row: int, col: int) -> object:
    """The cell at (row, col) of a sheet read as rows, "" outside it."""
    if row >= len(rows) or col >= len(rows[row]):
        return ""
    return rows[row][col]


_HEADER_YEAR = re.compile(r"(\d{4})$")


def _annex_year(layout: Layout, rows: Sequence[Sequence[object]]) -> tuple[int | None, int, int]:
    """The year Y the sheet is about, from its header ("Năm 2023" over a column of year
    Y, "Định hướng kế hoạch năm 2024" over next year's plan), and the cell it was read
    from."""
    for shown, col in layout.values:
        ref = shown.column.ref
        if shown.orgunit is not None or ref.year.absolute is not None:
            continue
        found = _HEADER_YEAR.search(cell_text(cell_at(rows, HEADER_TOP, col)))
        return (int(found.group(1)) - ref.year.offset if found else None), HEADER_TOP, col
    return None, HEADER_TOP, 3


def _annex_expected(ds: Dataset, layout: Layout, y: int) -> dict[tuple[int, int], str]:
    """The cells that identify the sheet's layout: title, headers, and every row."""
    out = {(ROW_LABEL, 0): layout.form.label}
    ratio_cols = {c for _, c in layout.ratios}
    for r1, c1, _, _, text in header_cells(layout, y):
        if r1 == HEADER_TOP + 1 and c1 in ratio_cols:
            continue  # a comparison's header may carry the convention's mark
        out[(r1, c1)] = text
    for ind in ds.catalog.in_form(layout.form.number):
        r = layout.rows[ind.code]
        out[(r, 0)] = ind.stt
        out[(r, 1)] = ind.name
        out[(r, 2)] = ind.unit
    return out


def read_annex(
    ds: Dataset,
    sheet_rows: Callable[[str], list[list[object]] | None],
    file: str,
    formulas: Mapping[str, Mapping[str, str]],
    italic: Mapping[str, set[str]],
) -> tuple[SourceInfo | None, list[Entry], list[Problem]]:
    """Read an annex workbook (the layout :func:`write_annex` writes) as input entries.

    The years come from the sheets' headers ("Năm 2023"), so that last year's
    annex imports into a dataset of the new year. The values of the top unit
    and of the units below it are read (not the comparison columns, which are
    computed); a total the annex shows consolidated from its units (in
    italics: ``italic`` lists those cells) is not stored when it still equals
    the consolidation. A ditto mark is read as "-", as the dataset reads it. A
    value cell with a formula is refused, never evaluated.
    """
    top = ds.top_orgunit
    entries: list[Entry] = []
    problems: list[Problem] = []
    years: dict[int, str] = {}
    forms = []
    for number, layout in annex_layouts(ds).items():
        rows = sheet_rows(layout.sheet)
        if rows is None:
            problems.append(
                Problem(
                    CellRef(file, layout.sheet),
                    f"thiếu trang «{layout.sheet}» của phụ lục (trang bị xóa hoặc đổi tên)",
                    Issue.MISSING_SHEET,
                )
            )
            continue
        y, yr, yc = _annex_year(layout, rows)
        if y is None:
            problems.append(
                Problem(
                    CellRef(file, layout.sheet, xl_rowcol_to_cell(yr, yc)),
                    f"không đọc được năm của biểu ở tiêu đề cột (phải là «Năm ...»), thấy "
                    f"«{cell_text(cell_at(rows, yr, yc))}»",
                    Issue.STRUCTURE,
                )
            )
            continue
        years.setdefault(y, layout.sheet)
        forms.append(number)
        mismatch = None
        for (r, c), want in sorted(_annex_expected(ds, layout, y).items()):
            got = cell_text(cell_at(rows, r, c))
            if got != cell_text(want):
                kind = (
                    "các dòng đã bị di chuyển, thêm hoặc xóa"
                    if r >= layout.first_row
                    else ("tiêu đề của biểu hoặc cột khác với bộ dữ liệu")
                )
                mismatch = Problem(
                    CellRef(file, layout.sheet, xl_rowcol_to_cell(r, c)),
                    f"{kind}: ô phải là «{want}» nhưng là «{got}»; phụ lục phải có đúng các "
                    "dòng và cột của bộ dữ liệu (cùng danh mục, cùng các đơn vị)",
                    Issue.STRUCTURE,
                )
                break
        if mismatch is None:
            end = layout.first_row + len(ds.catalog.in_form(number))
            for r in range(end, len(rows)):
                texts = [cell_text(v) for v in rows[r]]
                if any(texts) and COMPUTED_NOTE not in texts:
                    c = next(k for k, t in enumerate(texts) if t)
                    mismatch = Problem(
                        CellRef(file, layout.sheet, xl_rowcol_to_cell(r, c)),
                        f"có dòng thêm vào dưới bảng (dòng {r + 1}); phụ lục phải có đúng các "
                        "dòng của bộ dữ liệu",
                        Issue.STRUCTURE,
                    )
                    break
        if mismatch is not None:
            problems.append(mismatch)
            continue
        shift = y - ds.reference_year
        in_sheet = formulas.get(layout.sheet, {})
        shown_computed = italic.get(layout.sheet, set())
        for ind in ds.catalog.in_form(number):
            if ind.kind is RowKind.GROUP:
                continue
            r = layout.rows[ind.code]
            for (org, year, measure), c in layout.cols.items():
                if measure in PRINTED_RATIO_MEASURES or measure == "full":
                    continue  # the comparison columns are computed, never imported
                ref = CellRef(file, layout.sheet, xl_rowcol_to_cell(r, c))
                key = (ind.code, org, year + shift, measure)
                if ref.cell in in_sheet:
                    text = in_sheet[ref.cell]
                    problems.append(
                        Problem(
                            ref,
                            f"{describe_key(ds.catalog, ds.tree, key)}: ô có công thức "
                            f"(={text[:60]}); ktxh không tính công thức trong tệp gửi đến, "
                            "hãy gõ số thay cho công thức",
                            Issue.FORMULA,
                        )
                    )
                    continue
                raw = cell_at(rows, r, c)
                if isinstance(raw, str) and cell_text(raw) in DITTO_MARKS:
                    raw = NONE_TEXT
                computed = org == top and ref.cell in shown_computed
                entries.append(Entry(key, raw, ref, base=None, computed_ok=computed))
    if len(years) > 1:
        listed = ", ".join(f"{sheet}: năm {y}" for y, sheet in sorted(years.items()))
        problems.append(
            Problem(
                CellRef(file),
                f"các trang của phụ lục không cùng một năm ({listed})",
                Issue.OTHER_PERIOD,
            )
        )
        return None, [], problems
    if not years:
        return None, entries, problems
    units = (top, *(u.code for u in ds.breakdown_units(top)))
    source = SourceInfo(file, "annex", next(iter(years)), units, None, tuple(forms))
    return source, entries, problems
