"""Recording a reorganisation in the store: new units, their events, the units they end."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from ktxh.domain.orgunits import EventKind, OrgEvent, OrgUnit
from ktxh.io.datapackage import read_package, shipped_package
from ktxh.store import models
from ktxh.store.accounts import create_demo_accounts
from ktxh.store.frames import dataset_from_store
from ktxh.store.orgunits import ReorganisationError, record_reorganisation
from ktxh.store.packages import dump, load
from tests.conftest import PASSWORD
from tests.store_helpers import store_snapshot

SPLIT = date(2027, 1, 1)


@pytest.fixture
def province(plan: Any) -> Any:
    load(shipped_package("laichau-sap-xep-2025"), user="tests", replace=True)
    create_demo_accounts(PASSWORD)
    return models.Plan.objects.get()


def split_events() -> tuple[list[OrgUnit], list[OrgEvent]]:
    units = [
        OrgUnit("doan-ket-a", "Đoàn Kết A", "phường", "tinh-lai-chau", SPLIT),
        OrgUnit("doan-ket-b", "Đoàn Kết B", "phường", "tinh-lai-chau", SPLIT),
    ]
    events = [
        OrgEvent(
            "tach-2027",
            SPLIT,
            EventKind.SPLIT,
            ("doan-ket-2025",),
            ("doan-ket-a", "doan-ket-b"),
            (0.6, 0.4),
            basis="Nghị quyết số 1/NQ-UBTVQH16 (ví dụ của bài kiểm thử)",
        ),
        OrgEvent(
            "doi-ten-2027",
            SPLIT,
            EventKind.RENAME,
            ("tan-phong-2025",),
            new_name="Tân Phong Lai Châu",
        ),
    ]
    return units, events


def test_a_reorganisation_is_recorded_and_the_tree_follows(province: Any, tmp_path: Path) -> None:
    admin = User.objects.get(username="admin")
    units, events = split_events()
    done = record_reorganisation(admin, units, events)
    assert (done.units, done.events, done.ended) == (2, 2, 1)
    assert models.OrgUnit.objects.get(code="doan-ket-2025").valid_to == SPLIT
    ds = dataset_from_store()
    after = ds.tree.at(SPLIT)
    assert [u.full_name for u in after.children("tinh-lai-chau")] == [
        "phường Tân Phong Lai Châu",
        "phường Đoàn Kết A",
        "phường Đoàn Kết B",
    ]
    assert ds.tree.crosswalk(date(2027, 6, 30), date(2026, 6, 30))["doan-ket-b"] == {
        "doan-ket-2025": 0.4
    }
    assert ds.tree.timeline("doan-ket-2025")[-1] == "01/01/2027: không còn"
    # the store writes it out and reads it back
    dump(tmp_path / "goi")
    again = read_package(tmp_path / "goi")
    (split,) = [e for e in again.tree.events if e.id == "tach-2027"]
    assert split.shares == (0.6, 0.4)
    row = models.OrgEvent.objects.get(code="tach-2027").row
    assert row["recorded_by"] == "admin" and row["recorded_at"]


def test_a_faulty_reorganisation_is_refused_whole(province: Any) -> None:
    admin = User.objects.get(username="admin")
    before = store_snapshot()
    units, events = split_events()
    taken = [*units, OrgUnit("tan-phong-2025", "Trùng", "phường", "tinh-lai-chau", SPLIT)]
    bad_share = [
        OrgEvent(
            "tach-2027",
            SPLIT,
            EventKind.SPLIT,
            ("doan-ket-2025",),
            ("doan-ket-a", "doan-ket-b"),
            (0.6, 0.6),
        ),
        events[1],
    ]
    with pytest.raises(ReorganisationError) as refused:
        record_reorganisation(admin, taken, bad_share)
    problems = refused.value.problems
    assert "Mã đơn vị «tan-phong-2025» đã có trong cây đơn vị" in problems
    assert (
        "Sự kiện tach-2027 (01/01/2027): các tỷ lệ chia phải dương và cộng lại bằng 1" in problems
    )
    assert store_snapshot() == before


def test_values_past_the_new_end_are_named(province: Any) -> None:
    admin = User.objects.get(username="admin")
    models.Round.objects.create(year=2026)
    models.Value.objects.create(
        indicator_id="B02.009",
        orgunit_id="doan-ket-2025",
        year=2027,
        measure="plan",
        value=10,
        printed="10",
    )
    units, events = split_events()
    with pytest.raises(ReorganisationError) as refused:
        record_reorganisation(admin, units, events)
    assert refused.value.problems == [
        "phường Đoàn Kết (mã doan-ket-2025) còn số liệu năm 2027, sau ngày hết hiệu lực mới "
        "(từ 01/07/2025 đến hết 31/12/2026): hãy xóa hoặc chuyển các số liệu đó trước"
    ]


def test_only_the_planner_records_a_reorganisation(province: Any) -> None:
    ward = User.objects.get(username="tan-phong-2025")
    with pytest.raises(PermissionDenied):
        record_reorganisation(ward, *split_events())
