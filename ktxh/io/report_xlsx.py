"""Excel annexes of any layout (.xlsx): every sheet a table of cells as they are shown.

A past report's annex workbook may have one form per sheet or several, title
rows, headers over two or three rows with merged cells, headers repeated at
page breaks, numbers or numbers typed as text. This reader makes no
assumption about the layout: each sheet becomes one table of the neutral
structure (:mod:`ktxh.domain.reading`), and the interpretation finds the forms,
headers and rows in it.

* The container is checked first (:func:`ktxh.io.xlsx_safety.open_package`):
  a damaged file, an old .xls, macros, a zip bomb are refused with a
  Vietnamese message, never opened.
* Values are read with python-calamine (formula cells give their cached
  result, as a viewer shows them); a merged range's text is in every cell of
  the range, so that a header spanning columns labels each of them.
* A number cell keeps its exact value and shows the text its number format
  gives (``#,##0.0`` -> ``2.731,1``, the Vietnamese way), read from the
  workbook's styles: that is the text "as printed".
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from ktxh.domain.numbers import format_number
from ktxh.domain.reading import RawCell, RawDocument, RawTable, ReadProblem, Where
from ktxh.io.xlsx_safety import DEFAULT_LIMITS, Limits, UnsafeFile, open_package

# number formats Excel knows by id (ECMA-376, 18.8.30): id -> decimals, percent
_BUILTIN: dict[int, tuple[int | None, bool]] = {
    0: (None, False),
    1: (0, False),
    2: (2, False),
    3: (0, False),
    4: (2, False),
    9: (0, True),
    10: (2, True),
    37: (0, False),
    38: (0, False),
    39: (2, False),
    40: (2, False),
}
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_NUMFMT = re.compile(rb"<(?:\w+:)?numFmt\b[^>]*?numFmtId=\"(\d+)\"[^>]*?formatCode=\"([^\"]*)\"")
_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)/?>")
_XF_NUMFMT = re.compile(rb'\bnumFmtId="(\d+)"')


NumberShape = tuple[int | None, bool, bool]  # decimals, percent, parentheses for negatives


def _format_of(code: str) -> NumberShape:
    """(decimals, percent, parentheses for negatives) of a number format code."""
    section = code.split(";")
    first = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", section[0])
    if "General" in first or not re.search(r"[0#?]", first):
        return None, "%" in first, False
    m = re.search(r"\.([0#?]+)", first)
    decimals = len(m.group(1)) if m else 0
    parens = len(section) > 1 and "(" in section[1]
    return decimals, "%" in first, parens


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def number_formats(parts: dict[str, bytes], sheet_part: str) -> dict[tuple[int, int], NumberShape]:
    """(row, col) 1-based -> (decimals, percent, parens) of every styled cell of a sheet."""
    styles = parts.get("xl/styles.xml", b"")
    codes = {int(i): c.decode("utf-8", "replace") for i, c in _NUMFMT.findall(styles)}
    xf_formats: list[NumberShape] = []
    xfs = _XFS.search(styles)
    if xfs is not None:
        for attrs in _XF.findall(xfs.group(1)):
            m = _XF_NUMFMT.search(attrs)
            fid = int(m.group(1)) if m else 0
            if fid in codes:
                xf_formats.append(_format_of(codes[fid].replace("&quot;", '"')))
            else:
                dec, pct = _BUILTIN.get(fid, (None, False))
                xf_formats.append((dec, pct, fid in (37, 38, 39, 40)))
    out: dict[tuple[int, int], NumberShape] = {}
    data = parts.get(sheet_part, b"")
    for attrs in _CELL.findall(data):
        r = _ATTR_R.search(attrs)
        s = _ATTR_S.search(attrs)
        if r is None or s is None:
            continue
        idx = int(s.group(1))
        if idx < len(xf_formats):
            out[(int(r.group(2)), _column_number(r.group(1)))] = xf_formats[idx]
    return out


def shown(value: float, fmt: NumberShape | None) -> str:
    """A number the way its cell shows it, in Vietnamese (2.731,1; (1.730,0); 45,5%)."""
    decimals, percent, parens = fmt if fmt is not None else (None, False, False)
    v = value * 100 if percent else value
    if decimals is None:
        text = format_number(v, None, parens=True)
        if len(text) > 14:  # General shows at most 11 significant digits
            text = format_number(v, 4, parens=True).rstrip("0").rstrip(",")
    else:
        text = format_number(v, decimals, parens=True)
        if not parens and v < 0:
            text = "-" + text.strip("()")
    return text + ("%" if percent else "")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, time | timedelta):
        return str(value)
    return "" if value is None else str(value)


@dataclass
class SheetGrid:
    """A sheet as a viewer shows it: every cell's text, and the merged ranges."""

    name: str
    rows: list[list[str]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]  # ((r0, c0), (r1, c1)), 0-based


