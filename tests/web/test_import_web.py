"""Excel on the web: a unit officer downloads their template, fills it, uploads it with
another unit's, sees the preview (the change, cell by cell, and the refusal) with
nothing written; uploads the good one alone, confirms, and finds the value and its
audit record (source import, file!sheet!cell). Bad files, locked forms, a change made
between the preview and the confirmation, and another department's form are refused
with a Vietnamese message and nothing written."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ktxh.domain.numbers import format_number
from ktxh.io.xlsx_safety import Limits
from ktxh.store import imports
from ktxh.store.actions import CellWrite, transition, write_values
from ktxh.store.models import Form, OrgUnit, Plan, Source, Value, ValueChange
from ktxh.web.plan import uploads
from ktxh.web.plan.views import IMPORT_SESSION
from tests.web.conftest import login, user

# Biểu 2 of a ward's template: row 9 is B02.009 (Tổng diện tích đất nông nghiệp canh tác,
# ha); column L is KH 2024 (82,8 stored for Đoàn Kết).
CELL = ("B02.009", "doan-ket", 2024, "plan")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def value(key: tuple[str, str, int, str] = CELL) -> Value:
    ind, org, year, measure = key
    return Value.objects.get(indicator_id=ind, orgunit_id=org, year=year, measure=measure)


def download(client: Client, orgunit: str, query: str = "") -> bytes:
    resp = client.get(f"/mau-nhap/{orgunit}/{query}")
    assert resp.status_code == 200, resp.content[:300]
    assert resp["Content-Type"] == XLSX
    return resp.content


def filled(template: bytes, cells: dict[str, Any], sheet: str = "Biểu 2") -> bytes:
    """Type values into a template with openpyxl, as a program filling it would."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    for ref, v in cells.items():
        wb[sheet][ref] = v
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: Client, *files: tuple[str, bytes]) -> Any:
    return client.post(
        "/nhap-excel/",
        {"tep": [SimpleUploadedFile(name, data, content_type=XLSX) for name, data in files]},
    )


def text(resp: Any) -> str:
    """The page's text, tags removed and spaces folded."""
    html = resp.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&quot;", '"')


def no_import_written() -> None:
    assert value().value == 82.8
    assert not ValueChange.objects.filter(source=Source.IMPORT).exists()


@pytest.fixture(autouse=True)
def _upload_dir(settings: Any, tmp_path: Path) -> None:
    settings.KTXH_UPLOAD_DIR = str(tmp_path / "tai-len")


@pytest.fixture
def doan_ket(plan: Plan) -> Client:
    return login("doan-ket")


@pytest.fixture
def template(doan_ket: Client) -> bytes:
    return download(doan_ket, "doan-ket")


def test_the_template_of_a_ward_is_its_input_workbook(doan_ket: Client) -> None:
    resp = doan_ket.get("/mau-nhap/doan-ket/")
    assert resp["Content-Disposition"] == 'attachment; filename="mau-nhap-2023-doan-ket.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == [
        "Hướng dẫn",
        *(f"Biểu {n}" for n in (2, 3, 7, 9, 10, 11, 12)),
        "ktxh",
    ]
    assert wb["Biểu 2"]["A9"].value == "B02.009"
    assert wb["Biểu 2"]["M9"].value == 82.8  # prefilled with what the database holds
    one = openpyxl.load_workbook(io.BytesIO(download(doan_ket, "doan-ket", "?bieu=2")))
    assert one.sheetnames == ["Hướng dẫn", "Biểu 2", "ktxh"]
    assert doan_ket.get("/mau-nhap/tan-phong/").status_code == 403
    # the links: the home page and the grid
    assert 'href="/mau-nhap/doan-ket/"' in doan_ket.get("/").content.decode()
    grid = doan_ket.get("/nhap-lieu/2/doan-ket/2023/").content.decode()
    assert 'href="/mau-nhap/doan-ket/?bieu=2"' in grid


def test_a_department_gets_its_forms_and_the_planner_any_unit(plan: Plan) -> None:
    dept = openpyxl.load_workbook(io.BytesIO(download(login("phong-kinh-te"), "lai-chau")))
    assert dept.sheetnames == ["Hướng dẫn", *(f"Biểu {n}" for n in range(2, 7)), "ktxh"]
    admin = login("admin")
    ward = openpyxl.load_workbook(io.BytesIO(download(admin, "tan-phong")))
    assert "Biểu 7" in ward.sheetnames
    assert admin.get("/mau-nhap/doan-ket/?bieu=1").status_code == 404  # city-only form


