"""The administrator's page that starts a plan, the catalog workbook download, and the
planner's pages of past reports read into drafts (accept, alternative, correct, reject;
the review workbook out and back; the confirmation)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client

from ktxh.domain.dataset import Dataset
from ktxh.io.reports import read_reports
from ktxh.io.xlsx_forms import write_annex
from ktxh.store import drafts, models
from ktxh.store.plans import save_administrator
from tests import locality
from tests.store_helpers import store_snapshot
from tests.web.conftest import PASSWORD, login, user


@pytest.fixture
def admin(plan: Any) -> Client:
    account = save_administrator("quan-tri", PASSWORD)
    assert account.is_staff
    return login("quan-tri")


def _post(client: Client, tmp_path: Path, **fields: Any) -> Any:
    units, book = locality.write_files(tmp_path / "vao")
    data: dict[str, Any] = {
        "title": "Tỉnh Hòa Sơn 2025",
        "year": "2025",
        "catalog": "workbook",
        "planner": "1",
    }
    data.update(fields)
    with units.open("rb") as u, book.open("rb") as b:
        data.setdefault("orgunits", u)
        data.setdefault("catalog_file", b)
        return client.post("/quan-tri/ke-hoach-moi/", data)


def test_the_page_is_for_administrators(plan: Any, admin: Client) -> None:
    assert login("admin").get("/quan-tri/ke-hoach-moi/").status_code == 403  # a planner
    assert login("doan-ket").get("/quan-tri/ke-hoach-moi/").status_code == 403
    page = admin.get("/quan-tri/ke-hoach-moi/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Tạo kế hoạch của một địa phương mới" in text
    assert "Kho đã có kế hoạch «laichau-2024»" in text
    assert 'href="/quan-tri/ke-hoach-moi/">Tạo kế hoạch mới</a>' in text


def test_a_plan_is_not_replaced_unless_confirmed(admin: Client, tmp_path: Path) -> None:
    before = store_snapshot()
    page = _post(admin, tmp_path)
    assert page.status_code == 400
    assert "kho số liệu đã có kế hoạch «laichau-2024»" in page.content.decode()
    page = _post(admin, tmp_path, replace="1", confirm_name="lai-chau")
    assert page.status_code == 400
    assert "hãy gõ đúng mã «laichau-2024» vào ô xác nhận" in page.content.decode()
    assert store_snapshot() == before


def test_a_faulty_catalog_is_shown_located(admin: Client, tmp_path: Path) -> None:
    _, book = locality.write_files(tmp_path / "x")
    wb = openpyxl.load_workbook(book)
    wb["Chỉ tiêu"]["N3"] = "province_only"
    wb.save(book)
    before = store_snapshot()
    with book.open("rb") as b:
        page = _post(admin, tmp_path, replace="1", confirm_name="laichau-2024", catalog_file=b)
    assert page.status_code == 400
    assert (
        "trang «Chỉ tiêu», dòng 3, cột N «Cách tổng hợp»: «province_only» không hợp lệ"
        in page.content.decode()
    )
    assert store_snapshot() == before


def test_the_administrator_starts_a_plan(admin: Client, tmp_path: Path) -> None:
    page = _post(admin, tmp_path, replace="1", confirm_name="laichau-2024", due="2025-07-15")
    assert page.status_code == 200, page.content.decode()[:2000]
    text = page.content.decode()
    assert "Đã tạo kế hoạch «Tỉnh Hòa Sơn 2025»" in text
    assert "Kế hoạch «laichau-2024» đã được thay." in text
    plan = models.Plan.objects.get()
    assert (plan.name, plan.top_orgunit) == ("tinh-hoa-son-2025", "hoa-son")
    me = models.Profile.objects.get(user__username="quan-tri")
    assert (me.role, me.orgunit_id) == ("planner", "hoa-son")
    event = models.LoadEvent.objects.order_by("-id").first()
    assert event is not None and event.username == "quan-tri"
    assert event.source == "ktxh start: trên web: đơn vị don-vi.csv; danh mục workbook"


def test_catalog_workbooks_to_download(plan: Any, admin: Client) -> None:
    starter = admin.get("/quan-tri/danh-muc.xlsx?mau=empty")
    assert starter.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(starter.content))
    assert wb["Chỉ tiêu"].max_row == 1 and wb["Đơn vị tính"].max_row == 67
    own = login("admin").get("/quan-tri/danh-muc.xlsx")  # the planner: the plan's catalog
    assert own.status_code == 200
    assert 'filename="danh-muc-laichau-2024.xlsx"' in own["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(own.content))["Chỉ tiêu"].max_row == 440
    assert login("doan-ket").get("/quan-tri/danh-muc.xlsx").status_code == 403
    assert login("admin").get("/quan-tri/danh-muc.xlsx?mau=laichau").status_code == 403


# --- past reports: the review pages ---------------------------------------------------------


@pytest.fixture
def draft(plan: Any, tmp_path: Path, dataset: Dataset) -> models.Draft:
    """A reading of the published Lai Châu annex, put into a draft by the city's planner."""
    path = tmp_path / "phu-luc.xlsx"
    write_annex(dataset, path)
    reading = read_reports([path], dataset)
    return drafts.create_draft(user("admin"), reading, ["phu-luc.xlsx"])


