"""The workspace in Chromium (Playwright driving Debian's /usr/bin/chromium) against a
live server: a ward officer types and pastes values, sees a finding appear,
wins a race for a cell against the planner (who is told, with the newer value) and
submits; the city planner approves, sees the form locked, downloads the
annex workbook, and uploads the ward's Excel workbook (the preview: a change, and a
refusal in the locked form). A screenshot of each page is kept in tests/artifacts/web-*.png.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import User

from ktxh.store.imports import template_for
from ktxh.store.models import OrgUnit, Plan, Status, Submission, Value
from tests.web.conftest import PASSWORD, artifacts_dir

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/test-deps.sh)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # calls (to set up and to check) are synchronous and safe here.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield b
            b.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def cell(page: Any, key: str) -> Any:
    return page.locator(f'td[data-key="{key}"]')


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def wait_status(page: Any, prefix: str) -> None:
    """Wait until the grid's status line starts with ``prefix`` (a locator assertion:
    no script evaluated in the page, which the Content-Security-Policy forbids)."""
    from playwright.sync_api import expect

    expect(page.locator("#grid-status")).to_have_text(re.compile("^" + re.escape(prefix)))


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(artifacts_dir() / f"web-{name}.png"), full_page=False)


def paste(page: Any, text: str) -> None:
    """What Ctrl+V does with a block copied from Excel: a paste event with tab-separated text."""
    page.evaluate(
        """(text) => {
            const dt = new DataTransfer();
            dt.setData("text/plain", text);
            document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true}));
        }""",
        text,
    )


def test_ward_enters_and_submits_city_approves_and_downloads(
    browser: Any, live_server: Any, tplan: Plan
) -> None:
    base = live_server.url
    context = browser.new_context(
        viewport={"width": 1500, "height": 950}, locale="vi-VN", accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # --- the ward officer ---------------------------------------------------------------
    page.goto(base + "/dang-nhap/")
    shot(page, "01-dang-nhap")
    log_in(page, base, "doan-ket")
    shot(page, "02-bieu-cua-toi")
    page.click('a[href="/nhap-lieu/2/doan-ket/2023/"]')
    page.wait_for_selector("#grid")
    area = cell(page, "B02.009|doan-ket|2024|plan")
    assert area.text_content() == "82,8"
    area.click()
    page.keyboard.type("1.234,5")
    page.keyboard.press("Enter")
    wait_status(page, "Đã lưu")
    assert area.text_content() == "1.234,5"
    # the total of the 7 units no longer matches the city's: the finding appears beside it
    finding = page.locator('tr[data-indicator="B02.009"] td.findings')
    finding.get_by_text(re.compile("Tổng 7 xã, phường là 3\\.852,8 ha")).wait_for()
    assert "f-err" in (area.get_attribute("class") or "")
    # Enter moved down one row; arrows and Tab move too
    below = cell(page, "B02.010|doan-ket|2024|plan")
    assert "sel" in (below.get_attribute("class") or "")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Tab")
    assert "sel" in (cell(page, "B02.011|doan-ket|2024|plan").get_attribute("class") or "")
    shot(page, "03-nhap-so-lieu")
    # paste a 2 x 2 block copied from a spreadsheet into Ước TH 2023 and KH 2024
    cell(page, "B02.012|doan-ket|2023|estimate").click()
    paste(page, "100,5\t110,5\r\n20\t23,5\r\n")
    wait_status(page, "Đã lưu 4 ô")
    assert cell(page, "B02.012|doan-ket|2023|estimate").text_content() == "100,5"
    assert cell(page, "B02.013|doan-ket|2024|plan").text_content() == "23,5"
    # a number written the English way is refused with the reason, and nothing is saved
    cell(page, "B02.016|doan-ket|2024|plan").click()
    page.keyboard.type("4.70")
    page.keyboard.press("Enter")
    wait_status(page, "Chưa lưu")
    assert "dấu chấm ngăn cách hàng nghìn" in page.locator("#grid-status").text_content()
    shot(page, "04-dan-va-bao-loi")
    assert (
        Value.objects.get(
            indicator_id="B02.012", orgunit_id="doan-ket", year=2023, measure="estimate"
        ).value
        == 100.5
    )
    # two people on the same cell: the planner's page was opened before the ward's save
    other = browser.new_context(viewport={"width": 1500, "height": 950}, locale="vi-VN")
    planner = other.new_page()
    log_in(planner, base, "admin")
    planner.goto(base + "/nhap-lieu/2/doan-ket/2023/")
    planner.wait_for_selector("#grid")
    cell(page, "B02.018|doan-ket|2024|plan").click()
    page.keyboard.type("60")
    page.keyboard.press("Enter")
    wait_status(page, "Đã lưu")
    stale = cell(planner, "B02.018|doan-ket|2024|plan")
    assert stale.text_content() == "56,3"
    stale.click()
    planner.keyboard.type("70")
    planner.keyboard.press("Enter")
    wait_status(planner, "Xung đột")
    message = planner.locator("#grid-status").text_content()
    assert "doan-ket đã sửa ô này thành 60" in message
    assert stale.text_content() == "60"  # the newer value, not the planner's 70
    assert "conflict" in (stale.get_attribute("class") or "")
    shot(planner, "05-xung-dot")
    other.close()
    assert (
        Value.objects.get(
            indicator_id="B02.018", orgunit_id="doan-ket", year=2024, measure="plan"
        ).value
        == 60
    )
    page.click("button[data-action=submit]")
    page.wait_for_selector("#submission-status")
    assert page.locator("#submission-status").text_content() == "Đã nộp, chờ duyệt"
    assert "ro" in (area.get_attribute("class") or "")
    shot(page, "06-da-nop")
    page.click("button.link")  # log out
    page.wait_for_url(re.compile(r".*/dang-nhap/"))

    # --- the city planner ---------------------------------------------------------------
    log_in(page, base, "admin")
    page.goto(base + "/trang-thai/")
    shot(page, "07-tinh-hinh-nop-bieu")
    page.click('a[href="/nhap-lieu/2/doan-ket/2023/"]')
    page.wait_for_selector("#grid")
    page.click("button[data-action=approve]")
    page.wait_for_selector("#locked-note")
    assert page.locator("#submission-status").text_content() == "Đã duyệt"
    sub = Submission.objects.get(orgunit_id="doan-ket", form_id=2, year=2023)
    assert sub.status == Status.APPROVED
    # the locked form: no cell is editable, typing says so
    assert page.locator("td.cell.edit").count() == 0
    cell(page, "B02.009|doan-ket|2024|plan").click()
    page.keyboard.type("5")
    assert "không sửa được" in page.locator("#grid-status").text_content()
    shot(page, "08-da-duyet-khoa")
    page.goto(base + "/tong-quan/")
    page.wait_for_selector("#ward-chart svg")
    page.wait_for_selector("#trend-chart svg")
    shot(page, "09-tong-quan")
    page.goto(base + "/nhat-ky/doan-ket/")
    shot(page, "10-nhat-ky")
    page.goto(base + "/")
    with page.expect_download() as info:
        page.click('a[href="/tai-ve/phu-luc.xlsx"]')
    target = artifacts_dir() / "web-phu-luc.xlsx"
    info.value.save_as(target)
    wb = openpyxl.load_workbook(target, read_only=True)
    numbers = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert 1234.5 in numbers  # Đoàn Kết's plan typed in the browser is in the annex

    # the planner uploads Đoàn Kết's workbook: a change in Biểu 3, a refusal in the locked Biểu 2
    made = template_for(User.objects.get(username="admin"), OrgUnit.objects.get(code="doan-ket"))
    wb = openpyxl.load_workbook(io.BytesIO(made.data))
    wb["Biểu 2"]["M9"] = 90.25
    ws = wb["Biểu 3"]
    first = next(
        r[0]
        for r in ws.iter_rows(min_row=8, min_col=13, max_col=13)
        if isinstance(r[0].value, int | float)
    )
    first.value = first.value + 1
    typed = artifacts_dir() / "web-mau-nhap-doan-ket.xlsx"
    wb.save(typed)
    page.goto(base + "/nhap-excel/")
    page.set_input_files("input[name=tep]", str(typed))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("#import-verdict")
    assert "Không nhập được" in page.locator("#import-verdict").text_content()
    assert page.locator("#import-changes tbody tr").count() == 2
    assert "đã khóa nên không ghi đè được" in page.locator("#import-problems").text_content()
    shot(page, "10-nhap-excel")
    assert not errors, errors
    context.close()


def test_paste_reports_every_skipped_cell_and_pages_run_under_the_csp(
    browser: Any, live_server: Any, tplan: Plan
) -> None:
    """Issue 10: a paste that lands on read-only rows and past the last column says
    so, cell by cell, and the report stays after "Đã lưu" until the next change; the
    grid, the dashboard (charts, tooltips) and the upload page run under the
    Content-Security-Policy without one violation; the file button reads Vietnamese."""
    base = live_server.url
    context = browser.new_context(viewport={"width": 1500, "height": 950}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    refused: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    log_in(page, base, "doan-ket")
    resp = page.goto(base + "/nhap-lieu/2/doan-ket/2023/")
    assert resp is not None and "script-src 'self'" in resp.headers["content-security-policy"]
    page.wait_for_selector("#grid")
    # a 3 x 3 block from Ước TH 2023 of B02.009: the two rows below it are city-only
    # (read-only for a ward), and the third column is past KH 2024, the last one
    cell(page, "B02.009|doan-ket|2023|estimate").click()
    paste(page, "10\t20\t30\n11\t21\t31\n12\t22\t32\n")
    wait_status(page, "Đã lưu 2 ô")
    report = page.locator("#paste-skipped").text_content() or ""
    assert report.startswith("Bỏ qua 7 ô của vùng dán, chưa ghi: 4 ô không sửa được")
    assert "«Giá trị sản xuất bình quân trên 1 ha đất" in report and "cột Ước TH 2023" in report
    assert "3 ô nằm bên phải cột cuối của biểu" in report
    assert page.locator("td.skipped").count() == 4
    assert cell(page, "B02.009|doan-ket|2024|plan").text_content() == "20"
    shot(page, "11-dan-bo-qua")
    # the report outlives the findings' refresh, and goes with the next change
    page.locator('tr[data-indicator="B02.009"] td.findings').get_by_text(
        re.compile("Tổng 7 xã")
    ).first.wait_for()
    assert page.locator("#paste-skipped").count() == 1
    cell(page, "B02.012|doan-ket|2024|plan").click()
    page.keyboard.type("106")
    page.keyboard.press("Enter")
    wait_status(page, "Đã lưu")
    assert page.locator("#paste-skipped").count() == 0
    assert page.locator("td.skipped").count() == 0
    # below the last row: every pasted value is accounted for
    last = page.locator("td.cell.edit").last
    last.click()
    paste(page, "1\n2\n3\n")
    report = page.locator("#paste-skipped").text_content() or ""
    assert "2 ô nằm dưới dòng cuối của biểu" in report
    # the upload page: a Vietnamese button for the (hidden) file input
    page.goto(base + "/nhap-excel/")
    assert page.locator("label[for=tep]").text_content() == "Chọn các tệp Excel…"
    assert "Chưa chọn tệp nào" in (page.locator("#tep-names").text_content() or "")
    made = template_for(User.objects.get(username="doan-ket"), OrgUnit.objects.get(code="doan-ket"))
    page.set_input_files(
        "input[name=tep]",
        files=[
            {"name": "doan-ket.xlsx", "mimeType": "application/octet-stream", "buffer": made.data}
        ],
    )
    assert page.locator("#tep-names").text_content() == "Đã chọn: doan-ket.xlsx"
    shot(page, "12-chon-tep")
    # the planner's dashboard: charts and their tooltips
    page.click("button.link")
    page.wait_for_url(re.compile(r".*/dang-nhap/"))
    log_in(page, base, "admin")
    page.goto(base + "/tong-quan/")
    page.wait_for_selector("#ward-chart svg")
    page.wait_for_selector("#trend-chart svg")
    page.locator("#ward-chart").scroll_into_view_if_needed()
    box = page.locator("#ward-chart").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.6, steps=8)
    page.locator("#ward-chart svg filter").first.wait_for(state="attached")  # the tooltip
    shot(page, "13-tong-quan-chu-thich")
    widths = page.locator(".progress span").evaluate_all("bars => bars.map(b => b.style.width)")
    assert widths and all(w.endswith("px") for w in widths)
    assert not refused, refused
    assert not errors, errors
    context.close()


def test_the_planner_edits_a_form_with_its_wards_as_columns(
    browser: Any, live_server: Any, tplan: Plan
) -> None:
    """Issue 13: the city's view of a form, as the annex shows it: the wards beside the
    total, a ward's cell typed by the planner is saved, a comparison is computed and
    cannot be typed into."""
    base = live_server.url
    context = browser.new_context(viewport={"width": 1600, "height": 950}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "admin")
    page.goto(base + "/nhap-lieu/2/lai-chau/2023/")
    page.click("#city-view")
    page.wait_for_selector("#grid thead tr.groups")
    heads = page.locator("#grid thead tr:last-child th").all_text_contents()
    # ktxh's proposals for the round's estimates beside them (forecast.js), then the wards
    assert heads[3:8] == [
        "KH 2023",
        "TH 6 tháng 2023",
        "Ước TH 2023",
        "Gợi ý ước TH 2023",
        "Tổng cộng",
    ]
    assert heads[8:15] == [
        "Đoàn Kết",
        "Tân Phong",
        "Đông Phong",
        "Quyết Thắng",
        "Quyết Tiến",
        "San Thàng",
        "Sùng Phài",
    ]
    ward = cell(page, "B02.009|doan-ket|2024|plan")
    assert ward.text_content() == "82,8"
    ward.click()
    page.keyboard.type("90,5")
    page.keyboard.press("Enter")
    wait_status(page, "Đã lưu")
    assert ward.text_content() == "90,5"
    stored = Value.objects.get(
        indicator_id="B02.009", orgunit_id="doan-ket", year=2024, measure="plan"
    )
    assert stored.value == 90.5 and stored.updated_by == "admin"
    # a comparison: computed, not editable, its panel says so
    ratio = page.locator('tr[data-indicator="B02.009"] td.derived').first
    before = ratio.text_content()
    ratio.click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    assert ratio.text_content() == before
    assert "tính từ các ô khác" in (page.locator("#panel-cell").text_content() or "")
    shot(page, "14-cac-don-vi-canh-nhau")
    assert not errors, errors
    context.close()
