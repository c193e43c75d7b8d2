"""Past reports read in: any file of a report, by what it is, against a plan's catalog.

The library call for "read these files" (the ``ktxh read`` command and the web
use it)::

    reading = read_reports([Path("bao-cao-2023.pdf"), Path("phu-luc.xlsx")], dataset)
    reading.values   # (indicator, org unit, year, measure) with provenance and confidence
    reading.review   # every uncertain match, shifted row and unreadable cell
    reading.problems # input that could not be read at all, located

A file's kind is told by its content, not its name: a PDF (text layer, or
scanned: OCR), a Word document (.docx), an Excel workbook (.xlsx), an image
(scanned page: OCR), or UTF-8 text with tab-separated cells (OCR exports, like
the shipped seed report). Nothing is written anywhere: the reading is
returned for a person (``ktxh read``, the review workbook) or the store's draft
round to take.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import format_number, plain_number
from ktxh.domain.reading import RawDocument, Reading, ReadProblem, Where, interpret

KINDS = ("pdf", "docx", "xlsx", "image", "text")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")


def kind_of(data: bytes, name: str = "") -> str | None:
    """ "pdf", "docx", "xlsx", "image", "text", or None when it is none of them."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            lower = name.lower()
            return (
                "docx" if lower.endswith(".docx") else "xlsx" if lower.endswith(".xlsx") else None
            )
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        return None
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # an old Office file: the readers explain
        return "docx" if name.lower().endswith(".doc") else "xlsx"
    if b"\x00" in data[:4096]:
        return None
    return "text"


def read_report(
    path: Path,
    *,
    ocr: bool | None = None,
    dpi: int | None = None,
    workers: int | None = None,
) -> RawDocument:
    """One file of a report as the neutral structure (``ocr``: see
    :func:`ktxh.io.report_pdf.parse_pdf`)."""
    file = Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return RawDocument(file, problems=[ReadProblem(Where(file), f"không mở được tệp: {exc}")])
    kind = kind_of(data, file)
    if kind == "pdf":
        from ktxh.io.report_pdf import OCR_DPI, parse_pdf

        return parse_pdf(data, file, ocr=ocr, dpi=dpi or OCR_DPI, workers=workers)
    if kind == "image":
        from ktxh.io.report_pdf import read_image

        return read_image(Path(path), file)
    if kind == "docx":
        from ktxh.io.report_docx import parse_docx

        return parse_docx(data, file)
    if kind == "xlsx":
        from ktxh.io.report_xlsx import parse_xlsx

        return parse_xlsx(data, file)
    if kind == "text":
        from ktxh.io.report_text import read_text

        return read_text(Path(path), file)
    return RawDocument(
        file,
        problems=[
            ReadProblem(
                Where(file),
                "không nhận ra loại tệp: ktxh đọc PDF, Word (.docx), Excel (.xlsx), ảnh chụp "
                "(.png, .jpg, .tif) và văn bản UTF-8 có ô phân cách bằng dấu tab",
            )
        ],
    )


def read_reports(
    paths: Iterable[Path],
    ds: Dataset,
    *,
    year: int | None = None,
    ocr: bool | None = None,
    dpi: int | None = None,
    workers: int | None = None,
) -> Reading:
    """Read the files of a report against the plan ``ds`` (its catalog, its units)."""
    docs = [read_report(p, ocr=ocr, dpi=dpi, workers=workers) for p in paths]
    return interpret(docs, ds.catalog, ds.tree, ds.top_orgunit, year=year)


# --- what a reading found, for people and for machines -------------------------------------


def reading_document(reading: Reading, ds: Dataset) -> dict[str, Any]:
    """A reading as JSON (``ktxh read --format json``): tables, values with provenance,
    the review list and the problems."""

    def where(w: Where) -> dict[str, Any]:
        return {
            "file": w.file,
            "page": w.page,
            "sheet": w.sheet or None,
            "table": w.table,
            "line": w.line,
            "row": w.row,
            "column": w.col,
            "cell": w.cell or None,
            "text": str(w),
        }

    return {
        "plan": ds.name,
        "year": reading.year,
        "ok": reading.ok,
        "tables": [
            {
                "where": where(t.where),
                "form": t.form,
                "found_by": t.how,
                "year": t.year,
                "header_rows": t.header_rows,
                "rows": t.rows,
                "rows_matched": t.matched,
            }
            for t in reading.tables
        ],
        "values": [
            {
                "indicator": v.indicator,
                "orgunit": v.orgunit,
                "year": v.year,
                "measure": v.measure,
                "value": None if v.value is None else float(plain_number(v.value)),
                "printed": v.printed,
                "confidence": v.confidence.value,
                "ocr_confidence": v.ocr_confidence,
                "note": v.note or None,
                "where": where(v.where),
            }
            for v in reading.values
        ],
        "review": [
            {
                "kind": r.kind.value,
                "label": r.label,
                "where": where(r.where),
                "printed": r.printed or None,
                "indicator": r.indicator or None,
                "keys": [list(k) for k in r.keys],
                "confidence": r.confidence.value,
                "message": r.message,
            }
            for r in reading.review
        ],
        "problems": [{"where": where(p.where), "message": p.message} for p in reading.problems],
    }


def reading_text(reading: Reading, ds: Dataset) -> str:
    """A reading for people: the tables found, the values per form and how sure, the
    review list, the problems (Vietnamese)."""
    lines = []
    if reading.year is not None:
        lines.append(f"Năm của báo cáo: {reading.year} (kế hoạch năm sau: {reading.year + 1})")
    lines.append("Các bảng đã đọc:")
    for t in reading.tables:
        label = f"biểu số {t.form}" if t.form is not None else "không nhận ra biểu"
        lines.append(
            f"  {t.where}: {label} ({t.how}); {format_number(t.rows)} dòng, "
            f"{format_number(t.matched)} dòng khớp danh mục"
        )
    by_form: dict[int, Counter[str]] = {}
    for v in reading.values:
        ind = ds.catalog.indicators.get(v.indicator)
        by_form.setdefault(ind.form if ind else 0, Counter())[v.confidence.value] += 1
    lines.append("Giá trị đã đọc (độ tin cậy cao / trung bình / thấp):")
    for number in sorted(by_form):
        c = by_form[number]
        lines.append(
            f"  Biểu số {number}: {format_number(sum(c.values()))} giá trị "
            f"({format_number(c['high'])} / {format_number(c['medium'])} / "
            f"{format_number(c['low'])})"
        )
    lines.append(f"  Tổng cộng: {format_number(len(reading.values))} giá trị")
    if reading.review:
        kinds = Counter(r.label for r in reading.review)
        summary = "; ".join(f"{k}: {format_number(n)}" for k, n in kinds.most_common())
        lines.append(f"Cần người xem lại ({format_number(len(reading.review))} mục; {summary}):")
        lines.extend(f"  - {r}" for r in reading.review)
    else:
        lines.append("Không có gì cần xem lại.")
    if reading.problems:
        lines.append(f"KHÔNG ĐỌC ĐƯỢC ({format_number(len(reading.problems))}):")
        lines.extend(f"  - {p}" for p in reading.problems)
    return "\n".join(lines) + "\n"
