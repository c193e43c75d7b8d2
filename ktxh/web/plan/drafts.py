"""The planner's pages for past reports read into drafts: the list of drafts, the review
of one (accept, pick the alternative placement, type the right values, reject), the
review workbook out and back in, and the confirmation that writes the values.

Each view parses the request, checks that the user is the planner of the top unit and
calls :mod:`ktxh.store.drafts`; nothing of a draft is a value of the plan until it is
confirmed.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ktxh.domain.catalog import MEASURE_LABELS
from ktxh.domain.numbers import format_number
from ktxh.domain.reading import REVIEW_LABELS, ReviewKind
from ktxh.io.review_xlsx import read_review, write_review
from ktxh.store import drafts as actions
from ktxh.store import models
from ktxh.store.frames import NoPlan, dataset_from_store
from ktxh.store.permissions import require
from ktxh.web.plan.shortcuts import acting_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURENESS = {"high": "cao", "medium": "trung bình", "low": "thấp", "": "—"}
MAX_REVIEW_BYTES = 20 * 1024 * 1024


def _require_planner(request: HttpRequest) -> None:
    plan = models.Plan.objects.first()
    if plan is None:
        raise Http404(str(NoPlan()))
    top = models.OrgUnit.objects.get(code=plan.top_orgunit)
    require(request.user, "review", top)


def _draft(number: int) -> models.Draft:
    found = models.Draft.objects.filter(pk=number).first()
    if found is None:
        raise Http404(f"Không có bản nháp số {number}")
    return found


@dataclass
class Cell:
    """A value an item is about: its key in words, the value read, the value typed."""

    label: str
    read: str
    typed: str


@dataclass
class Row:
    item: models.DraftItem
    label: str
    where: str
    cells: list[Cell]
    alternative: list[str]
    allowed: list[tuple[str, str]]
    sureness: str


def _shown(value: float | None, printed: str) -> str:
    if printed:
        return printed
    return "" if value is None else format_number(value, parens=True)


@login_required
@require_GET
def draft_list(request: HttpRequest) -> HttpResponse:
    _require_planner(request)
    rows = []
    for d in models.Draft.objects.all():
        rows.append((d, d.values.count(), d.items.count(), d.items.exclude(decision="").count()))
    return render(request, "plan/drafts.html", {"rows": rows})


@login_required
@require_GET
def draft_page(request: HttpRequest, number: int) -> HttpResponse:
    _require_planner(request)
    draft = _draft(number)
    names = {o.code: o.name for o in models.OrgUnit.objects.all()}
    read = {
        (v.indicator, v.orgunit, v.year, v.measure): _shown(v.value, v.printed)
        for v in draft.values.all()
    }
    only_open = request.GET.get("loc") == "chua"
    items = draft.items.all()
    if only_open:
        items = items.filter(decision="")
    rows = []
    for item in items:
        keys = [(k[0], k[1], int(k[2]), k[3]) for k in item.keys]
        typed = list(item.corrected) + [""] * (len(keys) - len(item.corrected))
        cells = [
            Cell(
                actions.key_label(k, names),
                read.get(k, ""),
                typed[i] if item.decision == models.Decision.CORRECT else read.get(k, ""),
            )
            for i, k in enumerate(keys)
        ]
        alternative = [
            f"{actions.key_label(a[:4], names)} = {_shown(a[4], a[5]) or '-'}"
            for a in item.alternative
        ]
        allowed = [(d, models.Decision(d).label) for d in actions.allowed_decisions(item)]
        rows.append(
            Row(
                item,
                REVIEW_LABELS[ReviewKind(item.kind)],
                str(actions.where_of(item.where)),
                cells,
                alternative,
                allowed,
                SURENESS.get(item.confidence, item.confidence),
            )
        )
    total = draft.items.count()
    left = draft.items.filter(decision="").count()
    return render(
        request,
        "plan/draft.html",
        {
            "draft": draft,
            "rows": rows,
            "total": total,
            "left": left,
            "values": draft.values.count(),
            "only_open": only_open,
            "measures": MEASURE_LABELS,
        },
    )


def _back(number: int, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("plan:draft", args=[number]) + anchor)


@login_required
@require_POST
def draft_decide(request: HttpRequest, number: int, item: int) -> HttpResponse:
    """One item's decision (the form beside it)."""
    _require_planner(request)
    draft = _draft(number)
    found = draft.items.filter(number=item).first()
    if found is None:
        raise Http404(f"Bản nháp số {number} không có mục {item}")
    decision = request.POST.get("decision", "")
    texts = [request.POST.get(f"v{i}", "") for i in range(len(found.keys))]
    try:
        actions.decide(
            acting_user(request), found, decision, texts, request.POST.get("comment", "")
        )
    except actions.DraftError as exc:
        messages.error(request, f"Mục {item}: {exc}")
    return _back(number, f"#muc-{item}")


@login_required
@require_POST
def draft_confirm(request: HttpRequest, number: int) -> HttpResponse:
    _require_planner(request)
    draft = _draft(number)
    try:
        done = actions.confirm(acting_user(request), draft)
    except actions.DraftError as exc:
        messages.error(request, f"Chưa xác nhận được: {exc}")
        return _back(number)
    skipped = "; ".join(f"{n} {reason}" for reason, n in done.skipped.items())
    messages.success(
        request,
        f"Đã ghi {format_number(done.written)} giá trị của bản nháp số {number} vào kế hoạch "
        f"(lần ghi {done.batch})." + (f" Không ghi: {skipped}." if skipped else ""),
    )
    return _back(number)


@login_required
@require_POST
def draft_discard(request: HttpRequest, number: int) -> HttpResponse:
    _require_planner(request)
    try:
        actions.discard(acting_user(request), _draft(number))
    except actions.DraftError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Đã bỏ bản nháp số {number}: không ghi gì vào kế hoạch.")
    return _back(number)


@login_required
@require_GET
def draft_workbook(request: HttpRequest, number: int) -> HttpResponse:
    """The review workbook of a draft (to fill in Excel and send back)."""
    _require_planner(request)
    draft = _draft(number)
    with tempfile.TemporaryDirectory(prefix="ktxh-review-") as tmp:
        path = Path(tmp) / "xem-lai.xlsx"
        write_review(actions.draft_reading(draft), dataset_from_store(), path)
        data = path.read_bytes()
    return HttpResponse(
        data,
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="xem-lai-{number}.xlsx"'},
    )


@login_required
@require_POST
def draft_review_upload(request: HttpRequest, number: int) -> HttpResponse:
    """The review workbook sent back: its decisions, all or nothing."""
    _require_planner(request)
    draft = _draft(number)
    f = request.FILES.get("tep")
    if f is None:
        messages.error(request, "Chưa chọn tệp bảng xem lại (.xlsx).")
        return _back(number)
    if (f.size or 0) > MAX_REVIEW_BYTES:
        messages.error(request, f"Tệp «{f.name}» quá lớn.")
        return _back(number)
    data = io.BytesIO(f.read()).getvalue()
    rows, faults = read_review(data, f.name or "xem-lai.xlsx")
    try:
        taken = actions.apply_review(acting_user(request), draft, rows, faults)
    except actions.DraftError as exc:
        for p in exc.problems[:50]:
            messages.error(request, p)
        messages.error(request, "Không nhận bảng xem lại: chưa ghi quyết định nào.")
        return _back(number)
    except PermissionDenied:
        raise
    messages.success(request, f"Đã ghi {format_number(taken)} quyết định từ «{f.name}».")
    return _back(number)