def sheet_grids(data: bytes, file: str) -> list[SheetGrid]:
    """Every sheet's shown text and merges (for a workbook ktxh or a person wrote); raises
    :class:`ktxh.io.xlsx_safety.UnsafeFile` for a file that is refused."""
    package = open_package(data, file)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    parts = package.sheet_parts()
    out = []
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        formats = number_formats(package.parts, parts.get(name, ""))
        rows = []
        for r, row in enumerate(sheet.to_python(skip_empty_area=False)):
            texts = []
            for c, value in enumerate(row):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    texts.append(shown(float(value), formats.get((r + 1, c + 1))))
                else:
                    texts.append(_text(value))
            rows.append(texts)
        out.append(SheetGrid(name, rows, list(sheet.merged_cell_ranges or [])))
    return out


def parse_xlsx(data: bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> RawDocument:
    """Every sheet of a workbook as a table; refusals as located problems."""
    doc = RawDocument(file)
    try:
        package = open_package(data, file, limits)
    except UnsafeFile as exc:
        doc.problems.append(ReadProblem(Where(file), exc.message))
        return doc
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as exc:
        doc.problems.append(ReadProblem(Where(file), f"tệp bị hỏng, không đọc được ({exc})"))
        return doc
    parts = package.sheet_parts()
    for name in book.sheet_names:
        where = Where(file, sheet=name)
        try:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or [])
        except (CalamineError, ValueError) as exc:
            doc.problems.append(ReadProblem(where, f"không đọc được trang tính ({exc})"))
            continue
        formats = number_formats(package.parts, parts.get(name, ""))
        grid: list[list[RawCell]] = []
        for r, row in enumerate(rows):
            cells = []
            for c, value in enumerate(row):
                at = Where(file, sheet=name, row=r + 1, col=c + 1)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number = float(value)
                    cells.append(
                        RawCell(shown(number, formats.get((r + 1, c + 1))), at, None, number)
                    )
                else:
                    cells.append(RawCell(_text(value), at))
            grid.append(cells)
        for (r0, c0), (r1, c1) in merged:
            if r0 >= len(grid) or c0 >= len(grid[r0]):
                continue
            top = grid[r0][c0]
            if top.number is not None:
                continue  # a merged number is one value, not one per cell
            for r in range(r0, min(r1 + 1, len(grid))):
                for c in range(c0, min(c1 + 1, len(grid[r]))):
                    if (r, c) != (r0, c0) and not grid[r][c].text:
                        grid[r][c] = RawCell(top.text, grid[r][c].where, None, top.number)
        if any(cell.text for row in grid for cell in row):
            doc.blocks.append(RawTable(grid, where, name=name, grid=True))
    return doc


def read_xlsx(path: Path, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> RawDocument:
    file = name or Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return RawDocument(file, problems=[ReadProblem(Where(file), f"không mở được tệp: {exc}")])
    return parse_xlsx(data, file, limits)
