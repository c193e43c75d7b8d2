"""Input templates: their layout read back by other readers, and round trips through
programs and LibreOffice: read back, planned against the values and applied, without a
store (the store's import is tests/store/test_imports.py)."""

from __future__ import annotations

import csv
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from python_calamine import CalamineWorkbook

from ktxh.domain.catalog import Consolidation, RowKind
from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import (
    Entry,
    Expectation,
    ImportPlan,
    Issue,
    Problem,
    SourceInfo,
    apply_changes,
    plan_import,
)
from ktxh.domain.numbers import format_number
from ktxh.domain.values import ValueTable
from ktxh.io.datapackage import read_dataset
from ktxh.io.pdf import find_soffice
from ktxh.io.xlsx_forms import write_annex
from ktxh.io.xlsx_template import (
    ID_SHEET,
    TEMPLATE_VERSION,
    TemplateError,
    TemplateLayout,
    read_workbook,
    template_layout,
    write_template,
)
from tests.xlsx_helpers import copy_dataset, fill, libreoffice_resave


@dataclass
class Imported:
    """Files read back and planned against a dataset's values, and the values after."""

    plan: ImportPlan
    frame: pl.DataFrame
    sources: list[SourceInfo] = field(default_factory=list)


def import_into(ds: Dataset, files: list[Path], year: int | None = None) -> Imported:
    expected = Expectation(ds.name, ds.reference_year if year is None else year)
    entries: list[Entry] = []
    problems: list[Problem] = []
    sources = []
    for f in files:
        result = read_workbook(f.read_bytes(), f.name, ds, expected=expected)
        entries += result.entries
        problems += result.problems
        if result.source is not None:
            sources.append(result.source)
    plan = plan_import(entries, ds.values.frame, ds.catalog, ds.tree, problems=problems)
    after = apply_changes(ds.values.frame, plan.changes) if plan.ok else ds.values.frame
    return Imported(plan, after, sources)


needs_libreoffice = pytest.mark.skipif(
    find_soffice() is None,
    reason="LibreOffice is not installed (scripts/test-deps.sh installs it)",
)


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> tuple[Path, TemplateLayout]:
    path = tmp_path_factory.mktemp("tpl") / "doan-ket.xlsx"
    return path, write_template(dataset, path, orgunit="doan-ket")


# --- the layout -----------------------------------------------------------------


def test_a_ward_fills_the_forms_broken_down_by_unit_without_city_only_rows(
    dataset: Dataset, ward: tuple[Path, TemplateLayout]
) -> None:
    _, layout = ward
    assert layout.forms == (2, 3, 7, 9, 10, 11, 12)
    assert layout.year == 2023 and layout.orgunit.full_name == "phường Đoàn Kết"
    for sheet in layout.sheets:
        assert [(c.measure, c.year, c.input) for c in sheet.columns] == [
            ("plan", 2022, False),
            ("h1", 2022, False),
            ("estimate", 2022, False),
            ("actual", 2022, True),  # the actual of the year before is entered in this round
            ("plan", 2023, True),
            ("h1", 2023, True),
            ("estimate", 2023, True),
            ("forecast", 2023, False),  # ktxh's proposal beside the estimate: never read
            ("plan", 2024, True),
        ]
        for row in sheet.rows:
            ind = row.indicator
            if row.input:
                assert ind.kind is RowKind.INDICATOR
                assert ind.consolidation is not Consolidation.CITY_ONLY
        positions = [r.indicator.position for r in sheet.rows]
        assert positions == sorted(positions)
    b7 = {r.indicator.code: r for r in layout.sheets[2].rows}
    assert "B07.009" not in b7  # Mức giảm tỷ lệ hộ nghèo: city only
    assert not b7["B07.003"].input  # the heading "Giảm nghèo" stays, locked
    assert b7["B07.006"].input


