"""Fixtures of the web tests: clients logged in as the demo accounts.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set
(``make test`` does both). The plan is loaded by tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD, load_plan

__all__ = ["ARTIFACTS", "PASSWORD", "artifacts_dir", "load_plan", "login", "user"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD), username
    return client


def user(username: str) -> User:
    return User.objects.get(username=username)


def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