def test_the_review_pages_are_the_planners(draft: models.Draft) -> None:
    assert login("doan-ket").get("/bao-cao-cu/").status_code == 403
    assert login("phong-kinh-te").get(f"/bao-cao-cu/{draft.pk}/").status_code == 403
    client = login("admin")
    listed = client.get("/bao-cao-cu/").content.decode()
    assert f'<a href="/bao-cao-cu/{draft.pk}/">{draft.pk}</a>' in listed
    page = client.get(f"/bao-cao-cu/{draft.pk}/").content.decode()
    assert 'id="muc-1" data-kind="ditto" data-decision=""' in page
    assert "Dấu nháy (như trên) ở ô số liệu" in page
    assert 'còn <span id="draft-left">1</span>/1 mục chưa quyết định' in page
    assert client.get("/bao-cao-cu/999/").status_code == 404


def test_a_decision_a_correction_and_the_confirmation(draft: models.Draft) -> None:
    client = login("admin")
    item = draft.items.get()
    key = item.keys[0]
    wrong = client.post(
        f"/bao-cao-cu/{draft.pk}/muc/1/", {"decision": "correct", "v0": "4.70"}, follow=True
    )
    assert "Mục 1: mục 1: " in wrong.content.decode()
    assert models.DraftItem.objects.get(pk=item.pk).decision == ""
    refused = client.post(f"/bao-cao-cu/{draft.pk}/xac-nhan/", follow=True)
    assert "Chưa xác nhận được: còn 1 mục cần xem lại" in refused.content.decode()
    client.post(f"/bao-cao-cu/{draft.pk}/muc/1/", {"decision": "correct", "v0": "12,5"})
    item.refresh_from_db()
    assert (item.decision, item.corrected, item.decided_by) == ("correct", ["12,5"], "admin")
    done = client.post(f"/bao-cao-cu/{draft.pk}/xac-nhan/", follow=True).content.decode()
    said = done[done.find('class="messages"') :][:1500]
    assert "của bản nháp số" in said and "vào kế hoạch (lần ghi" in said, said
    value = models.Value.objects.get(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    )
    assert (value.value, value.printed, value.source) == (12.5, "12,5", "report")
    assert "sửa khi xem lại (mục 1) bởi admin" in value.note


def test_the_review_workbook_out_and_back(draft: models.Draft, tmp_path: Path) -> None:
    client = login("admin")
    got = client.get(f"/bao-cao-cu/{draft.pk}/xem-lai.xlsx")
    assert got.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(got.content))
    ws = wb["Cần xem lại"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(2, col["Quyết định"]).value = "Bỏ"
    back = tmp_path / "xem-lai.xlsx"
    wb.save(back)
    with back.open("rb") as f:
        page = client.post(f"/bao-cao-cu/{draft.pk}/bang-xem-lai/", {"tep": f}, follow=True)
    assert "Đã ghi 1 quyết định từ «xem-lai.xlsx»" in page.content.decode()
    assert draft.items.get().decision == "reject"
    ws.cell(2, col["Quyết định"]).value = "Chắc vậy"
    wb.save(back)
    with back.open("rb") as f:
        page = client.post(f"/bao-cao-cu/{draft.pk}/bang-xem-lai/", {"tep": f}, follow=True)
    text = page.content.decode()
    assert "dòng 2, cột L «Quyết định»: «Chắc vậy» không phải quyết định" in text
    assert "Không nhận bảng xem lại: chưa ghi quyết định nào." in text
    assert draft.items.get().decision == "reject"
    discarded = client.post(f"/bao-cao-cu/{draft.pk}/bo/", follow=True).content.decode()
    assert f"Đã bỏ bản nháp số {draft.pk}" in discarded
    assert models.Draft.objects.get(pk=draft.pk).status == "discarded"


def test_a_first_plan_in_an_empty_store(plan: Any, tmp_path: Path) -> None:
    """A fresh installation: the administrator, with no role yet, is sent to the page; no
    plan to replace; the new plan is theirs to work on."""
    from ktxh.store.packages import _wipe

    _wipe()
    assert not models.Plan.objects.exists()
    save_administrator("quan-tri", PASSWORD)
    client = login("quan-tri")
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/quan-tri/ke-hoach-moi/")
    page = client.get("/quan-tri/ke-hoach-moi/").content.decode()
    assert "replace-box" not in page
    done = _post(client, tmp_path)
    assert done.status_code == 200, done.content.decode()[:2000]
    assert models.Plan.objects.get().name == "tinh-hoa-son-2025"
    assert client.get("/").status_code == 200