def test_the_top_unit_and_a_department_choose_forms(dataset: Dataset) -> None:
    args = (dataset.catalog, dataset.tree, "lai-chau", "laichau-2024")
    top = template_layout(*args, "lai-chau", 2023)
    assert top.forms == tuple(range(1, 14))
    assert len(top.sheets[0].rows) == len(dataset.catalog.in_form(1))
    two = template_layout(*args, "lai-chau", 2024, forms=[12, 2])
    assert two.forms == (2, 12)
    assert two.sheets[0].columns[0].year == 2023
    with pytest.raises(TemplateError, match="Biểu số 1 không có chỉ tiêu nào để phường Đoàn Kết"):
        template_layout(*args, "doan-ket", 2023, forms=[1])
    with pytest.raises(TemplateError, match="Không có biểu số 14"):
        template_layout(*args, "doan-ket", 2023, forms=[14])


def test_the_checksum_follows_the_catalog(tmp_path: Path, dataset: Dataset) -> None:
    args = (dataset.catalog, dataset.tree, "lai-chau", "laichau-2024", "doan-ket", 2023)
    assert template_layout(*args).checksum() == template_layout(*args).checksum()
    copy = copy_dataset(tmp_path)
    path = copy / "indicators.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    next(r for r in rows if r["code"] == "B02.009")["name"] += " (sửa)"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    other = read_dataset(copy)
    changed = template_layout(
        other.catalog, other.tree, "lai-chau", "laichau-2024", "doan-ket", 2023
    )
    assert changed.checksum() != template_layout(*args).checksum()


# --- the workbook, read by openpyxl and calamine --------------------------------


def test_sheets_protection_and_input_cells(ward: tuple[Path, TemplateLayout]) -> None:
    path, layout = ward
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Hướng dẫn", *(s.name for s in layout.sheets), ID_SHEET]
    assert wb[ID_SHEET].sheet_state == "hidden"
    assert wb.active.title == "Hướng dẫn"
    sheet = layout.sheets[0]
    ws = wb[sheet.name]
    assert ws.protection.sheet and wb[ID_SHEET].protection.sheet
    row = next(r for r in sheet.rows if r.indicator.code == "B02.009")
    assert ws.cell(row.row + 1, 1).value == "B02.009"
    assert ws.cell(row.row + 1, 3).value == "Tổng diện tích đất nông nghiệp canh tác"
    for c in sheet.columns:
        cell = ws.cell(row.row + 1, c.col + 1)
        assert cell.protection.locked is (not c.input), (c, cell.coordinate)
        assert cell.number_format == "#,##0.0;(#,##0.0)"
    kh2024 = ws.cell(row.row + 1, sheet.columns[-1].col + 1)
    assert kh2024.value == 82.8 and kh2024.fill.fgColor.rgb.endswith("FFF2CC")
    heading = next(r for r in sheet.rows if r.indicator.kind is RowKind.GROUP)
    assert ws.cell(heading.row + 1, sheet.columns[-1].col + 1).protection.locked
    assert ws.cell(6, 5).value == "Năm 2022"
    assert ws.cell(7, 8).value == "Thực hiện cả năm (nhập)"
    assert ws.cell(6, 9).value == "Năm 2023" and ws.cell(7, 9).value == "Kế hoạch giao"
    assert ws.cell(7, 12).value == "Gợi ý ước TH (ktxh)"
    assert ws.cell(6, 13).value == "Kế hoạch năm 2024"
    guide = " ".join(str(c.value) for r in wb["Hướng dẫn"].iter_rows() for c in r if c.value)
    assert "MẪU NHẬP SỐ LIỆU KẾ HOẠCH PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM 2023" in guide
    assert "Đơn vị: phường Đoàn Kết" in guide and "ktxh không tính công thức" in guide


