"""Issue 10 on the web: each defect the security and robustness review reproduced, tried
again as an attacker and as a careless user would, through the API and the pages.

Every refusal is a 4xx with a Vietnamese message naming the field, a problem
(application/problem+json) under /api/ and a page elsewhere, and the store is left
as it was (tests/store_helpers.store_snapshot).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory, override_settings
from django.urls import path

from ktxh.io.xlsx_safety import Limits
from ktxh.store import imports
from ktxh.store.models import Plan, Submission, Value
from tests.store_helpers import store_snapshot
from tests.web.conftest import PASSWORD, login
from tests.web.test_api import conforms

PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api(username: str) -> tuple[Client, str]:
    client = login(username)
    return client, client.get("/api/session").json()["csrf_token"]


def post(client: Client, token: str, url: str, body: Any, **kw: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        url,
        data,
        content_type=kw.pop("content_type", "application/json"),
        headers={"X-CSRFToken": token, **kw.pop("headers", {})},
        **kw,
    )


def problem(resp: Any, status: int) -> dict[str, Any]:
    """A problem answer of ``status``, valid against the OpenAPI document."""
    assert resp.status_code == status, resp.content[:300]
    assert resp["Content-Type"] == PROBLEM
    body = resp.json()
    conforms(body, "ProblemDetails")
    assert body["status"] == status
    return body


def write(**fields: Any) -> dict[str, Any]:
    return {
        "writes": [
            {
                "indicator": "B02.009",
                "orgunit": "doan-ket",
                "year": 2024,
                "measure": "plan",
                "version": 1,
                **fields,
            }
        ]
    }


# --- any ward account could break city-wide pages ------------------------------------------


@pytest.mark.parametrize(
    ("year", "status"),
    [
        ("0", 400),
        ("2022", 422),
        ("3.7", 400),
        ("40000", 400),
        ("1000000000000", 400),
        ('"2024"', 400),
    ],
)
def test_a_junk_year_is_refused_and_city_pages_stay_up(plan: Plan, year: str, status: int) -> None:
    client, token = api("doan-ket")
    body = json.dumps(write(version=0, value=1)).replace('"year": 2024', f'"year": {year}')
    before = store_snapshot()
    detail = problem(post(client, token, "/api/values", body), status)["detail"]
    assert "«year»" in detail or "năm 2022 không thuộc kỳ báo cáo nào" in detail
    assert store_snapshot() == before
    admin = login("admin")
    assert admin.get("/tong-quan/").status_code == 200
    assert admin.get("/api/checks").status_code == 200
    assert admin.get("/tai-ve/kiem-tra.json").status_code == 200
    assert admin.get("/mau-nhap/doan-ket/").status_code == 200


@pytest.mark.parametrize(
    ("value", "status", "says"),
    [
        ("NaN", 400, "JSON không có giá trị NaN"),
        ("Infinity", 400, "JSON không có giá trị Infinity"),
        ("-Infinity", 400, "JSON không có giá trị -Infinity"),
        ("1e308", 422, "số quá lớn"),
        ("1e29", 422, "số quá lớn"),
        ("1e-320", 422, "có 320 chữ số thập phân"),
        ('"12"', 400, "«value» phải là số"),
        ("true", 400, "«value» phải là số"),
    ],
)
def test_numbers_that_are_not_finite_or_too_large_are_refused(
    plan: Plan, value: str, status: int, says: str
) -> None:
    """NaN was stored (then invalid JSON and 500s on PostgreSQL); 1e308 was a 500."""
    client, token = api("doan-ket")
    body = json.dumps(write(value=0)).replace('"value": 0', f'"value": {value}')
    before = store_snapshot()
    answer = problem(post(client, token, "/api/values", body), status)
    assert says in answer["detail"]
    if status == 422:
        conforms(answer, "Refused")
        assert answer["problems"][0]["reason"] == "invalid"
    assert store_snapshot() == before
    values = client.get("/api/values?orgunit=doan-ket&form=2").content
    json.loads(values, parse_constant=lambda c: pytest.fail(f"{c} in the API's JSON"))


def test_thirty_typed_digits_and_foreign_digits_are_refused_in_the_grid(plan: Plan) -> None:
    client, token = api("doan-ket")
    for text, says in [
        ("1" * 30, "số quá lớn"),
        ("١٢٣", "chữ số không phải chữ số thường 0-9"),
        ("１２３", "chữ số không phải chữ số thường 0-9"),
    ]:
        answer = problem(post(client, token, "/nhap-lieu/luu/", write(text=text)), 422)
        assert says in answer["problems"][0]["message"]
    assert Value.objects.get(indicator_id="B02.009", orgunit_id="doan-ket", year=2024).version == 1


# --- login CSRF, throttling ---------------------------------------------------------------


def test_a_login_posted_from_another_site_is_refused(plan: Plan) -> None:
    """A foreign page could log a signed-in planner's browser into a ward account with a
    text/plain form post."""
    planner = Client(enforce_csrf_checks=True)
    assert planner.login(username="admin", password=PASSWORD)
    ward = json.dumps({"username": "doan-ket", "password": PASSWORD})
    for kw in [
        {"content_type": "text/plain"},  # what a form of another site can send
        {"content_type": "application/x-www-form-urlencoded"},
        {"content_type": "multipart/form-data; boundary=x"},
        {"content_type": "application/json", "headers": {"Origin": "https://evil.example"}},
        {"content_type": "application/json", "headers": {"Origin": "null"}},
        {"content_type": "application/json", "headers": {"Sec-Fetch-Site": "cross-site"}},
        {"content_type": "application/json", "headers": {"Sec-Fetch-Site": "same-site"}},
    ]:
        content_type = kw.pop("content_type")
        resp = planner.post("/api/session", ward, content_type=content_type, **kw)
        assert resp.status_code in (403, 415), (content_type, kw)
        assert resp["Content-Type"] == PROBLEM
        assert planner.get("/api/session").json()["username"] == "admin"
    # the application's own page, and a script, may log in
    for headers in [{"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, {}]:
        resp = planner.post("/api/session", ward, content_type="application/json", headers=headers)
        assert resp.status_code == 200 and resp.json()["username"] == "doan-ket"


def test_repeated_failures_lock_an_account_out(plan: Plan, settings: Any) -> None:
    """60 wrong passwords in a row were answered without delay or lock."""
    client = Client()
    wrong = json.dumps({"username": "doan-ket", "password": "doan-ket-2024"})
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        resp = client.post("/api/session", wrong, content_type="application/json")
        assert problem(resp, 401)["detail"] == "Sai tên đăng nhập hoặc mật khẩu"
    locked = problem(client.post("/api/session", wrong, content_type="application/json"), 429)
    assert locked["detail"].startswith("Đăng nhập sai quá 10 lần liên tiếp: tài khoản này")
    assert "tạm thời bị khóa đăng nhập trong 15 phút" in locked["detail"]
    # the right password is refused too while the lock lasts, from any address
    right = json.dumps({"username": "doan-ket", "password": PASSWORD})
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    resp = elsewhere.post("/api/session", right, content_type="application/json")
    assert problem(resp, 429)["title"] == "Quá nhiều lần thử"
    assert int(resp["Retry-After"]) == 15 * 60
    page = elsewhere.post("/dang-nhap/", {"username": "doan-ket", "password": PASSWORD})
    assert page.status_code == 429
    html = page.content.decode()
    assert "Đăng nhập sai quá 10 lần liên tiếp" in html and 'value="doan-ket"' in html
    assert "_auth_user_id" not in elsewhere.session
    # another account is not locked
    other = json.dumps({"username": "tan-phong", "password": PASSWORD})
    assert elsewhere.post("/api/session", other, content_type="application/json").status_code == 200


def test_repeated_failures_lock_an_address_out(plan: Plan, settings: Any) -> None:
    """Guessing one password for many accounts from one address is stopped too."""
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.AXES_FAILURE_LIMIT):
        guesser.post("/dang-nhap/", {"username": f"user-{n}", "password": "123456"})
    resp = guesser.post(
        "/api/session",
        json.dumps({"username": "admin", "password": PASSWORD}),
        content_type="application/json",
    )
    problem(resp, 429)
    # the account itself is not locked: from another address it logs in
    ok = Client(REMOTE_ADDR="198.51.100.1").post(
        "/api/session",
        json.dumps({"username": "admin", "password": PASSWORD}),
        content_type="application/json",
    )
    assert ok.status_code == 200


@override_settings(KTXH_PROXIES=1)
def test_behind_a_proxy_the_clients_address_is_counted(plan: Plan, settings: Any) -> None:
    from ktxh.web.plan.security import client_ip

    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").post(
            "/dang-nhap/", {"username": f"user-{n}", "password": "x"}
        )
    body = json.dumps({"username": "admin", "password": PASSWORD})
    # the address behind the proxy is locked out, not the proxy's (everybody's)
    locked = Client(**proxy, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7")
    assert locked.post("/api/session", body, content_type="application/json").status_code == 429
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert other.post("/api/session", body, content_type="application/json").status_code == 200

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    request.META["HTTP_X_FORWARDED_FOR"] = "1.1.1.1, 2.2.2.2"
    assert client_ip(request) == "2.2.2.2"
    del request.META["HTTP_X_FORWARDED_FOR"]
    assert client_ip(request) == "127.0.0.1"


def test_a_failed_login_keeps_the_user_name(plan: Plan) -> None:
    page = Client().post("/dang-nhap/", {"username": "doan-ket", "password": "sai"})
    html = page.content.decode()
    assert page.status_code == 200 and "Sai tên đăng nhập hoặc mật khẩu" in html
    assert 'name="username" value="doan-ket"' in html


# --- whose comment is whose --------------------------------------------------------------


def test_a_ward_cannot_write_the_citys_opinion(plan: Plan) -> None:
    ward, token = api("doan-ket")
    resp = post(ward, token, "/api/submissions/doan-ket/2/2023/submit", {"comment": "Đã đủ"})
    record = resp.json()
    conforms(record, "Submission")
    assert (record["note"], record["note_by"], record["opinion"], record["opinion_by"]) == (
        "Đã đủ",
        "doan-ket",
        "",
        None,
    )
    grid = login("admin").get("/nhap-lieu/2/doan-ket/2023/").content.decode()
    assert "Ghi chú khi nộp (doan-ket): Đã đủ" in grid
    assert "Ý kiến" not in grid and "thành phố" not in grid.split('id="grid"')[0].split("</h1>")[1]
    admin, admin_token = api("admin")
    post(admin, admin_token, "/api/submissions/doan-ket/2/2023/return", {"comment": "Thiếu số"})
    grid = ward.get("/nhap-lieu/2/doan-ket/2023/").content.decode()
    assert "Ghi chú khi nộp (doan-ket): Đã đủ" in grid
    assert "Ý kiến của người duyệt (admin): Thiếu số" in grid
    board = login("admin").get("/trang-thai/").content.decode()
    assert "Ý kiến của admin: Thiếu số" in board


def test_a_submission_for_a_round_that_does_not_exist_is_refused(plan: Plan) -> None:
    client, token = api("doan-ket")
    for url, status in [
        ("/api/submissions/doan-ket/2/1900/submit", 409),
        ("/api/submissions/doan-ket/2/2024/submit", 409),
        ("/api/submissions/doan-ket/2/99999/submit", 404),  # not a year
    ]:
        answer = problem(post(client, token, url, {}), status)
        if status == 409:
            assert answer["detail"].startswith("Không có kỳ báo cáo năm")
    assert not Submission.objects.exists()
    html = client.post("/nop/doan-ket/2/1900/submit/", {"comment": "x"}, follow=True)
    assert "Không có kỳ báo cáo năm 1900" in html.content.decode()
    assert not Submission.objects.exists()


# --- other 500s and leaks ---------------------------------------------------------------


def test_bad_query_parameters_are_a_400_page(plan: Plan) -> None:
    admin = login("admin")
    for url, says in [
        ("/trang-thai/?nam=abc", "Năm «abc» không hợp lệ"),
        ("/trang-thai/?nam=99999", "Năm «99999» không hợp lệ"),
        ("/trang-thai/?nam=٢٠٢٣", "không hợp lệ"),
        ("/nhat-ky/doan-ket/?bieu=x", "Biểu số «x» không hợp lệ"),
    ]:
        resp = admin.get(url)
        assert resp.status_code == 400, url
        assert resp["Content-Type"].startswith("text/html")
        assert says in resp.content.decode()
    assert admin.get("/trang-thai/?nam=2023").status_code == 200
    assert admin.get("/mau-nhap/doan-ket/?bieu=99").status_code == 404
    assert admin.get("/nhap-lieu/2/doan-ket/2022/").status_code == 404  # no such round
    assert admin.get("/nhap-lieu/2/doan-ket/99999/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=100001",
        "limit=abc",
        "year=10000000000000",
        "year=-1",
        "year=٢٠٢٣",
        "form=99999999999",
        "measure=nope",
        "indicator=" + "x" * 65,
    ],
)
def test_bad_api_query_parameters_are_a_400_problem(plan: Plan, query: str) -> None:
    client, _ = api("admin")
    detail = problem(client.get(f"/api/values?{query}"), 400)["detail"]
    assert query.split("=")[0] in detail


@pytest.mark.parametrize(
    "url",
    [
        "/nhat-ky/a%00b/",
        "/api/values?orgunit=a%00b",
        "/api/values?indicator=%1b",
        "/nhap-lieu/2/do%00an-ket/2023/",
    ],
)
def test_control_characters_in_urls_are_refused(plan: Plan, url: str) -> None:
    """A NUL in a code crashed the page on PostgreSQL."""
    resp = login("admin").get(url)
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "ký tự điều khiển không in được (U+00" in text


def test_control_characters_in_bodies_are_refused(plan: Plan) -> None:
    client, token = api("doan-ket")
    before = store_snapshot()
    for url, body in [
        ("/api/values", write(text="5", source_ref="a\x00b")),
        ("/api/submissions/doan-ket/2/2023/submit", {"comment": "a\x00b"}),
        ("/api/values", write(text="5", source_ref="\ud800")),
        ("/api/values", write(**{"text": "5", "x\x00": 1})),
    ]:
        detail = problem(post(client, token, url, body), 400)["detail"]
        assert "ký tự không in được (U+" in detail
    # the workflow's form on the grid
    page = client.post("/nop/doan-ket/2/2023/submit/", {"comment": "a\x00b"}, follow=True)
    assert page.status_code == 200
    assert "«ghi chú khi nộp» có ký tự điều khiển không in được" in page.content.decode()
    # a user name at login, through the API and the page
    resp = Client().post(
        "/api/session",
        json.dumps({"username": "doan\x00ket", "password": "x"}),
        content_type="application/json",
    )
    problem(resp, 400)
    assert Client().post("/dang-nhap/", {"username": "a\x00b", "password": "x"}).status_code == 200
    assert store_snapshot() == before


def test_not_found_pages_show_no_internals(plan: Plan) -> None:
    page = login("admin").get("/khong-co-trang-nay/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "Resolver404" not in html and "tried" not in html and "Không tìm thấy trang" in html
    anonymous = Client().get("/khong-co/")
    assert "Resolver404" not in anonymous.content.decode()
    assert (
        login("admin")
        .get("/nhap-lieu/2/khong-co/2023/")
        .content.decode()
        .count("Không có đơn vị «khong-co»")
    )


def test_every_api_error_is_a_problem(plan: Plan) -> None:
    anonymous = Client(enforce_csrf_checks=True)
    assert problem(anonymous.get("/api/khong-co"), 404)["detail"]
    assert "Resolver404" not in anonymous.get("/api/khong-co").content.decode()
    assert problem(anonymous.get("/api/values"), 401)["title"] == "Cần đăng nhập"
    not_allowed = Client().post("/api/forms", "{}", content_type="application/json")
    assert problem(not_allowed, 405) and not_allowed["Allow"] == "GET"
    # CSRF failures: the API answers a problem, the pages a page
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="doan-ket", password=PASSWORD)
    refused = problem(
        client.post("/api/values", json.dumps(write(text="5")), "application/json"), 403
    )
    assert "CSRF" in refused["detail"]
    page = client.post("/nop/doan-ket/2/2023/submit/", {"comment": ""})
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")
    # content types and malformed JSON
    writer, token = api("doan-ket")
    assert problem(post(writer, token, "/api/values", "x", content_type="text/plain"), 415)
    deep = "[" * 100000 + "]" * 100000
    assert problem(post(writer, token, "/api/values", deep), 400)


def crash(request: Any) -> Any:
    raise RuntimeError("boom")


urlpatterns = [path("api/crash", crash), path("crash", crash)]
handler500 = "ktxh.web.plan.errors.server_error"


@override_settings(ROOT_URLCONF="tests.web.test_security")
def test_a_server_error_is_a_problem_under_the_api_and_a_page_elsewhere(plan: Plan) -> None:
    client = Client(raise_request_exception=False)
    body = problem(client.get("/api/crash"), 500)
    assert "boom" not in json.dumps(body) and body["title"] == "Lỗi máy chủ"
    page = client.get("/crash")
    assert page.status_code == 500 and "Lỗi máy chủ" in page.content.decode()
    assert "boom" not in page.content.decode()


# --- uploads: a decompression budget per file and per request -----------------------------


def inflated(parts: int, part_bytes: int = 1024 * 1024) -> bytes:
    """The reported workbook: a small file whose parts inflate to ``parts`` MiB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(parts):
            z.writestr(f"xl/media/image{n}.png", bytes(part_bytes))
    return buf.getvalue()


