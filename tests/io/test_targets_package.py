"""Targets in files: the test package read and rated (by column and one by one alike), its
faults located, the annex's "Đánh giá" column and targets written as text, and targets
through an input template and back."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import Expectation, Issue, plan_import
from ktxh.domain.narrative import tally_sentences
from ktxh.domain.tables import CellIndex
from ktxh.domain.targets import rate_cell, ratings_frame
from ktxh.io.datapackage import PackageError, read_dataset
from ktxh.io.docx_report import report_context
from ktxh.io.xlsx_forms import write_annex
from ktxh.io.xlsx_template import ID_SHEET, read_workbook, write_template
from tests.targets_helpers import REPORT_DAY, targets_package
from tests.xlsx_helpers import fill

DAY = date.fromisoformat(REPORT_DAY)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return targets_package(tmp_path_factory.mktemp("targets") / "package")


@pytest.fixture(scope="module")
def ds(package: Path) -> Dataset:
    return read_dataset(package)


def test_the_package_reads_with_its_documents_and_targets(ds: Dataset) -> None:
    assert set(ds.targets.documents) == {"qd-1520-2022", "nq-08-2022", "nq-21-2023"}
    assert ds.targets.line("nq-21-2023") == "nq-08-2022"
    assert len(ds.targets) == 8


def test_the_frame_rates_every_cell_as_rate_cell_does(ds: Dataset) -> None:
    frame = ratings_frame(ds.values.frame, ds.catalog, ds.targets, 2023, DAY)
    cells = CellIndex(ds.values.frame)
    assert frame.height > 700
    for r in frame.iter_rows(named=True):
        one = rate_cell(ds.catalog[r["indicator"]], r["orgunit"], 2023, cells, ds.targets, DAY)
        a = one.of(r["measure"])
        assert (a.code if a.rating is not None else None) == r["rating"], r
        assert (one.target.shown() if one.target else None) == r["target"], r
    mine = frame.filter((pl.col("orgunit") == "lai-chau") & (pl.col("measure") == "estimate"))
    by = {r["indicator"]: r for r in mine.iter_rows(named=True)}
    assert (by["B01.009"]["target"], by["B01.009"]["rating"]) == ("từ 93,5 trở lên", "missed")
    assert by["B01.009"]["document"] == "nq-21-2023"
    assert by["B01.007"]["conflict"] and by["B01.007"]["document"] == "nq-08-2022"
    assert (by["B01.003"]["target"], by["B01.003"]["rating"]) == ("khoảng 200", "met")


def _rewrite(package: Path, tmp: Path, name: str, edit: object) -> Path:
    import shutil

    target = tmp / "broken"
    shutil.copytree(package, target)
    path = target / name
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    edit(rows)  # type: ignore[operator]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return target


def test_a_target_whose_text_and_columns_disagree_is_located(package: Path, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        rows[0]["text"] = "khoảng 210"  # the columns still say 200
        rows[-1]["text"] = "9-10"  # the typed target is no longer the plan cell's text

    with pytest.raises(PackageError) as caught:
        read_dataset(_rewrite(package, tmp_path, "targets.csv", edit))
    text = str(caught.value)
    assert "targets.csv, dòng 2: chỉ tiêu «khoảng 210»" in text and "khác các cột" in text
    assert (
        "targets.csv, dòng 9, cột «text»: chỉ tiêu nhập trên biểu «9-10» phải là chữ của ô kế "
        "hoạch trong values.csv, nhưng ô đó là «9,5-10»" in text
    )


def test_a_target_of_an_unknown_document_is_located(package: Path, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        rows[1]["document"] = "nq-99"

    with pytest.raises(PackageError) as caught:
        read_dataset(_rewrite(package, tmp_path, "targets.csv", edit))
    assert "targets.csv, dòng 3, cột «document»: «nq-99» không có trong documents.csv" in str(
        caught.value
    )


def test_an_amendment_of_a_later_document_is_refused(package: Path, tmp_path: Path) -> None:
    def edit(rows: list[dict[str, str]]) -> None:
        rows[2]["date"] = "2022-01-01"  # nq-21-2023 dated before what it amends

    with pytest.raises(PackageError, match="ban hành sau nó"):
        read_dataset(_rewrite(package, tmp_path, "documents.csv", edit))


def test_the_annex_rates_where_the_form_asks_and_shows_targets_as_written(
    ds: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "phu-luc.xlsx"
    write_annex(ds, path)
    ws = openpyxl.load_workbook(path)["Biểu 1"]
    cells = {(r, c): ws.cell(r, c).value for r in range(1, 40) for c in range(1, 14)}
    header = next(k for k, v in cells.items() if v == "Đánh giá")
    rows = {v: r for (r, c), v in cells.items() if c == 2 and isinstance(v, str)}

    def at(name: str, col: int) -> object:
        found = next(r for v, r in rows.items() if v.startswith(name))
        return cells[(found, col)]

    col = header[1]
    training = "Tỷ lệ lao động qua đào tạo, tập huấn so với tổng số lao động"
    insurance = "Tỷ lệ người dân tham gia bảo hiểm y tế"
    assert at(training, col) == "Đạt"
    assert at(insurance, col) == "Không đạt"  # 93 against the amended "từ 93,5 trở lên"
    assert at(training, 4) == "84-85"  # KH 2023 as written, text
    assert at(insurance, 4) == "từ 93,5 trở lên"
    assert isinstance(at(training, 8), (int, float))  # Ước TH/KH: the number, not a formula
    # the Lai Châu forms do not ask for it
    other = openpyxl.load_workbook(path)["Biểu 2"]
    assert all(c.value != "Đánh giá" for line in other.iter_rows() for c in line)


def test_targets_go_out_in_a_template_and_come_back(ds: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "mau.xlsx"
    layout = write_template(ds, out, orgunit="lai-chau", forms=[1])
    sheet = layout.sheets[0]
    row = next(r.row for r in sheet.rows if r.indicator.code == "B01.014")
    plan_col = next(
        c.col for c in sheet.columns if c.input and c.measure == "plan" and c.year == 2023
    )
    wb = openpyxl.load_workbook(out)
    ws = wb[sheet.name]
    assert ws.cell(row + 1, plan_col + 1).value == "84-85"  # as written
    bases = [r for r in wb[ID_SHEET].iter_rows(values_only=True) if r[2] == "84-85"]
    assert bases
    ref = ws.cell(row + 1, plan_col + 1).coordinate
    untouched = _import(ds, out)
    assert untouched.ok and not untouched.changes
    changed = _import(ds, fill(out, tmp_path / "a.xlsx", {(sheet.name, ref): "trên 85%"}))
    assert changed.ok, changed.problems
    (change,) = changed.changes
    assert (change.new.printed, change.new.value) == ("trên 85%", 85.0)
    bad = _import(ds, fill(out, tmp_path / "b.xlsx", {(sheet.name, ref): "trên 4.70"}))
    (problem,) = bad.blocking
    assert problem.issue is Issue.BAD_TARGET
    assert problem.ref.cell == ref and "hãy viết 4,70" in problem.message
    assert "Cách viết được chấp nhận" in problem.message


def _import(ds: Dataset, path: Path):  # type: ignore[no-untyped-def]
    result = read_workbook(
        path.read_bytes(), path.name, ds, expected=Expectation(ds.name, ds.reference_year)
    )
    return plan_import(
        result.entries, ds.values.frame, ds.catalog, ds.tree, problems=result.problems
    )


def test_the_tally_of_the_lai_chau_report_from_its_own_numbers(dataset: Dataset) -> None:
    # the report's key indicators (Biểu số 1) against the plan as printed: the natural
    # population growth (10,8‰ for 10,5‰, lower is better) missed, the schools at
    # level II (53,3% for 53%) passed, the civilised wards ("-") not rated
    got = tally_sentences(
        dataset.catalog, CellIndex(dataset.values.frame), dataset.targets, "lai-chau", 2023
    )
    assert got == (
        "Đánh giá chung: trong 22 chỉ tiêu chủ yếu năm 2023, có 20/21 chỉ tiêu đạt và vượt kế "
        "hoạch (vượt 1, đạt 19, không đạt 1); 1 chỉ tiêu chưa đánh giá.",
        "Các chỉ tiêu về kinh tế: có 3/3 chỉ tiêu đạt và vượt kế hoạch (đạt 3).",
        "Các chỉ tiêu về xã hội: có 12/13 chỉ tiêu đạt và vượt kế hoạch (vượt 1, đạt 11, không "
        "đạt 1); 1 chỉ tiêu chưa đánh giá.",
        "Các chỉ tiêu về môi trường: có 5/5 chỉ tiêu đạt và vượt kế hoạch (đạt 5).",
    )


def test_the_report_tallies_against_the_targets_in_force(ds: Dataset) -> None:
    context = report_context(ds)
    items, tallied = context["estimate_items"], context["tally"]
    assert items[0].startswith("(1) ") and items[-4:] == tallied
    # against the targets in force the population growth (10,8‰) meets the council's
    # "dưới 11" and the health insurance (93%) misses the amended "từ 93,5 trở lên"
    assert tallied[2] == (
        "Các chỉ tiêu về xã hội: có 12/13 chỉ tiêu đạt và vượt kế hoạch (vượt 1, đạt 11, "
        "không đạt 1); 1 chỉ tiêu chưa đánh giá."
    )
    cells = CellIndex(ds.values.frame)
    assert rate_cell(
        ds.catalog["B01.007"], "lai-chau", 2023, cells, ds.targets, DAY
    ).main.label == ("Đạt")
    assert rate_cell(
        ds.catalog["B01.009"], "lai-chau", 2023, cells, ds.targets, DAY
    ).main.label == ("Không đạt")
