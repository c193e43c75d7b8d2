"""Untrusted spreadsheet files: what is checked before anything reads them.

A workbook that comes back by e-mail or upload is a zip of XML parts, and it
is untrusted. :func:`open_package` refuses, with a Vietnamese message, before
any parser sees the data:

* a file larger than the limit;
* anything that is not an Office Open XML workbook: an old binary .xls (an
  OLE compound file), a password-protected workbook (also an OLE compound
  file, holding an ``EncryptedPackage`` stream), an .xlsb, an OpenDocument
  .ods, a PDF, text;
* a zip bomb: too many parts, a declared uncompressed size above the limits
  (one part, the whole file), or a compression ratio no spreadsheet has (one
  part, the whole file); then every part is decompressed with a cap, so a part
  that lies about its size fails its CRC and is refused;
* macros (``vbaProject.bin``, Excel 4 macro sheets, the macro-enabled content
  type, an .xlsm/.xltm name), external links to other workbooks and external
  data connections;
* XML with a document type declaration (entity expansion bombs).

:func:`formula_cells` finds the cells that hold a formula (calamine only gives
their cached results): formulas in input cells are refused by the readers,
never evaluated. XML parsed here goes through defusedxml.

The files of one request (an upload of many workbooks, one ``ktxh import``) share
a :class:`Budget`: their bytes, their uncompressed bytes and their parts together,
counted from each file's directory before anything is decompressed.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]

from ktxh.domain.importing import Issue
from ktxh.domain.numbers import format_number

MiB = 1024 * 1024

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MACRO_CONTENT_TYPE = b"macroEnabled"
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_DTD = (b"<!doctype", b"<!entity")
_CELL = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much an input file, and one request's files together, may hold. The
    defaults fit a province's annex workbook with room to spare (1.000 communes:
    1,9 MiB, 12 MiB uncompressed in 22 parts, the largest 2,5 MiB; a ward's
    template: 40 KiB, 0,2 MiB in 18 parts) and a request of 100 templates."""

    max_file_bytes: int = 20 * MiB
    max_total_bytes: int = 64 * MiB  # all parts of a file, uncompressed
    max_part_bytes: int = 32 * MiB  # one part, uncompressed
    # uncompressed / compressed, of a part and of a whole file above ratio_from_bytes
    # (spreadsheets compress 5 to 10 times)
    max_ratio: float = 100.0
    ratio_from_bytes: int = 1 * MiB
    max_parts: int = 500
    # one request (an upload, one `ktxh import`): every file together
    max_request_bytes: int = 200 * MiB
    max_request_total_bytes: int = 256 * MiB
    max_request_parts: int = 10000


DEFAULT_LIMITS = Limits()


class UnsafeFile(Exception):
    """A file refused before reading; the message is Vietnamese."""

    def __init__(self, issue: Issue, message: str) -> None:
        super().__init__(message)
        self.issue = issue
        self.message = message


