"""What one save of the grid costs the database, counted so that it cannot grow unnoticed
(issue 15: the save's latency and throughput under load are mostly its round trips).

On PostgreSQL the save of one cell is two statements, one round trip each: the session
with its user (its profile, the plan's stamp and the rounds; ktxh.web.plan.sessions),
and the write itself (the lock check, the update conditional on the version, the audit
record: one statement, atomic on its own, so without a BEGIN and a COMMIT of its own
either). SQLite (in-process: a statement costs no round trip) takes the general path:
the session, the user, the cell as it is, then the transaction (here a savepoint,
inside the test's own) with the lock check, the update and the audit record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ktxh.store.actions import transition
from ktxh.store.lookup import lookup
from ktxh.store.models import Form, OrgUnit, Plan, Target, Value, ValueChange
from tests.web.conftest import login, user

PLAN_CELL = ("B02.009", "doan-ket", 2024, "plan")  # 82,8 (version 1)
NEW_CELL = ("B02.009", "doan-ket", 2023, "h1")  # empty: no row yet


def statements_per_save(sqlite: int) -> int:
    """PostgreSQL: the session with its user, the write. SQLite: the session with its
    user, the cell, then in a savepoint the lock check, the update (a new cell: its
    insert, in a savepoint of its own) and the audit record; for a plan cell also the
    structure of a typed target (ktxh.store.targets)."""
    return 2 if connection.vendor == "postgresql" else sqlite - 1


def save(client: Client, key: tuple[str, str, int, str], version: int, text: str) -> Any:
    ind, org, year, measure = key
    body = {"indicator": ind, "orgunit": org, "year": year, "measure": measure}
    resp = client.post(
        "/nhap-lieu/luu/",
        json.dumps({"writes": [{**body, "version": version, "text": text}]}),
        content_type="application/json",
    )
    return resp


def counted_save(
    client: Client, key: tuple[str, str, int, str], version: int, text: str
) -> tuple[Any, list[str]]:
    # what a process keeps from one request to the next: its index of the catalog
    # (ktxh.store.lookup) and whose the session is (ktxh.web.plan.sessions)
    lookup()
    assert client.get("/api/session").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        resp = save(client, key, version, text)
    return resp, [q["sql"] for q in queries.captured_queries]


def value(key: tuple[str, str, int, str]) -> Value:
    ind, org, year, measure = key
    return Value.objects.get(indicator_id=ind, orgunit_id=org, year=year, measure=measure)


@pytest.mark.parametrize(
    ("key", "text", "sqlite"),
    [(PLAN_CELL, "90,5", (9, 9)), (NEW_CELL, "40,5", (10, 8))],
    ids=["a plan cell", "a new cell"],
)
def test_one_save_is_a_fixed_number_of_statements(
    plan: Plan, key: tuple[str, str, int, str], text: str, sqlite: tuple[int, int]
) -> None:
    ward = login("doan-ket")
    before = Value.objects.filter(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    ).first()
    version = before.version if before else 0
    resp, sql = counted_save(ward, key, version, text)
    assert resp.status_code == 200, resp.content[:300]
    assert len(sql) == statements_per_save(sqlite[0]), "\n".join(sql)
    (answer,) = resp.json()["values"]
    after = value(key)
    assert (answer["version"], answer["display"]) == (version + 1, text)
    assert (after.version, after.printed) == (version + 1, text)
    change = ValueChange.objects.get(value=after, version=version + 1)
    assert (change.old_printed, change.new_printed, change.username) == (
        before.printed if before else "",
        text,
        "doan-ket",
    )
    # the next save of the cell costs the same (the new cell: an update now)
    resp, sql = counted_save(ward, key, version + 1, "41")
    assert resp.status_code == 200, resp.content[:300]
    assert len(sql) == statements_per_save(sqlite[1]), "\n".join(sql)
    assert resp.json()["values"][0]["version"] == version + 2


def test_a_save_that_changes_nothing_costs_no_more(plan: Plan) -> None:
    ward = login("doan-ket")
    resp, sql = counted_save(ward, PLAN_CELL, 1, "82,8")
    assert resp.status_code == 200 and len(sql) <= statements_per_save(9), "\n".join(sql)
    assert resp.json()["changed"] == 0 and resp.json()["values"][0]["version"] == 1
    assert value(PLAN_CELL).version == 1
    assert not ValueChange.objects.filter(value=value(PLAN_CELL)).exists()


def test_a_number_over_a_typed_target_drops_its_structure(plan: Plan) -> None:
    ward = login("doan-ket")
    assert save(ward, PLAN_CELL, 1, "90 - 92").status_code == 200
    own = Target.objects.filter(
        indicator_id="B02.009", orgunit_id="doan-ket", year=2024, document__isnull=True
    )
    assert own.count() == 1
    resp, sql = counted_save(ward, PLAN_CELL, 2, "91")
    assert resp.status_code == 200 and len(sql) == statements_per_save(10), "\n".join(sql)
    assert not own.exists()
    assert (value(PLAN_CELL).value, value(PLAN_CELL).version) == (91.0, 3)


def test_refusals_take_the_general_path_with_their_reasons(plan: Plan) -> None:
    ward = login("doan-ket")
    assert save(ward, PLAN_CELL, 1, "90").status_code == 200
    stale = save(ward, PLAN_CELL, 1, "95")  # read before the change above
    assert stale.status_code == 409
    (problem,) = stale.json()["problems"]
    assert problem["reason"] == "conflict" and problem["current"]["version"] == 2
    taken = save(ward, NEW_CELL, 0, "1")
    assert taken.status_code == 200
    again = save(ward, NEW_CELL, 0, "2")  # another writer who also saw it empty
    assert again.status_code == 409 and again.json()["problems"][0]["current"]["printed"] == "1"
    transition(
        user("doan-ket"),
        OrgUnit.objects.get(code="doan-ket"),
        Form.objects.get(number=2),
        2023,
        "submit",
    )
    locked = save(ward, PLAN_CELL, 2, "96")
    assert locked.status_code == 423 and "đã nộp" in locked.json()["detail"]
    unchanged = save(ward, PLAN_CELL, 2, "90")  # locked even when it would change nothing
    assert unchanged.status_code == 423
    assert value(PLAN_CELL).version == 2
    assert ValueChange.objects.filter(value=value(PLAN_CELL)).count() == 1


@pytest.mark.skipif(
    "not __import__('os').environ.get('DATABASE_URL')",
    reason="PostgreSQL's transactions (DATABASE_URL)",
)
def test_the_write_is_one_statement_outside_any_transaction(tplan: Plan) -> None:
    """No BEGIN and COMMIT of its own (psycopg sends each as a round trip): the write
    statement runs in autocommit, atomic by itself."""
    ward = login("doan-ket")
    seen: list[tuple[str, bool, bool]] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql.split()[0], connection.get_autocommit(), connection.in_atomic_block))
        return execute(sql, params, many, context)

    assert ward.get("/api/session").status_code == 200
    with connection.execute_wrapper(watch):
        assert save(ward, PLAN_CELL, 1, "90,5").status_code == 200
    assert seen == [("SELECT", True, False), ("WITH", True, False)]
    assert value(PLAN_CELL).version == 2
    assert ValueChange.objects.filter(value=value(PLAN_CELL), version=2).exists()
