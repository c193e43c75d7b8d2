"""PDF reports and scanned pages: tables from the text layer, or through OCR.

* A PDF with a text layer (made by Word, LibreOffice, Excel): pdfplumber finds
  the ruled tables of each page and gives each cell's text; the text outside
  the tables (the form's number, its title) becomes text lines. A merged
  header cell is in its first column, the others of its span are empty.
* A scanned PDF, or an image (.png, .jpg, .tif): each page is rendered (with
  pdfplumber, at ``dpi``), its ruled grid found in the pixels (the long dark
  lines), the grid lines wiped out, and the page read once by Tesseract with
  its Vietnamese data (``vie``); each word goes to the cell its centre is in.
  A cell keeps the lowest confidence of its words (0..1). Pages are read in
  parallel (``workers``, one Tesseract process each, one thread per process).
  Without a ruled grid, the words are set in rows by their lines and in
  columns by the gaps between them.

``ocr``: None reads the text layer and OCRs only pages without one; True OCRs
every page (a scan whose text layer is unreliable, or a test of the OCR);
False never OCRs. Whatever the file, problems come back located and in
Vietnamese (a damaged PDF, a page without a table, Tesseract missing), never
as a crash.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ktxh.domain.reading import RawCell, RawDocument, RawTable, RawText, ReadProblem, Where

OCR_DPI = 400
OCR_LANG = "vie+eng"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
MAX_BYTES = 200 * 1024 * 1024
MAX_PAGES = 500
DARK = 160  # a pixel darker than this is ink


class OcrUnavailable(RuntimeError):
    """Tesseract or its Vietnamese data is not installed; the message is Vietnamese."""


def ocr_available() -> str | None:
    """None when Tesseract with Vietnamese can run, else why not (Vietnamese)."""
    exe = shutil.which(os.environ.get("KTXH_TESSERACT", "tesseract"))
    if exe is None:
        return (
            "không tìm thấy chương trình nhận dạng chữ Tesseract; hãy cài, ví dụ trên Debian: "
            "apt-get install tesseract-ocr tesseract-ocr-vie"
        )
    import pytesseract  # type: ignore[import-untyped]

    pytesseract.pytesseract.tesseract_cmd = exe
    try:
        langs = pytesseract.get_languages(config="")
    except Exception as exc:  # pytesseract raises its own and OS errors
        return f"không chạy được Tesseract ({exc})"
    missing = [lang for lang in OCR_LANG.split("+") if lang not in langs]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return (
            f"Tesseract chưa có dữ liệu ngôn ngữ {', '.join(missing)} (vie: tiếng Việt); "
            f"hãy cài, ví dụ trên Debian: apt-get install {packages}"
        )
    return None


# --- words into a table -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float | None = None  # 0..1
    line: tuple[int, ...] = ()  # the OCR's block/paragraph/line, when known

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True, slots=True)
class Box:
    """A cell's rectangle and its place in the grid (0-based row, first column)."""

    x0: float
    top: float
    x1: float
    bottom: float
    row: int
    col: int


