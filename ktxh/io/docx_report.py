"""The narrative report (.docx) from a template, per Decree 30/2020/NĐ-CP.

The template (docxtpl: Jinja tags in a Word document) holds the layout and the
qualitative passages; ktxh ships a default, ``ktxh/templates/report.docx``,
built by ``scripts/build_report_template.py`` and written in ktxh's own words
with bracketed placeholders for the officer. This module fills in:

* the metadata of the dataset (``datapackage.json`` -> ``ktxh.report``): issuing
  body, number and symbol, place and date, kind and summary line, signer,
  recipients (:class:`ktxh.domain.report.ReportMeta`);
* the quantitative passages generated from the values
  (:func:`ktxh.domain.narrative.narrative`): the first-half results paragraph,
  the key indicators estimated for the year and next year's key targets.

The fields a template may use are listed in docs/publish.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

from ktxh.domain.dataset import Dataset
from ktxh.domain.narrative import Narrative, narrative
from ktxh.domain.report import BLANK, MOTTO, ReportMeta
from ktxh.domain.targets import report_day
from ktxh.io.publish import report_cells

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "report.docx"

NO_FIGURES = "[Chưa có số liệu: bổ sung trong tệp dữ liệu hoặc viết tay.]"


class ReportError(ValueError):
    """A report that cannot be written; the message is Vietnamese."""


def report_narrative(ds: Dataset) -> Narrative:
    """The generated passages for the dataset's top org unit (totals filled from the units)."""
    return narrative(
        ds.claims,
        ds.catalog,
        report_cells(ds, children=False),
        ds.top_orgunit,
        targets=ds.targets,
        year=ds.reference_year,
        on=report_day(ds.meta),
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def report_context(ds: Dataset) -> dict[str, Any]:
    """Every field the template can use (docs/publish.md)."""
    meta = ReportMeta.from_mapping(ds.meta.get("report"))
    story = report_narrative(ds)
    y = ds.reference_year
    forms = sorted(ds.catalog.forms)
    if len(forms) > 1:
        annex = f"các biểu số {forms[0]} đến {forms[-1]}"
    elif forms:
        annex = f"biểu số {forms[0]}"
    else:
        annex = "các biểu"
    first_half = story.first_half.text if story.first_half and story.first_half.text else ""
    return {
        "superior": list(meta.superior),
        "issuer": list(meta.issuer) or [BLANK],
        "issuer_short": meta.issuer_short or f"UBND {BLANK}",
        "motto": list(MOTTO),
        "number_symbol": meta.number_symbol,
        "place_date": meta.place_date(y),
        "kind": meta.kind,
        "title": meta.title or f"[Trích yếu nội dung báo cáo năm {y + 1}]",
        "title_lower": _lower_first(meta.title) if meta.title else BLANK,
        "year": y,
        "next_year": y + 1,
        "first_half": first_half or NO_FIGURES,
        # the items, then the tally against the targets (docs/targets.md)
        "estimate_items": ([p.text for p in story.estimate_items if p.text] or [NO_FIGURES])
        + list(story.tally),
        "tally": list(story.tally),
        "target_items": [p.text for p in story.target_items if p.text] or [NO_FIGURES],
        "annex": annex,
        "signer_lines": meta.signer.lines,
        "signer_name": meta.signer.name,
        "recipients": list(meta.recipients),
    }


def write_report(ds: Dataset, path: Path, *, template: Path | None = None) -> None:
    """Write the narrative report of ``ds`` to ``path`` (.docx)."""
    source = Path(template) if template is not None else TEMPLATE
    if not source.is_file():
        raise ReportError(f"Không tìm thấy mẫu báo cáo «{source}»")
    try:
        doc = DocxTemplate(str(source))
        doc.render(report_context(ds), autoescape=True)
    except Exception as exc:  # docxtpl raises Jinja's and zipfile's errors alike
        raise ReportError(f"Mẫu báo cáo «{source.name}» không dùng được: {exc}") from exc
    doc.save(str(path))


# --- the annex as Word tables ------------------------------------------------------------

ANNEX_FONT_PT = 8


def _repeat_header(row: Any) -> None:
    """Mark a table row as a header row repeated at the top of every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def write_annex_docx(ds: Dataset, path: Path) -> None:
    """Write every form of the annex as a Word table (.docx), cell for cell as the annex
    workbook shows it: the title block as paragraphs, the merged multi-row header
    (repeated on every page), one row per catalog row, the numbers as the workbook
    shows them (2.731,1), the comparison columns with their computed values.

    The workbook is written first and read back, so that the two annexes cannot
    drift apart.
    """
    import tempfile

    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    from ktxh.io.report_xlsx import sheet_grids
    from ktxh.io.xlsx_forms import HEADER_TOP, annex_layouts, sheet_name, write_annex

    layouts = {sheet_name(lay.form): lay for lay in annex_layouts(ds).values()}
    with tempfile.TemporaryDirectory(prefix="ktxh-annex-") as tmp:
        book = Path(tmp) / "phu-luc.xlsx"
        write_annex(ds, book)
        grids = sheet_grids(book.read_bytes(), book.name)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(ANNEX_FONT_PT + 2)
    first = True
    for grid in grids:
        layout = layouts.get(grid.name)
        if layout is None:
            continue
        if not first:
            doc.add_page_break()  # type: ignore[no-untyped-call]
        first = False
        top, body = HEADER_TOP, layout.first_row
        for r in range(top):
            text = next((t for t in (grid.rows[r] if r < len(grid.rows) else []) if t), "")
            if not text:
                continue
            para = doc.add_paragraph()
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = para.add_run(text)
            run.bold = r < 2
            run.italic = r == 2
        width = layout.last_col + 1
        rows = [row[:width] + [""] * (width - len(row)) for row in grid.rows[top:]]
        last = len(rows)
        while last > 0 and not any(rows[last - 1]):
            last -= 1
        n_table = min(last, body - top + len(ds.catalog.in_form(layout.form.number)))
        table = doc.add_table(rows=n_table, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        rest = max(1, width - 3)
        widths = [Mm(9), Mm(68), Mm(17), *([Mm((273 - 9 - 68 - 17) / rest)] * rest)]
        for c, column in enumerate(table.columns):
            column.width = widths[c]
        for row in table.rows:
            for c, cell in enumerate(row.cells):
                cell.width = widths[c]
        seen_merged: set[tuple[int, int]] = set()
        for (r0, c0), (r1, c1) in grid.merged:
            if r0 < top or r0 - top >= n_table:
                continue
            a = table.cell(r0 - top, c0)
            b = table.cell(min(r1, top + n_table - 1) - top, min(c1, width - 1))
            a.merge(b)
            for rr in range(r0, r1 + 1):
                for cc in range(c0, c1 + 1):
                    if (rr, cc) != (r0, c0):
                        seen_merged.add((rr - top, cc))
        for i in range(n_table):
            row = table.rows[i]
            if i < body - top:
                _repeat_header(row)
            cells = row.cells
            for c in range(width):
                if (i, c) in seen_merged:
                    continue
                text = rows[i][c]
                para = cells[c].paragraphs[0]
                if c >= 3 or i < body - top:
                    para.alignment = (
                        WD_ALIGN_PARAGRAPH.CENTER if i < body - top else WD_ALIGN_PARAGRAPH.RIGHT
                    )
                run = para.add_run(text)
                run.font.size = Pt(ANNEX_FONT_PT)
                run.bold = i < body - top
        for row in rows[n_table:]:
            note = next((t for t in row if t), "")
            if note:
                para = doc.add_paragraph()
                para.add_run(note).italic = True
    doc.save(str(path))
