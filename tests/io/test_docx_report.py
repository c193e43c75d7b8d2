"""The narrative report: Decree 30 layout, metadata from the dataset, figures from the data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from docx import Document
from docx.shared import Mm, Pt

from ktxh.domain.dataset import Dataset
from ktxh.io.datapackage import shipped_package
from ktxh.io.docx_report import TEMPLATE, ReportError, report_context, write_report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "ktxh" / "templates" / "report.schema.json"


@pytest.fixture(scope="module")
def report(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("report") / "bao-cao.docx"
    write_report(dataset, path)
    return Document(str(path))


def _body(doc: Any) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_header_block_is_two_columns_with_body_and_motto(report: Any) -> None:
    head = report.tables[0]
    assert len(head.columns) == 2
    issuer, motto = head.cell(0, 0), head.cell(0, 1)
    assert [p.text for p in issuer.paragraphs if p.text] == [
        "ỦY BAN NHÂN DÂN",
        "THÀNH PHỐ LAI CHÂU",
    ]
    assert [p.text for p in motto.paragraphs if p.text] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert all(r.bold for p in issuer.paragraphs for r in p.runs)
    assert head.cell(1, 0).text == "Số: 2547/BC-UBND"
    place = head.cell(1, 1).paragraphs[0]
    assert place.text == "Lai Châu, ngày 30 tháng 8 năm 2023"
    assert all(r.italic for r in place.runs)
    # the issuer column is narrower than the motto's
    assert head.columns[0].width < head.columns[1].width


def test_kind_title_body_and_closing(report: Any, dataset: Dataset) -> None:
    body = _body(report)
    assert body[0] == "BÁO CÁO"
    assert body[1] == (
        "Định hướng xây dựng kế hoạch phát triển kinh tế - xã hội, bảo đảm quốc phòng an ninh "
        "năm 2024"
    )
    text = "\n".join(body)
    assert "2. Dự ước thực hiện các chỉ tiêu chủ yếu năm 2023" in text
    assert "4. Các mục tiêu chủ yếu năm 2024" in text
    assert (
        "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng ước đạt 2.022 tỷ đồng, "
        "đạt 55% kế hoạch;" in text
    )
    items = [b for b in body if re.match(r"^\(\d\) ", b)]
    assert len(items) == 16  # (1)..(8) twice
    assert items[0].startswith("(1) Thu nhập bình quân đầu người ước thực hiện 59 triệu")
    assert items[8] == "(1) Thu nhập bình quân đầu người đạt 62 triệu đồng/người/năm."
    assert "(Số liệu chi tiết tại các biểu số 1 đến 13 kèm theo.)" in text
    assert body[-1].startswith("Trên đây là báo cáo định hướng xây dựng kế hoạch")
    assert body[-1].endswith("của UBND thành phố Lai Châu./.")
    # placeholders for the officer, and no template tag left unrendered
    assert sum(1 for b in body if b.startswith(("[", "- ["))) >= 10
    assert not any(tag in text for tag in ("{{", "}}", "{%", "%}"))
    assert "16.474" not in text  # livestock: no table row, left to a placeholder
    assert "tổng đàn gia súc ... con" in text


def test_recipients_and_signature(report: Any) -> None:
    foot = report.tables[-1]
    recipients = [p.text for p in foot.cell(0, 0).paragraphs if p.text]
    assert recipients[0] == "Nơi nhận:"
    assert recipients[1] == "- UBND tỉnh (b/c);"
    assert recipients[-1] == "- Lưu: VT, VP."
    first = foot.cell(0, 0).paragraphs[0].runs[0]
    assert first.bold and first.italic and first.font.size == Pt(12)
    signer = [p.text for p in foot.cell(0, 1).paragraphs if p.text]
    assert signer == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Bùi Hữu Cam"]


def test_page_and_fonts_follow_decree_30(report: Any) -> None:
    section = report.sections[0]

    def mm(length: int) -> float:
        return round(length / Mm(1), 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)  # A4
    assert (mm(section.left_margin), mm(section.right_margin)) == (30, 15)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (20, 20)
    assert section.different_first_page_header_footer  # page numbers from page 2
    normal = report.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    sizes = {r.font.size for p in report.paragraphs for r in p.runs if r.font.size}
    assert sizes <= {Pt(13), Pt(14)}
    fonts = {r.font.name for p in report.paragraphs for r in p.runs} - {None}
    assert fonts <= {"Times New Roman"}


def test_metadata_matches_its_schema() -> None:
    package = json.loads((shipped_package() / "datapackage.json").read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(package["ktxh"]["report"], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"date": "30/8/2023"}, schema)


def test_without_metadata_the_blanks_are_left_to_fill(dataset: Dataset, tmp_path: Path) -> None:
    import dataclasses

    meta = {k: v for k, v in dataset.meta.items() if k != "report"}
    ds = dataclasses.replace(dataset, meta=meta)
    ctx = report_context(ds)
    assert ctx["number_symbol"] == "Số:       /..."
    assert ctx["place_date"] == "..., ngày ... tháng ... năm 2023"
    write_report(ds, tmp_path / "blank.docx")
    text = "\n".join(p.text for p in Document(str(tmp_path / "blank.docx")).paragraphs)
    assert "ước đạt 2.022 tỷ đồng" in text


def test_a_broken_template_is_reported_in_vietnamese(dataset: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="Không tìm thấy mẫu báo cáo"):
        write_report(dataset, tmp_path / "x.docx", template=tmp_path / "none.docx")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ReportError, match="không dùng được"):
        write_report(dataset, tmp_path / "x.docx", template=bad)


def test_the_shipped_template_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_report_template.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _shingles(words: list[str], n: int = 7) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_the_template_copies_no_prose_of_the_seed(seed_lines: list[str]) -> None:
    """The template's own text (not its outline headings) shares no run of 7 words
    with the seed's narrative."""
    template = Document(str(TEMPLATE))
    heading = re.compile(r"^(?:I|II|\d+(?:\.\d+)?)\. ")
    own = [p.text for p in template.paragraphs if p.text and not heading.match(p.text)]
    ours = set().union(*(_shingles(_words(t)) for t in own))
    seed = _shingles(_words(" ".join(seed_lines[:207])))
    assert not ours & seed, sorted(ours & seed)[:5]