def test_preview_shows_the_change_and_the_refusal_and_writes_nothing(
    doan_ket: Client, template: bytes
) -> None:
    mine = filled(template, {"M9": 90.25})
    theirs = filled(download(login("admin"), "tan-phong"), {"M9": 77})
    resp = upload(doan_ket, ("dk.xlsx", mine), ("tp.xlsx", theirs))
    assert resp.status_code == 200
    page = text(resp)
    assert "Không nhập được: có 1 lỗi, chưa ghi số liệu nào" in page
    assert (
        "tp.xlsx — — tệp có số liệu của phường Tân Phong, không phải của đơn vị được nhập "
        "(phường Đoàn Kết)" in page
    )
    # the change, cell by cell: file, sheet, cell, indicator, unit, column, old -> new
    assert (
        "dk.xlsx Biểu 2 M9 B02.009 Tổng diện tích đất nông nghiệp canh tác phường Đoàn Kết "
        "KH 2024 sửa 82,8 90,25" in page
    )
    assert "import-confirm" not in resp.content.decode()
    assert IMPORT_SESSION not in doan_ket.session
    no_import_written()


def test_a_valid_file_is_confirmed_and_audited(doan_ket: Client, template: bytes) -> None:
    mine = filled(template, {"M9": 90.25, "J10": "1.234,5", "K9": "-"})
    resp = upload(doan_ket, ("dk.xlsx", mine))
    assert resp.status_code == 200
    page = text(resp)
    assert "3 ô sẽ thay đổi" in page
    assert "Xác nhận nhập 3 ô" in page
    token = doan_ket.session[IMPORT_SESSION]["token"]
    no_import_written()  # nothing until confirmed
    resp = doan_ket.post("/nhap-excel/xac-nhan/", {"token": token})
    assert resp.status_code == 200, text(resp)[:500]
    page = text(resp)
    assert "Đã ghi 3 ô" in page
    assert "Kiểm tra số liệu sau khi nhập" in page and "Biểu số 2" in page
    v = value()
    assert (v.value, v.printed, v.source, v.source_ref) == (
        90.25,
        "90,25",
        Source.IMPORT,
        "dk.xlsx!Biểu 2!M9",
    )
    assert value(("B02.012", "doan-ket", 2023, "h1")).value == 1234.5
    dash = value(("B02.009", "doan-ket", 2023, "estimate"))
    assert (dash.value, dash.printed) == (None, "-")
    changes = ValueChange.objects.filter(source=Source.IMPORT).order_by("id")
    assert sorted(c.source_ref for c in changes) == [
        "dk.xlsx!Biểu 2!J10",
        "dk.xlsx!Biểu 2!K9",
        "dk.xlsx!Biểu 2!M9",
    ]
    change = changes.get(source_ref="dk.xlsx!Biểu 2!M9")
    assert (change.old_value, change.old_printed, change.new_value, change.new_printed) == (
        82.8,
        "82,8",
        90.25,
        "90,25",
    )
    assert change.username == "doan-ket" and change.batch
    assert change.version == v.version
    # the upload is gone: confirming again writes nothing more
    assert IMPORT_SESSION not in doan_ket.session
    again = doan_ket.post("/nhap-excel/xac-nhan/", {"token": token})
    assert again.status_code == 302
    assert ValueChange.objects.filter(source=Source.IMPORT).count() == 3


def test_a_file_that_is_not_a_workbook_is_refused_in_vietnamese(doan_ket: Client) -> None:
    resp = upload(doan_ket, ("ghi-chu.xlsx", b"so lieu: 90,25 ha\n"))
    page = text(resp)
    assert "ghi-chu.xlsx — — tệp không phải sổ tính Excel (.xlsx)" in page
    assert "chưa ghi số liệu nào" in page
    no_import_written()


def test_a_file_above_the_limit_is_not_read(
    doan_ket: Client, template: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "LIMITS", Limits(max_file_bytes=1000))
    page = text(upload(doan_ket, ("dk.xlsx", filled(template, {"M9": 90.25}))))
    assert "tệp quá lớn" in page and "giới hạn là 0,0 MiB" in page
    no_import_written()


def test_no_file_chosen(doan_ket: Client) -> None:
    resp = doan_ket.post("/nhap-excel/", {})
    assert resp.status_code == 400
    assert "Chưa chọn tệp nào" in text(resp)


