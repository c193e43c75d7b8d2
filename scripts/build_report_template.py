"""Build ktxh/templates/report.docx: the default template of the narrative report.

    .venv/bin/python scripts/build_report_template.py           # rewrite the template
    .venv/bin/python scripts/build_report_template.py --check   # exit 1 if it is stale

The template is a docxtpl (Jinja) document laid out per Decree 30/2020/NĐ-CP:
the header block (issuing body and number on the left, national motto and
place and date on the right), the document kind and its summary line, the
body in Times New Roman 14 pt, "Nơi nhận" and the signature block. The
figures come from the data ({{ ... }} fields, filled by ktxh.io.docx_report);
the qualitative passages are placeholders in square brackets that an officer
replaces. The wording is ktxh's own. An office may edit the .docx in Word or
LibreOffice and pass its copy with ``ktxh report --template``; keep the
{{ ... }} and {%p ... %} fields.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

TARGET = Path(__file__).resolve().parents[1] / "ktxh" / "templates" / "report.docx"
FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH = Mm(210 - 30 - 15)


def _fonts(element: object, size: float | None = None) -> None:
    """Times New Roman for every script (Vietnamese letters are Latin, but Word
    falls back per script when only ascii is set)."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size * 2)))


def _lang(style_element: object) -> None:
    rpr = style_element.get_or_add_rPr()  # type: ignore[attr-defined]
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)


def _bottom_rule(p: Paragraph) -> None:
    """A solid line under the paragraph, as wide as the paragraph (set by its indents)."""
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def _no_borders(table: object) -> None:
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table: object, widths: tuple[int, ...]) -> None:
    """Column widths that Word and LibreOffice both honour (grid and every cell)."""
    table.autofit = False  # type: ignore[attr-defined]
    for col, w in zip(table.columns, widths, strict=True):  # type: ignore[attr-defined]
        col.width = w
        for cell in col.cells:
            cell.width = w


def _para(
    container: object,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = BODY_PT,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = True,
    before: float = 0,
    after: float = 6,
    first: bool = False,
) -> Paragraph:
    p: Paragraph
    if first and isinstance(container, _Cell):
        p = container.paragraphs[0]
    else:
        p = container.add_paragraph()  # type: ignore[attr-defined]
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.first_line_indent = Cm(1) if indent else Cm(0)
    if not text:  # an empty paragraph is as tall as its mark's font
        rpr = OxmlElement("w:rPr")
        for tag in ("w:sz", "w:szCs"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(int(size * 2)))
            rpr.append(el)
        p._p.get_or_add_pPr().append(rpr)
    else:
        run = p.add_run(text)
        run.bold = bold
        run.italic = italic
        run.font.size = Pt(size)
        run.font.name = FONT
        _fonts(run._r, size)
    return p