def test_data_validation_numbers_shares_and_counts(ward: tuple[Path, TemplateLayout]) -> None:
    path, layout = ward
    wb = openpyxl.load_workbook(path)
    sheet = next(s for s in layout.sheets if s.form.number == 7)
    rows = {r.indicator.code: r.row + 1 for r in sheet.rows}
    rules = wb[sheet.name].data_validations.dataValidation

    def rule_of(code: str) -> Any:
        ref = f"I{rows[code]}"
        hits = [dv for dv in rules if ref in dv.sqref]
        assert len(hits) == 1, (code, [str(dv.sqref) for dv in rules])
        return hits[0]

    share = rule_of("B07.006")  # Tỷ lệ hộ nghèo (%)
    assert share.type == "custom" and ">=0" in share.formula1 and "<=100" in share.formula1
    assert "0 đến 100" in share.error
    count = rule_of("B07.004")  # Tổng số hộ nghèo (hộ)
    assert "INT(" in count.formula1 and "số nguyên" in count.error
    number = rule_of("B07.029")
    assert number.formula1.startswith("OR(") and "<=100" not in number.formula1
    for dv in rules:
        assert dv.showErrorMessage and dv.errorStyle in (None, "stop") and dv.allow_blank


def test_the_hidden_sheet_identifies_the_template(ward: tuple[Path, TemplateLayout]) -> None:
    path, layout = ward
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ID_SHEET).to_python()
    facts = {r[0]: r[1] for r in rows[1:11]}
    assert facts["kind"] == "template"
    assert facts["version"] == str(TEMPLATE_VERSION)
    assert facts["dataset"] == "laichau-2024"
    assert facts["orgunit"] == "doan-ket" and facts["orgunit_name"] == "phường Đoàn Kết"
    assert facts["year"] == "2023" and facts["forms"] == "2 3 7 9 10 11 12"
    assert facts["checksum"] == layout.checksum() and len(layout.checksum()) == 64
    bases = rows[rows.index(["sheet", "cell", "base"]) + 1 :]
    assert ["Biểu 2", "M9", 82.8] in bases


