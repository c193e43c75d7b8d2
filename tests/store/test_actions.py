"""The actions layer: value writes (validation, permissions, locks, conflicts,
audit) and the workflow, called directly as the Excel import will call them."""

from __future__ import annotations

import math

import pytest

from ktxh.domain.numbers import NumberError, parse_number
from ktxh.store.actions import (
    CellWrite,
    InvalidInput,
    WorkflowError,
    WriteRefused,
    transition,
    write_values,
)
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
from tests.store_helpers import store_snapshot
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


# --- issue 10: every boundary validates ---------------------------------------------------


def refusal(username: str, key=CELL, **kw) -> str:
    """The message of a write that must be refused as invalid (422), nothing written."""
    v = Value.objects.filter(
        indicator_id=key[0], orgunit_id=key[1], year=key[2], measure=key[3]
    ).first()
    before = store_snapshot()
    with pytest.raises(WriteRefused) as refused:
        write_values(
            user(username),
            [CellWrite(*key, version=kw.pop("version", v.version if v else 0), **kw)],
        )
    assert store_snapshot() == before
    (problem,) = refused.value.problems
    assert problem.reason == "invalid" and refused.value.status == 422, problem
    return problem.message


@pytest.mark.parametrize("year", [0, 3, 1900, 2022, 2029, 40000, 10**12])
def test_a_year_outside_the_stores_rounds_is_refused(plan: Plan, year: int) -> None:
    """The store holds round 2023: the cells of 2023 and the plan of 2024. A ward's
    write for year 10^12 made the dashboard and every download fail for everybody."""
    message = refusal("doan-ket", ("B02.009", "doan-ket", year, "plan"), text="1")
    assert f"kế hoạch năm {year} không thuộc kỳ báo cáo nào của kho" in message
    assert "kỳ năm 2023 (số liệu năm 2023, kế hoạch năm 2024, thực hiện cả năm 2022)" in message


def test_a_later_plan_year_is_for_the_units_in_being_then(plan: Plan) -> None:
    """A multi-year plan sets targets up to five years after its round; the wards of
    Lai Châu end on 30 June 2025, so none of them has a plan of 2026."""
    message = refusal("admin", ("B02.009", "doan-ket", 2026, "plan"), text="1")
    assert "phường Đoàn Kết không tồn tại vào ngày 01/01/2026" in message
    write("admin", "12,5", key=("B02.009", "lai-chau", 2025, "plan"))
    assert current(("B02.009", "lai-chau", 2025, "plan")).value == 12.5


def test_the_rounds_years_are_accepted(plan: Plan) -> None:
    for key in [
        ("B02.009", "doan-ket", 2023, "plan"),
        ("B02.009", "doan-ket", 2023, "h1"),
        ("B02.009", "doan-ket", 2023, "estimate"),
        ("B02.009", "doan-ket", 2022, "actual"),
        ("B02.009", "doan-ket", 2024, "plan"),  # next year's plan: round 2023
    ]:
        write("doan-ket", "12,5", key=key)
        assert current(key).value == 12.5
    message = refusal("doan-ket", ("B02.009", "doan-ket", 2024, "estimate"), text="1")
    assert "ước TH cả năm 2024 không thuộc kỳ báo cáo nào" in message
    message = refusal("doan-ket", ("B02.009", "doan-ket", 2023, "actual"), text="1")
    assert "TH cả năm 2023 không thuộc kỳ báo cáo nào" in message


