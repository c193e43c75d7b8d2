"""`ktxh forecast`: the proposals of the round printed and written, and accepted with
--accept as the acting user (tests/store/test_forecasts.py tests the action)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.store.models import Value, ValueChange
from tests.store.test_forecasts import CITY, CODE, YEAR, add_history, clear_estimate
from tests.store_helpers import store_snapshot

runner = CliRunner()


@pytest.fixture
def store(plan: Any) -> Any:
    clear_estimate()
    add_history()
    return plan


def run(*args: str) -> Any:
    return runner.invoke(app, ["forecast", *args], env={"KTXH_USER": "admin"})


def test_printed_as_a_table_csv_and_json_without_writing(store: Any, tmp_path: Any) -> None:
    before = store_snapshot()
    text = run("-u", "Lai Châu", "--form", "1")
    assert text.exit_code == 0, text.output
    flat = " ".join(text.stdout.split())
    assert "Gợi ý ước thực hiện cả năm 2023" in flat
    assert "203,384" in flat and "192,680 - 208,094" in flat
    assert "theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm" in flat
    assert "bỏ qua" in text.stderr and "ô đã có số ước thực hiện do người nhập" in text.stderr

    doc = json.loads(run("--format", "json", "--indicator", CODE).stdout)
    assert doc["year"] == YEAR and doc["entered"] == 0
    (row,) = doc["suggestions"]
    assert row == {
        "indicator": CODE,
        "name": "Tổng thu ngân sách nhà nước trên địa bàn",
        "orgunit": CITY,
        "orgunit_name": "thành phố Lai Châu",
        "year": YEAR,
        "h1": 57.804,
        "value": 203.384,
        "low": 192.68,
        "high": 208.094,
        "method": "ratio",
        "years": "2020 2021 2022",
        "note": "Đề xuất theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm của các năm trước "
        "(các năm 2020, 2021, 2022)",
    }
    out = tmp_path / "goi-y.csv"
    written = run("-f", "csv", "-o", str(out), "-u", CITY)
    assert written.exit_code == 0 and f"Đã ghi vào {out}" in written.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    mine = next(r for r in rows if r["indicator"] == CODE)
    assert (mine["value"], mine["low"], mine["method"]) == ("203.384", "192.68", "ratio")
    assert store_snapshot() == before


def test_accepted_as_the_acting_user(store: Any) -> None:
    result = run("--indicator", CODE, "--accept")
    assert result.exit_code == 0, result.output
    assert "Đã ghi 1 ô ước thực hiện năm 2023 theo gợi ý, do admin chấp nhận" in result.stderr
    v = Value.objects.get(indicator_id=CODE, orgunit_id=CITY, year=YEAR, measure="estimate")
    assert (v.value, v.source) == (203.384, "forecast")
    change = ValueChange.objects.filter(indicator_id=CODE, year=YEAR, measure="estimate").latest(
        "at", "version"
    )
    assert (change.username, change.source) == ("admin", "forecast")
    again = run("--indicator", CODE, "--accept")
    assert again.exit_code == 0 and "Không có gợi ý nào để nhận: chưa ghi gì" in again.stderr


def test_refusals(store: Any) -> None:
    before = store_snapshot()
    for args, message in (
        (("--format", "xml"), "định dạng «xml» không hỗ trợ"),
        (("--year", "2019"), "kho số liệu không có kỳ báo cáo năm 2019"),
        (("--form", "99"), "không có biểu số 99"),
        (("--indicator", "B99.999"), "không có chỉ tiêu mã B99.999"),
        (("-u", "Không Có"), "Không Có"),
    ):
        result = run(*args)
        assert result.exit_code == 2, args
        assert message in result.stderr, (args, result.stderr)
    # a ward's officer may not accept the city's figures: nothing is written
    ward = runner.invoke(
        app, ["forecast", "--indicator", CODE, "--accept"], env={"KTXH_USER": "doan-ket"}
    )
    assert ward.exit_code == 2 and "không có quyền nhập biểu số 1" in ward.stderr
    assert "chưa ghi gì" in ward.stderr
    assert store_snapshot() == before
