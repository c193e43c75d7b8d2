"""The store as the web sees it: the loaded plan, the store as a Dataset, and the pages."""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl
import pytest

from ktxh.domain.checks import CheckContext, run_checks
from ktxh.io.datapackage import read_dataset, shipped_package
from ktxh.io.pdf import find_soffice
from ktxh.store.actions import CellWrite, write_values
from ktxh.store.frames import dataset_from_store
from ktxh.store.models import (
    Department,
    Indicator,
    OrgUnit,
    Plan,
    Profile,
    Role,
    Source,
    Submission,
    Value,
    ValueChange,
)
from tests.web.conftest import login, user

KEY = ["indicator", "orgunit", "year", "measure"]


def test_the_load_keeps_everything_with_provenance(plan: Plan) -> None:
    ds = read_dataset(shipped_package())
    assert Value.objects.count() == len(ds.values) == 3619
    assert Indicator.objects.count() == len(ds.catalog)
    assert not ValueChange.objects.exists()  # the package has no history yet
    assert OrgUnit.objects.get(code="san-thang").path == "lai-chau/san-thang"
    assert [u.code for u in OrgUnit.objects.subtree("lai-chau")][:2] == ["lai-chau", "doan-ket"]
    assert list(OrgUnit.objects.subtree("lai-chau/doan-ket")) == [
        OrgUnit.objects.get(code="doan-ket")
    ]
    v = Value.objects.get(indicator_id="B01.003", orgunit_id="lai-chau", year=2023, measure="h1")
    assert (v.value, v.printed, v.seed_line, v.source) == (57.804, "57,804", 231, Source.SEED)
    assert v.source_ref == "line 231"
    # nothing submitted yet: the board shows 13 forms of the city and 7 of each of 7 units
    assert not Submission.objects.exists()
    board = login("admin").get("/trang-thai/").content.decode()
    assert board.count("Chưa nộp") >= 13 + 7 * 7


def test_demo_accounts_and_roles(plan: Plan) -> None:
    roles = dict(Profile.objects.values_list("user__username", "role"))
    assert roles["admin"] == Role.PLANNER
    departments = list(Department.objects.prefetch_related("forms"))
    for d in departments:
        assert roles[d.code] == Role.DEPARTMENT
    for code in ("doan-ket", "tan-phong", "dong-phong", "quyet-thang", "quyet-tien"):
        assert roles[code] == Role.UNIT
    assert roles["san-thang"] == roles["sung-phai"] == Role.UNIT
    covered = sorted(f.number for d in departments for f in d.forms.all())
    assert covered == list(range(2, 14))  # Biểu 1 is the planning office's


def test_the_database_is_the_same_dataset(plan: Plan) -> None:
    files = read_dataset(shipped_package())
    db = dataset_from_store()
    assert db.reference_year == 2023 and db.top_orgunit == "lai-chau"
    assert len(db.catalog) == len(files.catalog) and len(db.rules) == len(files.rules)
    assert len(db.claims) == len(files.claims)
    cols = [*KEY, "value", "printed", "seed_line", "source", "source_ref"]
    a = files.values.frame.select(cols).sort(KEY)
    b = db.values.frame.select(cols).sort(KEY)
    assert a.equals(b)

    # and the checks find the same
    def messages(ds) -> list[str]:
        ctx = CheckContext(ds.catalog, ds.tree, ds.values.frame, 2023, "lai-chau", ds.claims)
        return [f.message for f in run_checks(ctx, ds.rules)]

    assert messages(db) == messages(files)


def test_typed_values_reach_the_dataset(plan: Plan) -> None:
    write_values(
        user("doan-ket"),
        [CellWrite("B02.009", "doan-ket", 2024, "plan", version=1, text="90,25")],
    )
    f = dataset_from_store().values.frame.filter(
        (pl.col("indicator") == "B02.009") & (pl.col("orgunit") == "doan-ket")
    )
    assert f.row(0, named=True)["value"] == 90.25
    assert f.row(0, named=True)["source"] == "web"


def test_the_grid_shows_vietnamese_numbers(plan: Plan) -> None:
    page = login("doan-ket").get("/nhap-lieu/2/doan-ket/2023/").content.decode()
    assert 'data-key="B02.009|doan-ket|2024|plan" data-version="1">82,8</td>' in page
    assert "kỳ báo cáo năm 2023" in page  # a year is not "2.023"
    assert "Tổng diện tích đất nông nghiệp canh tác" in page
    one = login("doan-ket").get("/nhap-lieu/2/doan-ket/2023/?so-do=plan").content.decode()
    assert "KH 2024" in one and "TH 6 tháng 2023" not in one


def test_the_dashboard_status_board_and_audit(plan: Plan) -> None:
    admin = login("admin")
    page = admin.get("/tong-quan/").content.decode()
    assert "Thu nhập bình quân đầu người/năm" in page
    assert "57,804" in page and "tone-bad" in page  # the budget revenue at 28% after 6 months
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/static/vendor/echarts/echarts.common.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)  # nothing from the internet
    board = admin.get("/trang-thai/").content.decode()
    assert "quá hạn" in board and "Chưa nộp" in board
    write_values(
        user("doan-ket"), [CellWrite("B02.009", "doan-ket", 2024, "plan", version=1, text="90")]
    )
    audit = admin.get("/nhat-ky/o/B02.009/doan-ket/2024/plan/").content.decode()
    assert "doan-ket" in audit and "82,8" in audit and "nhập trên web" in audit
    assert "B02.009" in audit
    unit = login("doan-ket").get("/nhat-ky/doan-ket/").content.decode()
    assert "90" in unit


def test_downloads_are_built_from_the_database(plan: Plan) -> None:
    write_values(
        user("doan-ket"), [CellWrite("B02.009", "doan-ket", 2024, "plan", version=1, text="90")]
    )
    admin = login("phong-kinh-te")
    xlsx = admin.get("/tai-ve/phu-luc.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"] == 'attachment; filename="phu-luc.xlsx"'
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    numbers = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert 90 in numbers
    docx = admin.get("/tai-ve/bao-cao.docx")
    assert zipfile.ZipFile(io.BytesIO(docx.content)).namelist()
    findings = admin.get("/tai-ve/kiem-tra.json").json()
    assert findings["dataset"] == "laichau-2024"
    assert any(
        f["code"] == "B02.009" and f["orgunit_code"] == "lai-chau" for f in findings["findings"]
    )


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_the_pdf_download(plan: Plan) -> None:
    pdf = login("admin").get("/tai-ve/bao-cao.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