def test_a_year_that_is_not_an_integer_is_refused(plan: Plan) -> None:
    message = refusal("doan-ket", ("B02.009", "doan-ket", 3.7, "plan"), text="1")  # type: ignore[arg-type]
    assert message == "«year» phải là số nguyên"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (math.nan, "«value» không phải số hữu hạn (NaN hoặc vô cực)"),
        (math.inf, "«value» không phải số hữu hạn (NaN hoặc vô cực)"),
        (-math.inf, "«value» không phải số hữu hạn (NaN hoặc vô cực)"),
        (1e308, "«value» số quá lớn: giá trị tuyệt đối phải nhỏ hơn 1.000.000.000.000.000"),
        (1e29, "«value» số quá lớn: giá trị tuyệt đối phải nhỏ hơn 1.000.000.000.000.000"),
        (-1e15, "«value» số quá lớn: giá trị tuyệt đối phải nhỏ hơn 1.000.000.000.000.000"),
        (10**30, "«value» số quá lớn: giá trị tuyệt đối phải nhỏ hơn 1.000.000.000.000.000"),
        (1e-320, "«value» có 320 chữ số thập phân, tối đa 9"),
        (0.1 + 0.2, "«value» có 17 chữ số thập phân, tối đa 9"),
        (
            123456789.123456789,
            "«value» có 17 chữ số có nghĩa, tối đa 15 (độ chính xác của số được lưu)",
        ),
    ],
)
def test_a_number_the_store_cannot_keep_is_refused(plan: Plan, number: float, reason: str) -> None:
    """NaN became invalid JSON and 500s on PostgreSQL; 1e308 and 30 typed digits a 500
    (decimal.InvalidOperation); 1e-320 a printed value of 322 characters."""
    message = refusal("doan-ket", value=number)
    assert message.endswith(reason), message
    assert message.startswith("B02.009 (Tổng diện tích đất nông nghiệp canh tác): ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1" * 30, "số quá lớn"),  # was a 500 (decimal.InvalidOperation)
        ("1.234.567,891234567", "có 16 chữ số có nghĩa, tối đa 15"),
        ("1.000.000.000.000.000", "số quá lớn"),
        ("0,0000000001", "có 10 chữ số thập phân, tối đa 9"),
        ("1e308", "có ký tự không phải chữ số"),
        ("١٢٣", "có chữ số không phải chữ số thường 0-9"),  # Arabic-Indic
        ("１２３", "có chữ số không phải chữ số thường 0-9"),  # full width
        ("12\x00", "«text» có ký tự điều khiển không in được (U+0000)"),
        ("1" * 61, "«text» dài 61 ký tự, tối đa 60"),
    ],
)
def test_typed_text_the_store_cannot_keep_is_refused(plan: Plan, text: str, reason: str) -> None:
    assert reason in refusal("doan-ket", text=text)


def test_the_largest_and_finest_numbers_kept(plan: Plan) -> None:
    write("doan-ket", "999.999.999.999.999")
    assert (current().value, current().printed) == (999999999999999.0, "999.999.999.999.999")
    write("doan-ket", "0,000000001")
    assert (current().value, current().printed) == (1e-9, "0,000000001")
    write_values(user("doan-ket"), [CellWrite(*CELL, version=current().version, value=-2.5e14)])
    assert current().printed == "(250.000.000.000.000)" and len(current().printed) <= 60


def test_only_ascii_digits_are_numbers() -> None:
    for text in ("١٢٣", "۱۲۳", "１２３", "१२३", "12³"):
        with pytest.raises(NumberError) as err:
            parse_number(text)
        assert "chữ số không phải chữ số thường 0-9" in str(err.value)
    assert parse_number("1.234,5") is not None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("source_ref", "a\x00b", "«source_ref» có ký tự điều khiển không in được (U+0000)"),
        ("source_ref", "tệp\x1b[31m", "«source_ref» có ký tự điều khiển không in được (U+001B)"),
        ("source_ref", "x" * 301, "«source_ref» dài 301 ký tự, tối đa 300"),
        ("indicator", "B02.009\x00", "«indicator» có ký tự điều khiển không in được (U+0000)"),
        ("orgunit", "doan-ket\ud800", "«orgunit» có ký tự không hợp lệ trong UTF-8 (U+D800)"),
    ],
)
def test_control_characters_and_long_text_are_refused(
    plan: Plan, field: str, value: str, reason: str
) -> None:
    """A NUL in source_ref crashed the write on PostgreSQL."""
    fields = dict(zip(("indicator", "orgunit", "year", "measure"), CELL, strict=True))
    fields[field] = value
    before = store_snapshot()
    with pytest.raises(WriteRefused) as refused:
        write_values(
            user("doan-ket"),
            [CellWrite(**fields, version=1, text="5")],  # type: ignore[arg-type]
        )
    assert [p.message for p in refused.value.problems] == [reason]
    assert store_snapshot() == before


