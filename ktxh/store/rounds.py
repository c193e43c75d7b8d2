"""The yearly cycle: opening round Y+1 from round Y.

Round Y holds the plan, the first half and the estimate of year Y, the plan of
Y+1 (next year's targets) and the actual of Y-1. Opening round Y+1
(:func:`open_round`) is one atomic action of the city planner:

* it is refused, with every reason listed, when round Y is not done: a form a
  unit must submit in round Y that is not approved, a later round that already
  exists, a round Y+1 that exists;
* round Y is closed ("khóa sổ"): its cells stay readable and are locked;
* round Y+1 opens: the targets set in round Y for Y+1 are its plan (they are the
  same cells, locked with round Y), its first half, estimate and next year's plan
  are open, and the actual of Y is entered in it;
* the plan's current round becomes Y+1 (templates, reports and checks follow),
  and both events are recorded with who acted.

:func:`plan_opening` says all of this without writing anything (the preview).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ktxh.store.actions import WorkflowError, expected, reports_in
from ktxh.store.models import (
    Form,
    OrgUnit,
    Plan,
    Round,
    RoundEvent,
    RoundStatus,
    Status,
    Submission,
    Value,
)
from ktxh.store.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SHOWN_PENDING = 12  # pending forms listed one by one in a refusal; the rest counted


class RoundError(WorkflowError):
    """An opening that cannot happen; the message is Vietnamese and lists every reason."""


@dataclass
class Opening:
    """What opening round ``year`` does (or did)."""

    year: int
    previous: int | None
    due: date | None
    plan_values: int  # cells of the plan of ``year`` already set (in round ``year``-1)
    units: list[str] = field(default_factory=list)  # units that report in the new round
    gone: list[str] = field(default_factory=list)  # units of the old round no longer in being
    forms_expected: int = 0
    problems: list[str] = field(default_factory=list)  # why it cannot be opened

    @property
    def may_open(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The preview for people, in Vietnamese."""
        y = self.year
        out = []
        if self.previous is not None:
            out.append(
                f"Khóa sổ kỳ báo cáo năm {self.previous}: số liệu của kỳ vẫn xem được, "
                "không sửa được nữa."
            )
        out.append(
            f"Mở kỳ báo cáo năm {y}"
            + (f", hạn nộp biểu {self.due:%d/%m/%Y}" if self.due else "")
            + f": kế hoạch năm {y} (đã đặt ở kỳ trước, {self.plan_values} ô), "
            f"thực hiện 6 tháng và ước thực hiện năm {y}, kế hoạch năm {y + 1}, "
            f"và số thực hiện cả năm {y - 1}."
        )
        out.append(
            f"{len(self.units)} đơn vị báo cáo trong kỳ, {self.forms_expected} biểu phải nộp."
        )
        if self.gone:
            shown = ", ".join(self.gone[:SHOWN_PENDING])
            more = (
                f" và {len(self.gone) - SHOWN_PENDING} đơn vị khác"
                if len(self.gone) > SHOWN_PENDING
                else ""
            )
            out.append(f"{len(self.gone)} đơn vị không còn báo cáo từ kỳ này: {shown}{more}")
        return out


def _pending(year: int, plan: Plan) -> list[tuple[OrgUnit, Form, str]]:
    """The forms expected in round ``year`` that are not approved, with their status."""
    stored = {
        (s.orgunit_id, s.form_id): s
        for s in Submission.objects.filter(year=year).select_related("orgunit", "form")
    }
    forms = list(Form.objects.order_by("number"))
    out = []
    for org in OrgUnit.objects.order_by("order"):
        for form in forms:
            if not expected(org, form, plan.top_orgunit, year):
                continue
            sub = stored.get((org.code, form.number))
            if sub is None:
                out.append((org, form, "Chưa nộp"))
            elif sub.status != Status.APPROVED:
                out.append((org, form, sub.get_status_display()))
    return out


def _expected_count(year: int, plan: Plan) -> tuple[list[OrgUnit], int]:
    units = [o for o in OrgUnit.objects.order_by("order") if reports_in(o, year)]
    forms = list(Form.objects.all())
    count = sum(1 for o in units for f in forms if expected(o, f, plan.top_orgunit, year))
    return [o for o in units if any(expected(o, f, plan.top_orgunit, year) for f in forms)], count


