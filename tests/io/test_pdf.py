"""PDF through LibreOffice: both documents convert, their pages are rendered to PNG.

The PDFs and PNG pages are kept in tests/artifacts/ (not committed) for a
person to look at. The conversion tests skip, saying so, only when LibreOffice
is absent; `make test` installs it (scripts/test-deps.sh), so in CI they run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from ktxh.domain.dataset import Dataset
from ktxh.io.docx_report import write_report
from ktxh.io.pdf import LibreOfficeNotFound, PdfError, find_soffice, to_pdf
from ktxh.io.xlsx_forms import annex_layouts, write_annex

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

needs_libreoffice = pytest.mark.skipif(
    find_soffice() is None,
    reason="LibreOffice is not installed (scripts/test-deps.sh installs it): no PDF to test",
)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> int:
    for line in _run("pdfinfo", str(pdf)).splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def _assert_times_only(pdf: Path) -> None:
    """Every font is Times New Roman or its metric twin, embedded: no fallback font
    was needed for a Vietnamese letter."""
    rows = _run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows
    for row in rows:
        name = row.split()[0].split("+")[-1]
        assert name.startswith(("LiberationSerif", "TimesNewRoman")), row
        assert " yes " in row, row  # embedded


def _render(pdf: Path, prefix: str) -> list[Path]:
    for old in ARTIFACTS.glob(f"{prefix}-*.png"):
        old.unlink()
    _run("pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / prefix))
    return sorted(ARTIFACTS.glob(f"{prefix}-*.png"))


def test_missing_libreoffice_is_explained_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "a.docx"
    source.write_bytes(b"x")
    monkeypatch.setenv("KTXH_SOFFICE", str(tmp_path / "khong-co-soffice"))
    with pytest.raises(LibreOfficeNotFound) as caught:
        to_pdf(source, tmp_path / "a.pdf")
    assert "Không tìm thấy LibreOffice" in str(caught.value)
    assert "apt-get install libreoffice-writer" in str(caught.value)
    assert isinstance(caught.value, PdfError)


def test_missing_source_is_explained_in_vietnamese(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match="Không có tệp"):
        to_pdf(tmp_path / "none.docx", tmp_path / "none.pdf")


@needs_libreoffice
def test_the_report_converts_and_renders(dataset: Dataset) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    docx = ARTIFACTS / "bao-cao.docx"
    write_report(dataset, docx)
    pdf = to_pdf(docx, ARTIFACTS / "bao-cao.pdf")
    assert 2 <= _pages(pdf) <= 6
    text = " ".join(_run("pdftotext", str(pdf), "-").split())  # justified: spaces vary
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 2547/BC-UBND",
        "Lai Châu, ngày 30 tháng 8 năm 2023",
        "2.022 tỷ đồng",
        "10,8‰",
        "Bùi Hữu Cam",
    ):
        assert expected in text, expected
    _assert_times_only(pdf)
    pngs = _render(pdf, "bao-cao")
    assert len(pngs) == _pages(pdf)


@needs_libreoffice
def test_the_annex_converts_and_renders(dataset: Dataset) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    xlsx = ARTIFACTS / "phu-luc.xlsx"
    write_annex(dataset, xlsx)
    pdf = to_pdf(xlsx, ARTIFACTS / "phu-luc.pdf")
    pages = _pages(pdf)
    assert 13 <= pages <= 30  # each form on its own page(s), fitted to the width
    text = _run("pdftotext", "-layout", str(pdf), "-")
    for n in range(1, 14):
        assert f"Biểu số {n}" in text
    # numbers shown the Vietnamese way by the vi-VN profile: line 271's 2.731,1
    assert "2.731,1" in text and "1.324,6" in text
    assert "(Kèm theo báo cáo số 2547/BC-UBND ngày 30 tháng 8 năm 2023" in text
    _assert_times_only(pdf)
    pngs = _render(pdf, "phu-luc")
    assert len(pngs) == pages


def _recalculated(source: Path, out: Path) -> Path:
    """``source`` opened by LibreOffice with every formula recalculated, saved as xlsx."""
    soffice = find_soffice()
    assert soffice is not None
    profile = out / "profile" / "user"
    profile.mkdir(parents=True)
    (profile / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n'
        "</oor:items>\n",
        encoding="utf-8",
    )
    target = out / "recalc"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(out / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(target),
            str(source),
        ],
        capture_output=True,
        check=True,
        timeout=180,
        env={"HOME": str(out), "PATH": "/usr/bin:/bin"},
    )
    return target / source.name


@needs_libreoffice
def test_libreoffice_recalculates_the_cached_comparisons(dataset: Dataset, tmp_path: Path) -> None:
    # the recalculation really happens: a deliberately wrong cache is corrected
    probe = tmp_path / "probe.xlsx"
    wb = xlsxwriter.Workbook(str(probe))
    wb.add_worksheet().write_formula(0, 0, "=1+1", None, 5)
    wb.close()
    got = CalamineWorkbook.from_path(str(_recalculated(probe, tmp_path / "p"))).get_sheet_by_index(
        0
    )
    assert got.to_python()[0][0] == 2

    annex = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, annex)
    ours = CalamineWorkbook.from_path(str(annex))
    theirs = CalamineWorkbook.from_path(str(_recalculated(annex, tmp_path / "a")))
    compared = 0
    for n, layout in annex_layouts(dataset).items():
        a = ours.get_sheet_by_name(f"Biểu {n}").to_python()
        b = theirs.get_sheet_by_name(f"Biểu {n}").to_python()
        for row in layout.rows.values():
            for _, col in layout.ratios:
                x = a[row][col] if col < len(a[row]) else ""
                y = b[row][col] if row < len(b) and col < len(b[row]) else ""
                if x == "":
                    assert y == "", (n, row, col, y)
                else:
                    assert y == pytest.approx(x), (n, row, col)
                    compared += 1
    assert compared > 500


def test_tools_for_the_pictures_are_there_when_libreoffice_is() -> None:
    if find_soffice() is not None:
        assert shutil.which("pdftoppm"), "poppler-utils is missing: run scripts/test-deps.sh"
