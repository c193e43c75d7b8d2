"""One budget for the files of one import (ktxh/store/imports.py): an upload of many
workbooks on the web (tests/web/test_security.py) and one ``ktxh import`` of many
files share the same limits: bytes read, bytes uncompressed and parts, all files
together. Files past the budget are not read at all, and are refused by name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.xlsx_safety import Limits
from ktxh.store import imports
from ktxh.store.models import OrgUnit, Plan, ValueChange
from tests.store_helpers import store_snapshot
from tests.web.conftest import user


def templates(tmp_path: Path, n: int) -> list[Path]:
    made = imports.template_for(user("doan-ket"), OrgUnit.objects.get(code="doan-ket"), [2])
    paths = []
    for k in range(n):
        path = tmp_path / f"mau-{k}.xlsx"
        path.write_bytes(made.data)
        paths.append(path)
    return paths


def test_files_past_the_requests_bytes_are_not_read(plan: Plan, tmp_path: Path) -> None:
    paths = templates(tmp_path, 3)
    size = paths[0].stat().st_size
    limits = Limits(max_request_bytes=int(size * 2.5))
    uploads = imports.read_paths(paths, limits)
    assert [u.data is not None for u in uploads] == [True, True, False]
    assert [u.error for u in uploads] == ["", "", ""]


def test_a_command_line_import_of_many_files_shares_one_budget(
    plan: Plan, tmp_path: Path, monkeypatch: Any
) -> None:
    paths = templates(tmp_path, 3)
    with zipfile.ZipFile(io.BytesIO(paths[0].read_bytes())) as z:
        one = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(imports, "LIMITS", Limits(max_request_total_bytes=int(one * 2.5)))
    before = store_snapshot()
    result = CliRunner().invoke(app, ["import", "--user", "doan-ket", *map(str, paths)])
    assert result.exit_code == 2, result.output
    assert "mau-2.xlsx" in result.stdout
    assert "các tệp gửi cùng lúc giải nén ra quá lớn" in result.stdout
    assert result.stdout.count("các tệp gửi cùng lúc") == 1  # the first two fit
    assert store_snapshot() == before
    assert not ValueChange.objects.exists()
