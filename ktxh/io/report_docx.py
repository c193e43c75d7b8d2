"""Word documents (.docx): the paragraphs and tables of a report, in their order.

A past report is often one .docx: the narrative, then the annex as Word
tables, each form's number and title as paragraphs above its table. This
reader keeps the document's order (paragraphs become text lines, tables
become tables of the neutral structure of :mod:`ktxh.domain.reading`). A cell
merged over several columns (a header spanning "Năm 2023") is in each of them,
as python-docx gives it; the provenance of a cell is the file, the table's
number in the document, its row and its column.

A file that is not a readable .docx (damaged, an old .doc, a password-protected
file, not a zip at all) is refused with a Vietnamese message, never a crash.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from ktxh.domain.reading import RawCell, RawDocument, RawTable, RawText, ReadProblem, Where

MAX_BYTES = 100 * 1024 * 1024
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refusal(data: bytes) -> str | None:
    """Why the bytes are not a .docx that can be read, or None."""
    if not data:
        return "tệp rỗng"
    if len(data) > MAX_BYTES:
        return "tệp quá lớn (trên 100 MiB)"
    if data.startswith(_CFB):
        return (
            "đây là tệp Word 97-2003 (.doc) hoặc tệp được đặt mật khẩu, không đọc được; hãy "
            "mở tệp, bỏ mật khẩu nếu có, rồi lưu lại dạng Tài liệu Word (.docx)"
        )
    if data.startswith(b"%PDF"):
        return "đây là tệp PDF, không phải tài liệu Word (.docx)"
    if not data.startswith(b"PK"):
        return "tệp không phải tài liệu Word (.docx)"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "word/document.xml" not in names:
                return "tệp nén này không phải tài liệu Word (.docx): thiếu phần word/document.xml"
            total = sum(i.file_size for i in zf.infolist())
            if total > 20 * MAX_BYTES:
                return "tệp giải nén ra quá lớn; tệp có thể là bom nén (zip bomb)"
            head = zf.read("word/document.xml")[:4096].lower()
            if b"<!doctype" in head or b"<!entity" in head:
                return "tệp có khai báo DOCTYPE/ENTITY, điều mà Word không dùng; không an toàn"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "tệp bị hỏng: không mở được như một tài liệu Word (.docx)"
    return None


def _rows(table: Any, file: str, number: int) -> list[list[RawCell]]:
    rows = []
    for r, row in enumerate(table.rows, start=1):
        cells = []
        for c, cell in enumerate(row.cells, start=1):
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            cells.append(RawCell(text, Where(file, table=number, row=r, col=c)))
        rows.append(cells)
    return rows


def parse_docx(data: bytes, file: str) -> RawDocument:
    doc = RawDocument(file)
    why = _refusal(data)
    if why is not None:
        doc.problems.append(ReadProblem(Where(file), why))
        return doc
    try:
        from docx import Document
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        word = Document(io.BytesIO(data))
        body = word.element.body
        number = 0
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                text = Paragraph(child, word).text.strip()
                if text:
                    doc.blocks.append(RawText(text, Where(file, table=None)))
            elif tag == "tbl":
                number += 1
                try:
                    rows = _rows(Table(child, word), file, number)
                except (ValueError, IndexError, KeyError) as exc:
                    doc.problems.append(
                        ReadProblem(
                            Where(file, table=number), f"bảng bị hỏng, không đọc được ({exc})"
                        )
                    )
                    continue
                doc.blocks.append(RawTable(rows, Where(file, table=number), grid=True))
    except Exception as exc:  # python-docx and lxml raise many kinds for a damaged part
        doc.problems.append(
            ReadProblem(Where(file), f"tệp bị hỏng, không đọc được như tài liệu Word ({exc})")
        )
        doc.blocks.clear()
    return doc


def read_docx(path: Path, name: str | None = None) -> RawDocument:
    file = name or Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return RawDocument(file, problems=[ReadProblem(Where(file), f"không mở được tệp: {exc}")])
    return parse_docx(data, file)
