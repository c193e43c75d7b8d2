"""The annex workbook, read back with readers other than the writer.

openpyxl for the structure (merges, formulas, formats, comments, page set-up),
python-calamine for the values as a viewer shows them (cached formula results).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from ktxh.domain.catalog import PRINTED_RATIO_MEASURES, RowKind
from ktxh.domain.compare import ratio
from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import decimals_of
from ktxh.io.publish import report_cells
from ktxh.io.xlsx_forms import (
    INVERTED_HEADER_MARK,
    INVERTED_NOTE,
    SEVERITY_FILLS,
    AnnexError,
    annex_cell,
    annex_layouts,
    number_format,
    write_annex,
)

REFERENCE = (
    "(Kèm theo báo cáo số 2547/BC-UBND ngày 30 tháng 8 năm 2023 của UBND thành phố Lai Châu)"
)
UNITS = [
    "Đoàn Kết",
    "Tân Phong",
    "Đông Phong",
    "Quyết Thắng",
    "Quyết Tiến",
    "San Thàng",
    "Sùng Phài",
]
HIGHLIGHTS = {
    ("B01.003", "lai-chau", 2023, "h1"): ("lỗi", "Thu 6 tháng mới đạt 28% kế hoạch"),
    ("B02.009", "sung-phai", 2024, "plan"): (
        "cảnh báo",
        "7 đơn vị cộng lại 2.701,1, không phải 2.731,1",
    ),
    ("B12.020", "lai-chau", 2024, "printed_ratio_nextplan_estimate"): (
        "lưu ý",
        "Biểu gốc in 58; tính lại được 100",
    ),
}


@pytest.fixture(scope="module")
def annex(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annex") / "phu-luc.xlsx"
    write_annex(dataset, path, highlights=HIGHLIGHTS)
    return path


@pytest.fixture(scope="module")
def book(annex: Path) -> Any:
    return openpyxl.load_workbook(annex)


@pytest.fixture(scope="module")
def shown(annex: Path) -> dict[str, list[list[Any]]]:
    """What a viewer shows, sheet by sheet (calamine: cached formula values)."""
    wb = CalamineWorkbook.from_path(str(annex))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _at(rows: list[list[Any]], row: int, col: int) -> Any:
    if row >= len(rows) or col >= len(rows[row]):
        return ""
    return rows[row][col]


def test_one_sheet_per_form_with_the_title_block(
    book: Any, dataset: Dataset, shown: dict[str, list[list[Any]]]
) -> None:
    assert book.sheetnames == [f"Biểu {n}" for n in range(1, 14)]
    for n, form in dataset.catalog.forms.items():
        ws = book[f"Biểu {n}"]
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws["A1"].value == f"Biểu số {n}"
        assert ws["A2"].value == form.title
        assert ws["A3"].value == REFERENCE
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert {f"A1:{last}1", f"A2:{last}2", f"A3:{last}3"} <= merged
        assert ws["A1"].font.b and ws["A2"].font.b and ws["A3"].font.i
        assert shown[f"Biểu {n}"][1][0] == form.title  # calamine agrees


def test_headers_and_merges_by_hand_for_forms_1_and_2(book: Any) -> None:
    ws = book["Biểu 1"]  # no unit breakdown: two header rows
    merged = {str(r) for r in book["Biểu 1"].merged_cells.ranges}
    assert {"A5:A6", "B5:B6", "C5:C6", "D5:F5", "G5:G6", "H5:I5", "J5:J6"} <= merged
    assert [ws.cell(5, c).value for c in range(1, 11)] == [
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Năm 2023",
        None,
        None,
        "Định hướng kế hoạch năm 2024",
        "So sánh (%)",
        None,
        "Ghi chú",
    ]
    assert [ws.cell(6, c).value for c in range(4, 10)] == [
        "Kế hoạch giao",
        "TH 6 tháng",
        "Ước TH cả năm",
        None,
        # Biểu 1 compares its lower-is-better rows old / new: the headers say so
        "Ước TH cả năm 2023/Kế hoạch 2023 (*)",
        "Định hướng 2024/Ước TH năm 2023 (*)",
    ]
    assert ws["H6"].comment is not None and "cũ/mới" in ws["H6"].comment.text
    ws = book["Biểu 2"]  # the seven units under "Trong đó": three header rows
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A5:A7", "D5:F5", "D6:D7", "G5:N5", "G6:G7", "H6:N6", "O5:P5", "O6:O7", "Q5:Q7"} <= (
        merged
    )
    assert ws["G5"].value == "Định hướng kế hoạch năm 2024"
    assert ws["G6"].value == "Tổng cộng" and ws["H6"].value == "Trong đó"
    assert [ws.cell(7, c).value for c in range(8, 15)] == UNITS
    # line 271: Tổng diện tích đất nông nghiệp canh tác, row 9 of the form
    assert ws["A16"].value == "-" and ws["B16"].value == "Tổng diện tích đất nông nghiệp canh tác"
    assert ws["G16"].value == 2731.1 and ws["N16"].value == 1324.6
    assert ws["D16"].number_format == "#,##0;(#,##0)"  # printed "2.726"
    assert ws["G16"].number_format == "#,##0.0;(#,##0.0)"  # printed "2.731,1"


def test_every_sheet_has_its_header_rows(book: Any, dataset: Dataset) -> None:
    for n, layout in annex_layouts(dataset).items():
        ws = book[f"Biểu {n}"]
        top = 5
        assert ws.cell(top, 1).value == "STT" and ws.cell(top, 2).value == "Chỉ tiêu"
        assert ws.cell(top, layout.note_col + 1).value == "Ghi chú"
        merged = {str(r) for r in ws.merged_cells.ranges}
        bottom = top + layout.header_rows - 1
        assert f"A{top}:A{bottom}" in merged
        year_cols = [(sh, c) for sh, c in layout.values if sh.year == 2023]
        if year_cols:
            assert ws.cell(top, year_cols[0][1] + 1).value == "Năm 2023"
            assert [ws.cell(top + 1, c + 1).value for _, c in year_cols] == [
                sh.column.header(2023) for sh, _ in year_cols
            ]
        unit_cols = [(sh, c) for sh, c in layout.values if sh.orgunit is not None]
        if unit_cols:
            assert [ws.cell(bottom, c + 1).value for _, c in unit_cols] == UNITS
        if layout.ratios:
            assert ws.cell(top, layout.ratios[0][1] + 1).value == "So sánh (%)"
        assert bool(unit_cols) == dataset.catalog.forms[n].has_unit_breakdown
        # page set-up: A4 landscape, fit to width, header rows on every page, frozen panes
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToHeight == 0 and ws.page_setup.fitToWidth in (None, 1)
        assert ws.print_title_rows == f"${top}:${bottom}"
        assert ws.freeze_panes == f"D{bottom + 1}"


def test_rows_are_the_catalog_with_styles(book: Any, dataset: Dataset) -> None:
    for n, layout in annex_layouts(dataset).items():
        ws = book[f"Biểu {n}"]
        for ind in dataset.catalog.in_form(n):
            r = layout.rows[ind.code] + 1
            assert ws.cell(r, 1).value == (ind.stt or None), ind.code
            assert ws.cell(r, 2).value == ind.name, ind.code
            if ind.kind is RowKind.GROUP:
                assert ws.cell(r, 2).font.b, ind.code
            if ind.parent is not None:
                assert ws.cell(r, 2).alignment.indent >= 1, ind.code
    assert book["Biểu 1"]["C9"].value == "tỷ đồng"  # the true unit
    assert book["Biểu 1"]["C13"].value == "‰"  # line 235 prints "%" for a rate per thousand


def test_every_value_is_in_its_cell(
    book: Any, dataset: Dataset, shown: dict[str, list[list[Any]]]
) -> None:
    placed = 0
    for r in dataset.values.frame.iter_rows(named=True):
        if r["measure"] in PRINTED_RATIO_MEASURES:
            continue  # the comparison columns are formulas, tested below
        where = annex_cell(dataset, (r["indicator"], r["orgunit"], r["year"], r["measure"]))
        assert where is not None, r
        sheet, row, col = where
        viewer = _at(shown[sheet], row, col)
        cell = book[sheet].cell(row + 1, col + 1)
        if r["value"] is None:
            assert viewer == r["printed"] == cell.value, r  # "-" (or a ditto mark), as text
            assert cell.data_type == "s"
        else:
            assert viewer == pytest.approx(r["value"]), r
            assert cell.data_type == "n", r  # never a number as text
            # shown with the decimals it was printed with (207 stays 207, not 207,000)
            decimals = decimals_of(r["printed"])
            if decimals is None:  # "4.70" (line 394), read by hand
                decimals = dataset.catalog[r["indicator"]].decimals
            assert cell.number_format == number_format(decimals), r
        placed += 1
    assert placed == 3619 - 346 - 319


def test_no_number_is_written_as_text(book: Any, dataset: Dataset) -> None:
    for n, layout in annex_layouts(dataset).items():
        ws = book[f"Biểu {n}"]
        for row in ws.iter_rows(min_row=layout.first_row + 1, min_col=4):
            for cell in row:
                if cell.data_type == "s":
                    assert not re.fullmatch(r"[\d.,()]+", cell.value), cell.coordinate


def test_comparisons_are_formulas_with_cached_values(
    book: Any, dataset: Dataset, shown: dict[str, list[list[Any]]]
) -> None:
    cells = report_cells(dataset)
    formulas = 0
    for n, layout in annex_layouts(dataset).items():
        ws = book[f"Biểu {n}"]
        for ind in dataset.catalog.in_form(n):
            row = layout.rows[ind.code]
            for shown_col, col in layout.ratios:
                spec = shown_col.spec
                assert spec is not None
                cell = ws.cell(row + 1, col + 1)
                viewer = _at(shown[f"Biểu {n}"], row, col)
                if ind.kind is RowKind.GROUP or not ind.comparable:
                    assert cell.value is None and viewer == "", ind.code
                    continue
                formula = cell.value
                assert isinstance(formula, str) and formula.startswith("=IF(AND(ISNUMBER("), (
                    ind.code,
                    formula,
                )
                formulas += 1
                refs = re.findall(r"\b([A-Z]{1,3})(\d+)\b", formula)
                assert {int(r) for _, r in refs} == {row + 1}  # only cells of its own row
                new_col = layout.cols[("lai-chau", 2023 + spec.new[1], spec.new[0])]
                old_col = layout.cols[("lai-chau", 2023 + spec.old[1], spec.old[0])]
                new = openpyxl.utils.get_column_letter(new_col + 1) + str(row + 1)
                old = openpyxl.utils.get_column_letter(old_col + 1) + str(row + 1)
                # what the header says, new / old; old / new only for the lower-is-better
                # rows of a form that declares that convention (Biểu 1), marked "(*)"
                inverted = dataset.catalog.inverted(ind.code)
                division = f"{old}/{new}*100" if inverted else f"{new}/{old}*100"
                assert division in formula, (ind.code, formula)
                if inverted:
                    assert ws.cell(row + 1, layout.note_col + 1).value == INVERTED_NOTE
                    assert ws.cell(6, col + 1).value.endswith(INVERTED_HEADER_MARK)
                expected = ratio(
                    cells[(ind.code, "lai-chau", 2023 + spec.new[1], spec.new[0])].value,
                    cells[(ind.code, "lai-chau", 2023 + spec.old[1], spec.old[0])].value,
                    ind.direction,
                    ind.comparable,
                    dataset.catalog.convention(ind.code),
                )
                if expected is None:
                    assert viewer == "", ind.code
                else:
                    assert viewer == pytest.approx(expected), ind.code
    assert formulas > 600
    # Biểu 1 line 235: natural population growth, lower is better, and Biểu 1 compares
    # such rows old / new: 10,5 / 10,8 = 97,2, as it prints (97)
    ws = book["Biểu 1"]
    assert ws["H13"].value.count("D13/F13*100") == 1
    assert _at(shown["Biểu 1"], 12, 7) == pytest.approx(10.5 / 10.8 * 100)
    # Biểu 9 line 602, the same indicator: new / old, as its header says (printed 103,2)
    layout = annex_layouts(dataset)[9]
    row = layout.rows["B09.012"]
    assert _at(shown["Biểu 9"], row, layout.ratios[0][1]) == pytest.approx(10.8 / 10.5 * 100)
    # the other forms have no inverted row, so no mark
    assert all(
        not str(book["Biểu 9"].cell(6, c + 1).value).endswith(INVERTED_HEADER_MARK)
        for _, c in layout.ratios
    )
    # Biểu 9 prints its first comparison with one decimal, the others whole numbers
    assert book["Biểu 9"]["O8"].number_format == "#,##0.0;(#,##0.0)"
    assert book["Biểu 1"]["H8"].number_format == "#,##0;(#,##0)"


def test_not_comparable_rows_have_no_formula(book: Any, dataset: Dataset) -> None:
    layout = annex_layouts(dataset)[7]
    row = layout.rows["B07.009"] + 1  # Mức giảm tỷ lệ hộ nghèo: a reduction in points
    assert not dataset.catalog["B07.009"].comparable
    assert [book["Biểu 7"].cell(row, c + 1).value for _, c in layout.ratios] == [None, None]


def test_blank_totals_are_consolidated_from_the_units(book: Any, dataset: Dataset) -> None:
    cells = report_cells(dataset)
    filled = 0
    for n, layout in annex_layouts(dataset).items():
        next_col = layout.cols.get(("lai-chau", 2024, "plan"))
        if next_col is None:
            continue
        for ind in dataset.catalog.in_form(n):
            cell = cells[(ind.code, "lai-chau", 2024, "plan")]
            if not cell.computed:
                continue
            xl = book[f"Biểu {n}"].cell(layout.rows[ind.code] + 1, next_col + 1)
            assert xl.value == pytest.approx(cell.value) and xl.font.i, ind.code
            filled += 1
    assert filled > 0


def test_highlights_fill_and_comment_their_cells(book: Any, dataset: Dataset) -> None:
    for key, (severity, message) in HIGHLIGHTS.items():
        where = annex_cell(dataset, key)
        assert where is not None
        sheet, row, col = where
        cell = book[sheet].cell(row + 1, col + 1)
        assert cell.fill.fgColor.rgb.endswith(SEVERITY_FILLS[severity].lstrip("#")), key
        assert cell.comment is not None and cell.comment.text == message
    # a printed-ratio highlight lands on the comparison cell
    ratio_key = ("B12.020", "lai-chau", 2024, "printed_ratio_nextplan_estimate")
    layout = annex_layouts(dataset)[12]
    assert annex_cell(dataset, ratio_key) == (
        "Biểu 12",
        layout.rows["B12.020"],
        layout.ratios[1][1],
    )
    # cells without a highlight carry no fill and no comment
    plain = book["Biểu 1"]["D9"]
    assert plain.comment is None and plain.fill.fill_type is None


def test_unknown_severity_is_refused_in_vietnamese(dataset: Dataset, tmp_path: Path) -> None:
    with pytest.raises(AnnexError, match="Mức độ «nghiêm trọng» không hợp lệ"):
        write_annex(
            dataset,
            tmp_path / "x.xlsx",
            highlights={("B01.003", "lai-chau", 2023, "h1"): ("nghiêm trọng", "?")},
        )


def test_text_that_looks_like_a_formula_stays_text(dataset: Dataset, tmp_path: Path) -> None:
    tricky = {
        "B01.002": '=HYPERLINK("http://x","bấm")',
        "B01.003": "+1+1",
        "B01.004": "@SUM(A1)",
        "B01.006": "-Tỷ lệ",
    }
    indicators = dict(dataset.catalog.indicators)
    for code, name in tricky.items():
        indicators[code] = dataclasses.replace(indicators[code], name=name, stt=name[:2])
    catalog = dataclasses.replace(dataset.catalog, indicators=indicators)
    ds = dataclasses.replace(dataset, catalog=catalog)
    path = tmp_path / "tricky.xlsx"
    write_annex(ds, path)
    ws = openpyxl.load_workbook(path)["Biểu 1"]
    layout = annex_layouts(ds)[1]
    for code, name in tricky.items():
        name_cell = ws.cell(layout.rows[code] + 1, 2)
        stt_cell = ws.cell(layout.rows[code] + 1, 1)
        assert name_cell.value == name and name_cell.data_type == "s", code
        assert stt_cell.value == name[:2] and stt_cell.data_type == "s", code
    shown = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Biểu 1").to_python()
    assert shown[layout.rows["B01.003"]][1] == "+1+1"
    # the printed "-" stays the plain string "-"
    row = layout.rows["B01.015"]
    assert ws.cell(row + 1, 5).value == "-" and ws.cell(row + 1, 5).data_type == "s"


def test_annex_cell_for_values_not_shown(dataset: Dataset) -> None:
    assert annex_cell(dataset, ("B01.002", "doan-ket", 2023, "h1")) is None
    assert annex_cell(dataset, ("NOPE", "lai-chau", 2023, "plan")) is None
    assert annex_cell(dataset, ("B01.002", "lai-chau", 2023, "plan")) == ("Biểu 1", 7, 3)


def test_ratio_cache_matches_compare_on_a_known_row(shown: dict[str, list[list[Any]]]) -> None:
    # Biểu 1 line 231: 169,5 / 207 = 81,88 -> printed 82
    value = shown["Biểu 1"][8][8]
    assert math.isclose(value, 169.5 / 207 * 100)


# --- the declared layout (issue 13) -------------------------------------------


def test_the_lai_chau_annex_is_unchanged_by_the_declared_layouts(
    tmp_path: Path, dataset: Dataset
) -> None:
    """The workbook ktxh wrote before the forms declared their columns (kept, cell by
    cell, in tests/io/golden) against the one written now from the converted forms."""
    from tests.io.annex_cells import annex_cells, read_golden

    assert all("@" in c for f in dataset.catalog.forms.values() for c in f.columns)
    annex = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, annex)
    golden = read_golden()
    now = json.loads(json.dumps(annex_cells(annex)))
    assert now["sheets"] == golden["sheets"]
    for sheet in golden["sheets"]:
        for part in ("merged", "widths", "print_area", "freeze"):
            assert now[sheet][part] == golden[sheet][part], (sheet, part)
        differ = {
            k: (golden[sheet]["cells"].get(k), now[sheet]["cells"].get(k))
            for k in set(golden[sheet]["cells"]) | set(now[sheet]["cells"])
            if golden[sheet]["cells"].get(k) != now[sheet]["cells"].get(k)
        }
        assert not differ, (sheet, sorted(differ.items())[:5])


def test_titles_and_headers_follow_the_round(tmp_path: Path, dataset: Dataset) -> None:
    from ktxh.domain.dataset import catalog_for_round, meta_for_round
    from ktxh.io.datapackage import read_package, shipped_package

    package = read_package(shipped_package())
    later = package.dataset(2025)
    assert later.catalog.forms[1].title.endswith("NĂM 2026")
    assert later.meta["report"]["title"].endswith("năm 2026")
    assert later.meta["report"]["number"] == ""  # not issued yet
    assert catalog_for_round(dataset.catalog, 2023).forms[1].title.endswith("NĂM 2024")
    assert meta_for_round(dataset.meta, package.rounds()[2023])["report"]["number"] == "2547"
    path = tmp_path / "2025.xlsx"
    write_annex(later, path)
    ws = openpyxl.load_workbook(path)["Biểu 2"]
    texts = {c.value for row in ws.iter_rows(max_row=8) for c in row if c.value}
    assert "Năm 2025" in texts and "Định hướng kế hoạch năm 2026" in texts
    assert "Ước TH cả năm 2025/Kế hoạch 2025" in texts
    assert not any("2023" in str(t) or "2024" in str(t) for t in texts)
