"""Faults: a process killed in the middle of an import, and the database going away
during a save. Nothing is half written (the store's content is compared with
tests/store_helpers.store_snapshot), the message is clear and Vietnamese, and the
next attempt works.

The killed imports run in subprocesses on a store of their own, prepared by
``ktxh demo --no-serve``: a SQLite file (``KTXH_DATABASE``), or with ``DATABASE_URL``
a PostgreSQL database made for the test on that server. A process is stopped in the
write's transaction, after the values' rows are updated and before their audit
records are inserted (a database hook in the subprocess waits there and says so),
and killed with SIGKILL: no handler runs, as when a server loses power.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import OperationalError, connection

from ktxh.store.models import Plan, Value, ValueChange
from tests.store_helpers import store_snapshot
from tests.web.conftest import PASSWORD, login
from tests.xlsx_helpers import fill

ROOT = Path(__file__).resolve().parents[2]
CHANGE_TABLE = ValueChange._meta.db_table

# Runs in the subprocess: Django on the store of the environment, a hook that stops
# the process inside the write transaction (at the first audit insert) when
# KTXH_TEST_PAUSE names a file, then the command line or the web's import.
RUNNER = r"""
import os, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "ktxh.settings"
import django
django.setup()
from django.db import connection
from ktxh.store.models import ValueChange

TABLE = ValueChange._meta.db_table
combined = []  # PostgreSQL: each cell's update and its audit record are one statement

def pause(execute, sql, params, many, context):
    mark = os.environ.get("KTXH_TEST_PAUSE")
    head = sql.lstrip().upper()
    if TABLE in sql and head.startswith("WITH"):
        combined.append(sql)
    # the first audit insert, or the second cell's update (the first one's done)
    if mark and TABLE in sql and (head.startswith("INSERT") or len(combined) > 1):
        with open(mark, "w") as fh:
            fh.write("in the write transaction")
        time.sleep(600)
    return execute(sql, params, many, context)

connection.execute_wrappers.append(pause)
if sys.argv[1] == "cli":
    from ktxh.cli import app
    app(sys.argv[2:], prog_name="ktxh")
elif sys.argv[1] == "web":
    import re
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    client = Client()
    assert client.login(username=sys.argv[2], password=sys.argv[3])
    data = open(sys.argv[4], "rb").read()
    page = client.post("/nhap-excel/", {"tep": [SimpleUploadedFile("mau.xlsx", data)]})
    token = client.session["ktxh_nhap_excel"]["token"]
    done = client.post("/nhap-excel/xac-nhan/", {"token": token})
    print(" ".join(re.sub(r"<[^>]+>", " ", done.content.decode()).split()))
elif sys.argv[1] == "snapshot":
    import json
    sys.path.insert(0, os.getcwd())
    from tests.store_helpers import store_snapshot
    from ktxh.store.models import Value, ValueChange
    counts = {"values": Value.objects.count(), "changes": ValueChange.objects.count()}
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA integrity_check")
            counts["integrity"] = c.fetchone()[0]
    print(json.dumps({"snapshot": store_snapshot(), "counts": counts}))
