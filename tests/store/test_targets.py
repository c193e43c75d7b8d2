"""Targets in the store: typed into plan cells, set by documents (amended, conflicting),
rated, audited, locked, and carried through a data package."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from ktxh.store import models
from ktxh.store.actions import CellWrite, WriteRefused, transition, write_values
from ktxh.store.models import AuditError, Document, Plan, Target, TargetEvent, Value
from ktxh.store.packages import dump, load
from ktxh.store.targets import (
    DocumentInput,
    TargetRefused,
    book_from_store,
    conflicts,
    form_ratings,
    rating_day,
    rating_record,
    record_document,
    remove_target,
    set_target,
)
from tests.store_helpers import store_snapshot
from tests.targets_helpers import targets_package
from tests.web.conftest import user

CITY = ("B01.014", "lai-chau", 2023, "plan")  # Tỷ lệ lao động qua đào tạo, 84,5 %
WARD = ("B07.048", "doan-ket", 2024, "plan")  # Tỷ lệ lao động qua đào tạo, 90,8 %
POPULATION = ("B01.007", "lai-chau", 2023, "plan")  # Tỷ lệ tăng dân số tự nhiên ‰ (lower)


def cell(key: tuple[str, str, int, str]) -> Value:
    return Value.objects.get(indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3])


def type_in(username: str, key: tuple[str, str, int, str], text: str) -> None:
    found = Value.objects.filter(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    ).first()
    write_values(
        user(username), [CellWrite(*key, version=found.version if found else 0, text=text)]
    )


def own_rows(key: tuple[str, str, int, str]) -> list[Target]:
    return list(
        Target.objects.filter(
            indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3], document=None
        )
    )


# --- typed into a plan cell --------------------------------------------------------------


def test_a_range_typed_into_a_plan_cell_keeps_its_text_and_its_structure(plan: Plan) -> None:
    type_in("doan-ket", WARD, "90 - 92%")
    v = cell(WARD)
    assert (v.value, v.printed, v.version) == (90.0, "90 - 92%", 2)  # higher is better: 90
    (row,) = own_rows(WARD)
    assert (row.text, row.kind, row.low, row.high) == ("90 - 92%", "range", "90", "92")
    change = models.ValueChange.objects.filter(value=v).order_by("version").last()
    assert change is not None and (change.old_printed, change.new_printed) == ("90,8", "90 - 92%")
    # a number again: the structure goes, the history keeps the range
    type_in("doan-ket", WARD, "91")
    assert (cell(WARD).value, cell(WARD).printed) == (91.0, "91")
    assert own_rows(WARD) == []


def test_lower_is_better_keeps_the_upper_end_and_bounds_their_bound(plan: Plan) -> None:
    type_in("admin", POPULATION, "10-10,5")
    assert (cell(POPULATION).value, cell(POPULATION).printed) == (10.5, "10-10,5")
    type_in("admin", POPULATION, "dưới 11‰")
    v = cell(POPULATION)
    assert (v.value, v.printed) == (11.0, "dưới 11‰")
    (row,) = own_rows(POPULATION)
    assert (row.kind, row.high, row.high_strict) == ("at_most", "11", True)


@pytest.mark.parametrize(
    ("key", "text", "reason"),
    [
        (CITY, "4.70", "nếu là số thập phân, hãy viết 4,70"),
        (CITY, "trên 4.70", "hãy viết 4,70"),
        (CITY, "tăng mạnh", "ô kế hoạch cũng nhận chỉ tiêu như văn bản viết"),
        (CITY, "khoảng 85 người", "Cách viết được chấp nhận"),
        (CITY, "85-84", "từ số nhỏ đến số lớn"),
        (CITY, "trên 90‰", "tính bằng «%»"),
        (("B01.014", "lai-chau", 2023, "estimate"), "84-85", "chỉ ô kế hoạch nhận khoảng"),
        (("B01.014", "lai-chau", 2023, "estimate"), "abc", "không phải là số hợp lệ"),
    ],
)
def test_what_cannot_be_read_is_refused_with_the_reason(
    plan: Plan, key: tuple[str, str, int, str], text: str, reason: str
) -> None:
    before = store_snapshot()
    with pytest.raises(WriteRefused) as refused:
        type_in("admin", key, text)
    (problem,) = refused.value.problems
    assert problem.reason == "invalid"
    assert reason in problem.message
    assert "B01.014" in problem.message  # located: the row
    assert store_snapshot() == before


# --- documents ---------------------------------------------------------------------------

NQ = DocumentInput(
    "nq-08-2022",
    "nghi_quyet_hdnd",
    "08/NQ-HĐND",
    "2022-12-15",
    "HĐND thành phố (thử)",
    "thành phố",
    "Kế hoạch năm 2023",
)
AMENDMENT = DocumentInput(
    "nq-21-2023",
    "nghi_quyet_hdnd",
    "21/NQ-HĐND",
    "2023-07-14",
    "HĐND thành phố (thử)",
    "thành phố",
    "Điều chỉnh",
    amends="nq-08-2022",
)
PROVINCE = DocumentInput(
    "qd-1520-2022", "giao_chi_tieu", "1520/QĐ-UBND", "2022-12-09", "UBND tỉnh (thử)", "tỉnh"
)


def test_a_document_sets_a_target_and_an_amendment_replaces_it(plan: Plan) -> None:
    admin = user("admin")
    record_document(admin, NQ)
    done = set_target(admin, CITY, "84-85%", "nq-08-2022")
    assert done.changed and done.value_written
    v = cell(CITY)
    assert (v.value, v.printed) == (84.0, "84-85%")
    assert v.source_ref == "văn bản 08/NQ-HĐND"
    # the same target again changes nothing
    again = set_target(admin, CITY, "84-85%", "nq-08-2022")
    assert not again.changed and not again.value_written
    record_document(admin, AMENDMENT)
    set_target(admin, CITY, "84,6-85,5%", "nq-21-2023")
    assert cell(CITY).printed == "84,6-85,5%"
    assert Document.objects.get(code="nq-21-2023").amends_id == "nq-08-2022"
    # both stay: the rating of the report's day uses the amendment, an earlier day the first
    (row,) = [r for r in form_ratings(1, "lai-chau", 2023) if r.indicator.code == "B01.014"]
    assert row.target is not None and row.target.text == "84,6-85,5%"
    assert [d.code for _, d in row.resolved.history] == ["nq-08-2022"]
    assert row.of("estimate").label == "Không đạt"  # 84,5 short of 84,6
    early = next(
        r
        for r in form_ratings(1, "lai-chau", 2023, date(2023, 1, 1))
        if r.indicator.code == "B01.014"
    )
    assert early.target is not None and early.target.text == "84-85%"
    assert early.of("estimate").label == "Đạt"
    events = list(TargetEvent.objects.order_by("id").values_list("action", "document", "new"))
    assert [e[:2] for e in events] == [
        ("document", "nq-08-2022"),
        ("set", "nq-08-2022"),
        ("document", "nq-21-2023"),
        ("set", "nq-21-2023"),
    ]
    with pytest.raises(AuditError):
        TargetEvent.objects.all().delete()


def test_the_provinces_assignment_beside_the_councils_resolution_is_a_conflict(
    plan: Plan,
) -> None:
    admin = user("admin")
    record_document(admin, PROVINCE)
    record_document(admin, NQ)
    set_target(admin, POPULATION, "không quá 10,5‰", "qd-1520-2022")
    set_target(admin, POPULATION, "dưới 11‰", "nq-08-2022")
    assert cell(POPULATION).printed == "dưới 11‰"  # the council's resolution rates
    ((key, rated),) = conflicts(2023)
    assert key == POPULATION
    record = rating_record(rated)
    assert record["document"]["number"] == "08/NQ-HĐND"
    assert [s["document"]["number"] for s in record["sources"]] == ["08/NQ-HĐND", "1520/QĐ-UBND"]
    (conflict,) = record["conflicts"]
    assert not conflict["compatible"] and "1520/QĐ-UBND" in conflict["message"]
    assert record["ratings"]["estimate"]["label"] == "Đạt"  # 10,8 under 11


def test_documents_and_targets_are_the_city_planners_and_refused_with_reasons(
    plan: Plan,
) -> None:
    with pytest.raises(PermissionDenied):
        record_document(user("doan-ket"), NQ)
    admin = user("admin")
    before = store_snapshot()
    for bad, reason in (
        (DocumentInput("NQ 08", "nghi_quyet_hdnd", day="2022-12-15"), "không hợp lệ"),
        (DocumentInput("nq-1", "cong_van", day="2022-12-15"), "nghi_quyet_hdnd"),
        (DocumentInput("nq-1", "nghi_quyet_hdnd", day="15/12/2022"), "YYYY-MM-DD"),
        (DocumentInput("nq-1", "nghi_quyet_hdnd", day="2022-12-15", amends="x"), "chưa có"),
    ):
        with pytest.raises(TargetRefused) as refused:
            record_document(admin, bad)
        assert reason in str(refused.value)
    assert store_snapshot() == before
    record_document(admin, NQ)
    with pytest.raises(TargetRefused, match="ban hành sau nó"):
        record_document(
            admin, DocumentInput("old", "nghi_quyet_hdnd", day="2020-01-01", amends=NQ.code)
        )
    with pytest.raises(TargetRefused, match="hãy viết 4,70"):
        set_target(admin, CITY, "trên 4.70", NQ.code)
    with pytest.raises(TargetRefused, match="chưa có trong kho"):
        set_target(admin, CITY, "84-85", "nq-99")
    with pytest.raises(TargetRefused, match="ô kế hoạch"):
        set_target(admin, ("B01.014", "lai-chau", 2023, "estimate"), "84-85", NQ.code)
    with pytest.raises(PermissionDenied):
        set_target(user("doan-ket"), WARD, "90-92", NQ.code)


def test_a_locked_form_keeps_its_targets(plan: Plan) -> None:
    admin, ward = user("admin"), user("doan-ket")
    record_document(admin, NQ)
    form = models.Form.objects.get(number=7)
    org = models.OrgUnit.objects.get(code="doan-ket")
    transition(ward, org, form, 2023, "submit")
    before = store_snapshot()
    with pytest.raises(TargetRefused, match="khóa"):
        set_target(admin, WARD, "90-92", NQ.code)
    assert store_snapshot() == before


def test_removing_a_documents_target_falls_back_to_the_one_still_in_force(plan: Plan) -> None:
    admin = user("admin")
    record_document(admin, PROVINCE)
    record_document(admin, NQ)
    set_target(admin, POPULATION, "không quá 10,5‰", "qd-1520-2022")
    set_target(admin, POPULATION, "dưới 11‰", "nq-08-2022")
    assert remove_target(admin, POPULATION, "nq-08-2022")
    assert cell(POPULATION).printed == "không quá 10,5‰"
    assert not remove_target(admin, POPULATION, "nq-08-2022")
    assert TargetEvent.objects.filter(action="remove").count() == 1


# --- the test package: load, rate, dump ------------------------------------------------------


def test_the_test_package_loads_rates_and_dumps_losslessly(plan: Plan, tmp_path: Path) -> None:
    source = targets_package(tmp_path / "package")
    load(source, user="tests", replace=True)
    assert Document.objects.count() == 3
    assert rating_day(2023) == date(2023, 8, 30)
    ratings = {r.indicator.code: r for r in form_ratings(1, "lai-chau", 2023)}
    assert ratings["B01.009"].target is not None
    assert ratings["B01.009"].target.text == "từ 93,5 trở lên"  # the amendment, in force
    assert ratings["B01.009"].of("estimate").label == "Không đạt"  # 93 < 93,5
    assert ratings["B01.014"].of("estimate").label == "Đạt"  # 84,5 within 84-85
    assert ratings["B01.008"].of("h1").label == "Đạt"  # typed 9,5-10; 9,7
    assert ratings["B01.003"].of("h1").label == "Chưa đánh giá"  # a flow's first half
    assert ratings["B01.003"].of("estimate").label == "Đạt"  # 207, about 200
    assert ratings["B01.007"].resolved.conflicts
    book = book_from_store()
    assert book.line("nq-21-2023") == "nq-08-2022"
    # a change in the store, then load -> dump -> load gives the same package
    set_target(user("admin"), CITY, "84,2-85", "nq-21-2023")
    first, second = tmp_path / "first", tmp_path / "second"
    dump(first)
    before = store_snapshot()
    load(first, user="tests", replace=True)
    dump(second)
    for name in ("documents.csv", "targets.csv", "target_events.csv", "values.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    after = store_snapshot()
    for table in ("Document", "Target", "TargetEvent", "Value"):
        assert after[table] == before[table], table
    assert "nq-21-2023" in (first / "targets.csv").read_text(encoding="utf-8")
