"""Forms of any shape (issue 13): a form with every ward's plan, first half and estimate
side by side, and a three-year plan, each declared in forms.csv; templates, import,
``ktxh show``, the annex (read back with openpyxl and calamine, rendered by
LibreOffice) follow the declaration."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.domain.dataset import Dataset
from ktxh.io.datapackage import read_package
from ktxh.io.pdf import find_soffice, to_pdf
from ktxh.io.xlsx_forms import annex_layouts, read_annex, write_annex
from ktxh.io.xlsx_template import write_template
from tests.io.test_xlsx_template import import_into
from tests.layout_package import WARD_VALUES, WARDS, make_layout_package

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_layout_package(tmp_path_factory.mktemp("pkg") / "laichau-layouts")


@pytest.fixture(scope="module")
def ds(package: Path) -> Dataset:
    return read_package(package).dataset()


@pytest.fixture(scope="module")
def annex(ds: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annex") / "phu-luc.xlsx"
    write_annex(ds, path)
    return path


def _header(ws: Any, rows: int) -> list[list[Any]]:
    return [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=4 + rows)]


def test_the_commune_form_prints_each_measure_by_ward(annex: Path, ds: Dataset) -> None:
    layout = annex_layouts(ds)[14]
    assert layout.header_rows == 3
    ws = openpyxl.load_workbook(annex)["Biểu 14"]
    top, middle, bottom = _header(ws, 3)
    assert top[3] == "Kế hoạch năm 2023" and top[11] == "TH 6 tháng năm 2023"
    assert top[19] == "Ước TH cả năm 2023" and top[27] == "So sánh (%)"
    assert middle[3] == "Tổng cộng" and middle[4] == "Trong đó"
    assert bottom[4:11] == [
        "Đoàn Kết",
        "Tân Phong",
        "Đông Phong",
        "Quyết Thắng",
        "Quyết Tiến",
        "San Thàng",
        "Sùng Phài",
    ]
    assert (
        middle[27] == "TH 6 tháng 2023/KH 2023" and middle[28] == "Ước TH cả năm 2023/Kế hoạch 2023"
    )
    assert "str(" not in str(middle)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "D5:K5" in merged and "E6:K6" in merged and "D6:D7" in merged
    # the values: the total, then every ward, for each measure; comparisons are formulas
    row = layout.rows["B14.002"] + 1
    assert [ws.cell(row, c).value for c in range(4, 12)] == [700, 120, 80, 95, 60, 75, 140, 130]
    assert ws.cell(row, 28).value.startswith("=IF(AND(ISNUMBER(")
    shown = CalamineWorkbook.from_path(str(annex)).get_sheet_by_name("Biểu 14").to_python()
    assert shown[row - 1][27] == pytest.approx(352.5 / 700 * 100)
    assert shown[row - 1][28] == pytest.approx(705 / 700 * 100)


def test_the_three_year_plan_prints_its_period(annex: Path, ds: Dataset) -> None:
    ws = openpyxl.load_workbook(annex)["Biểu 15"]
    assert ws["A2"].value == "KẾ HOẠCH BA NĂM 2024-2026"
    top, bottom = _header(ws, 2)
    assert top[3] == "Năm 2022" and bottom[3] == "TH cả năm"
    assert top[4] == "Kế hoạch giai đoạn 2024-2026"
    assert bottom[4:7] == ["Năm 2024", "Năm 2025", "Năm 2026"]
    assert top[7] == "So sánh (%)" and bottom[7] == "KH 2026/TH cả năm 2022"
    layout = annex_layouts(ds)[15]
    row = layout.rows["B15.001"] + 1
    assert [ws.cell(row, c).value for c in range(4, 8)] == [1850.5, 2100, 2300, 2550]
    shown = CalamineWorkbook.from_path(str(annex)).get_sheet_by_name("Biểu 15").to_python()
    assert shown[row - 1][7] == pytest.approx(2550 / 1850.5 * 100)


def test_the_annex_reads_back_as_the_values_it_shows(annex: Path, ds: Dataset) -> None:
    wb = CalamineWorkbook.from_path(str(annex))

    def rows(name: str) -> list[list[object]] | None:
        return wb.get_sheet_by_name(name).to_python() if name in wb.sheet_names else None

    source, entries, problems = read_annex(ds, rows, "phu-luc.xlsx", {}, {})
    assert not problems and source is not None
    got = {e.key: e.raw for e in entries}
    assert got[("B14.002", "quyet-thang", 2023, "h1")] == 30
    assert got[("B14.003", "lai-chau", 2023, "estimate")] == 270
    assert got[("B15.001", "lai-chau", 2026, "plan")] == 2550
    assert got[("B15.002", "lai-chau", 2022, "actual")] == 14


def test_templates_and_import_follow_the_declaration(tmp_path: Path, ds: Dataset) -> None:
    ward = write_template(ds, tmp_path / "dk.xlsx", orgunit="doan-ket", forms=[14])
    assert [(c.measure, c.year, c.input) for c in ward.sheets[0].columns] == [
        ("plan", 2022, False),
        ("h1", 2022, False),
        ("estimate", 2022, False),
        ("actual", 2022, True),
        ("plan", 2023, True),
        ("h1", 2023, True),
        ("estimate", 2023, True),
        ("forecast", 2023, False),  # ktxh's proposal beside the estimate, never read
    ]
    city = write_template(ds, tmp_path / "tp.xlsx", orgunit="lai-chau", forms=[15])
    # the city is in being until 30 June 2025 (the 2025 reorganisation): no input for 2026
    assert [(c.measure, c.year, c.input) for c in city.sheets[0].columns][3:] == [
        ("actual", 2022, True),
        ("plan", 2024, True),
        ("plan", 2025, True),
        ("plan", 2026, False),
    ]
    # fill both and import them
    wb = openpyxl.load_workbook(tmp_path / "dk.xlsx")
    sheet = ward.sheets[0]
    row = next(r for r in sheet.rows if r.indicator.code == "B14.002").row + 1
    col = next(c for c in sheet.columns if (c.measure, c.year) == ("h1", 2023)).col + 1
    wb[sheet.name].cell(row, col).value = 64.5
    wb.save(tmp_path / "dk.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "tp.xlsx")
    sheet = city.sheets[0]
    row = next(r for r in sheet.rows if r.indicator.code == "B15.002").row + 1
    col = next(c for c in sheet.columns if (c.measure, c.year) == ("plan", 2025)).col + 1
    wb[sheet.name].cell(row, col).value = 19
    wb.save(tmp_path / "tp.xlsx")
    outcome = import_into(ds, [tmp_path / "dk.xlsx", tmp_path / "tp.xlsx"])
    assert outcome.plan.ok, outcome.plan.problems[:3]
    changed = {(c.key, c.new.value) for c in outcome.plan.changes}
    assert changed == {
        (("B14.002", "doan-ket", 2023, "h1"), 64.5),
        (("B15.002", "lai-chau", 2025, "plan"), 19.0),
    }


def test_show_prints_the_declared_columns(package: Path) -> None:
    result = CliRunner().invoke(app, ["show", "15", "--dataset", str(package)])
    assert result.exit_code == 0, result.output
    assert "1.850,5" in result.output and "2.550" in result.output and "138" in result.output
    result = CliRunner().invoke(app, ["show", "14", "--units", "--dataset", str(package)])
    assert result.exit_code == 0, result.output
    for ward, (plan, _, estimate) in zip(WARDS, WARD_VALUES["B14.002"], strict=True):
        assert str(plan) in result.output and str(estimate) in result.output, ward


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_the_annex_opens_clean_in_libreoffice(annex: Path, tmp_path: Path) -> None:
    pdf = to_pdf(annex, tmp_path / "phu-luc.pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("bieu-khai-bao-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", str(pdf), str(ARTIFACTS / "bieu-khai-bao")], check=True
    )
    pages = sorted(ARTIFACTS.glob("bieu-khai-bao-*.png"))
    assert len(pages) >= 15  # every form on a page of its own at least
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Kế hoạch giai đoạn 2024-2026" in text and "TH 6 tháng năm 2023" in text
    assert "Err:" not in text and "#VALUE" not in text and "#NAME" not in text
