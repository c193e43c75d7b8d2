"""Shared fixtures. The seed lives outside the repository (../shared/seed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ktxh.io.dataset import DEFAULT_DATASET, Dataset, read_dataset

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = Path(os.environ.get("KTXH_SEED_DIR", ROOT.parent / "shared" / "seed"))
SEED_FILE = SEED_DIR / "000_bbda3b19e6cf7104.txt"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return read_dataset(DEFAULT_DATASET)


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The source report, 1-based: ``seed_lines[n - 1]`` is line n."""
    if not SEED_FILE.exists():
        pytest.skip(
            f"the seed report is not here ({SEED_FILE}): tests that hold the data against "
            "the seed need ../shared/seed beside the clone (or KTXH_SEED_DIR)"
        )
    return SEED_FILE.read_text(encoding="utf-8").split("\n")
