"""The actions layer: value writes (validation, permissions, locks, conflicts,
audit) and the workflow, called directly as the Excel import will call them."""

from __future__ import annotations

import pytest

from ktxh.store.actions import CellWrite, WorkflowError, WriteRefused, transition, write_values
from ktxh.store.models import (
    AuditError,
    Form,
    OrgUnit,
    Plan,
    Source,
    Status,
    Submission,
    Value,
    ValueChange,
)
from tests.web.conftest import user

CELL = ("B02.009", "doan-ket", 2024, "plan")  # Tổng diện tích đất nông nghiệp canh tác, 82,8 ha


def current(key: tuple[str, str, int, str] = CELL) -> Value:
    ind, org, year, measure = key
    return Value.objects.get(indicator_id=ind, orgunit_id=org, year=year, measure=measure)


def write(username: str, text: str, version: int | None = None, key=CELL, **kw) -> object:
    if version is None:
        v = Value.objects.filter(
            indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
        ).first()
        version = v.version if v else 0
    return write_values(user(username), [CellWrite(*key, version=version, text=text)], **kw)


def test_a_vietnamese_number_is_written_with_its_audit_record(plan: Plan) -> None:
    before = current()
    assert (before.value, before.printed, before.version) == (82.8, "82,8", 1)
    written = write("doan-ket", "1.234,5")
    assert written.changed == 1
    after = current()
    assert (after.value, after.printed, after.version) == (1234.5, "1.234,5", 2)
    assert after.source == Source.WEB
    change = ValueChange.objects.filter(value=after).order_by("version").last()
    assert change is not None
    assert (change.old_value, change.old_printed, change.new_value, change.new_printed) == (
        82.8,
        "82,8",
        1234.5,
        "1.234,5",
    )
    assert change.username == "doan-ket"
    assert change.source == Source.WEB and change.version == 2


def test_a_stale_version_is_a_conflict_that_names_the_newer_value(plan: Plan) -> None:
    write("doan-ket", "90")
    with pytest.raises(WriteRefused) as refused:
        write("admin", "95", version=1)  # admin read version 1 before doan-ket's change
    problem = refused.value.problems[0]
    assert refused.value.status == 409
    assert problem.reason == "conflict"
    assert problem.current is not None and problem.current.value == 90
    assert problem.message == (
        "B02.009 «Tổng diện tích đất nông nghiệp canh tác», phường Đoàn Kết, kế hoạch 2024: "
        f"doan-ket đã sửa ô này thành 90 lúc {problem.message.split(' lúc ')[1][:24]} "
        "(phiên bản 2); giá trị của bạn (95) chưa được lưu, hãy xem lại và nhập lại nếu cần"
    )
    assert current().value == 90  # the first write stands
    assert ValueChange.objects.filter(value=current()).count() == 1  # doan-ket's


def test_an_ambiguous_number_is_refused_with_the_reason(plan: Plan) -> None:
    with pytest.raises(WriteRefused) as refused:
        write("doan-ket", "4.70")
    assert refused.value.status == 422
    assert "dấu chấm ngăn cách hàng nghìn" in refused.value.problems[0].message
    assert current().value == 82.8


def test_dash_is_explicitly_none_and_empty_clears(plan: Plan) -> None:
    write("doan-ket", "-")
    assert (current().value, current().printed) == (None, "-")
    write("doan-ket", "")
    assert current().is_blank
    from ktxh.store.frames import value_frame

    frame = value_frame()
    assert frame.filter(
        (frame["indicator"] == "B02.009") & (frame["orgunit"] == "doan-ket")
    ).is_empty()


def test_writing_the_same_value_changes_nothing(plan: Plan) -> None:
    written = write("doan-ket", "82,8")
    assert written.changed == 0
    assert current().version == 1


def test_a_batch_is_all_or_nothing(plan: Plan) -> None:
    ok = CellWrite("B02.012", "doan-ket", 2024, "plan", version=1, text="200")
    bad = CellWrite(*CELL, version=1, text="abc")
    with pytest.raises(WriteRefused):
        write_values(user("doan-ket"), [ok, bad])
    assert current(("B02.012", "doan-ket", 2024, "plan")).value == 105.3