def test_no_text_ever_becomes_a_formula(tmp_path: Path) -> None:
    """Names that start with =, +, - or @ stay text, in the template and in the annex."""
    copy = copy_dataset(tmp_path)
    path = copy / "indicators.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    nasty = {
        "B02.009": '=HYPERLINK("http://example.com","bấm vào đây")',
        "B02.012": "+ Lúa",
        "B02.013": "@SUM(A1:A3)",
        "B02.015": "-1+2",
    }
    for r in rows:
        r["name"] = nasty.get(r["code"], r["name"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    ds = read_dataset(copy)
    template, annex = tmp_path / "t.xlsx", tmp_path / "a.xlsx"
    write_template(ds, template, orgunit="doan-ket", forms=[2])
    write_annex(ds, annex)
    for path, sheet in ((template, "Biểu 2"), (annex, "Biểu 2")):
        ws = openpyxl.load_workbook(path)[sheet]
        texts = {
            c.value: c.data_type for r in ws.iter_rows() for c in r if c.value in nasty.values()
        }
        assert set(texts) == set(nasty.values()), path
        assert set(texts.values()) == {"s"}, path
    for path in (template,):
        assert all(
            c.data_type != "f"
            for ws in openpyxl.load_workbook(path).worksheets
            for r in ws.iter_rows()
            for c in r
        )
    result = read_workbook(template.read_bytes(), "t.xlsx", ds)
    assert not result.problems and result.entries


# --- round trips ------------------------------------------------------------------


def _typed(layout: TemplateLayout, seed: int, share: float = 0.7) -> dict[tuple[str, str], Any]:
    """Values of every kind a person types, in a random share of the input cells."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    rng = random.Random(seed)
    cells: dict[tuple[str, str], Any] = {}
    for sheet in layout.sheets:
        for row in sheet.rows:
            if not row.input:
                continue
            for c in sheet.inputs:
                if rng.random() > share:
                    continue
                ref = xl_rowcol_to_cell(row.row, c.col)
                kind = rng.random()
                decimals = rng.randint(0, 3)
                value = round(rng.uniform(0, 20000), decimals)
                if kind < 0.5:
                    cells[(sheet.name, ref)] = value
                elif kind < 0.6:
                    cells[(sheet.name, ref)] = -value
                elif kind < 0.7:
                    cells[(sheet.name, ref)] = "-"
                elif kind < 0.85:
                    cells[(sheet.name, ref)] = format_number(value, decimals)  # "1.234,5"
                else:
                    cells[(sheet.name, ref)] = None  # cleared
    return cells


def _expected(
    ds: Dataset, layout: TemplateLayout, cells: dict[tuple[str, str], Any]
) -> dict[tuple[str, str, int, str], tuple[bool, float | None]]:
    from xlsxwriter.utility import xl_rowcol_to_cell

    stored = {
        (r[0], r[1], r[2], r[3]): (True, r[4])
        for r in ds.values.frame.select("indicator", "orgunit", "year", "measure", "value")
        .filter(pl.col("orgunit") == layout.orgunit.code)
        .iter_rows()
    }
    out = {}
    for sheet in layout.sheets:
        for row in sheet.rows:
            if not row.input:
                continue
            for c in sheet.inputs:
                key = (row.indicator.code, layout.orgunit.code, c.year, c.measure)
                ref = (sheet.name, xl_rowcol_to_cell(row.row, c.col))
                if ref not in cells:
                    out[key] = stored.get(key, (False, None))
                    continue
                v = cells[ref]
                if v is None:
                    out[key] = (False, None)
                elif v == "-":
                    out[key] = (True, None)
                elif isinstance(v, str):
                    out[key] = (True, float(v.replace(".", "").replace(",", ".")))
                else:
                    out[key] = (True, float(v))
    return out


def _stored(frame: pl.DataFrame, keys: Any) -> dict[tuple[str, str, int, str], tuple[bool, Any]]:
    have = {
        (r[0], r[1], r[2], r[3]): (True, r[4])
        for r in frame.select("indicator", "orgunit", "year", "measure", "value").iter_rows()
    }
    return {k: have.get(k, (False, None)) for k in keys}


@pytest.mark.parametrize("orgunit", ["doan-ket", "lai-chau"])
def test_round_trip_filled_by_a_program(tmp_path: Path, dataset: Dataset, orgunit: str) -> None:
    template = tmp_path / "t.xlsx"
    layout = write_template(dataset, template, orgunit=orgunit)
    cells = _typed(layout, seed=len(orgunit))
    filled = fill(template, tmp_path / f"{orgunit}.xlsx", cells)
    expected = _expected(dataset, layout, cells)
    outcome = import_into(dataset, [filled])
    assert outcome.plan.ok, outcome.plan.problems[:5]
    assert outcome.plan.changes
    assert _stored(outcome.frame, expected) == expected
    assert {c.ref.file for c in outcome.plan.changes} == {filled.name}
    assert all(c.ref.sheet.startswith("Biểu ") and c.ref.cell for c in outcome.plan.changes)
    # importing the same file again changes nothing
    again = Dataset(
        dataset.name, dataset.meta, dataset.catalog, dataset.tree, ValueTable(outcome.frame)
    )
    second = import_into(again, [filled])
    assert second.plan.ok and not second.plan.changes


@needs_libreoffice
def test_round_trip_through_libreoffice(tmp_path: Path, dataset: Dataset) -> None:
    """A file LibreOffice wrote (opened and saved again, vi-VN locale) imports exactly."""
    template = tmp_path / "t.xlsx"
    layout = write_template(dataset, template, orgunit="sung-phai")
    untouched = libreoffice_resave(template, tmp_path / "lo-untouched.xlsx")
    outcome = import_into(dataset, [untouched])
    assert outcome.plan.ok and not outcome.plan.changes, outcome.plan.problems[:3]

    cells = _typed(layout, seed=7, share=0.4)
    filled = fill(template, tmp_path / "by-openpyxl.xlsx", cells)
    saved = libreoffice_resave(filled, tmp_path / "sung-phai.xlsx")
    with zipfile.ZipFile(saved) as z:  # written by LibreOffice, not by openpyxl
        assert b"<Application>LibreOffice" in z.read("docProps/app.xml")
    expected = _expected(dataset, layout, cells)
    outcome = import_into(dataset, [saved])
    assert outcome.plan.ok, outcome.plan.problems[:5]
    assert _stored(outcome.frame, expected) == expected


def test_the_annex_imports_to_nothing_new_and_restores_what_was_lost(
    tmp_path: Path, dataset: Dataset
) -> None:
    annex = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, annex)
    outcome = import_into(dataset, [annex])
    assert outcome.plan.ok and not outcome.plan.changes
    assert outcome.plan.computed == 8  # the italic totals a form leaves blank
    # a dataset that lost its values gets every one back, exactly
    base = ("plan", "h1", "estimate", "actual")
    lost = Dataset(
        dataset.name,
        dataset.meta,
        dataset.catalog,
        dataset.tree,
        ValueTable(dataset.values.frame.filter(~pl.col("measure").is_in(base))),
    )
    outcome = import_into(lost, [annex])
    assert outcome.plan.ok, outcome.plan.problems[:3]
    want = dataset.values.frame.filter(pl.col("measure").is_in(base))
    keys = [(r[0], r[1], r[2], r[3]) for r in want.select(*want.columns[:4]).iter_rows()]
    got = _stored(outcome.frame, keys)
    assert got == {
        (r[0], r[1], r[2], r[3]): (True, r[4])
        for r in want.select("indicator", "orgunit", "year", "measure", "value").iter_rows()
    }


def test_last_years_annex_starts_the_new_year(tmp_path: Path, dataset: Dataset) -> None:
    annex = tmp_path / "phu-luc-2023.xlsx"
    write_annex(dataset, annex)
    # the new year's plan: same catalog and units, reference year 2024, no values
    new = Dataset(
        dataset.name,
        {**dataset.meta, "reference_year": 2024},
        dataset.catalog,
        dataset.tree,
        ValueTable(dataset.values.frame.clear()),
    )
    outcome = import_into(new, [annex])
    assert outcome.plan.ok, outcome.plan.problems[:3]
    assert [s.year for s in outcome.sources] == [2023]
    after = ValueTable(outcome.frame)
    assert after.get("B02.009", "lai-chau", 2024, "plan") == 2731.1
    assert after.get("B02.009", "sung-phai", 2024, "plan") == 1324.6
    # and it is refused where it is two years old
    outcome = import_into(new, [annex], year=2025)
    assert [p.issue for p in outcome.plan.problems] == [Issue.OTHER_PERIOD]


def test_in_memory_for_the_web(dataset: Dataset) -> None:
    """A download is written to memory and an upload read from bytes, with the web's
    own expectation (its units) and limits."""
    import io

    from ktxh.domain.importing import Expectation
    from ktxh.io.xlsx_safety import Limits

    buffer = io.BytesIO()
    layout = write_template(dataset, buffer, orgunit="tan-phong", forms=[7])
    data = buffer.getvalue()
    assert data.startswith(b"PK") and layout.forms == (7,)
    mine = Expectation("laichau-2024", 2023, frozenset({"tan-phong"}))
    result = read_workbook(data, "tp.xlsx", dataset, expected=mine)
    assert not result.problems and len(result.entries) == 5 * sum(
        r.input for r in layout.sheets[0].rows
    )
    theirs = Expectation("laichau-2024", 2023, frozenset({"doan-ket"}))
    result = read_workbook(data, "tp.xlsx", dataset, expected=theirs)
    assert [p.issue for p in result.problems] == [Issue.OTHER_UNIT] and not result.entries
    small = read_workbook(data, "tp.xlsx", dataset, limits=Limits(max_file_bytes=1000))
    assert [p.issue for p in small.problems] == [Issue.TOO_LARGE]


@needs_libreoffice
def test_the_annex_saved_again_by_libreoffice_imports_to_nothing_new(
    tmp_path: Path, dataset: Dataset
) -> None:
    annex = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, annex)
    saved = libreoffice_resave(annex, tmp_path / "phu-luc-lo.xlsx")
    outcome = import_into(dataset, [saved])
    assert outcome.plan.ok and not outcome.plan.changes, outcome.plan.problems[:3]
    assert outcome.plan.computed == 8  # LibreOffice keeps the italics
