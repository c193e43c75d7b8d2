"""The reporting rounds page: the rounds, the preview of opening the next one, and
opening it (the city planner). The views parse, check and call
:mod:`ktxh.store.rounds`; nothing else."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ktxh.store import rounds as round_actions
from ktxh.store.models import Plan, Role, Round, RoundEvent
from ktxh.store.permissions import require_city
from ktxh.web.plan.shortcuts import acting_user


def _due(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"Hạn nộp «{text[:20]}» không phải ngày (YYYY-MM-DD)") from None


@login_required
@require_GET
def rounds_page(request: HttpRequest) -> HttpResponse:
    scope = require_city(request.user)
    all_rounds = list(Round.objects.order_by("-year"))
    events: dict[int, list[RoundEvent]] = {}
    for e in RoundEvent.objects.order_by("at", "id"):
        events.setdefault(e.year, []).append(e)
    opening = None
    if all_rounds and Plan.objects.exists():
        opening = round_actions.plan_opening(all_rounds[0].year + 1)
    return render(
        request,
        "plan/rounds.html",
        {
            "rounds": [(r, events.get(r.year, [])) for r in all_rounds],
            "opening": opening,
            "may_open": scope.role is Role.PLANNER,
        },
    )


@login_required
@require_POST
def round_open(request: HttpRequest) -> HttpResponse:
    scope = require_city(request.user)
    if scope.role is not Role.PLANNER:
        raise PermissionDenied("Chỉ chuyên viên kế hoạch của thành phố được mở kỳ báo cáo mới")
    raw = request.POST.get("year", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise BadRequest(f"Năm «{raw[:20]}» không hợp lệ")
    year = int(raw)
    try:
        round_actions.open_round(
            acting_user(request),
            year,
            _due(request.POST.get("due", "")),
            request.POST.get("note", "")[:500],
        )
    except round_actions.RoundError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Đã mở kỳ báo cáo năm {year} và khóa sổ kỳ năm {year - 1}: "
            "các đơn vị nhập số liệu của kỳ mới.",
        )
    return HttpResponseRedirect(reverse("plan:rounds"))
