"""Fixtures of the web tests: a database with the Lai Châu dataset and the demo accounts.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set
(``make test`` does both). The dataset is loaded once per test database; a
transactional test (live server, concurrency) empties the tables after it, so
the ``plan`` fixture loads again when it finds them empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm
from django.contrib.auth.models import User
from django.test import Client

from ktxh.io.dataset import DEFAULT_DATASET
from ktxh.web.plan import loading
from ktxh.web.plan.models import Plan

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = loading.DEMO_PASSWORD


@pytest.fixture(scope="session", autouse=True)
def _fast_passwords() -> None:
    """MD5 hashing in tests: the demo accounts are made many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def load_plan() -> None:
    loading.load(DEFAULT_DATASET)
    loading.create_accounts(PASSWORD)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, _fast_passwords: None) -> None:
    with django_db_blocker.unblock():
        if not Plan.objects.exists():
            load_plan()


@pytest.fixture
def plan(db: None) -> Plan:
    if not Plan.objects.exists():
        load_plan()
    found = Plan.objects.first()
    assert found is not None
    return found


@pytest.fixture
def tplan(transactional_db: None) -> Iterator[Plan]:
    """The plan in a transactional test (committed; emptied after the test)."""
    if not Plan.objects.exists():
        load_plan()
    found = Plan.objects.first()
    assert found is not None
    yield found


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD), username
    return client


def user(username: str) -> User:
    return User.objects.get(username=username)


def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
