"""A target typed in the grid as a resolution writes it, in Chromium against a live server:
the city planner types a range into a plan cell and sees the row rated against it
(Vượt / Đạt / Không đạt, in the grid's "Đánh giá" column and on the dashboard); a range
typed into an estimate cell is refused with the reason. Screenshots are kept in
tests/artifacts/web-14-*.png and web-15-*.png."""

from __future__ import annotations

from typing import Any

from ktxh.store.models import Plan, Target, Value
from tests.web.test_browser import browser, cell, log_in, shot, wait_status

__all__ = ["browser"]  # the module's fixture, shared

ROW = "B01.014"  # Tỷ lệ lao động qua đào tạo, tập huấn: KH 2023 84,5 %, ước 84,5 %
PLAN = f"{ROW}|lai-chau|2023|plan"
ESTIMATE = f"{ROW}|lai-chau|2023|estimate"


def rating(page: Any) -> Any:
    return page.locator(f'tr[data-indicator="{ROW}"] td.rating-cell span.rating').first


def type_into(page: Any, key: str, text: str) -> None:
    cell(page, key).click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_range_typed_in_the_grid_is_rated(browser: Any, live_server: Any, tplan: Plan) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(viewport={"width": 1500, "height": 950}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "admin")
    page.goto(base + "/nhap-lieu/1/lai-chau/2023/")
    page.wait_for_selector("#grid")
    expect(page.locator("#rating-head")).to_have_text("Đánh giá")
    expect(rating(page)).to_have_text("Đạt")  # 84,5 against 84,5

    type_into(page, PLAN, "85-86%")
    wait_status(page, "Đã lưu")
    expect(cell(page, PLAN)).to_have_text("85-86%")  # kept as written
    expect(rating(page)).to_have_text("Không đạt")  # 84,5 short of the range
    expect(rating(page)).to_have_class("rating r-missed")
    title = rating(page).get_attribute("title") or ""
    assert "Chỉ tiêu 85-86% (từ 85% đến 86%), nhập trên biểu" in title
    shot(page, "14-chi-tieu-khoang")

    type_into(page, PLAN, "84 - 84,5%")
    wait_status(page, "Đã lưu")
    expect(rating(page)).to_have_text("Đạt")  # the upper end reached
    type_into(page, PLAN, "từ 84% trở lên")
    wait_status(page, "Đã lưu")
    expect(rating(page)).to_have_text("Đạt")

    type_into(page, ESTIMATE, "84-85")  # a range is for plan cells only
    wait_status(page, "Chưa lưu")
    expect(page.locator("#grid-status")).to_contain_text("chỉ ô kế hoạch nhận khoảng")
    expect(cell(page, ESTIMATE)).to_have_class("cell edit invalid")

    value = Value.objects.get(indicator_id=ROW, orgunit_id="lai-chau", year=2023, measure="plan")
    assert (value.value, value.printed) == (84.0, "từ 84% trở lên")
    assert Target.objects.get(indicator_id=ROW, document=None).kind == "at_least"

    # the dashboard colours the row by its rating, not by the percentage
    type_into(page, PLAN, "85-86%")
    wait_status(page, "Đã lưu")
    page.goto(base + "/tong-quan/")
    row = page.locator("table.key tr", has_text="Tỷ lệ lao động qua đào tạo, tập huấn")
    expect(row.locator("span.rating")).to_have_text("Không đạt")
    expect(row.locator(".progress").nth(1)).to_have_class("progress tone-bad")
    expect(page.locator("#tally")).to_contain_text("chỉ tiêu đạt và vượt kế hoạch")
    shot(page, "15-tong-quan-danh-gia")
    assert not errors, errors
    context.close()
