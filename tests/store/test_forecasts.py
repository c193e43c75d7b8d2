"""Proposals for the empty "Ước TH cả năm" cells of a round, and their acceptance.

Lai Châu's round 2023 with its real figures: Tổng thu ngân sách nhà nước trên địa bàn
(B01.003, tỷ đồng) has a first half of 57,804 and a plan of 207; its estimate is
cleared, and three earlier years are added (a first half of 50, 54 and 60 for a year
of 180, 190 and 200).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from ktxh.domain.compare import round_half_up
from ktxh.store import actions
from ktxh.store.forecasts import Acceptance, ForecastRefused, accept_forecast, suggestions
from ktxh.store.models import Form, OrgUnit, Source, Value, ValueChange
from tests.store_helpers import store_snapshot

CODE, CITY, YEAR = "B01.003", "lai-chau", 2023
PAST = {2020: (50.0, 180.0), 2021: (54.0, 190.0), 2022: (60.0, 200.0)}  # year: (h1, actual)
RATIO = sorted(full / h1 for h1, full in PAST.values())[1]  # the median of the past years
H1 = 57.804


def admin() -> User:
    return User.objects.get(username="admin")


def clear_estimate(code: str = CODE) -> None:
    """A person clears the estimate cell (the version moves on, the audit says who)."""
    v = Value.objects.get(indicator_id=code, orgunit_id=CITY, year=YEAR, measure="estimate")
    actions.write_values(
        admin(), [actions.CellWrite(code, CITY, YEAR, "estimate", v.version, text="")]
    )


def add_history() -> None:
    for year, (h1, full) in PAST.items():
        for measure, value in (("h1", h1), ("actual", full)):
            Value.objects.create(
                indicator_id=CODE,
                orgunit_id=CITY,
                year=year,
                measure=measure,
                value=value,
                printed=str(value).replace(".", ","),
                source=Source.PACKAGE,
            )


@pytest.fixture
def cleared(plan: Any) -> Any:
    clear_estimate()
    return plan


@pytest.fixture
def with_history(cleared: Any) -> Any:
    add_history()
    return cleared


def test_no_proposal_where_a_person_entered_the_estimate(plan: Any) -> None:
    made = suggestions(YEAR, orgunits={CITY})
    assert all(s.indicator != CODE for s in made.items)
    before = made.entered
    assert before > 300  # the city's estimates of the report are entered
    clear_estimate()
    again = suggestions(YEAR, orgunits={CITY})
    assert again.entered == before - 1
    (s,) = [s for s in again.items if s.indicator == CODE]
    # no earlier year in the store: the plan, with the range up to twice the first half
    assert (s.method, s.value, s.h1, s.years) == ("plan", 207.0, H1, ())
    assert (s.low, s.high) == (round_half_up(2 * H1, 3), 207.0)
    assert s.note == "Đề xuất bằng kế hoạch năm (chưa đủ số liệu các năm trước)"
    assert s.version == 2  # the cleared cell's: an acceptance is written over it
    assert "bỏ qua" in again.summary() and "ô đã có số ước thực hiện do người nhập" in (
        again.summary()
    )


def test_the_usual_ratio_of_past_years(with_history: Any) -> None:
    (s,) = [s for s in suggestions(YEAR, indicators={CODE}).items if s.orgunit == CITY]
    assert s.method == "ratio" and s.years == (2020, 2021, 2022) and not s.short
    assert s.value == round_half_up(H1 * RATIO, 3) == 203.384
    assert (s.low, s.high) == (round_half_up(H1 * 200 / 60, 3), round_half_up(H1 * 180 / 50, 3))
    assert s.range_text() == "192,680 - 208,094"
    assert s.note == (
        "Đề xuất theo tỷ lệ giữa số cả năm và số 6 tháng đầu năm của các năm trước "
        "(các năm 2020, 2021, 2022)"
    )


def test_nothing_is_written_without_acceptance(with_history: Any) -> None:
    before = store_snapshot()
    assert suggestions(YEAR).items
    assert suggestions(YEAR, forms={1}, orgunits={CITY}).items
    assert store_snapshot() == before


def test_an_accepted_forecast_is_audited_as_such(with_history: Any) -> None:
    (s,) = [s for s in suggestions(YEAR, indicators={CODE}).items]
    done = accept_forecast(admin(), [Acceptance(CODE, CITY, YEAR, s.value)])
    assert done.written.changed == 1
    v = Value.objects.get(indicator_id=CODE, orgunit_id=CITY, year=YEAR, measure="estimate")
    assert (v.value, v.printed, v.source, v.updated_by) == (203.384, "203,384", "forecast", "admin")
    change = ValueChange.objects.filter(
        indicator_id=CODE, orgunit_id=CITY, year=YEAR, measure="estimate"
    ).latest("at", "version")
    assert (change.source, change.username, change.old_value, change.new_value) == (
        "forecast",
        "admin",
        None,
        203.384,
    )
    assert change.get_source_display() == "gợi ý ước TH được chấp nhận"
    assert change.source_ref == "gợi ý ước TH của ktxh: ratio (các năm 2020, 2021, 2022)"
    assert change.batch == done.written.batch
    # the cell is now entered: no proposal any more, and it counts as skipped
    after = suggestions(YEAR, indicators={CODE})
    assert not after.items and after.entered == 1


def test_refusals_write_nothing(with_history: Any) -> None:
    (s,) = suggestions(YEAR, indicators={CODE}).items
    before = store_snapshot()

    def refused(cells: list[Acceptance], status: int, text: str, user: User | None = None) -> None:
        with pytest.raises(ForecastRefused) as exc:
            accept_forecast(user or admin(), cells)
        assert exc.value.status == status and text in str(exc.value)
        assert store_snapshot() == before

    # the proposal the person saw is not the one the values make now
    refused([Acceptance(CODE, CITY, YEAR, 210.0)], 409, "gợi ý đã đổi từ 210,000 thành 203,384")
    # a row that is a heading, and a cell with an estimate: nothing to accept (all or nothing)
    ok = Acceptance(CODE, CITY, YEAR, s.value)
    refused([ok, Acceptance("B01.001", CITY, YEAR)], 422, "B01.001, thành phố Lai Châu")
    refused([ok, Acceptance("B01.002", CITY, YEAR)], 409, "ô đã có số ước thực hiện do người nhập")
    refused([Acceptance("B99.999", CITY, YEAR)], 404, "Không có chỉ tiêu «B99.999»")
    refused([], 422, "Chưa chọn ô nào")
    # a ward's officer may not enter the city's figures
    with pytest.raises(PermissionDenied):
        accept_forecast(User.objects.get(username="doan-ket"), [ok])
    # a form submitted for review is locked: the write itself is refused
    actions.transition(
        admin(), OrgUnit.objects.get(code=CITY), Form.objects.get(number=1), YEAR, "submit"
    )
    locked = store_snapshot()
    with pytest.raises(actions.WriteRefused) as exc:
        accept_forecast(admin(), [ok])
    assert exc.value.status == 423
    assert store_snapshot() == locked