def _join(words: Sequence[Word]) -> str:
    """Words of one cell in reading order: lines top to bottom (words that overlap
    vertically are one line), each left to right."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.cy):
        if lines:
            last = lines[-1]
            top = min(x.top for x in last)
            bottom = max(x.bottom for x in last)
            overlap = min(bottom, w.bottom) - max(top, w.top)
            if overlap > 0.4 * min(bottom - top, w.bottom - w.top):
                last.append(w)
                continue
        lines.append([w])
    return " ".join(" ".join(x.text for x in sorted(line, key=lambda x: x.x0)) for line in lines)


def fill_grid(
    boxes: Sequence[Box],
    words: Sequence[Word],
    file: str,
    page: int,
    table: int,
    *,
    fix: bool = False,
) -> tuple[list[list[RawCell]], list[Word]]:
    """The table's rows of cells from its boxes and the page's words; the words that
    fall in no box are returned (the text around the table). ``fix``: undo OCR's
    slips in numbers (:func:`fix_ocr_number`)."""
    n_rows = max((b.row for b in boxes), default=-1) + 1
    n_cols = max((b.col for b in boxes), default=-1) + 1
    inside: dict[int, list[Word]] = {}
    outside = []
    for w in words:
        hit = None
        for i, b in enumerate(boxes):
            if b.x0 <= w.cx <= b.x1 and b.top <= w.cy <= b.bottom:
                hit = i
                break
        if hit is None:
            outside.append(w)
        else:
            inside.setdefault(hit, []).append(w)
    grid = [
        [
            RawCell("", Where(file, page=page, table=table, row=r + 1, col=c + 1))
            for c in range(n_cols)
        ]
        for r in range(n_rows)
    ]
    for i, b in enumerate(boxes):
        ws = inside.get(i, [])
        confs = [w.conf for w in ws if w.conf is not None]
        conf = min(confs) if confs else None
        text = _join(ws)
        if fix:
            text, changed = fix_ocr_number(text)
            if changed and conf is not None:
                conf *= 0.8
        grid[b.row][b.col] = RawCell(
            text, Where(file, page=page, table=table, row=b.row + 1, col=b.col + 1), conf
        )
    return grid, outside


def text_lines(words: Sequence[Word], file: str, page: int) -> list[tuple[float, RawText]]:
    """Words outside tables as lines of text, with their height on the page."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        if lines and abs(lines[-1][-1].cy - w.cy) <= max(2.0, (w.bottom - w.top) * 0.5):
            lines[-1].append(w)
        else:
            lines.append([w])
    out = []
    for ws in lines:
        text = " ".join(w.text for w in sorted(ws, key=lambda w: w.x0)).strip()
        if text:
            out.append((ws[0].top, RawText(text, Where(file, page=page))))
    return out


def grid_boxes(xs: Sequence[float], ys: Sequence[float], has_vertical: Any = None) -> list[Box]:
    """Cells of a ruled grid: between consecutive vertical lines ``xs`` and horizontal
    lines ``ys``; ``has_vertical(x, top, bottom)`` says whether the line at ``x``
    crosses the band (a merged cell has none inside it)."""
    boxes = []
    for r in range(len(ys) - 1):
        top, bottom = ys[r], ys[r + 1]
        start = 0
        for c in range(1, len(xs)):
            if c == len(xs) - 1 or has_vertical is None or has_vertical(xs[c], top, bottom):
                boxes.append(Box(xs[start], top, xs[c], bottom, r, start))
                start = c
    return boxes


# --- the text layer ---------------------------------------------------------------------


def _text_layer_page(page: Any, file: str, number: int, first_table: int) -> list[Any]:
    """Blocks of one page from its text layer: text lines and ruled tables, top to bottom."""
    blocks: list[tuple[float, Any]] = []
    tables = page.find_tables()
    words = [
        Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"])
        for w in page.extract_words(keep_blank_chars=False, use_text_flow=False)
    ]
    rest = words
    for k, table in enumerate(tables):
        number_t = first_table + k
        rows = []
        for r, row in enumerate(table.extract(), start=1):
            rows.append(
                [
                    RawCell(
                        " ".join((text or "").split()),
                        Where(file, page=number, table=number_t, row=r, col=c),
                    )
                    for c, text in enumerate(row, start=1)
                ]
            )
        x0, top, x1, bottom = table.bbox
        rest = [w for w in rest if not (x0 <= w.cx <= x1 and top <= w.cy <= bottom)]
        blocks.append((top, RawTable(rows, Where(file, page=number, table=number_t), grid=True)))
    if not tables and len(rest) >= 20:
        unruled = _unruled_page(page, file, number, first_table)
        if unruled:
            return unruled
    blocks.extend(text_lines(rest, file, number))
    blocks.sort(key=lambda b: (b[0], isinstance(b[1], RawTable)))
    return [b for _, b in blocks]


_TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}
_YEARISH = re.compile(r"^(19|20)\d\d$")