def test_scope_heading_rows_and_city_only_rows_are_refused(plan: Plan) -> None:
    cases = [
        ("tan-phong", CELL, "forbidden"),  # another ward
        ("phong-y-te", CELL, "forbidden"),  # another sector's form
        ("doan-ket", ("B02.008", "doan-ket", 2024, "plan"), "invalid"),  # a heading
        ("doan-ket", ("B02.003", "doan-ket", 2024, "plan"), "invalid"),  # city only
        ("doan-ket", ("B01.002", "doan-ket", 2024, "plan"), "forbidden"),  # Biểu 1: no wards
        ("doan-ket", ("B02.009", "doan-ket", 2024, "printed_ratio_estimate_plan"), "invalid"),
    ]
    for username, key, reason in cases:
        with pytest.raises(WriteRefused) as refused:
            write(username, "1", key=key)
        assert refused.value.problems[0].reason == reason, (username, key)


def test_a_new_cell_starts_at_version_one(plan: Plan) -> None:
    key = ("B02.009", "doan-ket", 2023, "h1")
    assert not Value.objects.filter(
        indicator_id="B02.009", orgunit_id="doan-ket", year=2023
    ).exists()
    write("doan-ket", "40,5", version=0, key=key)
    assert current(key).version == 1
    with pytest.raises(WriteRefused) as refused:  # a second writer who also saw it empty
        write("admin", "41", version=0, key=key)
    assert refused.value.problems[0].reason == "conflict"


def test_import_records_file_and_cell(plan: Plan) -> None:
    """What issue 6's Excel upload will do: source "import", the cell as provenance."""
    writes = [
        CellWrite(*CELL, version=1, value=83.0, source_ref="doan-ket.xlsx!Biểu 2!F12"),
        CellWrite(
            "B02.012",
            "doan-ket",
            2024,
            "plan",
            version=1,
            text="106",
            source_ref="doan-ket.xlsx!Biểu 2!F14",
        ),
    ]
    written = write_values(user("doan-ket"), writes, source=Source.IMPORT)
    assert written.changed == 2
    change = ValueChange.objects.get(value=current(), version=2)
    assert change.source == Source.IMPORT
    assert change.source_ref == "doan-ket.xlsx!Biểu 2!F12"
    assert current().printed == "83"


def test_the_audit_trail_cannot_be_edited(plan: Plan) -> None:
    write("doan-ket", "90")
    change = ValueChange.objects.first()
    assert change is not None
    change.new_value = 1
    with pytest.raises(AuditError):
        change.save()
    with pytest.raises(AuditError):
        change.delete()
    with pytest.raises(AuditError):
        ValueChange.objects.filter(pk=change.pk).update(new_value=2)
    with pytest.raises(AuditError):
        ValueChange.objects.filter(pk=change.pk).delete()


def test_submit_locks_approve_keeps_locked_reopen_unlocks(plan: Plan) -> None:
    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    sub = transition(user("doan-ket"), org, form, 2023, "submit")
    assert sub.status == Status.SUBMITTED
    with pytest.raises(WriteRefused) as refused:
        write("doan-ket", "90")
    assert refused.value.status == 423
    assert "đã nộp" in refused.value.problems[0].message
    with pytest.raises(WorkflowError):
        transition(user("admin"), org, form, 2023, "return", "")  # a return needs a reason
    transition(user("admin"), org, form, 2023, "approve")
    with pytest.raises(WriteRefused) as refused:
        write("admin", "90")  # locked for the city planner too
    assert "đã được duyệt" in refused.value.problems[0].message
    # another unit and another form are not locked
    write("tan-phong", "50", key=("B02.009", "tan-phong", 2024, "plan"))
    transition(user("admin"), org, form, 2023, "reopen")
    write("doan-ket", "90")
    assert current().value == 90
    events = list(
        Submission.objects.get(orgunit=org, form=form, year=2023).events.values_list(
            "action", flat=True
        )
    )
    assert events == ["reopen", "approve", "submit"]


def test_only_the_planner_reviews(plan: Plan) -> None:
    from django.core.exceptions import PermissionDenied

    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    transition(user("doan-ket"), org, form, 2023, "submit")
    for username in ("doan-ket", "phong-kinh-te", "tan-phong"):
        with pytest.raises(PermissionDenied):
            transition(user(username), org, form, 2023, "approve")
    sub = transition(user("admin"), org, form, 2023, "return", "Số diện tích chưa khớp tổng")
    assert sub.status == Status.RETURNED and sub.opinion == "Số diện tích chưa khớp tổng"
    assert sub.opinion_by == "admin" and sub.note_by == "doan-ket"
    write("doan-ket", "90")  # returned: editable again
    assert transition(user("doan-ket"), org, form, 2023, "submit").status == Status.SUBMITTED


def test_a_unit_does_not_submit_a_city_only_form(plan: Plan) -> None:
    with pytest.raises(WorkflowError):
        transition(
            user("admin"),
            OrgUnit.objects.get(code="doan-ket"),
            Form.objects.get(number=1),
            2023,
            "submit",
        )
