"""Excel annexes read back (ktxh.io.report_xlsx): the annex ktxh publishes, and workbooks
of other layouts (multi-row headers, merged cells, repeated page headers, numbers as
text), and the files that must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import ReviewKind, interpret
from ktxh.io.report_xlsx import read_xlsx
from ktxh.io.xlsx_forms import write_annex
from tests.reading_helpers import annex_agreement, annex_values, extras_are_comparisons_or_totals


def _read(path: Path, ds: Dataset):  # type: ignore[no-untyped-def]
    return interpret([read_xlsx(path)], ds.catalog, ds.tree, ds.top_orgunit)


def test_the_published_annex_reads_back_whole(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, path)
    reading = _read(path, dataset)
    assert reading.ok
    agree = annex_agreement(reading, dataset)
    assert agree.total == len(annex_values(dataset)) > 2900
    assert agree.share == 1.0, agree.differences[:5]
    assert extras_are_comparisons_or_totals(agree, dataset)
    # numbers keep the text the workbook shows and their cell
    value = reading.by_key()[("B02.009", "lai-chau", 2024, "plan")]
    assert value.printed == "2.731,1"
    assert value.where.sheet == "Biểu 2" and value.where.cell.startswith("G")
    # the only review item is the ditto mark the source prints in Biểu 13
    assert [r.kind for r in reading.review] == [ReviewKind.DITTO]


def _messy(path: Path) -> None:
    """One sheet, two forms, a layout of another office: a title row, the header over
    three rows with merged cells and other words, a page header repeated mid-table,
    numbers typed as text, "-" for none."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Phụ lục")
    m = wb.add_format({"bold": True})
    ws.merge_range(0, 0, 0, 8, "Biểu số 5", m)
    ws.merge_range(1, 0, 1, 8, "ĐỊNH HƯỚNG CHỈ TIÊU VỀ PHÁT TRIỂN DỊCH VỤ VẬN TẢI NĂM 2024", m)
    header = [
        ["TT", "Nội dung chỉ tiêu", "ĐVT", "Năm 2023", "", "", "KH năm 2024", "Ghi chú"],
        ["", "", "", "KH giao", "Thực hiện 6 tháng", "Ước thực hiện cả năm", "", ""],
        ["1", "2", "3", "4", "5", "6", "7", "8"],
    ]

    def write_header(top: int) -> None:
        for r, row in enumerate(header):
            for c, text in enumerate(row):
                if text:
                    ws.write_string(top + r, c, text)
        ws.merge_range(top, 3, top, 5, "Năm 2023")

    write_header(3)
    rows = [
        ("1", "Vận tải hàng hoá", "", None, None, None, None),
        ("1.1", "Khối lượng hàng hoá vận chuyển", "1000 tấn", 190, 121.7, 247, 213),
        ("", "- Ngoài quốc doanh", "1000 tấn", "190", "121,7", "247", "213"),
    ]
    r = 6
    for stt, name, unit, *values in rows:
        ws.write_string(r, 0, stt)
        ws.write_string(r, 1, name)
        ws.write_string(r, 2, unit)
        for c, v in enumerate(values, start=3):
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write_number(r, c, v, wb.add_format({"num_format": "#,##0.0"}))
        r += 1
    write_header(r)  # the header repeated at a page break
    r += 3
    ws.write_row(r, 0, ["1.2", "Khối lượng hàng hoá luân chuyển", "1000 T.km"])
    ws.write_row(r, 3, [7020, 4568, 9126, 7862])
    ws.write_row(r + 1, 0, ["", "- Ngoài quốc doanh", "1000 T.km", "7.020", "-", "9.126", "7.862"])
    wb.close()


def test_a_workbook_of_another_layout(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "phu-luc-cu.xlsx"
    _messy(path)
    reading = _read(path, dataset)
    assert reading.ok, reading.problems
    assert [t.form for t in reading.tables] == [5]
    got = reading.by_key()
    # B05.002 K. lượng hàng hoá vận chuyển; B05.003 its "Ngoài quốc doanh"
    assert got[("B05.002", "lai-chau", 2023, "h1")].value == 121.7
    assert got[("B05.002", "lai-chau", 2023, "h1")].printed == "121,7"
    assert got[("B05.003", "lai-chau", 2023, "h1")].value == 121.7  # typed as text
    assert got[("B05.003", "lai-chau", 2024, "plan")].value == 213
    # after the repeated header: B05.004 luân chuyển, B05.005 its "Ngoài quốc doanh"
    assert got[("B05.004", "lai-chau", 2023, "estimate")].value == 9126
    assert got[("B05.005", "lai-chau", 2023, "h1")].value is None
    assert got[("B05.005", "lai-chau", 2023, "plan")].value == 7020
    assert got[("B05.005", "lai-chau", 2023, "plan")].where.cell == "D14"
    # "Khối lượng" printed in full where the catalog says "K. lượng": matched, reviewed
    assert {r.indicator for r in reading.review if r.kind is ReviewKind.ROW_MATCH} <= {
        "B05.002",
        "B05.004",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not a zip at all", "tệp bị hỏng"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k\x00", ".xls"),
        (b"", "rỗng"),
    ],
)
def test_bad_workbooks_are_refused(
    tmp_path: Path, dataset: Dataset, content: bytes, message: str
) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(content)
    reading = _read(path, dataset)
    [problem] = reading.problems
    assert str(problem).startswith("tệp «hong.xlsx»: ")
    assert message in problem.message
    assert not reading.values


def test_a_sheet_of_a_form_the_catalog_does_not_have(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "bieu-14.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Biểu 14")
    ws.write_row(0, 0, ["Biểu số 14"])
    ws.write_row(2, 0, ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch"])
    ws.write_row(3, 0, ["1", "Số km đường mới", "km", "12"])
    wb.close()
    reading = _read(path, dataset)
    [problem] = reading.problems
    assert problem.where.sheet == "Biểu 14" and problem.where.cell == "A1"
    assert "danh mục không có biểu số 14" in str(problem)


def test_two_forms_on_one_sheet(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "hai-bieu.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    header = ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch giao", "TH 6 tháng", "Ước TH cả năm"]
    ws.write_row(0, 0, ["Biểu số 5"])
    ws.write_row(1, 0, [*header, "Định hướng kế hoạch năm 2024"])
    ws.write_row(2, 0, ["1.1", "K. lượng hàng hoá vận chuyển", "1000 tấn", 190, 121.7, 247, 213])
    ws.write_row(4, 0, ["Biểu số 6"])
    ws.write_row(5, 0, ["ĐỊNH HƯỚNG CHỈ TIÊU VỀ PHÁT TRIỂN KINH TẾ TẬP THỂ - HỢP TÁC XÃ NĂM 2024"])
    ws.write_row(6, 0, [*header, "Định hướng kế hoạch năm 2024", "Ước TH 2023/KH 2023 (%)"])
    ws.write_row(7, 0, ["1", "Tổng số hợp tác xã", "HTX", 60, 58, 60, 65, 100])
    wb.close()
    reading = _read(path, dataset)
    assert reading.ok, reading.problems
    assert [t.form for t in reading.tables] == [5, 6]
    got = reading.by_key()
    assert got[("B05.002", "lai-chau", 2024, "plan")].value == 213
    assert got[("B06.001", "lai-chau", 2024, "plan")].value == 65
    assert got[("B06.001", "lai-chau", 2023, "printed_ratio_estimate_plan")].value == 100
