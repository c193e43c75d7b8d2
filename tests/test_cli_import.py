"""`ktxh template` and `ktxh import`: the commands, and every refusal, each naming the
file, the sheet and the cell, with the store left exactly as it was."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from openpyxl.workbook import Workbook
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.datapackage import read_package
from ktxh.io.pdf import find_soffice
from ktxh.store import actions, models
from ktxh.store.accounts import Account, save_account
from ktxh.store.frames import dataset_from_store
from ktxh.store.packages import dump
from tests.store_helpers import store_snapshot
from tests.xlsx_helpers import (
    edit,
    encrypted_workbook,
    fill,
    libreoffice_resave,
    lie_about_size,
    rezip,
)

runner = CliRunner()
needs_libreoffice = pytest.mark.skipif(
    find_soffice() is None,
    reason="LibreOffice is not installed (scripts/test-deps.sh installs it)",
)

# Biểu 2 of a ward's template: row 9 is B02.009 (Tổng diện tích đất nông nghiệp canh tác, ha);
# columns I, J, K, M are KH 2023, TH 6 tháng 2023, Ước TH 2023, KH 2024 (82,8 stored); L is
# the proposal beside the estimate (read-only, never read back).
ROW = "phường Đoàn Kết"
AREA = "B02.009 «Tổng diện tích đất nông nghiệp canh tác»"


@pytest.fixture
def ds(plan: Any) -> Any:
    """The store with the Lai Châu plan (each test's changes are rolled back)."""
    return plan


@pytest.fixture
def template(ds: Any, tmp_path: Path) -> Path:
    out = tmp_path / "mau.xlsx"
    result = runner.invoke(app, ["template", "-u", "Đoàn Kết", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def run(ds: Any, *args: str) -> Any:
    """``ktxh import`` as the planner (``--user`` given again wins)."""
    return runner.invoke(app, ["import", "--user", "admin", *args])


def refused(ds: Any, *args: str) -> str:
    """Run an import that must be refused: exit 2, nothing written; return the output."""
    before = store_snapshot()
    result = run(ds, *args)
    assert result.exit_code == 2, result.output
    assert "KHÔNG NHẬP" in result.output and "chưa ghi gì" in result.output
    assert store_snapshot() == before
    return " ".join(result.output.split())


def filled(template: Path, tmp_path: Path, cells: dict[str, Any], name: str = "dk.xlsx") -> Path:
    return fill(template, tmp_path / name, {("Biểu 2", ref): v for ref, v in cells.items()})


# --- ktxh template -------------------------------------------------------------


def test_template_for_a_ward(template: Path) -> None:
    assert template.read_bytes().startswith(b"PK")


def test_template_says_what_it_wrote(ds: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", "-u", "Doan Ket", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        "Đã ghi biểu mẫu nhập của phường Đoàn Kết, năm 2023 "
        "(biểu 2, 3, 7, 9, 10, 11, 12; 1.130 ô nhập)" in result.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "hãy cho biết đơn vị (--orgunit) hoặc phòng, ban (--department)"),
        (["-u", "Hà Nội"], "Không có đơn vị «Hà Nội»"),
        (["-u", "Đoàn Kết", "--form", "1"], "Biểu số 1 không có chỉ tiêu nào để phường Đoàn Kết"),
        (["--department", "Phòng Nội vụ"], "Không có phòng, ban «Phòng Nội vụ»"),
    ],
)
def test_template_refuses_what_it_cannot_make(
    ds: Any, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["template", *args, "-o", str(out)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_a_department_fills_its_forms_for_the_city(ds: Any, tmp_path: Path) -> None:
    out = tmp_path / "kinh-te.xlsx"
    result = runner.invoke(app, ["template", "--department", "phong kinh te", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "thành phố Lai Châu (Phòng Kinh tế), năm 2023 (biểu 2, 3, 4, 5, 6;" in result.output
    typed = fill(out, tmp_path / "kinh-te-da-dien.xlsx", {("Biểu 4", "J9"): 12.5})
    result = run(ds, str(typed), "--user", "phong-kinh-te")
    assert result.exit_code == 0, result.output
    assert "[sửa] Biểu 4, ô J9 · B04.002" in result.output
    assert "thành phố Lai Châu, TH 6 tháng 2023: 2.022 → 12,5" in result.output


# --- ktxh import -----------------------------------------------------------------


def test_dry_run_shows_each_change_and_writes_nothing(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    path = filled(template, tmp_path, {"I9": 1330.5, "J9": "1.200,25", "M9": None})
    before = store_snapshot()
    result = run(ds, str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        "dk.xlsx: biểu mẫu nhập của phường Đoàn Kết, năm 2023 (biểu 2, 3, 7, 9, 10, 11, 12)" in out
    )
    assert f"[thêm] Biểu 2, ô I9 · {AREA}, {ROW}, KH 2023: (trống) → 1.330,5" in out
    assert f"[thêm] Biểu 2, ô J9 · {AREA}, {ROW}, TH 6 tháng 2023: (trống) → 1.200,25" in out
    assert f"[xóa] Biểu 2, ô M9 · {AREA}, {ROW}, KH 2024: 82,8 → (trống)" in out
    assert "Tổng cộng: 3 ô thay đổi (2 thêm, 0 sửa, 1 xóa); 1.127 ô không đổi." in out
    assert "Kiểm tra nếu nhập:" in out and "Chạy thử (--dry-run): chưa ghi gì." in out
    assert store_snapshot() == before


def test_import_applies_audits_consolidates_and_checks(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    save_account(Account("binh", models.Role.UNIT, "Nguyễn Thị Bình", "doan-ket"))
    path = filled(template, tmp_path, {"M9": 90.25, "K9": "-"})
    result = run(ds, str(path), "--user", "binh")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"[sửa] Biểu 2, ô M9 · {AREA}, {ROW}, KH 2024: 82,8 → 90,25" in out
    assert "Tổng hợp lại: 1 số tổng cộng thay đổi." in out
    assert "Kiểm tra sau khi nhập:" in out and "(trước khi nhập:" in out
    assert "Phát hiện mới:" in out and "[lỗi] B02.009" in out  # the units no longer add up
    assert "Đã ghi 2 thay đổi vào kho số liệu (lần nhập " in out
    after = dataset_from_store()
    assert after.values.get("B02.009", "doan-ket", 2024, "plan") == 90.25
    assert after.values.get("B02.009", "doan-ket", 2023, "estimate") is None
    audit = list(models.ValueChange.objects.order_by("id"))
    assert [(a.source_ref, a.old_printed, a.new_printed) for a in audit] == [
        ("dk.xlsx!Biểu 2!K9", "", "-"),
        ("dk.xlsx!Biểu 2!M9", "82,8", "90,25"),
    ]
    assert {(a.username, a.source) for a in audit} == {("binh", "import")}
    assert len({a.batch for a in audit}) == 1 and audit[0].batch in " ".join(out.split())


def test_import_as_json(ds: Any, template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, {"I9": 1330.5})
    result = run(ds, str(path), "--dry-run", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dry_run"] and not doc["applied"] and doc["problems"] == []
    (change,) = doc["changes"]
    assert change == {
        "file": "dk.xlsx",
        "sheet": "Biểu 2",
        "cell": "I9",
        "indicator": "B02.009",
        "orgunit": "doan-ket",
        "year": 2023,
        "measure": "plan",
        "action": "add",
        "old": None,
        "old_printed": None,
        "new": 1330.5,
        "new_printed": "1.330,5",
    }
    assert set(doc["checks"]) == {"lỗi", "cảnh báo", "lưu ý"}


def test_a_change_made_since_the_template_is_a_conflict(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    first = filled(template, tmp_path, {"M9": 90.0}, "first.xlsx")
    assert run(ds, str(first)).exit_code == 0
    second = filled(template, tmp_path, {"M9": 95.0}, "second.xlsx")
    out = refused(ds, str(second))
    assert (
        f"tệp «second.xlsx», trang «Biểu 2», ô M9: {AREA}, {ROW}, KH 2024: số liệu đã thay đổi "
        "sau khi tạo biểu mẫu (lúc tạo: 82,8, hiện nay: 90,0, tệp ghi: 95,0)" in out
    )


# --- refusals: cells -------------------------------------------------------------


def test_text_in_a_number_cell(ds: Any, template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, {"I9": 1330.5, "J9": "khoảng 50 ha"})
    out = refused(ds, str(path))
    assert (
        f"tệp «dk.xlsx», trang «Biểu 2», ô J9: {AREA}, {ROW}, TH 6 tháng 2023: "
        "ô chứa chữ «khoảng 50 ha», không phải số" in out
    )
    assert "có 1 vấn đề" in out  # the good cell I9 is not written either


def test_a_number_whose_decimal_mark_is_ambiguous(ds: Any, template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, {"K9": "4.70"})
    out = refused(ds, str(path))
    assert (
        "tệp «dk.xlsx», trang «Biểu 2», ô K9: " in out
        and "ô chứa «4.70»: dấu chấm ngăn cách hàng nghìn phải đứng trước đúng 3 chữ số; "
        "nếu là số thập phân, hãy viết 4,70"
        in out
    )


def test_a_formula_is_refused_never_evaluated(ds: Any, template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, {"I9": "=SUM(100,200)"})
    out = refused(ds, str(path))
    assert (
        f"tệp «dk.xlsx», trang «Biểu 2», ô I9: {AREA}, {ROW}, KH 2023: ô có công thức "
        "(=SUM(100,200)); ktxh không tính công thức" in out
    )


def test_a_form_locked_on_the_web_refuses_the_command_line(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    """The ward submits Biểu 2 and the city approves it (on the web, through the same
    actions); an import of that form from the command line is refused with the lock."""
    ward, admin = User.objects.get(username="doan-ket"), User.objects.get(username="admin")
    unit, form = models.OrgUnit.objects.get(code="doan-ket"), models.Form.objects.get(number=2)
    actions.transition(ward, unit, form, 2023, "submit")
    actions.transition(admin, unit, form, 2023, "approve")
    path = filled(template, tmp_path, {"M9": 90.0, "I9": 1.0})
    out = refused(ds, str(path))
    assert (
        f"tệp «dk.xlsx», trang «Biểu 2», ô M9: {AREA}, {ROW}, KH 2024: số liệu đã được duyệt "
        "bởi admin ngày" in out
    )
    assert "(Biểu số 2, kỳ báo cáo năm 2023), đã khóa nên không ghi đè được (82,8 → 90,0)" in out


def test_a_closed_round_refuses_every_import(ds: Any, template: Path, tmp_path: Path) -> None:
    models.Round.objects.filter(year=2023).update(status=models.RoundStatus.CLOSED)
    out = refused(ds, str(filled(template, tmp_path, {"I9": 1.0})))
    assert "số liệu đã khóa sổ (kỳ báo cáo năm 2023), đã khóa nên không ghi đè được" in out


def test_an_unknown_user_is_refused(ds: Any, template: Path, tmp_path: Path) -> None:
    before = store_snapshot()
    result = runner.invoke(
        app, ["import", "--user", "ai-do", str(filled(template, tmp_path, {"I9": 1.0}))]
    )
    assert result.exit_code == 2
    assert "Người dùng «ai-do» chưa có trong kho số liệu" in " ".join(result.output.split())
    assert store_snapshot() == before


def test_a_ward_cannot_import_another_wards_file(ds: Any, template: Path, tmp_path: Path) -> None:
    out = refused(ds, str(filled(template, tmp_path, {"I9": 1.0})), "--user", "tan-phong")
    assert "tệp có số liệu của phường Đoàn Kết, không phải của đơn vị được nhập" in out


# --- refusals: what the template is for -------------------------------------------


def test_a_template_for_another_unit(ds: Any, template: Path, tmp_path: Path) -> None:
    out = refused(ds, str(filled(template, tmp_path, {"I9": 1.0})), "-u", "Tân Phong")
    assert (
        "tệp «dk.xlsx»: tệp có số liệu của phường Đoàn Kết, không phải của đơn vị được nhập "
        "(phường Tân Phong)" in out
    )


def test_a_template_of_another_dataset(ds: Any, template: Path, tmp_path: Path) -> None:
    models.Plan.objects.update(name="tinh-lai-chau-2024")
    out = refused(ds, str(filled(template, tmp_path, {"I9": 1.0})))
    assert (
        "tệp «dk.xlsx»: biểu mẫu được tạo từ bộ dữ liệu «laichau-2024», không phải bộ dữ liệu "
        "đang nhập «tinh-lai-chau-2024»" in out
    )


def test_a_template_for_another_period(ds: Any, tmp_path: Path) -> None:
    out_path = tmp_path / "2024.xlsx"
    result = runner.invoke(app, ["template", "-u", "Đoàn Kết", "-y", "2024", "-o", str(out_path)])
    assert result.exit_code == 0, result.output
    out = refused(ds, str(out_path))
    assert "tệp «2024.xlsx»: biểu mẫu dành cho năm 2024, nhưng đang nhập số liệu năm 2023" in out
    models.Round.objects.create(year=2024)
    assert run(ds, str(out_path), "--year", "2024").exit_code == 0


def test_an_older_template_version(ds: Any, template: Path, tmp_path: Path) -> None:
    def older(wb: Workbook) -> None:
        ws = wb["ktxh"]
        for row in ws.iter_rows():
            if row[0].value == "version":
                row[1].value = "0"

    path = edit(template, tmp_path / "cu.xlsx", older)
    out = refused(ds, str(path))
    assert (
        "tệp «cu.xlsx», trang «ktxh»: biểu mẫu phiên bản 0 đã cũ (ktxh hiện dùng phiên bản 1)"
        in out
    )


def test_a_template_made_before_the_catalog_changed(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    path = filled(template, tmp_path, {"I9": 1.0})
    ind = models.Indicator.objects.get(code="B02.012")
    ind.row = {**ind.row, "name": ind.row["name"] + " cả năm"}
    ind.save()
    models.Plan.objects.update(loaded_at=timezone.now())  # what a reload does
    out = refused(ds, str(path))
    assert "tệp «dk.xlsx», trang «ktxh»: mã kiểm tra cấu trúc không khớp danh mục" in out


def test_a_template_without_its_identity_sheet(ds: Any, template: Path, tmp_path: Path) -> None:
    path = edit(template, tmp_path / "chep.xlsx", lambda wb: wb.remove(wb["ktxh"]))
    out = refused(ds, str(path))
    assert "tệp «chep.xlsx»: biểu mẫu thiếu trang nhận dạng «ktxh»" in out


# --- refusals: rows moved, added, deleted ---------------------------------------------


def _delete(wb: Workbook) -> None:
    wb["Biểu 2"].delete_rows(10)


def _insert(wb: Workbook) -> None:
    ws = wb["Biểu 2"]
    ws.insert_rows(10)
    ws["A10"], ws["C10"], ws["I10"] = "B02.999", "Chỉ tiêu thêm", 5


def _move(wb: Workbook) -> None:
    ws = wb["Biểu 2"]
    for col in range(1, 13):
        a, b = ws.cell(9, col), ws.cell(10, col)
        a.value, b.value = b.value, a.value


def _append(wb: Workbook) -> None:
    ws = wb["Biểu 2"]
    row = ws.max_row + 1
    ws.cell(row, 3).value = "Chỉ tiêu thêm cuối bảng"
    ws.cell(row, 9).value = 7


@pytest.mark.parametrize(
    ("change", "cell", "words"),
    [
        (_delete, "A10", "ô phải là «B02.012»"),
        (_insert, "A10", "ô phải là «B02.012»"),
        (_move, "A9", "ô phải là «B02.009»"),
    ],
)
def test_rows_moved_added_or_deleted(
    ds: Any, template: Path, tmp_path: Path, change: Any, cell: str, words: str
) -> None:
    path = edit(template, tmp_path / "dong.xlsx", change)
    out = refused(ds, str(path))
    assert (
        f"tệp «dong.xlsx», trang «Biểu 2», ô {cell}: các dòng đã bị di chuyển, thêm hoặc xóa" in out
    )
    assert words in out


def test_a_row_added_below_the_table(ds: Any, template: Path, tmp_path: Path) -> None:
    out = refused(ds, str(edit(template, tmp_path / "them.xlsx", _append)))
    assert "tệp «them.xlsx», trang «Biểu 2», ô C" in out and "có dòng thêm vào dưới bảng" in out


# --- refusals: the file itself ---------------------------------------------------------


def test_not_a_workbook(ds: Any, tmp_path: Path) -> None:
    text = tmp_path / "so-lieu.xlsx"
    text.write_text("chỉ tiêu;giá trị\nDiện tích;12,5\n", encoding="utf-8")
    pdf = tmp_path / "bao-cao.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n...")
    out = refused(ds, str(text), str(pdf))
    assert "tệp «so-lieu.xlsx»: tệp không phải sổ tính Excel (.xlsx)" in out
    assert "tệp «bao-cao.xlsx»: tệp là tệp PDF, không phải sổ tính Excel (.xlsx)" in out


@needs_libreoffice
def test_an_xls_file(ds: Any, template: Path, tmp_path: Path) -> None:
    xls = libreoffice_resave(template, tmp_path / "mau.xls", fmt="xls")
    out = refused(ds, str(xls))
    assert "tệp «mau.xls»: đây là tệp Excel 97-2003 (.xls), định dạng cũ không được nhận" in out


def test_a_password_protected_file(ds: Any, tmp_path: Path) -> None:
    path = encrypted_workbook(tmp_path / "mat-khau.xlsx")
    out = refused(ds, str(path))
    assert "tệp «mat-khau.xlsx»: tệp được đặt mật khẩu (mã hóa) nên không đọc được" in out


def test_a_file_too_large(ds: Any, tmp_path: Path) -> None:
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    out = refused(ds, str(path))
    assert "tệp «lon.xlsx»: tệp quá lớn (21,0 MiB); giới hạn là 20,0 MiB" in out


def test_a_zip_bomb(ds: Any, template: Path, tmp_path: Path) -> None:
    bomb = rezip(template, tmp_path / "bom.xlsx", add={"xl/media/image1.png": bytes(8 << 20)})
    out = refused(ds, str(bomb))
    assert "tệp «bom.xlsx»: phần «xl/media/image1.png» nén" in out and "bom nén (zip bomb)" in out


def test_a_part_that_lies_about_its_size(ds: Any, template: Path, tmp_path: Path) -> None:
    padded = rezip(template, tmp_path / "pad.xlsx", add={"xl/media/image1.png": bytes(200_000)})
    liar = lie_about_size(padded, tmp_path / "noi-doi.xlsx", "xl/media/image1.png", 1000)
    out = refused(ds, str(liar))
    assert "tệp «noi-doi.xlsx»: tệp bị hỏng hoặc khai sai kích thước" in out


def test_external_links_and_connections(ds: Any, template: Path, tmp_path: Path) -> None:
    link = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    linked = rezip(
        template, tmp_path / "lien-ket.xlsx", add={"xl/externalLinks/externalLink1.xml": link}
    )
    connected = rezip(template, tmp_path / "ket-noi.xlsx", add={"xl/connections.xml": b"<x/>"})
    out = refused(ds, str(linked), str(connected))
    assert "tệp «lien-ket.xlsx»: tệp có liên kết tới sổ tính khác (external links)" in out
    assert "tệp «ket-noi.xlsx»: tệp có kết nối dữ liệu ngoài (data connections)" in out


def test_macros(ds: Any, template: Path, tmp_path: Path) -> None:
    vba = rezip(template, tmp_path / "macro.xlsx", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    xlsm = tmp_path / "mau.xlsm"
    xlsm.write_bytes(template.read_bytes())
    with __import__("zipfile").ZipFile(template) as z:
        types = z.read("[Content_Types].xml").replace(
            b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
        )
    typed = rezip(template, tmp_path / "kieu.xlsx", replace={"[Content_Types].xml": types})
    out = refused(ds, str(vba), str(xlsm), str(typed))
    assert "tệp «macro.xlsx»: tệp có macro (VBA), không được nhận vì lý do an toàn" in out
    assert "tệp «mau.xlsm»: tệp có macro (VBA)" in out
    assert "tệp «kieu.xlsx»: tệp là sổ tính có macro (.xlsm)" in out


def test_xml_with_a_doctype(ds: Any, template: Path, tmp_path: Path) -> None:
    with __import__("zipfile").ZipFile(template) as z:
        core = z.read("docProps/core.xml")
    bomb = core.replace(
        b"?>", b'?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>', 1
    )
    path = rezip(template, tmp_path / "dtd.xlsx", replace={"docProps/core.xml": bomb})
    out = refused(ds, str(path))
    assert "tệp «dtd.xlsx»: phần «docProps/core.xml» có khai báo DOCTYPE/ENTITY" in out


def test_every_file_is_checked_before_anything_is_written(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    good = filled(template, tmp_path, {"I9": 1330.5}, "tot.xlsx")
    bad = tmp_path / "hong.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    out = refused(ds, str(good), str(bad))
    assert "tot.xlsx: biểu mẫu nhập của phường Đoàn Kết" in out
    assert "tệp «hong.xlsx»: tệp bị hỏng" in out


def test_the_dumped_audit_trail_never_holds_a_formula(
    ds: Any, template: Path, tmp_path: Path
) -> None:
    """The file name is chosen by whoever sent it: dumped so no spreadsheet runs it, and
    read back as it was."""
    save_account(Account("@admin", models.Role.PLANNER, "", "lai-chau"))
    path = filled(template, tmp_path, {"I9": 5}, name="=HYPERLINK(1).xlsx")
    result = run(ds, str(path), "--user", "@admin")
    assert result.exit_code == 0, result.output
    dump(tmp_path / "goi")
    (row,) = csv.DictReader((tmp_path / "goi" / "audit.csv").open(encoding="utf-8"))
    assert row["source_ref"] == "'=HYPERLINK(1).xlsx!Biểu 2!I9" and row["user"] == "'@admin"
    audit = read_package(tmp_path / "goi").frames["audit"]
    assert audit["source_ref"].to_list() == ["=HYPERLINK(1).xlsx!Biểu 2!I9"]


def test_a_missing_file(ds: Any, template: Path, tmp_path: Path) -> None:
    out = refused(ds, str(template), str(tmp_path / "khong-co.xlsx"), str(tmp_path))
    assert "tệp «khong-co.xlsx»: không tìm thấy tệp" in out
    assert f"tệp «{tmp_path.name}»: đây là thư mục, không phải tệp" in out