def _unruled_page(page: Any, file: str, number: int, first_table: int) -> list[Any]:
    """A table without ruling in a text layer: its columns from the alignment of the
    words (pdfplumber's text strategy); a line whose first column is empty and that has
    no figure continues the row above (a wrapped name or header); the lines above the
    first line of three cells or more are the title."""
    from ktxh.domain.reading import cell_kind

    found = page.find_tables(table_settings=_TEXT_STRATEGY)
    if not found:
        return []
    table = found[0]
    # a line of text (the title) runs across the columns: some word crosses a boundary
    bounds = sorted({round(c[0], 1) for c in table.cells} - {round(table.bbox[0], 1)})
    words = page.extract_words()

    def crosses(top: float, bottom: float) -> bool:
        return any(
            w["x0"] + 1 < b < w["x1"] - 1
            for w in words
            if top - 1 <= (w["top"] + w["bottom"]) / 2 <= bottom + 1
            for b in bounds
        )

    blocks: list[Any] = []
    rows: list[list[str]] = []
    where_rows: list[int] = []
    started = False
    for r, (raw, band) in enumerate(zip(table.extract(), table.rows, strict=True), start=1):
        cells = [" ".join((t or "").split()) for t in raw]
        filled = [t for t in cells if t]
        if not filled:
            continue
        if not started and (len(filled) < 3 or crosses(band.bbox[1], band.bbox[3])):
            blocks.append(RawText("".join(cells).strip(), Where(file, page=number)))
            continue
        started = True
        figures = [t for t in filled if cell_kind(t) in ("number", "bad") and not _YEARISH.match(t)]
        if rows and not cells[0] and not figures:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=False)]
            continue
        rows.append(cells)
        where_rows.append(r)
    if not rows:
        return []
    grid = [
        [
            RawCell(text, Where(file, page=number, table=first_table, row=r, col=c))
            for c, text in enumerate(cells, start=1)
        ]
        for r, cells in zip(where_rows, rows, strict=True)
    ]
    blocks.append(RawTable(grid, Where(file, page=number, table=first_table)))
    return blocks


# --- OCR --------------------------------------------------------------------------------


def _runs(mask: np.ndarray[Any, Any]) -> list[float]:
    """Centres of runs of True in a 1-D mask (a line several pixels thick is one)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    out, start, prev = [], int(idx[0]), int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i > prev + 2:
            out.append((start + prev) / 2)
            start = i
        prev = i
    out.append((start + prev) / 2)
    return out


def _longest_run(mask: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """For each row of a 2-D boolean array, the length of its longest run of True."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    out = np.zeros(h, dtype=np.int64)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    if rows.size:
        np.maximum.at(out, rows, ends - starts)
    return out


def find_grid(gray: np.ndarray[Any, Any]) -> tuple[list[float], list[float], np.ndarray[Any, Any]]:
    """Vertical and horizontal lines of a ruled table in a page's pixels (long unbroken
    runs of ink; text never makes one), and the ink mask of the lines (to wipe them
    out before OCR)."""
    dark = gray < DARK
    w = dark.shape[1]
    rows = _longest_run(dark) > 0.2 * w
    ys = _runs(rows)
    if len(ys) < 2:
        return [], [], np.zeros_like(dark)
    top, bottom = int(ys[0]), int(ys[-1]) + 1
    cols = _longest_run(dark[top:bottom].T) > 0.5 * (bottom - top)
    xs = _runs(cols)
    lines = np.zeros_like(dark)
    lines[rows, :] = dark[rows, :]
    lines[top:bottom, cols] = dark[top:bottom, cols]
    return xs, ys, lines


def _has_vertical(dark: np.ndarray[Any, Any]) -> Any:
    def check(x: float, top: float, bottom: float) -> bool:
        xi = round(x)
        t, b = int(top) + 3, int(bottom) - 3
        if b <= t:
            return True
        strip = dark[t:b, max(0, xi - 2) : xi + 3].any(axis=1)
        return bool(strip.mean() > 0.8)

    return check


_CONFUSED = str.maketrans(
    {"S": "5", "s": "5", "O": "0", "o": "0", "l": "1", "I": "1", "Z": "2", "B": "8", "G": "6"}
)


