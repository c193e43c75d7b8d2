"""The administrator's page that starts a new locality's plan, in Chromium (Playwright
driving Debian's /usr/bin/chromium) against a live server: a catalog workbook with a
fault is refused with its sheet, row and column and nothing changes; the corrected one
starts tỉnh Hòa Sơn in place of the Lai Châu plan; the new plan's planner sees its forms.
Screenshots are kept in tests/artifacts/web-2*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ktxh.store import models
from ktxh.store.plans import save_administrator
from tests import locality
from tests.store_helpers import store_snapshot
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM, browser, shot

__all__ = ["browser"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/test-deps.sh)"
)


def test_the_administrator_starts_a_new_plan(
    browser: Any, live_server: Any, tplan: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    save_administrator("quan-tri", PASSWORD)
    units, book = locality.write_files(tmp_path / "vao")
    faulty = tmp_path / "sai" / "danh-muc.xlsx"
    faulty.parent.mkdir()
    wb = openpyxl.load_workbook(book)
    wb["Chỉ tiêu"]["N3"] = "chỉ tỉnh"  # not a consolidation of the list
    wb.save(faulty)

    base = live_server.url
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/dang-nhap/?next=/quan-tri/ke-hoach-moi/")
    page.fill("input[name=username]", "quan-tri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/quan-tri/ke-hoach-moi/")
    expect(page.locator("#replace-box legend")).to_have_text("Kho đã có kế hoạch «laichau-2024»")

    def fill_form(catalog: Path) -> None:
        page.fill("#title", "Tỉnh Hòa Sơn 2025")
        page.fill("#year", "2025")
        page.fill("#due", "2025-07-15")
        page.set_input_files("#orgunits", str(units))
        page.check("#catalog-workbook")
        page.set_input_files("#catalog_file", str(catalog))
        page.check("#replace")
        page.fill("#confirm_name", "laichau-2024")

    fill_form(faulty)
    shot(page, "20-tao-ke-hoach")
    before = store_snapshot()
    page.click("#start-submit")
    problems = page.locator("#start-problems")
    expect(problems).to_contain_text(
        "trang «Chỉ tiêu», dòng 3, cột N «Cách tổng hợp»: «chỉ tỉnh» không hợp lệ; chọn một "
        "trong: «cộng», «tỷ lệ từ tử số và mẫu số»"
    )
    shot(page, "21-tao-ke-hoach-loi")
    assert store_snapshot() == before
    # the form keeps what was typed; the files are chosen again
    expect(page.locator("#title")).to_have_value("Tỉnh Hòa Sơn 2025")

    fill_form(book)
    page.click("#start-submit")
    expect(page.locator("#start-done")).to_have_text("Đã tạo kế hoạch «Tỉnh Hòa Sơn 2025»")
    expect(page.locator("#start-counts")).to_contain_text(re.compile(r"Đơn vị\s*8"))
    shot(page, "22-da-tao-ke-hoach")
    plan = models.Plan.objects.get()
    assert (plan.name, plan.reference_year, plan.top_orgunit) == (
        "tinh-hoa-son-2025",
        2025,
        "hoa-son",
    )
    assert models.Value.objects.count() == 0

    # the administrator is now the province's planner: its forms are there to fill
    page.goto(base + "/")
    expect(page.locator("body")).to_contain_text("Biểu số 2")
    expect(page.locator("nav")).to_contain_text("Báo cáo cũ")
    assert errors == []
    context.close()
