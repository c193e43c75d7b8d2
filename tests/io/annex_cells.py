"""Every cell of an annex workbook as plain data, to compare two workbooks cell by cell.

Used to hold the Lai Châu annex unchanged when the forms' layouts became declared
(issue 13): ``golden/annex-laichau-2023.json.gz`` holds the workbook ktxh wrote before
the change; the test writes it again and compares.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

GOLDEN = Path(__file__).parent / "golden" / "annex-laichau-2023.json.gz"


def annex_cells(path: Path) -> dict[str, Any]:
    """Per sheet: every non-empty cell (value or formula, number format, bold, fill),
    the merged ranges, the column widths, the print area and the frozen panes."""
    wb = load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                cells[c.coordinate] = [
                    c.value if isinstance(c.value, str | int | float) else str(c.value),
                    c.number_format,
                    bool(c.font.bold),
                    c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None,
                ]
        out[ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {
                k: round(d.width, 2) for k, d in sorted(ws.column_dimensions.items()) if d.width
            },
            "print_area": str(ws.print_area),
            "freeze": str(ws.freeze_panes),
        }
    return out


def write_golden(path: Path) -> None:
    GOLDEN.parent.mkdir(exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as fh:
        json.dump(annex_cells(path), fh, ensure_ascii=False, sort_keys=True, indent=0)


def read_golden() -> dict[str, Any]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
