"""PDF reports and scanned pages read back (ktxh.io.report_pdf): the annex PDF ktxh
publishes, through its text layer and through OCR (its pages rendered to images and
read by Tesseract with its Vietnamese data), and the files that must be refused.

The OCR test reads the 16 pages of the annex at 400 dpi, two pages at a time: about 40 s
on a 2-core machine with nothing else running (39 s measured, 99,5 % of the values), up
to two minutes when other tests share the cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import interpret
from ktxh.io.pdf import find_soffice
from ktxh.io.publish import publish
from ktxh.io.report_pdf import fix_ocr_number, ocr_available, parse_pdf, read_image, read_pdf
from tests.reading_helpers import annex_agreement, extras_are_comparisons_or_totals

needs_libreoffice = pytest.mark.skipif(
    find_soffice() is None,
    reason="LibreOffice is not installed (scripts/test-deps.sh installs it): no annex PDF",
)
needs_ocr = pytest.mark.skipif(
    ocr_available() is not None,
    reason=f"Tesseract with Vietnamese is not installed: {ocr_available()}",
)


@pytest.fixture(scope="module")
def annex_pdf(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Path:
    if find_soffice() is None:
        pytest.skip("LibreOffice is not installed")
    path = tmp_path_factory.mktemp("annex") / "phu-luc.pdf"
    publish(dataset, pdf_xlsx=path)  # what `ktxh report --pdf-xlsx` writes
    return path


def _interpret(doc, ds: Dataset):  # type: ignore[no-untyped-def]
    return interpret([doc], ds.catalog, ds.tree, ds.top_orgunit)


@needs_libreoffice
def test_the_text_layer_reads_back_whole(annex_pdf: Path, dataset: Dataset) -> None:
    doc = read_pdf(annex_pdf, ocr=False)
    reading = _interpret(doc, dataset)
    assert reading.ok
    agree = annex_agreement(reading, dataset)
    assert agree.total > 2900 and agree.share == 1.0, agree.differences[:5]
    assert extras_are_comparisons_or_totals(agree, dataset)
    value = reading.by_key()[("B02.009", "lai-chau", 2024, "plan")]
    assert value.printed == "2.731,1" and value.where.page == 2


@needs_libreoffice
@needs_ocr
def test_ocr_reads_back_the_published_annex(annex_pdf: Path, dataset: Dataset) -> None:
    start = time.monotonic()
    doc = read_pdf(annex_pdf, ocr=True, workers=2)
    seconds = time.monotonic() - start
    reading = _interpret(doc, dataset)
    assert reading.ok, reading.problems
    agree = annex_agreement(reading, dataset)
    assert agree.share >= 0.95, (agree.same, agree.total, agree.differences[:10])
    # OCR'd cells carry their confidence; the values have the page, table, row, column
    value = reading.by_key()[("B01.003", "lai-chau", 2023, "h1")]
    assert value.ocr_confidence is not None and value.where.page == 1
    assert value.where.row is not None and value.where.col == 5
    print(f"OCR of {annex_pdf.name}: {seconds:.0f} s, {agree.same}/{agree.total}")


@needs_libreoffice
@needs_ocr
def test_a_scanned_page(annex_pdf: Path, dataset: Dataset, tmp_path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(annex_pdf) as pdf:
        page = next(p for p in pdf.pages if "Biểu số 5" in (p.extract_text() or ""))
        image = page.to_image(resolution=400).original
    path = tmp_path / "scan.png"
    image.save(path)
    reading = _interpret(read_image(path), dataset)
    assert reading.ok and [t.form for t in reading.tables] == [5]
    got = reading.by_key()
    assert got[("B05.002", "lai-chau", 2023, "h1")].value == 121.7
    assert got[("B05.009", "lai-chau", 2024, "plan")].value == 39200


@needs_ocr
def test_an_image_without_a_table(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "trang.png"
    image = Image.new("RGB", (1200, 800), "white")
    ImageDraw.Draw(image).ellipse((200, 200, 600, 500), outline="black", width=6)
    image.save(path)
    reading = _interpret(read_image(path), dataset)
    [problem] = reading.problems
    assert str(problem) == (
        "tệp «trang.png»: không tìm thấy bảng nào trong tệp (trang không có bảng kẻ ô)"
    )


def test_bad_pdfs_are_refused(tmp_path: Path) -> None:
    [problem] = parse_pdf(b"%PDF-1.7\n garbage", "hong.pdf").problems
    assert str(problem).startswith("tệp «hong.pdf»: tệp PDF bị hỏng")
    [problem] = parse_pdf(b"PK\x03\x04", "x.pdf").problems
    assert problem.message == "tệp không phải PDF (không bắt đầu bằng %PDF)"
    broken = tmp_path / "anh.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    if ocr_available() is None:
        [problem] = read_image(broken).problems
        assert str(problem).startswith("tệp «anh.png»: tệp ảnh bị hỏng")


def test_without_tesseract_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KTXH_TESSERACT", "/nonexistent/tesseract")
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in (ocr_available() or "")


def test_ocr_slips_in_numbers() -> None:
    assert fix_ocr_number("S4") == ("54", True)
    assert fix_ocr_number("4G.562") == ("46.562", True)
    assert fix_ocr_number("__") == ("-", True)
    assert fix_ocr_number("7 ~~") == ("7", True)
    assert fix_ocr_number("Sơn La") == ("Sơn La", False)
    assert fix_ocr_number("1.441,9") == ("1.441,9", False)


@needs_libreoffice
def test_a_table_without_ruling(tmp_path: Path, dataset: Dataset) -> None:
    """A Word table without borders, printed to PDF: its columns from the words'
    alignment, wrapped names joined to their row, the title above it text."""
    from docx import Document

    from ktxh.io.pdf import to_pdf

    doc = Document()
    doc.add_paragraph("Biểu số 5")
    doc.add_paragraph("ĐỊNH HƯỚNG CHỈ TIÊU VỀ PHÁT TRIỂN DỊCH VỤ VẬN TẢI NĂM 2024")
    rows = [
        [
            "STT",
            "Chỉ tiêu",
            "Đơn vị tính",
            "Kế hoạch giao",
            "TH 6 tháng",
            "Ước TH cả năm",
            "Định hướng kế hoạch năm 2024",
        ],
        ["1", "Vận tải hàng hoá", "", "", "", "", ""],
        ["1.1", "K. lượng hàng hoá vận chuyển", "1000 tấn", "190", "121,7", "247", "213"],
        ["", "- Ngoài quốc doanh", "1000 tấn", "190", "121,7", "247", "213"],
        ["1.2", "K. lượng hàng hoá luân chuyển", "1000 T.km", "7.020", "4.568", "9.126", "7.862"],
    ]
    table = doc.add_table(rows=len(rows), cols=7)  # the default style has no borders
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    docx = tmp_path / "khong-ke.docx"
    doc.save(str(docx))
    pdf = to_pdf(docx, tmp_path / "khong-ke.pdf")
    reading = _interpret(read_pdf(pdf, ocr=False), dataset)
    assert reading.ok and [t.form for t in reading.tables] == [5]
    got = reading.by_key()
    assert got[("B05.002", "lai-chau", 2023, "h1")].value == 121.7
    assert got[("B05.003", "lai-chau", 2024, "plan")].value == 213
    assert got[("B05.004", "lai-chau", 2023, "plan")].printed == "7.020"