def fix_ocr_number(text: str) -> tuple[str, bool]:
    """OCR's usual slips in a number, undone: "S4" -> "54", "_" -> "-". Only words
    that hold a digit and nothing but digits, separators and letters OCR takes for
    digits are changed. Returns the text and whether it changed."""
    words = text.split()
    out = []
    for w in words:
        if re.fullmatch(r"[_~\-–—]+", w):
            out.append("-")
        elif any(ch.isdigit() for ch in w) and re.fullmatch(r"[\d.,()%‰SsOolIZBG-]+", w):
            out.append(w.translate(_CONFUSED))
        else:
            out.append(w)
    if len(out) > 1:
        out = [w for w in out if w != "-"] or ["-"]
    fixed = " ".join(out)
    return fixed, fixed != text


def _ocr_words(image: Any) -> list[Word]:
    import pytesseract

    data = pytesseract.image_to_data(
        image, lang=OCR_LANG, config="--psm 6", output_type=pytesseract.Output.DICT
    )
    words = []
    for i, text in enumerate(data["text"]):
        if not text or not text.strip():
            continue
        conf = float(data["conf"][i])
        left, top = float(data["left"][i]), float(data["top"][i])
        words.append(
            Word(
                text.strip(),
                left,
                top,
                left + float(data["width"][i]),
                top + float(data["height"][i]),
                max(0.0, conf) / 100.0 if conf >= 0 else None,
                (data["block_num"][i], data["par_num"][i], data["line_num"][i]),
            )
        )
    return words


def _unread_cells(
    clean: np.ndarray[Any, Any], boxes: Sequence[Box], words: Sequence[Word]
) -> list[Word]:
    """Cells with ink but no word read: a lone "-" (found in the pixels: a short
    horizontal stroke), or a digit the page's OCR passed over (read again alone)."""
    import pytesseract
    from PIL import Image

    found = []
    for b in boxes:
        if any(b.x0 <= w.cx <= b.x1 and b.top <= w.cy <= b.bottom for w in words):
            continue
        x0, x1, t, bt = int(b.x0) + 4, int(b.x1) - 4, int(b.top) + 4, int(b.bottom) - 4
        if x1 - x0 < 4 or bt - t < 4:
            continue
        ink = clean[t:bt, x0:x1] < DARK
        if ink.sum() < 6:
            continue
        ys_, xs_ = np.nonzero(ink)
        w, h = int(xs_.max() - xs_.min() + 1), int(ys_.max() - ys_.min() + 1)
        left, top = x0 + int(xs_.min()), t + int(ys_.min())
        if h * 2 <= w and w < 0.5 * (x1 - x0) and ink.sum() >= 0.6 * w * h:
            found.append(Word("-", left, top, left + w, top + h, 0.9))
            continue
        pad = 12
        crop = clean[max(0, top - pad) : top + h + pad, max(0, left - pad) : left + w + pad]
        data = pytesseract.image_to_data(
            Image.fromarray(crop),
            lang=OCR_LANG,
            config="--psm 7",
            output_type=pytesseract.Output.DICT,
        )
        texts = [x.strip() for x in data["text"] if x and x.strip()]
        confs = [
            float(c) for x, c in zip(data["text"], data["conf"], strict=True) if x and x.strip()
        ]
        if texts:
            found.append(
                Word(" ".join(texts), left, top, left + w, top + h, max(0.0, min(confs)) / 100)
            )
    return found


def ocr_page(image: Any, file: str, number: int, table_number: int) -> list[Any]:
    """Blocks of one page image through OCR: text lines above, the ruled table, below."""
    from PIL import Image

    gray = np.asarray(image.convert("L"))
    xs, ys, lines = find_grid(gray)
    clean = gray.copy()
    clean[lines] = 255
    words = _ocr_words(Image.fromarray(clean))
    if len(xs) < 3 or len(ys) < 3:
        return _free_table(words, file, number, table_number)
    boxes = grid_boxes(xs, ys, _has_vertical(gray < DARK))
    words = words + _unread_cells(clean, boxes, words)
    rows, rest = fill_grid(boxes, words, file, number, table_number, fix=True)
    blocks: list[tuple[float, Any]] = [
        (ys[0], RawTable(rows, Where(file, page=number, table=table_number), grid=True))
    ]
    blocks.extend(text_lines(rest, file, number))
    blocks.sort(key=lambda b: (b[0], isinstance(b[1], RawTable)))
    return [b for _, b in blocks]


