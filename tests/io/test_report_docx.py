"""The annex as Word tables (ktxh.io.docx_report.write_annex_docx) and Word documents read
back (ktxh.io.report_docx), and the files that must be refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document

from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import ReviewKind, interpret
from ktxh.io.docx_report import write_annex_docx
from ktxh.io.report_docx import parse_docx, read_docx
from tests.reading_helpers import annex_agreement, extras_are_comparisons_or_totals


@pytest.fixture(scope="module")
def annex_docx(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Path:
    path = tmp_path_factory.mktemp("annex") / "phu-luc.docx"
    write_annex_docx(dataset, path)
    return path


def test_the_annex_as_word_tables(annex_docx: Path, dataset: Dataset) -> None:
    doc = Document(str(annex_docx))
    assert len(doc.tables) == len(dataset.catalog.forms)
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "Biểu số 1"
    assert texts[2].startswith("(Kèm theo báo cáo số 2547/BC-UBND")
    table = doc.tables[1]  # Biểu 2: three header rows, repeated on every page
    header = [c.text for c in table.rows[0].cells]
    assert header[:4] == ["STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2023"]
    assert header[6] == "Định hướng kế hoạch năm 2024"
    units = [u.name for u in dataset.tree.children("lai-chau")]
    assert [c.text for c in table.rows[2].cells][7:14] == units
    assert all(row._tr.trPr.xpath("./w:tblHeader") for row in table.rows[:3])
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[3:]}
    assert rows["Tổng diện tích đất nông nghiệp canh tác"][3:8] == [
        "2.726", "2.721", "2.731", "2.731,1", "82,8",
    ]  # fmt: skip
    assert len(table.rows) == 3 + len(dataset.catalog.in_form(2))


def test_the_word_annex_reads_back_whole(annex_docx: Path, dataset: Dataset) -> None:
    reading = interpret([read_docx(annex_docx)], dataset.catalog, dataset.tree, "lai-chau")
    assert reading.ok
    agree = annex_agreement(reading, dataset)
    assert agree.total > 2900 and agree.share == 1.0, agree.differences[:5]
    assert extras_are_comparisons_or_totals(agree, dataset)
    value = reading.by_key()[("B02.009", "lai-chau", 2024, "plan")]
    assert (value.where.table, value.where.col, value.printed) == (2, 7, "2.731,1")
    assert [r.kind for r in reading.review] == [ReviewKind.DITTO]


def _docx_with(table_rows: list[list[str]], paragraphs: list[str]) -> bytes:
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    table = doc.add_table(rows=len(table_rows), cols=len(table_rows[0]))
    for r, row in enumerate(table_rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_table_of_a_form_the_catalog_does_not_have(dataset: Dataset) -> None:
    data = _docx_with(
        [["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch"], ["1", "Số km đường mới", "km", "12"]],
        ["Biểu số 14", "KẾT CẤU HẠ TẦNG GIAO THÔNG NĂM 2024"],
    )
    reading = interpret([parse_docx(data, "bc.docx")], dataset.catalog, dataset.tree, "lai-chau")
    [problem] = reading.problems
    assert "danh mục không có biểu số 14" in str(problem)
    assert str(problem).startswith("tệp «bc.docx»: ")


def _broken_part() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document><w:body><w:tbl>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04garbage", "tệp bị hỏng"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Word 97-2003 (.doc)"),
        (b"%PDF-1.7", "tệp PDF"),
        (_broken_part(), "tệp bị hỏng"),
        (b"", "tệp rỗng"),
    ],
)
def test_bad_word_files_are_refused(data: bytes, message: str) -> None:
    doc = parse_docx(data, "hong.docx")
    [problem] = doc.problems
    assert message in problem.message
    assert str(problem).startswith("tệp «hong.docx»: ")
    assert not doc.blocks
