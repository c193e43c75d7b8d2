"""Data packages in and out of the store: load → dump → load is lossless, two dumps differ
exactly where the data do, and a faulty package is refused with the store unchanged."""

from __future__ import annotations

import csv
import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from ktxh.io.datapackage import DESCRIPTOR, PackageError, shipped_package
from ktxh.store import actions, models
from ktxh.store.actions import CellWrite, write_values
from ktxh.store.packages import StoreError, dump, load
from tests.store_helpers import store_snapshot

SHIPPED = shipped_package()


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_the_shipped_package_dumps_byte_for_byte(plan: Any, tmp_path: Path) -> None:
    dump(tmp_path / "out")
    assert files(tmp_path / "out") == files(SHIPPED)


def test_load_dump_load_is_lossless_with_history(plan: Any, tmp_path: Path) -> None:
    admin = User.objects.get(username="admin")
    ward = User.objects.get(username="doan-ket")
    write_values(ward, [CellWrite("B02.009", "doan-ket", 2024, "plan", 1, text="83,5")])
    write_values(
        admin,
        [
            CellWrite("B02.009", "doan-ket", 2024, "plan", 2, text="84"),
            CellWrite("B01.002", "lai-chau", 2022, "actual", 0, text="60,1"),
            CellWrite("B02.016", "tan-phong", 2024, "plan", 1, text=""),
        ],
        source=models.Source.API,
        source_ref="script.py",
    )
    ward_form = models.Form.objects.get(number=2)
    org = models.OrgUnit.objects.get(code="doan-ket")
    actions.transition(ward, org, ward_form, 2023, "submit", "Đã rà soát")
    actions.transition(admin, org, ward_form, 2023, "return", "Xem lại diện tích")
    first = tmp_path / "first"
    dump(first)
    before = store_snapshot()

    load(first, user="tests", replace=True)
    second = tmp_path / "second"
    dump(second)
    assert files(second) == files(first)
    after = store_snapshot()
    for table in (
        "Value",
        "ValueChange",
        "Submission",
        "SubmissionEvent",
        "Round",
        "RoundEvent",
        "Indicator",
    ):
        assert after[table] == before[table], table

    sub = models.Submission.objects.get(orgunit_id="doan-ket", form_id=2, year=2023)
    assert (sub.status, sub.note, sub.note_by) == ("returned", "Đã rà soát", "doan-ket")
    assert (sub.opinion, sub.opinion_by) == ("Xem lại diện tích", "admin")
    history = list(
        models.ValueChange.objects.filter(indicator_id="B02.009", orgunit_id="doan-ket")
        .order_by("version")
        .values_list("version", "old_printed", "new_printed", "username", "source")
    )
    assert history == [
        (2, "82,8", "83,5", "doan-ket", "web"),
        (3, "83,5", "84", "admin", "api"),
    ]
    cleared = models.Value.objects.get(indicator_id="B02.016", orgunit_id="tan-phong", year=2024)
    assert (cleared.value, cleared.printed, cleared.version) == (None, "", 2)


def test_two_dumps_differ_exactly_in_the_changed_cells(plan: Any, tmp_path: Path) -> None:
    dump(tmp_path / "a")
    ward = User.objects.get(username="sung-phai")
    write_values(ward, [CellWrite("B02.009", "sung-phai", 2024, "plan", 1, text="1.330,5")])
    dump(tmp_path / "b")
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert [n for n in a if a[n] != b[n]] == ["audit.csv", "values.csv"]
    diff = [
        line
        for line in difflib.unified_diff(
            a["values.csv"].decode().splitlines(), b["values.csv"].decode().splitlines(), n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(diff) == 2
    assert diff[0].startswith('-B02.009,sung-phai,2024,plan,1324.6,"1.324,6",271,')
    assert diff[1].startswith('+B02.009,sung-phai,2024,plan,1330.5,"1.330,5",271,')
    assert ",web,,2," in diff[1] and diff[1].endswith(",sung-phai")
    audit = list(csv.DictReader(b["audit.csv"].decode().splitlines()))
    assert [(r["indicator"], r["old_printed"], r["new_printed"], r["user"]) for r in audit] == [
        ("B02.009", "1.324,6", "1.330,5", "sung-phai")
    ]


def test_a_faulty_package_is_refused_and_the_store_is_unchanged(plan: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SHIPPED, bad)
    text = (bad / "values.csv").read_text(encoding="utf-8").replace(",lai-chau,", ",lai-chau-x,", 1)
    (bad / "values.csv").write_text(text, encoding="utf-8")
    before = store_snapshot()
    with pytest.raises(PackageError) as caught:
        load(bad, replace=True)
    assert caught.value.problems == [
        "values.csv, dòng 2, cột «orgunit»: «lai-chau-x» không có trong orgunits.csv"
    ]
    assert store_snapshot() == before


def test_a_store_with_a_plan_is_not_replaced_without_asking(plan: Any) -> None:
    before = store_snapshot()
    with pytest.raises(StoreError, match="đã có kế hoạch «laichau-2024»: dùng --replace"):
        load(SHIPPED)
    assert store_snapshot() == before


def test_replacing_keeps_the_accounts_whose_unit_remains(plan: Any) -> None:
    loaded = load(SHIPPED, user="tests", replace=True)
    assert loaded.replaced == "laichau-2024"
    ward = User.objects.get(username="doan-ket")
    assert ward.ktxh_profile.orgunit_id == "doan-ket"
    dept = User.objects.get(username="phong-y-te").ktxh_profile
    assert dept.department_id == "phong-y-te"
    event = models.LoadEvent.objects.first()
    assert event is not None and event.username == "tests" and event.package == "laichau-2024"
    assert event.counts["values"] == 3619


def test_dump_never_writes_into_the_shipped_package_or_a_foreign_folder(
    plan: Any, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="dữ liệu mẫu đi kèm ktxh"):
        dump(SHIPPED)
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="đã có tệp khác"):
        dump(tmp_path)
    target = tmp_path / "goi"
    dump(target)
    dump(target)  # an earlier dump is replaced
    assert (target / DESCRIPTOR).exists()