def upload(client: Client, files: list[tuple[str, bytes]]) -> Any:
    return client.post(
        "/nhap-excel/",
        {"tep": [SimpleUploadedFile(name, data, content_type=XLSX) for name, data in files]},
    )


def test_many_inflating_workbooks_in_one_request_are_refused(plan: Plan) -> None:
    """190 parts of 1 MiB (232 KB on the wire) passed, and 100 of them in one request
    took 14 s and 380 MB: each is refused now from its zip directory alone."""
    bomb = inflated(190)
    assert len(bomb) < 300_000
    before = store_snapshot()
    page = upload(login("doan-ket"), [(f"bom-{n}.xlsx", bomb) for n in range(100)])
    html = page.content.decode()
    assert page.status_code == 200 and "Không nhập được: có 100 lỗi" in html
    assert html.count("bom nén (zip bomb)") == 100
    assert store_snapshot() == before


def template(client: Client) -> bytes:
    data = client.get("/mau-nhap/doan-ket/?bieu=2").content
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Biểu 2"]["M9"] = 90.25
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_files_of_one_request_share_a_budget(plan: Plan, monkeypatch: Any) -> None:
    ward = login("doan-ket")
    data = template(ward)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        one = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(imports, "LIMITS", Limits(max_request_total_bytes=int(one * 2.5)))
    page = upload(ward, [("a.xlsx", data), ("b.xlsx", data), ("c.xlsx", data)]).content.decode()
    assert "các tệp gửi cùng lúc giải nén ra quá lớn" in page
    assert page.count("các tệp gửi cùng lúc") == 1  # only the third
    monkeypatch.setattr(imports, "LIMITS", Limits(max_request_bytes=int(len(data) * 1.5)))
    page = upload(ward, [("a.xlsx", data), ("b.xlsx", data)]).content.decode()
    assert "các tệp gửi cùng lúc quá lớn" in page and "giới hạn của một lần nhập là" in page
    # a request larger than any upload may be is refused before it is read
    resp = ward.post("/nhap-excel/", {}, CONTENT_LENGTH=str(300 * 1024 * 1024))
    assert resp.status_code == 413 and "Nội dung gửi lên quá lớn" in resp.content.decode()


