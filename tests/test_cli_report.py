"""`ktxh report`: the annex workbook, the narrative report and their PDFs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from docx import Document
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.pdf import find_soffice

runner = CliRunner()
# the commands read the store: the Lai Châu plan loaded into the test database
pytestmark = pytest.mark.usefixtures("plan")


def test_report_needs_at_least_one_file() -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 2
    assert "hãy chọn ít nhất một tệp để ghi" in result.output


def test_report_writes_the_workbook_and_the_report(tmp_path: Path) -> None:
    xlsx, docx = tmp_path / "phu-luc.xlsx", tmp_path / "bao-cao.docx"
    result = runner.invoke(app, ["report", "--xlsx", str(xlsx), "--docx", str(docx)])
    assert result.exit_code == 0, result.output
    assert f"Đã ghi phụ lục biểu số liệu vào {xlsx}." in result.output
    assert f"Đã ghi báo cáo thuyết minh vào {docx}." in result.output
    assert openpyxl.load_workbook(xlsx).sheetnames[-1] == "Biểu 13"
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "ước đạt 2.022 tỷ đồng, đạt 55% kế hoạch" in text


def test_report_with_a_custom_template(tmp_path: Path) -> None:
    from ktxh.io.docx_report import TEMPLATE

    custom = tmp_path / "mau.docx"
    doc = Document(str(TEMPLATE))
    doc.add_paragraph("Ghi chú riêng của phòng Tài chính - Kế hoạch: {{ next_year }}")
    doc.save(str(custom))
    out = tmp_path / "bao-cao.docx"
    result = runner.invoke(app, ["report", "--docx", str(out), "--template", str(custom)])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Ghi chú riêng của phòng Tài chính - Kế hoạch: 2024" in text


def test_report_explains_a_missing_template(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["report", "--docx", str(tmp_path / "a.docx"), "--template", str(tmp_path / "no.docx")],
    )
    assert result.exit_code == 2
    assert "Không tìm thấy mẫu báo cáo" in result.output


def test_pdf_without_libreoffice_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KTXH_SOFFICE", str(tmp_path / "khong-co"))
    docx = tmp_path / "bao-cao.docx"
    result = runner.invoke(app, ["report", "--docx", str(docx), "--pdf", str(tmp_path / "b.pdf")])
    assert result.exit_code == 3
    assert "Không tìm thấy LibreOffice" in result.output
    assert docx.exists()  # what could be written was written


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed: no PDF")
def test_pdf_of_the_workbook_when_only_the_workbook_is_asked_for(tmp_path: Path) -> None:
    xlsx, pdf = tmp_path / "phu-luc.xlsx", tmp_path / "phu-luc.pdf"
    result = runner.invoke(app, ["report", "--xlsx", str(xlsx), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert f"Đã ghi bản PDF của phụ lục vào {pdf}." in result.output
    assert pdf.read_bytes().startswith(b"%PDF")
