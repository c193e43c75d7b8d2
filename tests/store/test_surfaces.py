"""One store for every surface: what the command line writes the web shows, and what
is saved on the web the command line prints and publishes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
from django.test import Client
from typer.testing import CliRunner

from ktxh.cli import app
from tests.conftest import PASSWORD
from tests.xlsx_helpers import fill

runner = CliRunner()


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD), username
    return client


def test_a_command_line_import_is_in_the_web_grid_and_its_audit_page(
    plan: Any, tmp_path: Path
) -> None:
    template = tmp_path / "mau.xlsx"
    assert runner.invoke(app, ["template", "-u", "doan-ket", "-o", str(template)]).exit_code == 0
    filled = fill(template, tmp_path / "doan-ket.xlsx", {("Biểu 2", "M9"): 90.25})
    result = runner.invoke(app, ["import", "--user", "doan-ket", str(filled)])
    assert result.exit_code == 0, result.output

    ward = login("doan-ket")
    grid = ward.get("/nhap-lieu/2/doan-ket/2023/").content.decode()
    assert 'data-key="B02.009|doan-ket|2024|plan" data-version="2">90,25</td>' in grid
    audit = login("admin").get("/nhat-ky/o/B02.009/doan-ket/2024/plan/").content.decode()
    assert "doan-ket.xlsx!Biểu 2!M9" in audit and "82,8" in audit and "90,25" in audit
    assert "nhập từ tệp Excel" in audit
    history = ward.get(
        "/api/values/history?indicator=B02.009&orgunit=doan-ket&year=2024&measure=plan"
    ).json()["changes"]
    assert [(c["user"], c["source"], c["source_ref"]) for c in history] == [
        ("doan-ket", "import", "doan-ket.xlsx!Biểu 2!M9")
    ]


def test_a_value_saved_on_the_web_is_in_the_command_lines_values_and_report(
    plan: Any, tmp_path: Path
) -> None:
    ward = login("sung-phai")
    token = ward.get("/api/session").json()["csrf_token"]
    saved = ward.post(
        "/nhap-lieu/luu/",
        json.dumps(
            {
                "writes": [
                    {
                        "indicator": "B02.009",
                        "orgunit": "sung-phai",
                        "year": 2024,
                        "measure": "plan",
                        "version": 1,
                        "text": "1.400,5",
                    }
                ]
            }
        ),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 200, saved.content

    values = runner.invoke(app, ["values", "--format", "csv"])
    assert values.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(values.stdout)))
    (row,) = [
        r
        for r in rows
        if (r["code"], r["orgunit_code"], r["year"], r["measure"])
        == ("B02.009", "sung-phai", "2024", "plan")
    ]
    assert (row["value"], row["printed"], row["orgunit"]) == ("1400.5", "1.400,5", "xã Sùng Phài")

    annex = tmp_path / "phu-luc.xlsx"
    assert runner.invoke(app, ["report", "--xlsx", str(annex)]).exit_code == 0
    ws = openpyxl.load_workbook(annex)["Biểu 2"]
    assert 1400.5 in [c for row in ws.iter_rows(values_only=True) for c in row]

    shown = runner.invoke(app, ["show", "2", "--units"])
    assert "1.400,5" in shown.stdout
