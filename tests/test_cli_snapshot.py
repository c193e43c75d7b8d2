"""``ktxh snapshot DIR``: the store as Parquet files, for analytics."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ktxh.cli import app
from ktxh.io.parquet import read_manifest, scan_snapshot

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("plan")


def test_snapshot_writes_parquet_and_says_what(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snapshot", str(tmp_path / "chup")])
    assert result.exit_code == 0, result.output
    assert "3.619 giá trị trong 1 tệp, 439 chỉ tiêu, 8 đơn vị" in result.output
    assert read_manifest(tmp_path / "chup")["counts"]["values"] == 3619
    assert scan_snapshot(tmp_path / "chup")["values"].collect().height == 3619


def test_snapshot_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["snapshot", str(tmp_path)])
    assert result.exit_code == 2
    assert "hãy chọn một thư mục trống" in result.output