def plan_opening(year: int, due: date | None = None) -> Opening:
    """What opening round ``year`` would do, and every reason it cannot, without writing."""
    plan = Plan.objects.first()
    if plan is None:
        raise RoundError("Kho số liệu chưa có kế hoạch nào")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        raise RoundError(f"«{year}» không phải một năm")
    rounds = {r.year: r for r in Round.objects.all()}
    previous = rounds.get(year - 1)
    problems: list[str] = []
    if year in rounds:
        problems.append(f"Kỳ báo cáo năm {year} đã có ({rounds[year].get_status_display()})")
    later = sorted(y for y in rounds if y > year)
    if later:
        problems.append(
            f"Kho đã có kỳ báo cáo năm {later[-1]}: chỉ mở được kỳ tiếp sau kỳ mới nhất"
        )
    if previous is None:
        latest = max(rounds) if rounds else None
        problems.append(
            f"Kho không có kỳ báo cáo năm {year - 1} để mở kỳ năm {year} từ đó"
            + (f" (kỳ mới nhất: năm {latest}; mở kỳ năm {latest + 1})" if latest else "")
        )
    elif previous.status == RoundStatus.OPEN:
        pending = _pending(previous.year, plan)
        if pending:
            counts = Counter(status for _, _, status in pending)
            summary = ", ".join(f"{n} biểu «{s}»" for s, n in counts.most_common())
            listed = "; ".join(
                f"{form.label} của {org.full_name} ({status})"
                for org, form, status in pending[:SHOWN_PENDING]
            )
            more = (
                f"; và {len(pending) - SHOWN_PENDING} biểu khác"
                if len(pending) > SHOWN_PENDING
                else ""
            )
            problems.append(
                f"Kỳ báo cáo năm {previous.year} chưa được duyệt xong: còn {len(pending)} biểu "
                f"chưa duyệt ({summary}): {listed}{more}. Duyệt hết các biểu trên bảng theo "
                "dõi tiến độ rồi mở kỳ mới."
            )
    if due is None and previous is not None and previous.due is not None:
        try:
            due = previous.due.replace(year=previous.due.year + 1)
        except ValueError:  # 29 February
            due = previous.due.replace(year=previous.due.year + 1, day=28)
    units, count = _expected_count(year, plan)
    gone: list[str] = []
    if previous is not None:
        before, _ = _expected_count(previous.year, plan)
        now = {o.code for o in units}
        gone = [o.full_name for o in before if o.code not in now]
    plan_values = (
        Value.objects.filter(year=year, measure="plan")
        .exclude(value__isnull=True, printed="")
        .count()
    )
    return Opening(
        year,
        previous.year if previous is not None else None,
        due,
        plan_values,
        [o.full_name for o in units],
        gone,
        count,
        problems,
    )


def open_round(actor: User, year: int, due: date | None = None, note: str = "") -> Opening:
    """Open round ``year`` from round ``year - 1`` (see the module's text). Raises
    :class:`RoundError` with every reason when it cannot, PermissionDenied when the
    actor is not the city's planner; nothing is written unless all of it is."""
    plan = Plan.objects.first()
    if plan is None:
        raise RoundError("Kho số liệu chưa có kế hoạch nào")
    top = OrgUnit.objects.get(code=plan.top_orgunit)
    require(actor, "review", top)
    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=plan.pk).first()  # one opening at a time
        opening = plan_opening(year, due)
        if not opening.may_open:
            raise RoundError(
                "Không mở được kỳ báo cáo năm {}: {}".format(year, " ".join(opening.problems))
            )
        who, now = actor.get_username(), timezone.now()
        if opening.previous is not None:
            Round.objects.filter(year=opening.previous).update(status=RoundStatus.CLOSED)
            RoundEvent.objects.create(
                year=opening.previous,
                action="close",
                username=who,
                at=now,
                note=f"khóa sổ khi mở kỳ năm {year}",
            )
        Round.objects.create(year=year, due=opening.due, status=RoundStatus.OPEN)
        RoundEvent.objects.create(year=year, action="open", username=who, at=now, note=note)
        plan = Plan.objects.get(pk=plan.pk)
        head = plan.head
        meta = dict(head.get("ktxh") or {})
        # the narrative's claims state numbers printed in the first round's report
        meta.setdefault("claims_year", meta.get("reference_year"))
        meta["reference_year"] = year
        head["ktxh"] = meta
        plan.head = head
        plan.loaded_at = now  # the caches keyed on the plan are rebuilt
        plan.save(update_fields=["head_text", "loaded_at"])
    return opening


def set_report(actor: User, year: int, number: str, issued: date | None) -> Round:
    """Record the number and date of the report round ``year`` was published as."""
    plan = Plan.objects.first()
    if plan is None:
        raise RoundError("Kho số liệu chưa có kế hoạch nào")
    require(actor, "review", OrgUnit.objects.get(code=plan.top_orgunit))
    number = number.strip()
    if len(number) > 40 or any(not c.isprintable() for c in number):
        raise RoundError(f"Số báo cáo «{number}» không hợp lệ (tối đa 40 ký tự in được)")
    with transaction.atomic():
        r = Round.objects.select_for_update().filter(year=year).first()
        if r is None:
            raise RoundError(f"Không có kỳ báo cáo năm {year}")
        r.report_number, r.report_date = number, issued
        r.save(update_fields=["report_number", "report_date"])
    return r
