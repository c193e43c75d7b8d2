"""Two application servers on one PostgreSQL database, as on two hosts behind a load
balancer (docs/deploy.md): whatever one does, the other sees at once. A session
opened on one is good on the other and ends on both; a save, an upload awaiting
confirmation, a submission (the lock), an approval, a catalog reload and a login
lockout made through one are seen through the other in the very next request.

Each server is gunicorn with two worker processes, started on a port of its own over
a database made for the test (``ktxh demo --no-serve`` fills it). PostgreSQL only:
a SQLite store is one file on one machine.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import openpyxl
import pytest
import requests

from ktxh.io.datapackage import shipped_package

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="two application servers share a PostgreSQL database (DATABASE_URL); "
    "make test runs this on PostgreSQL",
)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PASSWORD = "ktxh-demo"  # the demo accounts' (ktxh demo)
CELL = {"indicator": "B02.009", "orgunit": "doan-ket", "year": 2024, "measure": "plan"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Deployment:
    env: dict[str, str]
    a: str  # the base URL of server A
    b: str  # ... of server B


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ktxh.cli import main; main()", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    import psycopg

    tmp = tmp_path_factory.mktemp("hosts")
    admin_url = os.environ["DATABASE_URL"]
    name = f"ktxh_servers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTXH_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DATABASE_URL=urlunparse(urlparse(admin_url)._replace(path=f"/{name}")),
        KTXH_SECRET_KEY="servers-" + "s" * 50,  # the same on every server
        KTXH_LOGIN_FAILURES="3",
        DJANGO_SETTINGS_MODULE="ktxh.settings",
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        done = _cli(env, "demo", "--no-serve")
        assert done.returncode == 0, done.stderr
        urls = []
        for n in range(2):
            port = free_port()
            # as on two hosts: each its own temporary directory and home (nothing a
            # server keeps on its own disk can be seen by the other)
            own = tmp / f"host-{n}"
            (own / "tmp").mkdir(parents=True)
            procs.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("gunicorn")),
                        "ktxh.web.wsgi",
                        "--bind",
                        f"{HOST}:{port}",
                        "--workers",
                        "2",
                        "--log-level",
                        "warning",
                    ],
                    env={**env, "TMPDIR": str(own / "tmp"), "HOME": str(own)},
                    cwd=ROOT,
                )
            )
            urls.append(f"http://{HOST}:{port}")
        for url in urls:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(url + "/ping", timeout=30).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.2)
        yield Deployment(env, urls[0], urls[1])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Person:
    """One browser: one cookie jar, sent to whichever server the balancer picks."""

    def __init__(self, server: str, username: str, password: str = PASSWORD) -> None:
        self.http = requests.Session()
        resp = self.http.post(
            server + "/api/session", json={"username": username, "password": password}
        )
        assert resp.status_code == 200, resp.text
        self.token = resp.json()["csrf_token"]

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.http.get(url, timeout=30, **kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        headers = {"X-CSRFToken": self.token, **kw.pop("headers", {})}
        return self.http.post(url, headers=headers, timeout=60, **kw)


def value(person: Person, server: str, cell: dict[str, Any]) -> dict[str, Any] | None:
    resp = person.get(server + "/api/values", params=cell)
    assert resp.status_code == 200, resp.text
    found: list[dict[str, Any]] = resp.json()["values"]
    return found[0] if found else None


def save(person: Person, server: str, cell: dict[str, Any], text: str) -> requests.Response:
    current = value(person, server, cell)
    write = {**cell, "version": current["version"] if current else 0, "text": text}
    return person.post(server + "/api/values", json={"writes": [write]})


def test_a_session_opened_on_one_server_is_good_on_the_other_and_ends_on_both(
    servers: Deployment,
) -> None:
    ward = Person(servers.a, "doan-ket")
    me = ward.get(servers.b + "/api/session").json()
    assert (me["authenticated"], me["username"]) == (True, "doan-ket")
    assert ward.http.delete(servers.b + "/api/session", headers={"X-CSRFToken": ward.token})
    assert ward.get(servers.a + "/api/session").json() == {"authenticated": False}
    assert ward.get(servers.a + "/api/values", params=CELL).status_code == 401


def test_a_save_through_one_server_is_read_through_the_other(servers: Deployment) -> None:
    ward = Person(servers.a, "doan-ket")
    before = value(ward, servers.b, CELL)
    assert before is not None
    resp = save(ward, servers.a, CELL, "91,5")
    assert resp.status_code == 200, resp.text
    after = value(ward, servers.b, CELL)
    assert after is not None
    assert (after["value"], after["version"]) == (91.5, before["version"] + 1)
    # a writer on B who still holds the old version is told of the conflict
    stale = {**CELL, "version": before["version"], "text": "92"}
    resp = ward.post(servers.b + "/api/values", json={"writes": [stale]})
    assert resp.status_code == 409, resp.text
    assert "91,5" in resp.json()["detail"]


def test_an_upload_previewed_on_one_server_is_confirmed_on_the_other(
    servers: Deployment, tmp_path: Path
) -> None:
    ward = Person(servers.a, "doan-ket")
    template = ward.get(servers.a + "/mau-nhap/doan-ket/")
    assert template.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = wb["Biểu 2"]
    assert sheet["A9"].value == "B02.009"  # an input cell of the ward's, prefilled
    sheet["M9"] = sheet["M9"].value + 7
    out = io.BytesIO()
    wb.save(out)
    page = ward.post(
        servers.a + "/nhap-excel/",
        files={"tep": ("dk.xlsx", out.getvalue(), "application/octet-stream")},
    )
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:2000]
    done = ward.post(servers.b + "/nhap-excel/xac-nhan/", data={"token": token.group(1)})
    assert done.status_code == 200
    assert "Đã nhập số liệu từ Excel" in done.text
    assert "Đã ghi 1 ô (1 thay đổi)" in " ".join(re.sub(r"<[^>]+>", " ", done.text).split())
    # confirmed once: the stash is gone for both servers
    again = ward.post(servers.a + "/nhap-excel/xac-nhan/", data={"token": token.group(1)})
    assert "Không có tệp nào đang chờ xác nhận" in again.text


def test_a_submission_and_its_approval_lock_the_form_on_both_servers(
    servers: Deployment,
) -> None:
    ward = Person(servers.a, "doan-ket")
    city = Person(servers.b, "admin")
    cell = {**CELL, "year": 2023, "measure": "estimate"}
    assert save(ward, servers.b, cell, "100,5").status_code == 200
    submit = ward.post(servers.a + "/api/submissions/doan-ket/2/2023/submit", json={})
    assert submit.status_code == 200, submit.text
    refused = save(ward, servers.b, cell, "101")  # through the other server, at once
    assert refused.status_code == 423, refused.text
    assert "đã nộp, đang chờ duyệt" in refused.json()["detail"]
    approve = city.post(servers.b + "/api/submissions/doan-ket/2/2023/approve", json={})
    assert approve.status_code == 200, approve.text
    subs = ward.get(servers.a + "/api/submissions", params={"year": 2023}).json()["submissions"]
    mine = [s for s in subs if s["orgunit"] == "doan-ket" and s["form"] == 2]
    assert [s["status"] for s in mine] == ["approved"]
    refused = save(ward, servers.a, cell, "101")
    assert refused.status_code == 423
    assert "đã được duyệt" in refused.json()["detail"]
    # the city reopens it through A; the ward saves through B
    reopen = city.post(servers.a + "/api/submissions/doan-ket/2/2023/reopen", json={})
    assert reopen.status_code == 200, reopen.text
    assert save(ward, servers.b, cell, "101").status_code == 200


def test_a_catalog_reload_is_seen_by_both_servers_at_once(
    servers: Deployment, tmp_path: Path
) -> None:
    """An administrator on host A loads a new version of the plan's package; both
    servers answer with the new catalog in their next request (their in-memory index
    is checked against the plan's stamp in the database on every request)."""
    ward = Person(servers.b, "doan-ket")
    package = tmp_path / "goi"
    shutil.copytree(shipped_package(), package)
    forms = package / "forms.csv"
    with forms.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0])
    for r in rows:
        if r["form"] == "2":
            r["title"] = "BIỂU SỐ 2 ĐÃ NẠP LẠI"
    with forms.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    for server in (servers.a, servers.b):  # both have built their index of the old one
        assert "ĐÃ NẠP LẠI" not in ward.get(server + "/api/forms/2").json()["title"]
    done = _cli(servers.env, "load", str(package), "--replace", "--user", "admin")
    assert done.returncode == 0, done.stderr
    for server in (servers.a, servers.b):
        assert ward.get(server + "/api/forms/2").json()["title"] == "BIỂU SỐ 2 ĐÃ NẠP LẠI"
    # the values were replaced too: a save names the reloaded cell's version
    assert save(ward, servers.a, CELL, "88").status_code == 200
    assert value(ward, servers.b, CELL)["value"] == 88  # type: ignore[index]


def test_failed_logins_on_both_servers_lock_the_account_on_both(servers: Deployment) -> None:
    """django-axes counts failures in the database: three wrong passwords spread over
    the two servers (KTXH_LOGIN_FAILURES=3) lock the account out of both."""
    for server in (servers.a, servers.b, servers.a):
        resp = requests.post(
            server + "/api/session",
            json={"username": "tan-phong", "password": "sai"},
            timeout=30,
        )
        assert resp.status_code in (401, 429)
    for server in (servers.b, servers.a):
        resp = requests.post(
            server + "/api/session",
            json={"username": "tan-phong", "password": PASSWORD},
            timeout=30,
        )
        assert resp.status_code == 429, resp.text
