"""Shared fixtures. The seed lives outside the repository (../shared/seed).

The store's tests (the command line, the web) run on a test database that
pytest-django makes per worker (SQLite in memory, or PostgreSQL when
DATABASE_URL is set): the shipped Lai Châu package is loaded into it once, and
each test runs in a transaction that is rolled back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

from ktxh.domain.dataset import Dataset
from ktxh.io.datapackage import read_dataset, shipped_package

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = Path(os.environ.get("KTXH_SEED_DIR", ROOT.parent / "shared" / "seed"))
SEED_FILE = SEED_DIR / "000_bbda3b19e6cf7104.txt"
SHIPPED = shipped_package()
PASSWORD = "ktxh-demo"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return read_dataset(SHIPPED)


@pytest.fixture(scope="session")
def seed_lines() -> list[str]:
    """The source report, 1-based: ``seed_lines[n - 1]`` is line n."""
    if not SEED_FILE.exists():
        pytest.skip(
            f"the seed report is not here ({SEED_FILE}): tests that hold the data against "
            "the seed need ../shared/seed beside the clone (or KTXH_SEED_DIR)"
        )
    return SEED_FILE.read_text(encoding="utf-8").split("\n")


# --- the store ------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _test_secret_key() -> None:
    """A key of the tests' own: without it the settings would make one in the user's
    data folder (ktxh.settings.secret_key) the first time a session is signed."""
    settings.SECRET_KEY = "ktxh-tests-" + "k" * 50


@pytest.fixture(scope="session", autouse=True)
def _fast_passwords() -> None:
    """MD5 hashing in tests: the demo accounts are made many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def load_plan() -> None:
    """The shipped package and the demo accounts, into the test database."""
    from ktxh.store import accounts
    from ktxh.store.packages import load

    load(SHIPPED, user="tests")
    accounts.create_demo_accounts(PASSWORD)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, _fast_passwords: None) -> None:
    from ktxh.store.models import Plan

    with django_db_blocker.unblock():
        if not Plan.objects.exists():
            load_plan()


@pytest.fixture
def plan(db: None) -> Any:
    """The Lai Châu plan in the store (the test's changes are rolled back)."""
    from ktxh.store.models import Plan

    if not Plan.objects.exists():
        load_plan()
    found = Plan.objects.first()
    assert found is not None
    return found


@pytest.fixture
def tplan(transactional_db: None) -> Any:
    """The plan in a transactional test (committed; emptied after the test)."""
    from ktxh.store.models import Plan

    if not Plan.objects.exists():
        load_plan()
    found = Plan.objects.first()
    assert found is not None
    return found