def _free_table(words: list[Word], file: str, number: int, table_number: int) -> list[Any]:
    """A page without ruling: its lines (the OCR's, or words side by side) are rows, wide
    gaps between words split cells; lines of fewer than three cells are text."""
    if not words:
        return []
    lines: dict[tuple[int, ...], list[Word]] = {}
    if all(w.line for w in words):
        for w in words:
            lines.setdefault(w.line, []).append(w)
    else:
        for w in sorted(words, key=lambda w: (w.cy, w.x0)):
            key = next(
                (
                    k
                    for k in reversed(lines)
                    if abs(lines[k][-1].cy - w.cy) <= 0.5 * (w.bottom - w.top)
                ),
                None,
            )
            if key is None:
                key = (len(lines),)
            lines.setdefault(key, []).append(w)
    rows: list[list[RawCell]] = []
    texts: list[Any] = []
    for r, ws in enumerate(sorted(lines.values(), key=lambda ws: min(w.top for w in ws)), 1):
        ws = sorted(ws, key=lambda w: w.x0)
        height = max(w.bottom - w.top for w in ws)
        cells: list[list[Word]] = [[ws[0]]]
        for w in ws[1:]:
            if w.x0 - cells[-1][-1].x1 > 1.2 * height:
                cells.append([w])
            else:
                cells[-1].append(w)
        if len(cells) < 3:
            texts.append(RawText(" ".join(w.text for w in ws), Where(file, page=number)))
            continue
        rows.append(
            [
                RawCell(
                    " ".join(w.text for w in cs),
                    Where(file, page=number, table=table_number, row=r, col=c),
                    min((w.conf for w in cs if w.conf is not None), default=None),
                )
                for c, cs in enumerate(cells, start=1)
            ]
        )
    out: list[Any] = list(texts)
    if rows:
        out.append(RawTable(rows, Where(file, page=number, table=table_number)))
    return out


# --- files ------------------------------------------------------------------------------


def _pages_to_ocr(pdf: Any, ocr: bool | None) -> list[int]:
    if ocr is False:
        return []
    if ocr is True:
        return list(range(len(pdf.pages)))
    return [i for i, p in enumerate(pdf.pages) if len(p.chars) < 10]


def parse_pdf(
    data: bytes,
    file: str,
    *,
    ocr: bool | None = None,
    dpi: int = OCR_DPI,
    workers: int | None = None,
) -> RawDocument:
    """Every page's text lines and tables; see the module's documentation for ``ocr``."""
    import io

    import pdfplumber

    doc = RawDocument(file)
    if not data.startswith(b"%PDF"):
        doc.problems.append(
            ReadProblem(Where(file), "tệp không phải PDF (không bắt đầu bằng %PDF)")
        )
        return doc
    if len(data) > MAX_BYTES:
        doc.problems.append(ReadProblem(Where(file), "tệp PDF quá lớn (trên 200 MiB)"))
        return doc
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        n = len(pdf.pages)
    except Exception as exc:  # pdfminer raises many kinds for a damaged file
        doc.problems.append(ReadProblem(Where(file), f"tệp PDF bị hỏng, không đọc được ({exc})"))
        return doc
    with pdf:
        if n > MAX_PAGES:
            doc.problems.append(
                ReadProblem(Where(file), f"tệp có {n} trang, quá nhiều (tối đa {MAX_PAGES})")
            )
            return doc
        try:
            todo = set(_pages_to_ocr(pdf, ocr))
        except Exception as exc:
            doc.problems.append(
                ReadProblem(Where(file), f"tệp PDF bị hỏng, không đọc được ({exc})")
            )
            return doc
        if todo:
            why = ocr_available()
            if why is not None:
                doc.problems.append(ReadProblem(Where(file), why))
                return doc
        pages: dict[int, list[Any]] = {}
        table_no = 0
        for i in range(n):
            if i in todo:
                continue
            try:
                blocks = _text_layer_page(pdf.pages[i], file, i + 1, table_no + 1)
            except Exception as exc:  # a damaged page
                doc.problems.append(
                    ReadProblem(Where(file, page=i + 1), f"trang bị hỏng, không đọc được ({exc})")
                )
                continue
            table_no += sum(1 for b in blocks if isinstance(b, RawTable))
            pages[i] = blocks

        def render(i: int) -> Any:
            return pdf.pages[i].to_image(resolution=dpi).original.convert("L")

        pages.update(_ocr_pages(render, sorted(todo), file, workers, doc))
    _collect(doc, pages)
    return doc