@dataclass
class Package:
    """An Office Open XML workbook whose container passed every check."""

    name: str
    data: bytes
    parts: dict[str, bytes] = field(default_factory=dict)

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> the path of its XML part, from the workbook and its relationships."""
        workbook = _parse(self.parts.get("xl/workbook.xml", b""))
        rels = _parse(self.parts.get("xl/_rels/workbook.xml.rels", b""))
        if workbook is None or rels is None:
            return {}
        targets = {}
        for rel in rels.iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id"):
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[rel.get("Id")] = posixpath.normpath(path)
        out = {}
        for sheet in workbook.iter():
            if _local(sheet.tag) == "sheet":
                rid = sheet.get(f"{{{REL_NS}}}id")
                if sheet.get("name") and rid in targets:
                    out[sheet.get("name")] = targets[rid]
        return out


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if "}" in text else text.rsplit(":", 1)[-1]


def _parse(data: bytes) -> Any:
    if not data:
        return None
    try:
        return SafeET.fromstring(data)
    except Exception:  # defusedxml raises several kinds; any of them: not readable
        return None


def sniff(data: bytes, name: str) -> None:
    """Refuse what is not an Office Open XML workbook, by its first bytes."""
    head = data[:8]
    if head.startswith(CFB_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or (
            "EncryptionInfo".encode("utf-16-le") in data
        ):
            raise UnsafeFile(
                Issue.ENCRYPTED,
                "tệp được đặt mật khẩu (mã hóa) nên không đọc được; hãy mở tệp, bỏ mật khẩu "
                "(Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu: để trống) "
                "rồi lưu lại dạng .xlsx",
            )
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            raise UnsafeFile(
                Issue.XLS,
                "đây là tệp Excel 97-2003 (.xls), định dạng cũ không được nhận; hãy mở tệp và "
                "lưu lại dạng Sổ làm việc Excel (.xlsx)",
            )
        raise UnsafeFile(
            Issue.NOT_WORKBOOK,
            "tệp Office dạng cũ (OLE, ví dụ .doc), không phải sổ tính Excel (.xlsx)",
        )
    if head.startswith(ZIP_MAGICS):
        return
    what = "không phải sổ tính Excel (.xlsx)"
    if head.startswith(b"%PDF"):
        what = "là tệp PDF, không phải sổ tính Excel (.xlsx)"
    elif head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        what = "là tệp HTML/XML, không phải sổ tính Excel (.xlsx)"
    elif not data:
        what = "rỗng, không phải sổ tính Excel (.xlsx)"
    raise UnsafeFile(Issue.NOT_WORKBOOK, f"tệp {what}")


@dataclass
class Budget:
    """What the files of one request may hold together (:class:`Limits`' ``max_request_*``).

    :meth:`charge` counts a file from its zip directory (declared sizes: the reading
    in :func:`open_package` never decompresses more than a part declares), before
    anything is decompressed; a file over the budget is refused as a whole, and the
    budget keeps what was charged before it.
    """

    limits: Limits = DEFAULT_LIMITS
    file_bytes: int = 0
    uncompressed: int = 0
    parts: int = 0

    def charge_bytes(self, size: int) -> None:
        """Count a file's own size; :class:`UnsafeFile` once the request's are too many."""
        if self.file_bytes + size > self.limits.max_request_bytes:
            raise UnsafeFile(
                Issue.TOO_LARGE,
                f"các tệp gửi cùng lúc quá lớn: tệp này đưa tổng dung lượng lên "
                f"{mib_text(self.file_bytes + size)}, giới hạn của một lần nhập là "
                f"{mib_text(self.limits.max_request_bytes)}; hãy gửi thành nhiều lần",
            )
        self.file_bytes += size

    def charge(self, data: bytes) -> None:
        """Count a file's declared content (uncompressed bytes and parts); raise
        :class:`UnsafeFile` when the request would go over. A file that is not a zip,
        or that is over a file's own limits, is not counted (:func:`open_package`
        refuses it with its reason)."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            return
        total = sum(i.file_size for i in infos)
        lim = self.limits
        if (
            len(infos) > lim.max_parts
            or total > lim.max_total_bytes
            or (total > lim.ratio_from_bytes and total > lim.max_ratio * max(len(data), 1))
        ):
            return  # refused on its own by open_package, with the reason: not counted
        if self.parts + len(infos) > lim.max_request_parts:
            raise UnsafeFile(
                Issue.ZIP_BOMB,
                f"các tệp gửi cùng lúc có tổng cộng hơn {format_number(lim.max_request_parts)} "
                "phần nén, quá nhiều cho một lần nhập; hãy gửi thành nhiều lần",
            )
        if self.uncompressed + total > lim.max_request_total_bytes:
            raise UnsafeFile(
                Issue.ZIP_BOMB,
                f"các tệp gửi cùng lúc giải nén ra quá lớn (tệp này đưa tổng lên "
                f"{mib_text(self.uncompressed + total)}, giới hạn của một lần nhập là "
                f"{mib_text(lim.max_request_total_bytes)}); hãy gửi thành nhiều lần",
            )
        self.parts += len(infos)
        self.uncompressed += total


