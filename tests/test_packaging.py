"""ktxh as a wheel: built from a copy of the checkout, installed into a fresh virtual
environment outside it, where the demo's set-up loads the shipped Lai Châu package into
the default store and ``ktxh check`` runs on it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode in (0, 1), f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("not a git checkout: the wheel is built from the tracked files")
    return [f for f in done.stdout.decode().split("\0") if f and (ROOT / f).is_file()]


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KTXH_", "DATABASE_URL"))}
    env["HOME"] = str(tmp_path / "home")  # the default store goes to the user's data folder
    env.pop("XDG_DATA_HOME", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        source,
        env,
    )
    (wheel,) = tmp_path.glob("ktxh-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path, env)
    where = run([str(python), "-c", "import ktxh; print(ktxh.__file__)"], tmp_path, env)
    assert str(venv) in where and str(ROOT) not in where

    ktxh = str(venv / "bin" / "ktxh")
    demo = run([ktxh, "demo", "--no-serve"], tmp_path, env)
    store = tmp_path / "home" / ".local" / "share" / "ktxh" / "ktxh.sqlite3"
    assert store.exists(), demo
    assert "Đã nạp bộ dữ liệu mẫu «laichau-2024» (3.619 giá trị)" in demo
    assert "admin" in demo and "doan-ket" in demo
    checked = run([ktxh, "check", "--min-severity", "lỗi"], tmp_path, env)
    assert re.search(r"Kết quả kiểm tra: [\d.]+ lỗi, ", checked), checked
    shown = run([ktxh, "show", "2"], tmp_path, env)
    assert "2.731,1" in shown  # Biểu 2, line 271: the city's agricultural land, from the store
