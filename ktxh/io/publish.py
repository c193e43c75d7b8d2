"""What leaves the planning office: the annex workbook, the narrative report, their PDFs.

:func:`publish` writes any of them in one call (the ``ktxh report`` command and
the benchmark use it); :func:`report_cells` is the view of the values both
documents print: the stored cells of the top unit and its children, with the
totals consolidated from the units where the source left a total blank.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ktxh.domain.consolidate import consolidate
from ktxh.domain.dataset import Dataset
from ktxh.domain.orgunits import period_day
from ktxh.domain.tables import CellIndex


def report_cells(ds: Dataset, *, children: bool = True) -> CellIndex:
    """Cells of the top unit and, with ``children``, of the units below it around the
    round (what a form broken down by unit prints), with totals filled from the units."""
    top = ds.top_orgunit
    f = ds.values.frame
    shown = pl.col("orgunit") == top
    if children:
        y = ds.reference_year
        days = [
            period_day(year, m) for year in (y - 1, y, y + 1) for m in ("plan", "h1", "estimate")
        ]
        kids = sorted({u.code for d in days for u in ds.tree.children(top, on=d)})
        shown = shown | pl.col("orgunit").is_in(kids)
    frame = f.filter(shown)
    totals = consolidate(ds.values.frame, ds.catalog, ds.tree).filter(pl.col("orgunit") == top)
    return CellIndex(frame).fill_totals(totals)


@dataclass(frozen=True, slots=True)
class Written:
    xlsx: Path | None = None
    docx: Path | None = None
    pdf: Path | None = None
    pdf_xlsx: Path | None = None


def publish(
    ds: Dataset,
    *,
    xlsx: Path | None = None,
    docx: Path | None = None,
    pdf: Path | None = None,
    pdf_xlsx: Path | None = None,
    template: Path | None = None,
) -> Written:
    """Write the requested files. ``pdf`` is the report's PDF, ``pdf_xlsx`` the
    workbook's; a PDF whose source file was not requested is made from a
    temporary one."""
    from ktxh.io.docx_report import write_report
    from ktxh.io.pdf import to_pdf
    from ktxh.io.xlsx_forms import write_annex

    with tempfile.TemporaryDirectory(prefix="ktxh-report-") as tmp:
        work = Path(tmp)
        xlsx_source = xlsx or (work / "phu-luc.xlsx" if pdf_xlsx else None)
        docx_source = docx or (work / "bao-cao.docx" if pdf else None)
        if xlsx_source is not None:
            write_annex(ds, xlsx_source)
        if docx_source is not None:
            write_report(ds, docx_source, template=template)
        if pdf is not None and docx_source is not None:
            to_pdf(docx_source, pdf)
        if pdf_xlsx is not None and xlsx_source is not None:
            to_pdf(xlsx_source, pdf_xlsx)
    return Written(xlsx, docx, pdf, pdf_xlsx)
