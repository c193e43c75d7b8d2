"""The catalog in a workbook (ktxh.io.catalog_xlsx): written whole with a list for every
closed field, read back exactly; the lists of units a plan starts from. Every fault
class of a catalog workbook, with the store left unchanged, is in
tests/store/test_plans.py."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ktxh.io.catalog_xlsx import (
    CATALOG_RESOURCES,
    SHEETS,
    CatalogError,
    catalog_tables,
    read_catalog,
    read_orgunit_list,
    write_catalog,
)
from ktxh.io.datapackage import RESOURCES, read_package, shipped_package
from tests import locality


@pytest.fixture(scope="module")
def shipped_rows() -> dict[str, list[dict[str, str]]]:
    return catalog_tables(read_package(shipped_package()).rows)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory, shipped_rows: dict) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "danh-muc.xlsx"
    write_catalog(shipped_rows, path)
    return path


def _rows(name: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = [{c: r.get(c, "") for c in RESOURCES[name].columns} for r in rows]
    if name == "indicators":
        out.sort(key=lambda r: (int(r["form"]), int(r["position"])))
    return out


def test_the_shipped_catalog_comes_back_exactly(workbook: Path, shipped_rows: dict) -> None:
    read = read_catalog(workbook)
    for name in CATALOG_RESOURCES:
        assert _rows(name, read.tables[name]) == _rows(name, shipped_rows[name]), name
    assert len(read.catalog.indicators) == 439 and len(read.catalog.forms) == 13


def test_every_closed_field_has_its_list(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames == ["Hướng dẫn", *(s.name for s in SHEETS)]
    for sheet in SHEETS:
        ws = wb[sheet.name]
        lists = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                lists[rng.min_col] = (dv.type, dv.formula1)
        for i, column in enumerate(sheet.columns, start=1):
            assert ws.cell(1, i).value == column.header
            if column.closed:
                kind, formula = lists[i]
                assert kind == "list"
                assert formula == '"' + ",".join(c.label for c in column.choices) + '"'
    # the closed fields show Vietnamese words; the units column lists the units sheet
    ind = wb["Chỉ tiêu"]
    header = {c.value: c.column_letter for c in ind[1]}
    assert ind[f"{header['Cách tổng hợp']}3"].value == "chỉ cấp trên"  # B01.002 city_only
    assert ind[f"{header['Chiều tốt']}3"].value == "tăng là tốt"
    assert ind[f"{header['Loại dòng']}2"].value == "tiêu đề nhóm"


def test_codes_and_words_are_both_read(tmp_path: Path) -> None:
    """An office may type the codes of the package (sum, down) or the list's words, any
    case; numbers may be typed as text the Vietnamese way."""
    rows = locality.catalog()
    rows["indicators"][1]["consolidation"] = "city_only"
    path = tmp_path / "c.xlsx"
    write_catalog(rows, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Chỉ tiêu"]
    header = {c.value: c.column_letter for c in ws[1]}
    ws[f"{header['Cách tổng hợp']}3"] = "CHỈ CẤP TRÊN"
    ws[f"{header['Chiều tốt']}3"] = "up"
    units = wb["Đơn vị tính"]
    units["C8"] = "1.000.000.000"  # tỷ đồng, typed as Vietnamese text
    wb.save(path)
    read = read_catalog(path)
    assert read.catalog.indicators["T01.002"].consolidation.value == "city_only"
    assert read.catalog.units["tỷ đồng"].scale == 10**9


def test_a_rate_without_its_numerator_and_denominator_is_a_warning(tmp_path: Path) -> None:
    rows = locality.catalog()
    poor = next(r for r in rows["indicators"] if r["code"] == "T01.007")
    poor["consolidation"] = "rate"
    poor["basis"] = "T01.006"
    path = tmp_path / "c.xlsx"
    write_catalog(rows, path)
    read = read_catalog(path)
    assert read.warnings == [
        "trang «Chỉ tiêu», dòng 8, cột O «Cơ sở (tử số, mẫu số; quyền số)»: T01.007 «Tỷ lệ hộ "
        "nghèo» tổng hợp theo tỷ lệ nhưng chưa khai báo mẫu số: ktxh không tính được số của "
        "cấp trên từ các đơn vị, không kiểm tra được tỷ lệ"
    ]


def test_blank_rows_are_skipped_and_positions_follow_the_order(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_catalog(locality.catalog(), path)
    wb = openpyxl.load_workbook(path)
    wb["Chỉ tiêu"].insert_rows(5, 2)
    wb.save(path)
    read = read_catalog(path)
    positions = [(r["code"], r["position"]) for r in read.tables["indicators"]][:5]
    assert positions == [
        ("T01.001", "1"),
        ("T01.002", "2"),
        ("T01.003", "3"),
        ("T01.004", "4"),
        ("T01.005", "5"),
    ]


def test_a_list_of_units_from_csv_or_a_workbook(tmp_path: Path) -> None:
    csv_file = tmp_path / "don-vi.csv"
    csv_file.write_text(locality.UNITS_CSV, encoding="utf-8")
    from_csv = read_orgunit_list(csv_file)
    book = tmp_path / "don-vi.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Đơn vị"
    ws.append(["Mã", "Tên", "Cấp", "Cấp trên", "Hiệu lực từ"])
    for line in locality.UNITS_CSV.strip().split("\n")[1:]:
        code, name, level, parent, _ = line.split(",")
        ws.append([code, name, level, parent or None, "01/01/2020"])
    wb.save(book)
    from_book = read_orgunit_list(book)
    assert [r["code"] for r in from_book.rows] == [r["code"] for r in from_csv.rows]
    assert from_book.rows[0]["valid_from"] == "2020-01-01"
    assert from_csv.locate("orgunits.csv", [3], "parent") == (
        "tệp «don-vi.csv», dòng 3, cột «parent»"
    )
    assert from_book.locate("orgunits.csv", [3], "parent") == (
        "tệp «don-vi.xlsx», trang «Đơn vị», dòng 3, cột D «Cấp trên»"
    )


def test_a_list_of_units_with_an_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "don-vi.csv"
    path.write_text("code,name,level,parent,dân số\nx,X,xã,,100\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        read_orgunit_list(path)
    assert caught.value.problems == [
        "tệp «don-vi.csv», dòng 1, cột 5: tiêu đề «dân số» không phải cột của tệp này; các "
        "cột: Mã đơn vị, Tên đơn vị, Cấp, Đơn vị cấp trên (mã), Hiệu lực từ, Hiệu lực đến"
    ]
    assert str(caught.value).startswith("Danh sách đơn vị có 1 lỗi")
