"""Many writers on the same cells at once (PostgreSQL: real parallel transactions).

Every writer reads a cell's version, then writes a value of its own with that
version. Each write either lands or is refused with a conflict; the audit
trail holds exactly one record per landed write, their versions follow each
other without a gap, each record's old value is the previous one's new value,
and the cell ends with the last landed value.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection

from ktxh.store.actions import CellWrite, WriteRefused, write_values
from ktxh.store.models import Plan, Source, Value, ValueChange
from tests.web.conftest import user

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="parallel writers need PostgreSQL (DATABASE_URL); make test runs it there",
)

CELLS = [
    ("B02.009", "doan-ket", 2024, "plan"),
    ("B02.012", "doan-ket", 2024, "plan"),
    ("B02.013", "doan-ket", 2024, "plan"),
]
WRITERS = 12
ATTEMPTS = 15


def test_parallel_writers_lose_no_update(tplan: Plan) -> None:
    writers = [user("admin"), user("doan-ket"), user("phong-kinh-te")]
    landed: list[tuple[tuple[str, str, int, str], float]] = []
    refused: list[tuple[tuple[str, str, int, str], float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def run(n: int) -> None:
        try:
            start.wait()
            for k in range(ATTEMPTS):
                key = CELLS[(n + k) % len(CELLS)]
                ind, org, year, measure = key
                version = Value.objects.get(
                    indicator_id=ind, orgunit_id=org, year=year, measure=measure
                ).version
                mine = float(n * 1000 + k + 1)  # every write's value is unique
                try:
                    write_values(
                        writers[n % len(writers)],
                        [CellWrite(*key, version=version, value=mine)],
                        source=Source.API,
                    )
                except WriteRefused as exc:
                    assert [p.reason for p in exc.problems] == ["conflict"]
                    with lock:
                        refused.append((key, mine))
                else:
                    with lock:
                        landed.append((key, mine))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert len(landed) + len(refused) == WRITERS * ATTEMPTS
    assert refused, "the writers should have collided at least once"
    print(f"{len(landed)} writes landed, {len(refused)} refused with a conflict")
    per_cell = Counter(key for key, _ in landed)
    for key in CELLS:
        ind, org, year, measure = key
        value = Value.objects.get(indicator_id=ind, orgunit_id=org, year=year, measure=measure)
        changes = list(ValueChange.objects.filter(value=value).order_by("version"))
        assert changes[0].source == Source.LOAD
        after_load = changes[1:]
        # one audit record per landed write, none for a refused one
        assert len(after_load) == per_cell[key]
        assert {c.new_value for c in after_load} == {v for k, v in landed if k == key}
        assert not {c.new_value for c in after_load} & {v for k, v in refused if k == key}
        # versions without a gap, each change starting from the previous one's value
        assert [c.version for c in changes] == list(range(1, len(changes) + 1))
        for before, after in itertools.pairwise(changes):
            assert after.old_value == before.new_value
        assert value.version == len(changes)
        assert value.value == changes[-1].new_value