def test_a_comment_with_a_nul_or_too_long_is_refused_and_lines_are_kept(plan: Plan) -> None:
    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    before = store_snapshot()
    with pytest.raises(InvalidInput, match=r"«ghi chú khi nộp» có ký tự điều khiển"):
        transition(user("doan-ket"), org, form, 2023, "submit", "đủ\x00")
    with pytest.raises(InvalidInput, match=r"«ghi chú khi nộp» dài 2.001 ký tự, tối đa 2.000"):
        transition(user("doan-ket"), org, form, 2023, "submit", "x" * 2001)
    assert store_snapshot() == before
    sub = transition(user("doan-ket"), org, form, 2023, "submit", "Dòng 1\nDòng 2\tcột")
    assert sub.note == "Dòng 1\nDòng 2\tcột"
    with pytest.raises(InvalidInput, match=r"«ý kiến» có ký tự điều khiển"):
        transition(user("admin"), org, form, 2023, "return", "sai\x07")


@pytest.mark.parametrize("year", [1900, 2022, 2024, 9999, 99999])
def test_a_submission_for_a_round_that_does_not_exist_is_refused(plan: Plan, year: int) -> None:
    """Year 1900 made a submission; 99999 crashed on PostgreSQL."""
    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    with pytest.raises(WorkflowError, match=f"Không có kỳ báo cáo năm {year}"):
        transition(user("doan-ket"), org, form, year, "submit", "ghi chú")
    assert not Submission.objects.exists()


def test_a_units_note_is_never_the_reviewers_opinion(plan: Plan) -> None:
    """A ward's comment on submitting was shown to everyone as "Ý kiến của thành phố"."""
    org, form = OrgUnit.objects.get(code="doan-ket"), Form.objects.get(number=2)
    sub = transition(user("doan-ket"), org, form, 2023, "submit", "Đã rà soát diện tích")
    assert (sub.note, sub.note_by, sub.opinion, sub.opinion_by) == (
        "Đã rà soát diện tích",
        "doan-ket",
        "",
        "",
    )
    sub = transition(user("admin"), org, form, 2023, "return", "Tổng chưa khớp")
    assert (sub.note, sub.note_by) == ("Đã rà soát diện tích", "doan-ket")
    assert (sub.opinion, sub.opinion_by) == ("Tổng chưa khớp", "admin")
    sub = transition(user("doan-ket"), org, form, 2023, "submit", "Đã sửa")
    assert (sub.note, sub.note_by, sub.opinion, sub.opinion_by) == (
        "Đã sửa",
        "doan-ket",
        "Tổng chưa khớp",
        "admin",
    )
    sub = transition(user("admin"), org, form, 2023, "approve")
    assert (sub.opinion, sub.opinion_by) == ("", "")  # an approval without a word clears it


def test_a_user_name_with_control_characters_is_refused(plan: Plan) -> None:
    """A NUL in a user name crashed on PostgreSQL (``ktxh user add``, ``--user``)."""
    from ktxh.store.accounts import Account, AccountError, acting_user, save_account

    before = store_snapshot()
    for name in ("doan\x00ket", "x" * 151, "  "):
        with pytest.raises(AccountError, match="Tên đăng nhập"):
            save_account(Account(name, "unit", "UBND", "doan-ket"))
    with pytest.raises(AccountError, match="Chức danh không hợp lệ"):
        save_account(Account("moi", "unit", "UBND\x07", "doan-ket"))
    with pytest.raises(AccountError, match="có ký tự điều khiển không in được"):
        acting_user("doan-ket\x00")
    assert store_snapshot() == before
