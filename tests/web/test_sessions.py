"""The session and its user, read in one query once a process knows whose the session
is (ktxh.web.plan.sessions): what the process remembers is a guess only, and the
database decides every time. A user deactivated, deleted or given a new password, a
session that now names another user: each is seen in the very next request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ktxh.store.lookup import lookup
from ktxh.store.models import Plan
from ktxh.web.plan.sessions import SessionStore
from tests.web.conftest import login, user


def whoami(client: Client) -> Any:
    resp = client.get("/api/session")
    assert resp.status_code == 200
    return resp.json()


def test_the_session_names_its_user_and_scope(plan: Plan) -> None:
    ward = login("doan-ket")
    lookup()  # the process's index of the catalog, read once
    for n in range(3):  # the first read learns whose the session is; the others use it
        with CaptureQueriesContext(connection) as queries:
            me = whoami(ward)
        assert (me["username"], me["role"], me["orgunit"]) == ("doan-ket", "unit", "doan-ket")
        assert len(queries) == (2 if n == 0 else 1), [q["sql"][:80] for q in queries]


def test_a_deactivated_user_is_out_at_once(plan: Plan) -> None:
    ward = login("doan-ket")
    assert whoami(ward)["authenticated"]
    User.objects.filter(username="doan-ket").update(is_active=False)
    assert whoami(ward) == {"authenticated": False}
    assert ward.post("/nhap-lieu/luu/", "{}", content_type="application/json").status_code == 302


def test_a_deleted_user_is_out_at_once(plan: Plan) -> None:
    User.objects.create_user("tam-thoi", password="mat-khau-tam")
    temp = Client()
    assert temp.login(username="tam-thoi", password="mat-khau-tam")
    assert whoami(temp) == {"authenticated": True}  # no role: no scope
    User.objects.filter(username="tam-thoi").delete()
    assert whoami(temp) == {"authenticated": False}


def test_a_new_password_ends_the_other_sessions(plan: Plan) -> None:
    ward = login("doan-ket")
    assert whoami(ward)["authenticated"]
    account = user("doan-ket")
    account.set_password("mot-mat-khau-moi")
    account.save()
    assert whoami(ward) == {"authenticated": False}


def test_a_session_that_now_names_another_user_is_that_users(plan: Plan) -> None:
    ward = login("doan-ket")
    assert whoami(ward)["username"] == "doan-ket"
    key = ward.cookies["sessionid"].value
    other = user("tan-phong")
    store = SessionStore(session_key=key)
    store[SESSION_KEY] = str(other.pk)
    store[BACKEND_SESSION_KEY] = "ktxh.web.plan.sessions.StoreBackend"
    store[HASH_SESSION_KEY] = other.get_session_auth_hash()
    store.save()
    assert whoami(ward)["username"] == "tan-phong"
    assert whoami(ward)["username"] == "tan-phong"


def test_an_ended_session_is_out_at_once(plan: Plan) -> None:
    ward = login("doan-ket")
    assert whoami(ward)["authenticated"]
    Session.objects.filter(session_key=ward.cookies["sessionid"].value).delete()
    assert whoami(ward) == {"authenticated": False}


def test_decoded_sessions_are_not_shared(plan: Plan) -> None:
    """A session's content decoded once is handed out as a copy: what one request
    changes in its session is not what the next one reads."""
    store = SessionStore()
    store["a"] = "1"
    data = store.encode({"a": "1"})
    first = store.decode(data)
    first["a"] = "2"
    first["b"] = "3"
    assert store.decode(data) == {"a": "1"}
