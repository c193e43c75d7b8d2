"""Tab-separated report text (what OCR tools export, like the shipped seed report).

Lines with a tab are the rows of a table, their cells separated by tabs; a
run of such lines is one table (a page of the annex), and the lines between
tables (the form's number, its title, "(Kèm theo báo cáo số ...)") are text.
A cell's provenance is the file, its line and its column (tab position).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ktxh.domain.reading import (
    RawCell,
    RawDocument,
    RawTable,
    RawText,
    ReadProblem,
    Where,
    cell_kind,
)

MAX_BYTES = 50 * 1024 * 1024


def parse_text(text: str, file: str) -> RawDocument:
    """The neutral structure of a report's text (NFC; "\\r\\n" or "\\n" line ends)."""
    doc = RawDocument(file)
    rows: list[list[RawCell]] = []
    first_line = 0

    def flush() -> None:
        nonlocal rows
        if rows:
            table_no = sum(1 for b in doc.blocks if isinstance(b, RawTable)) + 1
            doc.blocks.append(RawTable(rows, Where(file, table=table_no, line=first_line)))
            rows = []

    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    for n, line in enumerate(lines.split("\n"), start=1):
        if "\t" in line:
            if not rows:
                first_line = n
            table_no = sum(1 for b in doc.blocks if isinstance(b, RawTable)) + 1
            rows.append(
                [
                    RawCell(cell.strip(), Where(file, table=table_no, line=n, col=c))
                    for c, cell in enumerate(line.split("\t"), start=1)
                ]
            )
            continue
        flush()
        if not line.strip():
            continue
        row = _numbers_row(line, n, doc, file)
        if row is not None:
            table_no = sum(1 for b in doc.blocks if isinstance(b, RawTable)) + 1
            doc.blocks.append(RawTable([row], Where(file, table=table_no, line=n)))
            continue
        doc.blocks.append(RawText(line.strip(), Where(file, line=n)))
    flush()
    return doc


def _numbers_row(line: str, n: int, doc: RawDocument, file: str) -> list[RawCell] | None:
    """A line of numbers without tabs (the OCR lost a row's cell borders): a table row
    whose name is the line of text just above it. Its cells are its words."""
    words = line.split()
    values = [w for w in words if cell_kind(w) == "number"]
    if len(values) < 3 or len(words) - len(values) > 1:
        return None
    if not doc.blocks or not isinstance(doc.blocks[-1], RawText):
        return None
    above = doc.blocks[-1]
    if cell_kind(above.text) != "text" or above.where.line is None or above.where.line < n - 3:
        return None
    doc.blocks.pop()
    cells = [RawCell(above.text, above.where.at(col=1))]
    for c, w in enumerate(words, start=2):
        cells.append(RawCell(w, Where(file, line=n, col=c)))
    return cells


def read_text(path: Path, name: str | None = None) -> RawDocument:
    """Read a text file; a file that is not UTF-8 text is refused with a located message."""
    file = name or Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return RawDocument(file, problems=[ReadProblem(Where(file), f"không mở được tệp: {exc}")])
    if len(data) > MAX_BYTES:
        return RawDocument(
            file, problems=[ReadProblem(Where(file), "tệp văn bản quá lớn (trên 50 MiB)")]
        )
    if b"\x00" in data[:4096]:
        return RawDocument(
            file,
            problems=[
                ReadProblem(Where(file), "tệp không phải văn bản (có byte 0: tệp nhị phân?)")
            ],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RawDocument(
            file,
            problems=[
                ReadProblem(
                    Where(file, line=line),
                    "tệp không phải văn bản UTF-8 (hãy lưu lại với bảng mã UTF-8)",
                )
            ],
        )
    return parse_text(text, file)