def _ocr_pages(
    render: Callable[[int], Any],
    indices: Sequence[int],
    file: str,
    workers: int | None,
    doc: RawDocument,
) -> dict[int, list[Any]]:
    """OCR pages in parallel, each Tesseract on one thread. Pages are rendered here, one
    ahead of each worker, so that a long scan never holds all its images at once."""
    if not indices:
        return {}
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    n = workers or max(1, min(len(indices), os.cpu_count() or 1))
    out: dict[int, list[Any]] = {}

    def one(i: int, image: Any) -> list[Any]:
        return ocr_page(image, file, i + 1, i + 1)

    def collect(i: int, future: Future[list[Any]]) -> None:
        try:
            out[i] = future.result()
        except Exception as exc:  # Tesseract's errors, a broken image
            doc.problems.append(
                ReadProblem(Where(file, page=i + 1), f"không nhận dạng được chữ ({exc})")
            )

    with ThreadPoolExecutor(max_workers=n) as pool:
        running: dict[int, Future[list[Any]]] = {}
        for i in indices:
            try:
                image = render(i)
            except Exception as exc:  # a page that cannot be rendered
                doc.problems.append(
                    ReadProblem(Where(file, page=i + 1), f"trang bị hỏng, không đọc được ({exc})")
                )
                continue
            running[i] = pool.submit(one, i, image)
            while len(running) > n:
                done = (
                    next(k for k, f in running.items() if f.done())
                    if any(f.done() for f in running.values())
                    else min(running)
                )
                collect(done, running.pop(done))
        for i in sorted(running):
            collect(i, running[i])
    return out


def _collect(doc: RawDocument, pages: dict[int, list[Any]]) -> None:
    table_no = 0
    for i in sorted(pages):
        for block in pages[i]:
            if isinstance(block, RawTable):
                table_no += 1
                block.where = Where(block.where.file, page=i + 1, table=table_no)
                block.rows = [
                    [
                        RawCell(
                            c.text,
                            Where(
                                c.where.file,
                                c.where.page,
                                table=table_no,
                                row=c.where.row,
                                col=c.where.col,
                            ),
                            c.confidence,
                            c.number,
                        )
                        for c in row
                    ]
                    for row in block.rows
                ]
            doc.blocks.append(block)
    if not doc.tables and not doc.problems:
        doc.problems.append(
            ReadProblem(
                Where(doc.file), "không tìm thấy bảng nào trong tệp (trang không có bảng kẻ ô)"
            )
        )


def read_pdf(
    path: Path,
    name: str | None = None,
    *,
    ocr: bool | None = None,
    dpi: int = OCR_DPI,
    workers: int | None = None,
) -> RawDocument:
    file = name or Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return RawDocument(file, problems=[ReadProblem(Where(file), f"không mở được tệp: {exc}")])
    return parse_pdf(data, file, ocr=ocr, dpi=dpi, workers=workers)


def read_image(path: Path, name: str | None = None) -> RawDocument:
    """A scanned page (or a multi-page TIFF) through OCR."""
    from PIL import Image, UnidentifiedImageError

    file = name or Path(path).name
    doc = RawDocument(file)
    why = ocr_available()
    if why is not None:
        doc.problems.append(ReadProblem(Where(file), why))
        return doc
    try:
        image = Image.open(path)
        frames = []
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            frames.append(image.convert("L"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        doc.problems.append(
            ReadProblem(Where(file), f"tệp ảnh bị hỏng hoặc không phải ảnh ({exc})")
        )
        return doc
    pages = _ocr_pages(lambda k: frames[k], list(range(len(frames))), file, None, doc)
    _collect(doc, pages)
    return doc