def test_a_locked_form_is_refused(doan_ket: Client, template: bytes) -> None:
    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    transition(user("doan-ket"), org, form, 2023, "submit")
    transition(user("admin"), org, form, 2023, "approve")
    page = text(upload(doan_ket, ("dk.xlsx", filled(template, {"M9": 90.25}))))
    assert "chưa ghi số liệu nào" in page
    assert (
        "dk.xlsx Biểu 2 M9 B02.009 «Tổng diện tích đất nông nghiệp canh tác», phường Đoàn Kết, "
        "KH 2024: số liệu đã được duyệt bởi admin ngày" in page
    )
    assert "(Biểu số 2, kỳ báo cáo năm 2023), đã khóa nên không ghi đè được (82,8 → 90,25)" in page
    assert IMPORT_SESSION not in doan_ket.session
    no_import_written()


def test_a_change_between_preview_and_confirmation_is_a_conflict(
    doan_ket: Client, template: bytes
) -> None:
    upload(doan_ket, ("dk.xlsx", filled(template, {"M9": 90.25})))
    token = doan_ket.session[IMPORT_SESSION]["token"]
    write_values(user("admin"), [CellWrite(*CELL, version=value().version, text="85")])
    resp = doan_ket.post("/nhap-excel/xac-nhan/", {"token": token})
    assert resp.status_code == 409
    page = text(resp)
    assert "số liệu đã thay đổi sau khi tạo biểu mẫu (lúc tạo: 82,8, hiện nay: 85" in page
    assert value().value == 85
    assert not ValueChange.objects.filter(source=Source.IMPORT).exists()
    assert uploads.unstash(token) is None  # the bytes are gone


def test_a_plan_that_changed_since_the_preview_is_shown_again(
    doan_ket: Client, template: bytes
) -> None:
    """Someone typed the file's value into one cell meanwhile: the plan now has one change
    less; it is shown again to be confirmed, not applied as it stands."""
    upload(doan_ket, ("dk.xlsx", filled(template, {"M9": 90.25, "M10": 110})))
    token = doan_ket.session[IMPORT_SESSION]["token"]
    write_values(user("admin"), [CellWrite(*CELL, version=value().version, text="90,25")])
    resp = doan_ket.post("/nhap-excel/xac-nhan/", {"token": token})
    assert resp.status_code == 200
    page = text(resp)
    assert "Số liệu đã thay đổi kể từ lúc xem trước" in page
    assert "1 ô sẽ thay đổi" in page and "Xác nhận nhập 1 ô" in page
    assert not ValueChange.objects.filter(source=Source.IMPORT).exists()
    done = doan_ket.post("/nhap-excel/xac-nhan/", {"token": token})
    assert "Đã ghi 1 ô" in text(done)
    assert value(("B02.012", "doan-ket", 2024, "plan")).value == 110
    assert value().source == Source.WEB  # the planner's, left alone


def test_a_department_may_not_import_another_departments_form(plan: Plan) -> None:
    admin = login("admin")
    wb = filled(download(admin, "doan-ket"), {"M9": 90.25})
    page = text(upload(login("phong-y-te"), ("dk.xlsx", wb)))
    assert "tài khoản không có quyền nhập biểu số 2 của phường Đoàn Kết" in page
    no_import_written()


def test_the_planner_imports_thousands_of_cells_at_once(plan: Plan) -> None:
    """Every number of the city's workbook changed: one all-or-nothing write."""
    admin = login("admin")
    wb = openpyxl.load_workbook(io.BytesIO(download(admin, "lai-chau")))
    typed = 0
    for ws in wb.worksheets[1:-1]:
        for row in ws.iter_rows(min_row=8, min_col=9):
            for c in row:
                if isinstance(c.value, int | float):
                    c.value = c.value + 1
                    typed += 1
    out = io.BytesIO()
    wb.save(out)
    assert typed > 1000
    resp = upload(admin, ("thanh-pho.xlsx", out.getvalue()))
    shown = format_number(typed)  # counts of 1.000 or more with the thousands dot (issue 10)
    assert f"{shown} ô sẽ thay đổi" in text(resp) and f"Xác nhận nhập {shown} ô" in text(resp)
    done = admin.post("/nhap-excel/xac-nhan/", {"token": admin.session[IMPORT_SESSION]["token"]})
    assert f"Đã ghi {shown} ô" in text(done) and "." in shown
    assert ValueChange.objects.filter(source=Source.IMPORT).count() == typed
