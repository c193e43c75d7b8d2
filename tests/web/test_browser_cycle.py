"""The yearly cycle in Chromium against a live server: the city planner sees the proposal
beside an empty estimate cell (the method in its tooltip), accepts it with «Nhận», and
finds it in the cell's history as a proposal they accepted; the dashboard draws an
indicator across the years with "so với cùng kỳ". Screenshots are kept in
tests/artifacts/web-16-*.png and web-17-*.png."""

from __future__ import annotations

from typing import Any

from ktxh.store.models import Plan, Value, ValueChange
from tests.store.test_forecasts import CITY, CODE, YEAR, add_history, clear_estimate
from tests.web.test_browser import browser, cell, log_in, shot, wait_status

__all__ = ["browser"]  # the module's fixture, shared

ESTIMATE = f"{CODE}|{CITY}|{YEAR}|estimate"


def test_a_proposal_accepted_in_the_grid(browser: Any, live_server: Any, tplan: Plan) -> None:
    from playwright.sync_api import expect

    clear_estimate()
    add_history()
    base = live_server.url
    context = browser.new_context(viewport={"width": 1500, "height": 950}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "admin")
    page.goto(base + f"/nhap-lieu/1/{CITY}/{YEAR}/")
    page.wait_for_selector("#grid")
    expect(page.locator("th.forecast-head")).to_have_text(f"Gợi ý ước TH {YEAR}")
    box = page.locator(f'td.forecast-cell[data-for="{ESTIMATE}"]')
    expect(box.locator(".forecast-value")).to_have_text("203,384")
    tip = box.locator(".forecast-value").get_attribute("title") or ""
    assert "theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm" in tip
    assert "các năm 2020, 2021, 2022" in tip and "Khoảng: 192,680 - 208,094" in tip
    # a cell a person filled has no «Nhận»
    filled = page.locator(f'td.forecast-cell[data-for="B01.014|{CITY}|{YEAR}|estimate"]')
    expect(filled).to_have_text("")
    assert not Value.objects.filter(source="forecast").exists()  # shown, not written
    shot(page, "16-goi-y-uoc-th")

    # the grid still names its columns right after the column was added (a paste report)
    box.locator("button.forecast-accept").click()
    wait_status(page, "Đã ghi 1 ô ước thực hiện theo gợi ý")
    expect(cell(page, ESTIMATE)).to_have_text("203,384")
    expect(box.locator("button")).to_have_count(0)  # the proposal goes with the empty cell
    change = ValueChange.objects.filter(indicator_id=CODE, year=YEAR, measure="estimate").latest(
        "at", "version"
    )
    assert (change.source, change.username, change.new_value) == ("forecast", "admin", 203.384)
    cell(page, ESTIMATE).click()
    expect(page.locator("#panel-history")).to_contain_text("gợi ý ước TH được chấp nhận")

    # the dashboard: the indicator across the years, so với cùng kỳ in its table
    page.goto(base + "/tong-quan/")
    page.select_option("#trend-indicator", CODE)
    row = page.locator("#trend-table tbody tr", has_text="2023")
    expect(row.locator("td").nth(3)).to_have_text("96,3")  # 57,804 against 60
    expect(row.locator("td").nth(4)).to_have_text("203,384 (ước)")
    expect(row.locator("td").nth(5)).to_have_text("101,7")  # against the 2022 actual, 200
    page.locator("#trend-chart").scroll_into_view_if_needed()
    shot(page, "17-dien-bien-qua-cac-nam")
    assert not errors, errors
    context.close()
