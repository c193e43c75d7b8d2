"""Many writers on the same cells at once (PostgreSQL: real parallel transactions): web
writers, and web writers with command-line imports in processes of their own.

Every writer reads a cell's version, then writes a value of its own with that
version. Each write either lands or is refused with a conflict; the audit
trail holds exactly one record per landed write, their versions follow each
other without a gap, each record's old value is the previous one's new value,
and the cell ends with the last landed value.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from xlsxwriter.utility import xl_rowcol_to_cell

from ktxh.domain.numbers import format_number
from ktxh.io.xlsx_template import write_template
from ktxh.store.actions import CellWrite, WriteRefused, write_values
from ktxh.store.frames import dataset_from_store
from ktxh.store.models import Plan, Source, Value, ValueChange
from tests.web.conftest import user
from tests.xlsx_helpers import fill

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


Key = tuple[str, str, int, str]


def originals() -> dict[Key, float | None]:
    return {
        key: Value.objects.get(
            indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
        ).value
        for key in CELLS
    }


def test_parallel_writers_lose_no_update(tplan: Plan) -> None:
    original = originals()
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
    check_history(landed, refused, original)


def check_history(
    landed: list[tuple[Key, float]],
    refused: list[tuple[Key, float]],
    original: dict[Key, float | None],
) -> None:
    """One audit record per landed write and none for a refused one; versions without a
    gap from the loaded value's 1, each change starting from the previous one's value;
    the cell ends with the last change."""
    per_cell = Counter(key for key, _ in landed)
    for key in CELLS:
        ind, org, year, measure = key
        value = Value.objects.get(indicator_id=ind, orgunit_id=org, year=year, measure=measure)
        changes = list(ValueChange.objects.filter(value=value).order_by("version"))
        assert len(changes) == per_cell[key]
        assert sorted(c.new_value for c in changes) == sorted(v for k, v in landed if k == key)
        assert not {c.new_value for c in changes} & {v for k, v in refused if k == key}
        assert [c.version for c in changes] == list(range(2, len(changes) + 2))
        assert changes[0].old_value == original[key]
        for before, after in itertools.pairwise(changes):
            assert after.old_value == before.new_value
        assert value.version == len(changes) + 1
        assert value.value == changes[-1].new_value


# What each command-line import writes: two race each other on the third cell, two
# race the web writers on the first two.
IMPORTS = [CELLS[2:], CELLS[2:], CELLS[:2], CELLS[:1]]
WEB_CELLS = CELLS[:2]
WEB_WRITERS = 6
WEB_ATTEMPTS = 8


def test_command_line_imports_and_web_writers_on_the_same_cells(
    tplan: Plan, tmp_path: Path
) -> None:
    """``ktxh import`` processes and web writers (threads calling the actions the views
    call) on the same cells at once: each write lands or is refused as a conflict that
    names the cell and both values, and the audit trail accounts for every landed one."""
    original = originals()
    ds = dataset_from_store()
    template = tmp_path / "mau.xlsx"
    layout = write_template(ds, template, orgunit="doan-ket")
    refs = {
        (row.indicator.code, layout.orgunit.code, c.year, c.measure): (
            sheet.name,
            xl_rowcol_to_cell(row.row, c.col),
        )
        for sheet in layout.sheets
        for row in sheet.rows
        for c in sheet.inputs
    }

    def typed(n: int) -> list[tuple[Key, float]]:
        return [(key, float(100_000 + 10 * n + i)) for i, key in enumerate(IMPORTS[n])]

    files = [
        fill(template, tmp_path / f"nhap-{n}.xlsx", {refs[k]: v for k, v in typed(n)})
        for n in range(len(IMPORTS))
    ]
    s = connection.settings_dict
    url = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "KTXH_USER": "admin"}
    ktxh = str(Path(sys.executable).parent / "ktxh")

    landed: list[tuple[Key, float]] = []
    refused: list[tuple[Key, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    writers = [user("admin"), user("doan-ket")]

    def web(n: int) -> None:
        try:
            for k in range(WEB_ATTEMPTS):
                time.sleep(0.4)  # people typing, while the imports start and run
                key = WEB_CELLS[(n + k) % len(WEB_CELLS)]
                ind, org, year, measure = key
                version = Value.objects.get(
                    indicator_id=ind, orgunit_id=org, year=year, measure=measure
                ).version
                mine = float(n * 1000 + k + 1)
                try:
                    write_values(writers[n % 2], [CellWrite(*key, version=version, value=mine)])
                except WriteRefused as exc:
                    assert [p.reason for p in exc.problems] == ["conflict"]
                    assert f"giá trị của bạn ({format_number(mine)})" in exc.problems[0].message
                    with lock:
                        refused.append((key, mine))
                else:
                    with lock:
                        landed.append((key, mine))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    procs = [
        subprocess.Popen(
            [ktxh, "import", str(f), "--format", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    threads = [threading.Thread(target=web, args=(n,)) for n in range(WEB_WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    applied = 0
    for n, p in enumerate(procs):
        out, err = p.communicate(timeout=300)
        doc = json.loads(out)
        if doc["applied"]:
            assert p.returncode == 0, err
            applied += len(IMPORTS[n])
            landed.extend(typed(n))
        else:
            assert p.returncode == 2, err
            assert doc["problems"], out
            for problem in doc["problems"]:
                assert problem["issue"] == "conflict", problem
                message = problem["message"]
                assert "B02.0" in message and "phường Đoàn Kết" in message, message
                assert re.search(r"\d", message), message
            refused.extend(typed(n))
    total = WEB_WRITERS * WEB_ATTEMPTS + sum(len(cells) for cells in IMPORTS)
    assert len(landed) + len(refused) == total
    print(f"{applied} imported cells landed; {len(landed)} cell writes landed in all")
    check_history(landed, refused, original)
    imports = ValueChange.objects.filter(source=Source.IMPORT)
    assert imports.count() == applied
    assert {c.source_ref.split("!")[0] for c in imports} <= {f.name for f in files}