def open_package(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> Package:
    """Check an input file's container; raise :class:`UnsafeFile` when it is refused."""
    if len(data) > limits.max_file_bytes:
        raise UnsafeFile(
            Issue.TOO_LARGE,
            f"tệp quá lớn ({mib_text(len(data))}); giới hạn là {mib_text(limits.max_file_bytes)}",
        )
    sniff(data, name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise UnsafeFile(
            Issue.DAMAGED, "tệp bị hỏng: không mở được như một sổ tính .xlsx"
        ) from None
    with zf:
        infos = zf.infolist()
        _check_container(infos, name, limits)
        _check_whole(infos, len(data), limits)
        parts = _read_parts(zf, infos, limits)
    _check_content(parts, name)
    return Package(name, data, parts)


def mib_text(n: int) -> str:
    return f"{format_number(n / MiB, 1)} MiB"


def _check_container(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    names = [i.filename for i in infos]
    lower = [n.lower() for n in names]
    if len(infos) > limits.max_parts:
        raise UnsafeFile(
            Issue.ZIP_BOMB,
            f"tệp nén có {len(infos)} phần, quá nhiều cho một sổ tính (tối đa "
            f"{limits.max_parts}); tệp có thể là bom nén (zip bomb)",
        )
    if "xl/workbook.bin" in lower:
        raise UnsafeFile(
            Issue.NOT_WORKBOOK,
            "đây là sổ làm việc nhị phân (.xlsb), không được nhận; hãy lưu lại dạng .xlsx",
        )
    if "content.xml" in lower and "mimetype" in lower:
        raise UnsafeFile(
            Issue.NOT_WORKBOOK,
            "đây là bảng tính OpenDocument (.ods), không được nhận; hãy lưu lại dạng "
            "Excel 2007-365 (.xlsx)",
        )
    if "xl/workbook.xml" not in lower:
        raise UnsafeFile(
            Issue.NOT_WORKBOOK,
            "tệp nén này không phải sổ tính Excel (.xlsx): thiếu phần xl/workbook.xml",
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise UnsafeFile(
            Issue.ENCRYPTED, "tệp có phần được mã hóa bằng mật khẩu nên không đọc được"
        )
    macro_parts = [
        n for n in lower if n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/")
    ]
    if macro_parts or name.lower().endswith((".xlsm", ".xltm")):
        raise UnsafeFile(
            Issue.MACROS,
            "tệp có macro (VBA), không được nhận vì lý do an toàn; hãy lưu lại dạng "
            "Sổ làm việc Excel không có macro (.xlsx)",
        )
    links = [n for n in lower if n.startswith("xl/externallinks/")]
    if links:
        raise UnsafeFile(
            Issue.EXTERNAL_LINKS,
            "tệp có liên kết tới sổ tính khác (external links), không được nhận; hãy xóa liên "
            "kết (Dữ liệu > Sửa liên kết > Ngắt liên kết) rồi lưu lại",
        )
    if "xl/connections.xml" in lower or any(n.startswith("xl/querytables/") for n in lower):
        raise UnsafeFile(
            Issue.EXTERNAL_LINKS,
            "tệp có kết nối dữ liệu ngoài (data connections), không được nhận; hãy xóa kết nối "
            "rồi lưu lại",
        )
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        if size > limits.max_part_bytes or total > limits.max_total_bytes:
            raise UnsafeFile(
                Issue.ZIP_BOMB,
                f"tệp giải nén ra quá lớn (phần «{info.filename}»: {mib_text(size)}; tổng đã quá "
                f"{mib_text(limits.max_total_bytes)}); tệp có thể là bom nén (zip bomb)",
            )
        if size > limits.ratio_from_bytes and size > limits.max_ratio * max(info.compress_size, 1):
            ratio = size / max(info.compress_size, 1)
            raise UnsafeFile(
                Issue.ZIP_BOMB,
                f"phần «{info.filename}» nén {format_number(ratio, 0)} lần, bất thường với một "
                f"sổ tính (tối đa {format_number(limits.max_ratio, 0)} lần); tệp có thể là bom "
                "nén (zip bomb)",
            )


def _check_whole(infos: list[zipfile.ZipInfo], size: int, limits: Limits) -> None:
    """The whole file's compression ratio: many parts each just under the per-part
    threshold must not add up to a bomb."""
    total = sum(i.file_size for i in infos)
    if total > limits.ratio_from_bytes and total > limits.max_ratio * max(size, 1):
        raise UnsafeFile(
            Issue.ZIP_BOMB,
            f"tệp giải nén ra {mib_text(total)} từ {mib_text(size)}, gấp "
            f"{format_number(total / max(size, 1), 0)} lần, bất thường với một sổ tính (tối đa "
            f"{format_number(limits.max_ratio, 0)} lần); tệp có thể là bom nén (zip bomb)",
        )


def _read_parts(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits
) -> dict[str, bytes]:
    """Every part, decompressed with a cap: a part larger than it declares fails."""
    parts: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        chunks = []
        read = 0
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(MiB)
                    if not chunk:
                        break
                    read += len(chunk)
                    if read > info.file_size or read > limits.max_part_bytes:
                        raise UnsafeFile(
                            Issue.ZIP_BOMB,
                            f"phần «{info.filename}» giải nén ra nhiều hơn kích thước khai báo; "
                            "tệp có thể là bom nén (zip bomb)",
                        )
                    chunks.append(chunk)
        except UnsafeFile:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise UnsafeFile(
                Issue.DAMAGED,
                f"tệp bị hỏng hoặc khai sai kích thước: không giải nén được phần «{info.filename}»",
            ) from None
        parts[info.filename] = b"".join(chunks)
    return parts


def _check_content(parts: dict[str, bytes], name: str) -> None:
    types = parts.get("[Content_Types].xml", b"")
    if MACRO_CONTENT_TYPE.lower() in types.lower():
        raise UnsafeFile(
            Issue.MACROS,
            "tệp là sổ tính có macro (.xlsm), không được nhận vì lý do an toàn; hãy lưu lại dạng "
            "Sổ làm việc Excel (.xlsx)",
        )
    for part, data in parts.items():
        if not part.lower().endswith((".xml", ".rels", ".vml")):
            continue
        head = data[:4096].lower()
        head16 = data[:8192].decode("utf-16-le", errors="ignore").lower().encode()
        if any(d in head or d in head16 for d in _DTD):
            raise UnsafeFile(
                Issue.UNSAFE_XML,
                f"phần «{part}» có khai báo DOCTYPE/ENTITY, điều mà sổ tính Excel không dùng; "
                "tệp không an toàn nên không được đọc",
            )


def _cells(root: Any) -> Iterator[tuple[str, Any]]:
    """Every cell element of a parsed sheet with its reference ("F12")."""
    row_number = 0
    for row in root.iter():
        if _local(row.tag) != "row":
            continue
        row_number = int(row.get("r") or row_number + 1)
        col = 0
        for c in row:
            if _local(c.tag) != "c":
                continue
            ref = c.get("r")
            m = _CELL.match(ref) if ref else None
            if m:
                col = _col_index(m.group(1))
            else:
                col += 1
                ref = f"{_col_letters(col)}{row_number}"
            yield ref, c


def formula_cells(package: Package, sheets: list[str]) -> dict[str, dict[str, str]]:
    """For each named sheet, its cells that hold a formula: ``{sheet: {"F12": "SUM(...)"}}``.

    Only sheets whose XML contains a formula element are parsed.
    """
    paths = package.sheet_parts()
    out: dict[str, dict[str, str]] = {}
    for sheet in sheets:
        data = package.parts.get(paths.get(sheet, ""), b"")
        if not data or not _FORMULA_TAG.search(data):
            continue
        root = _parse(data)
        if root is None:
            continue
        found: dict[str, str] = {}
        for ref, c in _cells(root):
            for f in c:
                if _local(f.tag) == "f":
                    found[ref] = (f.text or "").strip() or "(công thức dùng chung)"
                    break
        if found:
            out[sheet] = found
    return out


def italic_cells(package: Package, sheets: list[str]) -> dict[str, set[str]]:
    """For each named sheet, its cells shown in italics (the annex's consolidated totals)."""
    styles = _parse(package.parts.get("xl/styles.xml", b""))
    if styles is None:
        return {}
    italic_fonts: set[int] = set()
    italic_styles: set[int] = set()
    for part in styles:
        if _local(part.tag) == "fonts":
            for n, font in enumerate(f for f in part if _local(f.tag) == "font"):
                for prop in font:
                    if _local(prop.tag) == "i" and prop.get("val", "1") not in ("0", "false"):
                        italic_fonts.add(n)
        elif _local(part.tag) == "cellXfs":
            for n, xf in enumerate(x for x in part if _local(x.tag) == "xf"):
                if int(xf.get("fontId") or 0) in italic_fonts:
                    italic_styles.add(n)
    if not italic_styles:
        return {}
    paths = package.sheet_parts()
    out: dict[str, set[str]] = {}
    for sheet in sheets:
        root = _parse(package.parts.get(paths.get(sheet, ""), b""))
        if root is None:
            continue
        found = {ref for ref, c in _cells(root) if int(c.get("s") or 0) in italic_styles}
        if found:
            out[sheet] = found
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
