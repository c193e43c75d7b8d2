"""PDF through LibreOffice headless (.docx and .xlsx alike).

Each conversion runs with a user profile of its own in a fresh temporary
directory (``-env:UserInstallation=file:///tmp/...``): two conversions at the
same time would otherwise share one profile, and the second fails or waits.

LibreOffice is optional at run time: without it :func:`to_pdf` raises
:class:`LibreOfficeNotFound`, whose message says in Vietnamese what to install.
``KTXH_SOFFICE`` names the program where it is not on the PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# The profile's locale decides the separators a spreadsheet shows: "2.022,5".
_LOCALE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">\
<value>{locale}</value></prop></item>
</oor:items>
"""

INSTALL_HINT = (
    "cài LibreOffice và phông chữ, ví dụ trên Debian/Ubuntu: "
    "apt-get install libreoffice-writer libreoffice-calc fonts-liberation2"
)


class PdfError(RuntimeError):
    """A conversion that failed; the message is Vietnamese."""


class LibreOfficeNotFound(PdfError):
    """LibreOffice is not installed (or not where KTXH_SOFFICE says)."""

    def __init__(self) -> None:
        super().__init__(
            "Không tìm thấy LibreOffice (lệnh soffice) nên không tạo được tệp PDF; "
            f"hãy {INSTALL_HINT}, hoặc đặt biến môi trường KTXH_SOFFICE là đường dẫn tới soffice."
        )


def find_soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    configured = os.environ.get("KTXH_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(source: Path, target: Path, *, timeout: float = 180.0, locale: str = "vi-VN") -> Path:
    """Convert a .docx or .xlsx file to PDF at ``target``; returns ``target``.

    ``locale`` is the profile's locale, which decides how a workbook's numbers
    are shown (vi-VN: "2.022,5").
    """
    source = Path(source)
    target = Path(target)
    if not source.is_file():
        raise PdfError(f"Không có tệp «{source}» để chuyển sang PDF")
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeNotFound()
    with tempfile.TemporaryDirectory(prefix="ktxh-lo-") as tmp:
        work = Path(tmp)
        (work / "profile" / "user").mkdir(parents=True)
        (work / "profile" / "user" / "registrymodifications.xcu").write_text(
            _LOCALE_XCU.format(locale=locale), encoding="utf-8"
        )
        profile = (work / "profile").as_uri()
        outdir = work / "out"
        outdir.mkdir()
        cmd = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(source.resolve()),
        ]
        env = {**os.environ, "HOME": str(work)}
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"LibreOffice không chuyển xong «{source.name}» sang PDF sau {timeout:.0f} giây"
            ) from None
        except OSError as exc:
            raise PdfError(f"Không chạy được LibreOffice ({soffice}): {exc}") from None
        produced = outdir / (source.stem + ".pdf")
        if proc.returncode != 0 or not produced.is_file():
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            tail = detail[-1] if detail else f"mã lỗi {proc.returncode}"
            raise PdfError(f"LibreOffice không chuyển được «{source.name}» sang PDF: {tail}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), str(target))
    return target
