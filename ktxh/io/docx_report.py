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
from ktxh.io.publish import report_cells

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "report.docx"

NO_FIGURES = "[Chưa có số liệu: bổ sung trong tệp dữ liệu hoặc viết tay.]"


class ReportError(ValueError):
    """A report that cannot be written; the message is Vietnamese."""


def report_narrative(ds: Dataset) -> Narrative:
    """The generated passages for the dataset's top org unit (totals filled from the units)."""
    return narrative(ds.claims, ds.catalog, report_cells(ds, children=False), ds.top_orgunit)


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
        "estimate_items": [p.text for p in story.estimate_items if p.text] or [NO_FIGURES],
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