"""


def run(env: dict[str, str], *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def state(env: dict[str, str]) -> dict[str, Any]:
    done = run(env, "snapshot")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def killed_in_the_write(env: dict[str, str], tmp_path: Path, *args: str) -> None:
    """Run ``args`` until it stops inside its write transaction, then SIGKILL it."""
    mark = tmp_path / f"pause-{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, *args],
        env={**env, "KTXH_TEST_PAUSE": str(mark)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not mark.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"the process ended before writing: {out}\n{err}")
            if time.monotonic() > deadline:
                pytest.fail("the process never reached its write")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A store of its own (demo data and accounts), and the environment that names it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTXH_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        KTXH_SECRET_KEY="faults-" + "x" * 50,
        KTXH_UPLOAD_DIR=str(tmp_path / "tai-len"),
        KTXH_USER="doan-ket",
    )
    admin_url = os.environ.get("DATABASE_URL")
    name = f"ktxh_faults_{uuid.uuid4().hex[:12]}"
    if admin_url:
        import psycopg

        parsed = urlparse(admin_url)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    else:
        env.pop("DATABASE_URL", None)
        env["KTXH_DATABASE"] = str(tmp_path / "ktxh.sqlite3")
    try:
        done = run(env, "cli", "demo", "--no-serve")
        assert done.returncode == 0, done.stderr
        yield env
    finally:
        if admin_url:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def filled_template(env: dict[str, str], tmp_path: Path) -> Path:
    """Đoàn Kết's template with three plans of 2024 typed over (rows 9-11: B02.009 82,8,
    B02.012 105,3, B02.013 22,5)."""
    template = tmp_path / "mau.xlsx"
    done = run(env, "cli", "template", "-u", "doan-ket", "--form", "2", "-o", str(template))
    assert done.returncode == 0, done.stderr
    return fill(
        template,
        tmp_path / "doan-ket.xlsx",
        {("Biểu 2", "M9"): 90.25, ("Biểu 2", "M10"): 110.5, ("Biểu 2", "M11"): 25},
    )


def test_a_command_line_import_killed_while_writing_leaves_nothing(
    store: dict[str, str], tmp_path: Path
) -> None:
    workbook = filled_template(store, tmp_path)
    before = state(store)
    killed_in_the_write(store, tmp_path, "cli", "import", "--user", "doan-ket", str(workbook))
    after = state(store)
    assert after == before  # not one value, not one audit record
    assert after["counts"].get("integrity", "ok") == "ok"
    # the next attempt works (the killed writer's locks went with it)
    done = run(store, "cli", "import", "--user", "doan-ket", str(workbook))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã ghi 3 thay đổi vào kho số liệu" in done.stderr
    again = state(store)
    assert again["counts"]["changes"] == before["counts"]["changes"] + 3
    assert again["snapshot"]["Value"] != before["snapshot"]["Value"]


def test_a_web_import_killed_while_writing_leaves_nothing(
    store: dict[str, str], tmp_path: Path
) -> None:
    workbook = filled_template(store, tmp_path)
    before = state(store)
    killed_in_the_write(store, tmp_path, "web", "doan-ket", PASSWORD, str(workbook))
    after = state(store)
    assert after == before
    done = run(store, "web", "doan-ket", PASSWORD, str(workbook))
    assert done.returncode == 0, done.stderr
    assert "Đã ghi 3 ô (3 thay đổi)" in done.stdout
    assert state(store)["counts"]["changes"] == before["counts"]["changes"] + 3


# --- the database going away during a save ------------------------------------------------


def _lose_the_connection(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """At the audit insert of a save (its values already updated in the transaction),
    the database goes away: on PostgreSQL the server ends this connection for real,
    on SQLite (a file that cannot fail on demand) the driver's error is raised. On
    PostgreSQL a cell's update and its audit record are one statement: there, the
    second cell's (B02.012), the first one's done."""
    head = sql.lstrip().upper()
    second = head.startswith("WITH") and "B02.012" in (params or [])
    if CHANGE_TABLE in sql and (head.startswith("INSERT") or second):
        if connection.vendor == "postgresql":
            import psycopg

            pid = connection.connection.info.backend_pid
            s = connection.settings_dict
            with psycopg.connect(
                dbname=s["NAME"],
                user=s["USER"],
                password=s["PASSWORD"],
                host=s["HOST"],
                port=s["PORT"] or None,
                autocommit=True,
            ) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
        else:
            raise OperationalError("disk I/O error")
    return execute(sql, params, many, context)


def test_the_database_going_away_during_a_save(tplan: Plan) -> None:
    ward = login("doan-ket")
    token = ward.get("/api/session").json()["csrf_token"]
    body = json.dumps(
        {
            "writes": [
                {
                    "indicator": code,
                    "orgunit": "doan-ket",
                    "year": 2024,
                    "measure": "plan",
                    "version": 1,
                    "text": text,
                }
                for code, text in (("B02.009", "90,25"), ("B02.012", "110,5"))
            ]
        }
    )
    before = store_snapshot()
    with connection.execute_wrapper(_lose_the_connection):
        for url in ("/api/values", "/nhap-lieu/luu/"):  # the API and the grid
            resp = ward.post(
                url, body, content_type="application/json", headers={"X-CSRFToken": token}
            )
            assert resp.status_code == 503, resp.content[:300]
            assert resp["Content-Type"] == "application/problem+json"
            detail = resp.json()["detail"]
            assert detail.startswith("Mất kết nối với cơ sở dữ liệu")
            assert "không có gì ghi dở dang" in detail
    connection.close()  # what Django does at the end of a request whose connection broke
    assert store_snapshot() == before
    # the next attempt works
    resp = ward.post(
        "/api/values", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert resp.status_code == 200, resp.content[:300]
    assert (
        Value.objects.get(indicator_id="B02.009", orgunit_id="doan-ket", year=2024).value == 90.25
    )
    assert ValueChange.objects.filter(orgunit_id="doan-ket").count() == 2


def test_a_page_when_the_database_is_gone(tplan: Plan) -> None:
    """A person's page (not a program's) gets a Vietnamese page, not a traceback."""
    admin = login("admin")

    def gone(*args: Any) -> Any:
        raise OperationalError("could not connect to server")

    with connection.execute_wrapper(gone):
        page = admin.get("/trang-thai/")
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    assert "Tạm thời không phục vụ được" in text and "Mất kết nối với cơ sở dữ liệu" in text
    assert "OperationalError" not in text