def test_the_file_button_reads_vietnamese(plan: Plan) -> None:
    page = login("doan-ket").get("/nhap-excel/").content.decode()
    assert '<label for="tep" class="button" id="tep-label">Chọn các tệp Excel…</label>' in page
    assert 'class="visually-hidden"' in page and "tổng cộng không quá 200,0 MiB" in page


def test_every_page_has_a_content_security_policy(plan: Plan) -> None:
    admin = login("admin")
    for url in ["/", "/tong-quan/", "/nhap-lieu/2/doan-ket/2023/", "/dang-nhap/", "/api/forms"]:
        policy = admin.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy
    for url in ["/tong-quan/", "/nhap-lieu/2/doan-ket/2023/", "/nhap-excel/"]:
        html = admin.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html, url


def test_a_method_a_page_does_not_take_is_a_page(plan: Plan) -> None:
    resp = login("admin").post("/tong-quan/")
    assert resp.status_code == 405 and resp["Allow"] == "GET"
    assert "Địa chỉ này không nhận phương thức đó." in resp.content.decode()


def test_too_many_files_at_once_is_said_in_vietnamese(plan: Plan) -> None:
    page = upload(login("doan-ket"), [(f"{n}.xlsx", b"PK") for n in range(101)])
    assert page.status_code == 400
    html = page.content.decode()
    assert "Gửi quá nhiều tệp một lần: tối đa 100 tệp" in html
    assert "DATA_UPLOAD_MAX_NUMBER_FILES" not in html
