"""The input template's column of proposals: "Gợi ý ước TH (ktxh)" beside the round's
estimate input, locked, the method in each cell's comment, and never read back.

Lai Châu's city template of 2023 with the real figures, B01.003 (Tổng thu ngân sách
nhà nước trên địa bàn, tỷ đồng: first half 57,804, plan 207) without its estimate and
with three earlier years (a first half of 50, 54, 60 for a year of 180, 190, 200)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from ktxh.domain.dataset import Dataset
from ktxh.domain.values import ValueTable, frame_from_rows
from ktxh.io.xlsx_template import (
    FORECAST,
    FORECAST_HEADER,
    TemplateLayout,
    read_workbook,
    write_template,
)
from tests.io.test_xlsx_template import import_into
from tests.xlsx_helpers import edit, fill

CODE = "B01.003"
PAST = {2020: (50.0, 180.0), 2021: (54.0, 190.0), 2022: (60.0, 200.0)}


@pytest.fixture(scope="module")
def history(dataset: Dataset) -> Dataset:
    frame = dataset.values.frame.filter(
        ~(
            (pl.col("indicator") == CODE)
            & (pl.col("year") == 2023)
            & (pl.col("measure") == "estimate")
        )
    )
    earlier = frame_from_rows(
        {"indicator": CODE, "orgunit": "lai-chau", "year": y, "measure": m, "value": v}
        for y, (h1, full) in PAST.items()
        for m, v in (("h1", h1), ("actual", full))
    )
    values = pl.concat([frame, earlier], how="vertical_relaxed")
    return Dataset(dataset.name, dataset.meta, dataset.catalog, dataset.tree, ValueTable(values))


def where(layout: TemplateLayout, code: str, measure: str) -> tuple[str, str]:
    """The sheet and cell of ``code``'s ``measure`` of 2023 in the first sheet."""
    sheet = layout.sheets[0]
    row = next(r for r in sheet.rows if r.indicator.code == code)
    col = next(c for c in sheet.columns if c.measure == measure and c.year == 2023)
    return sheet.name, xl_rowcol_to_cell(row.row, col.col)


def test_the_proposal_beside_the_estimate_with_its_method(history: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "lai-chau.xlsx"
    layout = write_template(history, path, orgunit="lai-chau", forms=[1])
    sheet = layout.sheets[0]
    kinds = [(c.measure, c.year, c.input) for c in sheet.columns]
    at = kinds.index(("estimate", 2023, True))
    assert kinds[at + 1] == (FORECAST, 2023, False)  # right beside the estimate input
    ws = openpyxl.load_workbook(path)[sheet.name]
    _, ref = where(layout, CODE, FORECAST)
    cell = ws[ref]
    assert ws.cell(7, cell.column).value == FORECAST_HEADER
    assert ws.cell(6, cell.column).value is None  # under the merged "Năm 2023"
    assert cell.value == 203.384 and cell.protection.locked
    assert cell.number_format == "#,##0.000;(#,##0.000)"
    note = cell.comment.text
    assert note.startswith(
        "Đề xuất theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm của các năm trước "
        "(các năm 2020, 2021, 2022); khoảng 192,680 - 208,094."
    )
    assert "ô này không được nhập" in note
    # a row whose estimate is entered gets no proposal
    _, entered = where(layout, "B01.014", FORECAST)
    assert ws[entered].value is None and ws[entered].comment is None
    guide = " ".join(
        str(c.value)
        for r in openpyxl.load_workbook(path)["Hướng dẫn"].iter_rows()
        for c in r
        if c.value
    )
    assert f"Cột «{FORECAST_HEADER}»" in guide and "ktxh không đọc cột này" in guide


def test_the_proposals_are_never_read_back(history: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "lai-chau.xlsx"
    layout = write_template(history, path, orgunit="lai-chau", forms=[1])
    name, proposal = where(layout, CODE, FORECAST)
    _, estimate = where(layout, CODE, "estimate")
    # untouched: importing changes nothing, the proposal does not become the estimate
    untouched = import_into(history, [path])
    assert untouched.plan.ok and not untouched.plan.changes
    result = read_workbook(path.read_bytes(), path.name, history)
    assert not result.problems
    assert all(e.key[3] != FORECAST and e.ref.cell != proposal for e in result.entries)
    # a program that writes into the locked column: still nothing read from it
    typed = fill(path, tmp_path / "typed.xlsx", {(name, proposal): 999.0})
    assert not import_into(history, [typed]).plan.changes
    # the person types the estimate (here, the proposal): that is what is imported
    accepted = fill(path, tmp_path / "accepted.xlsx", {(name, estimate): 203.384})
    (change,) = import_into(history, [accepted]).plan.changes
    assert (change.key, change.new.value) == ((CODE, "lai-chau", 2023, "estimate"), 203.384)
    assert change.ref.cell == estimate


def test_a_template_without_the_column_is_refused(history: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "lai-chau.xlsx"
    layout = write_template(history, path, orgunit="lai-chau", forms=[1])
    _, proposal = where(layout, CODE, FORECAST)
    col = openpyxl.utils.cell.coordinate_from_string(proposal)[0]
    index = openpyxl.utils.cell.column_index_from_string(col)
    cut = edit(path, tmp_path / "cut.xlsx", lambda wb: wb[layout.sheets[0].name].delete_cols(index))
    outcome = import_into(history, [cut])
    assert not outcome.plan.ok
    (problem,) = outcome.plan.problems
    assert problem.ref.sheet == "Biểu 1" and "cột bị thêm, xóa" in problem.message