def _centre(container: object, text: str = "", **kw: object) -> Paragraph:
    return _para(
        container,
        text,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        after=kw.pop("after", 0),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _loop(container: object, head: str, body: str, **kw: object) -> None:
    """A docxtpl paragraph loop: ``{%p for ... %}``, the repeated paragraph, ``{%p endfor %}``."""
    _para(container, "{%p " + head + " %}", indent=False, after=0)
    _para(container, body, **kw)  # type: ignore[arg-type]
    _para(container, "{%p endfor %}", indent=False, after=0)


def _heading(doc: object, text: str, *, italic: bool = False) -> None:
    _para(doc, text, bold=True, italic=italic, before=6)


def _placeholder(doc: object, text: str) -> None:
    _para(doc, text)


def _page_number_header(section: object) -> None:
    """Page numbers centred at the top from the second page (Decree 30)."""
    section.different_first_page_header_footer = True  # type: ignore[attr-defined]
    header = section.header  # type: ignore[attr-defined]
    p = header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    _fonts(run._r, 13)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def build() -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _fonts(normal.element, BODY_PT)
    _lang(normal.element)
    doc.core_properties.title = "{{ kind }} {{ title }}"
    doc.core_properties.author = "ktxh"
    doc.core_properties.created = datetime(2024, 1, 1)
    doc.core_properties.modified = datetime(2024, 1, 1)
    doc.core_properties.last_modified_by = "ktxh"
    doc.core_properties.revision = 1

    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    _page_number_header(section)

    # -- header block: issuing body | national motto; number | place and date
    left_w, right_w = Mm(62), TEXT_WIDTH - Mm(62)
    head = doc.add_table(rows=2, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    head.autofit = False
    _no_borders(head)
    _widths(head, (left_w, right_w))
    issuer, motto = head.cell(0, 0), head.cell(0, 1)
    _centre(issuer, "{%p for line in superior %}", first=True)
    _centre(issuer, "{{ line }}", size=13)
    _centre(issuer, "{%p endfor %}")
    _centre(issuer, "{%p for line in issuer %}")
    _centre(issuer, "{{ line }}", bold=True, size=13)
    _centre(issuer, "{%p endfor %}")
    rule = _centre(issuer, size=2)
    rule.paragraph_format.left_indent = Mm(20)
    rule.paragraph_format.right_indent = Mm(20)
    _bottom_rule(rule)
    _centre(motto, "{{ motto[0] }}", bold=True, size=12.5, first=True)
    _centre(motto, "{{ motto[1] }}", bold=True, size=13.5)
    rule = _centre(motto, size=2)
    rule.paragraph_format.left_indent = Mm(19)
    rule.paragraph_format.right_indent = Mm(19)
    _bottom_rule(rule)
    number, place = head.cell(1, 0), head.cell(1, 1)
    _centre(number, "{{ number_symbol }}", size=13, before=6, first=True)
    _centre(place, "{{ place_date }}", italic=True, size=14, before=6, first=True)

    # -- kind and summary line
    _centre(doc, "{{ kind }}", bold=True, size=14, before=18)
    summary = _centre(doc, "{{ title }}", bold=True, size=14)
    summary.paragraph_format.left_indent = Mm(15)
    summary.paragraph_format.right_indent = Mm(15)
    rule = _centre(doc, size=6, after=12)
    rule.paragraph_format.left_indent = Mm(60)
    rule.paragraph_format.right_indent = Mm(60)
    _bottom_rule(rule)

    # -- body
    _placeholder(
        doc,
        "[Các văn bản làm căn cứ: chỉ thị, hướng dẫn của cấp trên về kế hoạch năm "
        "{{ next_year }} (số, ngày, cơ quan ban hành).]",
    )
    _para(doc, "{{ issuer_short }} báo cáo {{ title_lower }} như sau:")

    _heading(
        doc,
        "I. TÌNH HÌNH THỰC HIỆN KẾ HOẠCH PHÁT TRIỂN KINH TẾ - XÃ HỘI 6 THÁNG ĐẦU NĂM "
        "VÀ ƯỚC CẢ NĂM {{ year }}",
    )
    _heading(doc, "1. Tình hình thực hiện 6 tháng đầu năm {{ year }}")
    _placeholder(
        doc,
        "[Bối cảnh: những thuận lợi và khó khăn chính khi triển khai kế hoạch trong "
        "6 tháng đầu năm; các văn bản chỉ đạo, điều hành chủ yếu của địa phương.]",
    )
    _heading(doc, "1.1. Kết quả đạt được", italic=True)
    _placeholder(doc, "[Nhận định chung về kết quả 6 tháng đầu năm.]")
    _para(doc, "{{ first_half }}")
    _placeholder(
        doc,
        "[Chăn nuôi và các chỉ tiêu chưa có trong biểu số liệu: tổng đàn gia súc ... con, "
        "đạt ...% kế hoạch; đàn gia cầm ... con, đạt ...% kế hoạch.]",
    )
    _placeholder(doc, "[Văn hóa, thể thao, du lịch: các hoạt động và kết quả nổi bật.]")
    _placeholder(
        doc,
        "[Giáo dục - đào tạo, y tế, lao động - việc làm, giảm nghèo và an sinh xã hội: "
        "kết quả chủ yếu.]",
    )
    _placeholder(
        doc,
        "[Xây dựng chính quyền, cải cách hành chính, tiếp công dân và giải quyết đơn thư; "
        "tình hình quốc phòng, an ninh và trật tự xã hội; công tác đối ngoại.]",
    )
    _heading(doc, "1.2. Tồn tại, hạn chế", italic=True)
    _placeholder(doc, "- [Những chỉ tiêu, nhiệm vụ chưa đạt yêu cầu, kèm số liệu.]")
    _heading(doc, "1.3. Nguyên nhân hạn chế", italic=True)
    _placeholder(doc, "- [Nguyên nhân khách quan.]")
    _placeholder(doc, "- [Nguyên nhân chủ quan.]")
    _heading(doc, "2. Dự ước thực hiện các chỉ tiêu chủ yếu năm {{ year }}")
    _loop(doc, "for item in estimate_items", "{{ item }}")

    _heading(
        doc,
        "II. ĐỊNH HƯỚNG XÂY DỰNG KẾ HOẠCH PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM {{ next_year }}",
    )
    _heading(doc, "1. Dự báo tình hình")
    _placeholder(
        doc,
        "[Dự báo những thuận lợi, khó khăn và thách thức đối với địa phương trong năm "
        "{{ next_year }}.]",
    )
    _heading(doc, "2. Căn cứ xây dựng định hướng")
    _placeholder(doc, "- [Nghị quyết, chương trình, kế hoạch 5 năm làm căn cứ.]")
    _placeholder(doc, "- Kết quả thực hiện 6 tháng đầu năm và ước thực hiện cả năm {{ year }}.")
    _heading(doc, "3. Mục tiêu tổng quát")
    _placeholder(doc, "[Mục tiêu tổng quát của năm {{ next_year }}.]")
    _heading(doc, "4. Các mục tiêu chủ yếu năm {{ next_year }}")
    _loop(doc, "for item in target_items", "{{ item }}")
    _heading(doc, "5. Các chương trình trọng tâm năm {{ next_year }}")
    _placeholder(doc, "[(1) Tên chương trình trọng tâm; (2) ...]")
    _heading(doc, "6. Nhiệm vụ, giải pháp chủ yếu")
    _placeholder(doc, "[6.1. Nhiệm vụ, giải pháp theo từng ngành, lĩnh vực; 6.2. ...]")
    _para(doc, "(Số liệu chi tiết tại {{ annex }} kèm theo.)", italic=True)
    _para(doc, "Trên đây là báo cáo {{ title_lower }} của {{ issuer_short }}./.")

    # -- recipients | signature
    foot = doc.add_table(rows=1, cols=2)
    foot.alignment = WD_TABLE_ALIGNMENT.CENTER
    foot.autofit = False
    _no_borders(foot)
    _widths(foot, (Mm(80), TEXT_WIDTH - Mm(80)))
    recipients, signer = foot.cell(0, 0), foot.cell(0, 1)
    _para(
        recipients,
        "Nơi nhận:",
        bold=True,
        italic=True,
        size=12,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        indent=False,
        before=12,
        after=0,
        first=True,
    )
    _para(recipients, "{%p for r in recipients %}", indent=False, after=0)
    _para(recipients, "- {{ r }}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, after=0)
    _para(recipients, "{%p endfor %}", indent=False, after=0)
    _centre(signer, "{%p for line in signer_lines %}", first=True, before=12)
    _centre(signer, "{{ line }}", bold=True, size=14)
    _centre(signer, "{%p endfor %}")
    for _ in range(4):
        _centre(signer, size=14)
    _centre(signer, "{{ signer_name }}", bold=True, size=14)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in sorted(z.namelist())}


def main() -> int:
    data = build()
    if "--check" in sys.argv[1:]:
        if not TARGET.exists() or _parts(TARGET.read_bytes()) != _parts(data):
            print(
                f"{TARGET} is stale: run .venv/bin/python scripts/build_report_template.py",
                file=sys.stderr,
            )
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
