"""The workspace's pages. Each view parses the request, checks the permission
(ktxh.web.plan.permissions) and calls an action or reads; nothing else."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ktxh.domain.catalog import Direction, RowKind
from ktxh.domain.compare import ratio
from ktxh.domain.consolidate import consolidate
from ktxh.domain.numbers import format_number
from ktxh.domain.tables import CellIndex
from ktxh.io.xlsx_safety import mib_text
from ktxh.io.xlsx_template import TemplateError
from ktxh.store import actions, imports
from ktxh.store.actions import expected
from ktxh.store.frames import NoPlan
from ktxh.store.lookup import lookup
from ktxh.store.models import (
    ENTERABLE_MEASURES,
    Form,
    Indicator,
    OrgUnit,
    Plan,
    Round,
    Status,
    Submission,
    ValueChange,
)
from ktxh.store.permissions import (
    Scope,
    can,
    is_administrator,
    require,
    require_city,
    scope_of,
)
from ktxh.web.plan import uploads
from ktxh.web.plan.findings import checked
from ktxh.web.plan.grid import grid_data
from ktxh.web.plan.shortcuts import acting_user, get_or_404

MEASURE_SHORT = {"plan": "KH", "h1": "TH 6 tháng", "estimate": "Ước TH", "actual": "TH cả năm"}


def workspace_context(request: HttpRequest) -> dict[str, Any]:
    scope = scope_of(request.user) if hasattr(request, "user") else None
    return {"scope": scope, "role_label": ROLE_LABELS.get(scope.role.value, "") if scope else ""}


ROLE_LABELS = {
    "planner": "Chuyên viên kế hoạch thành phố",
    "department": "Phòng chuyên môn",
    "unit": "Cán bộ xã, phường",
}


def _plan() -> Plan:
    plan = Plan.objects.first()
    if plan is None:
        raise Http404(str(NoPlan()))
    return plan


def _query_int(request: HttpRequest, name: str, default: int, label: str) -> int:
    """An integer of the query string (ASCII digits, at most four: years, form
    numbers); a 400 page naming it otherwise."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise BadRequest(f"{label} «{raw[:20]}» không hợp lệ: hãy ghi một số (ví dụ 2023)")
    return int(raw)


def _round_or_404(year: int) -> None:
    if year not in actions.round_years():
        raise Http404(f"Không có kỳ báo cáo năm {year}")


def _scope(request: HttpRequest) -> Scope:
    scope = scope_of(request.user)
    if scope is None:
        raise PermissionDenied("Tài khoản chưa được phân quyền trong hệ thống")
    return scope


# --- home and status board --------------------------------------------------------------


@dataclass
class BoardCell:
    submission: Submission
    late: bool
    url: str


def _late(sub: Submission, period: Round | None, today: date) -> bool:
    if period is None or period.due is None:
        return False
    if sub.status in (Status.SUBMITTED, Status.APPROVED):
        return sub.submitted_at is not None and sub.submitted_at.date() > period.due
    return today > period.due


def _submissions(request: HttpRequest, year: int) -> list[Submission]:
    return actions.expected_submissions(acting_user(request), year)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if scope_of(request.user) is None and is_administrator(request.user):
        return HttpResponseRedirect(reverse("plan:start"))  # an administrator, no role
    scope = _scope(request)
    plan = _plan()
    year = plan.reference_year
    period = Round.objects.filter(year=year).first()
    today = date.today()
    subs = _submissions(request, year)
    rows = [
        BoardCell(s, _late(s, period, today), _grid_url(s.form_id, s.orgunit_id, year))
        for s in subs
    ]
    return render(
        request,
        "plan/home.html",
        {"rows": rows, "year": year, "period": period, "plan": plan, "scope": scope},
    )


def _grid_url(form: int, orgunit: str, year: int) -> str:
    return reverse("plan:grid", args=[form, orgunit, year])


@login_required
@require_GET
def status_board(request: HttpRequest) -> HttpResponse:
    require_city(request.user)
    plan = _plan()
    year = _query_int(request, "nam", plan.reference_year, "Năm")
    period = Round.objects.filter(year=year).first()
    today = date.today()
    subs = _submissions(request, year)
    forms = sorted({s.form_id for s in subs})
    units = list(OrgUnit.objects.filter(code__in={s.orgunit_id for s in subs}).order_by("order"))
    by = {(s.orgunit_id, s.form_id): s for s in subs}
    table = [
        (
            u,
            [
                BoardCell(
                    by[(u.code, f)],
                    _late(by[(u.code, f)], period, today),
                    _grid_url(f, u.code, year),
                )
                if (u.code, f) in by
                else None
                for f in forms
            ],
        )
        for u in units
    ]
    counts = {label: 0 for _, label in Status.choices}
    late = 0
    for s in subs:
        counts[s.get_status_display()] += 1
        late += _late(s, period, today)
    return render(
        request,
        "plan/status.html",
        {
            "forms": forms,
            "table": table,
            "year": year,
            "period": period,
            "counts": counts,
            "late": late,
            "total": len(subs),
        },
    )


# --- data entry grid -------------------------------------------------------------------


@login_required
@require_GET
def grid(request: HttpRequest, form: int, orgunit: str, year: int) -> HttpResponse:
    plan = _plan()
    org = get_or_404(OrgUnit, code=orgunit)
    form_obj = get_or_404(Form, number=form)
    require(request.user, "view", org, form)
    _round_or_404(year)
    measure = request.GET.get("so-do") or None
    if measure is not None and measure not in ENTERABLE_MEASURES:
        raise Http404("Số đo không hợp lệ")
    top = plan.top_orgunit
    sub = Submission.objects.filter(orgunit=org, form=form_obj, year=year).first()
    if sub is None and expected(org, form_obj, top):
        sub = Submission(orgunit=org, form=form_obj, year=year)
    may_edit = can(request.user, "edit", org, form)
    city = request.GET.get("xem") == "don-vi"
    data = grid_data(request.user, org, form_obj, year, top, measure=measure, city=city)
    status = Status(sub.status) if sub else None
    allowed = []
    if sub is not None and status is not None:
        for action, (sources, _, permission) in actions.TRANSITIONS.items():
            if status in sources and can(request.user, permission, org, form):
                allowed.append((action, actions.ACTION_LABELS[action]))
    return render(
        request,
        "plan/grid.html",
        {
            "form": form_obj,
            "org": org,
            "year": year,
            "measure": measure,
            "columns": data.columns,
            "groups": data.groups,
            "city": data.city,
            "has_units": form_obj.has_unit_breakdown,
            "rows": data.rows,
            "submission": sub,
            "locked": data.locked,
            "allowed": allowed,
            "may_edit": may_edit,
            "template_ok": may_edit and (org.code == top or form_obj.has_unit_breakdown),
            "measures": [(m, MEASURE_SHORT[m]) for m in ENTERABLE_MEASURES],
            "config": {
                "save": reverse("plan:grid_save"),
                "checks": reverse("api:checks") + f"?orgunit={org.code}&form={form}&year={year}",
                "history": reverse("api:value_history"),
                "ratings": reverse("api:ratings") + f"?orgunit={org.code}&form={form}&year={year}",
                # the proposals beside the empty estimate cells (forecast.js, issue 12)
                "forecasts": reverse("api:forecasts") + f"?form={form}&year={year}",
                "accept": reverse("api:forecast_accept"),
                "year": year,
            },
            "other_units": [
                u
                for u in OrgUnit.objects.restrict(request.user, "view").order_by("order")
                if can(request.user, "view", u, form) and expected(u, form_obj, top)
            ],
        },
    )


@login_required
@require_POST
def grid_save(request: HttpRequest) -> HttpResponse:
    """The grid saves through the same code as the API, recorded as source "web"."""
    from ktxh.store.models import Source
    from ktxh.web.plan.api import save_values

    return save_values(request, Source.WEB)


# --- workflow --------------------------------------------------------------------------


@login_required
@require_POST
def workflow(request: HttpRequest, orgunit: str, form: int, year: int, action: str) -> HttpResponse:
    org = get_or_404(OrgUnit, code=orgunit)
    form_obj = get_or_404(Form, number=form)
    if action not in actions.TRANSITIONS:
        raise Http404("Thao tác không hợp lệ")
    try:
        sub = actions.transition(
            acting_user(request),
            org,
            form_obj,
            year,
            action,
            request.POST.get("comment", ""),
        )
    except (actions.WorkflowError, actions.InvalidInput) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{form_obj.label} của {org.full_name} năm {year}: {sub.get_status_display().lower()}.",
        )
    return HttpResponseRedirect(_grid_url(form, orgunit, year))


# --- audit trail -----------------------------------------------------------------------


@login_required
@require_GET
def unit_audit(request: HttpRequest, orgunit: str) -> HttpResponse:
    org = get_or_404(OrgUnit, code=orgunit)
    require(request.user, "view", org)
    changes = (
        ValueChange.objects.restrict(request.user, "view")
        .filter(orgunit=org)
        .select_related("indicator")
    )
    form = _query_int(request, "bieu", 0, "Biểu số")
    if form:
        changes = changes.filter(indicator__form_id=form)
    return render(
        request,
        "plan/audit.html",
        {"org": org, "changes": changes[:500], "title": f"Nhật ký thay đổi của {org.full_name}"},
    )


@login_required
@require_GET
def cell_audit(
    request: HttpRequest, indicator: str, orgunit: str, year: int, measure: str
) -> HttpResponse:
    org = get_or_404(OrgUnit, code=orgunit)
    ind = get_or_404(Indicator, code=indicator)
    require(request.user, "view", org, ind.form_id)
    changes = ValueChange.objects.filter(
        indicator=ind, orgunit=org, year=year, measure=measure
    ).select_related("indicator")
    label = f"{MEASURE_SHORT.get(measure, measure)} {year}"
    return render(
        request,
        "plan/audit.html",
        {
            "org": org,
            "changes": changes,
            "title": f"Lịch sử ô «{ind.name}», {label}, {org.full_name}",
        },
    )


# --- dashboard -------------------------------------------------------------------------


def _shown(value: float | None, printed: str, decimals: int) -> str:
    """A figure as printed (typed), else formatted with the catalog's decimals."""
    if printed:
        return printed
    return "" if value is None else format_number(value, decimals, parens=True)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    require_city(request.user)
    result = checked()
    ds = result.dataset
    y, top = ds.reference_year, ds.top_orgunit
    cells = CellIndex(ds.values.frame).fill_totals(
        consolidate(ds.values.frame, ds.catalog, ds.tree)
    )
    key_rows = []
    # the colours are the ratings against the targets in force (issue 13: docs/targets.md)
    from ktxh.web.plan.targets import dashboard_ratings, tone

    rated, tallies = dashboard_ratings(ds, cells, 1, top, y)
    for ind in ds.catalog.in_form(1):
        if ind.kind is RowKind.GROUP:
            key_rows.append({"group": True, "name": ind.name})
            continue
        c_plan, c_h1 = cells[(ind.code, top, y, "plan")], cells[(ind.code, top, y, "h1")]
        c_est, c_next = cells[(ind.code, top, y, "estimate")], cells[(ind.code, top, y + 1, "plan")]
        plan_v, h1, est = c_plan.value, c_h1.value, c_est.value
        # the figures as the form prints them; the colours from the direction (issue 14)
        conv = ds.catalog.convention(ind.code)
        r_h1 = ratio(h1, plan_v, ind.direction, ind.comparable, conv)
        r_est = ratio(est, plan_v, ind.direction, ind.comparable, conv)
        key_rows.append(
            {
                "group": False,
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "down": ind.direction is Direction.DOWN,
                "plan": _shown(c_plan.value, c_plan.printed, ind.decimals),
                "h1": _shown(c_h1.value, c_h1.printed, ind.decimals),
                "estimate": _shown(c_est.value, c_est.printed, ind.decimals),
                "next": _shown(c_next.value, c_next.printed, ind.decimals),
                "r_h1": format_number(r_h1, 0) if r_h1 is not None else "",
                "r_est": format_number(r_est, 0) if r_est is not None else "",
                "tone_h1": tone(rated[ind.code].of("h1")),
                "tone_est": tone(rated[ind.code].of("estimate")),
                "rating_h1": rated[ind.code].of("h1"),
                "rating_est": rated[ind.code].of("estimate"),
                "target": rated[ind.code].target,
                "source": rated[ind.code].resolved.source,
                "conflicts": [c.message() for c in rated[ind.code].resolved.conflicts],
                "bar_h1": min(max(r_h1 or 0.0, 0.0), 150.0),
                "bar_est": min(max(r_est or 0.0, 0.0), 150.0),
            }
        )
    # ward comparison: each unit-breakdown indicator's next-year plan per unit
    kids = ds.tree.children(top)
    wards: list[dict[str, Any]] = []
    for form in sorted(ds.catalog.forms.values(), key=lambda f: f.number):
        if not form.has_unit_breakdown:
            continue
        for ind in ds.catalog.in_form(form.number):
            if ind.kind is RowKind.GROUP:
                continue
            vals = [cells[(ind.code, k.code, y + 1, "plan")].value for k in kids]
            if sum(v is not None for v in vals) >= 2:
                wards.append(
                    {
                        "code": ind.code,
                        "label": f"{form.label} · {ind.label} ({ind.unit})",
                        "values": vals,
                    }
                )
    # an indicator of the city or of a unit across every year held, with "so với cùng kỳ"
    # and the growth on the year before (issue 12): the first one drawn at once, the
    # others fetched from /api/trends (ktxh.web.plan.cycle)
    from ktxh.web.plan.cycle import trend_choices, trend_record

    choices, trend_units = trend_choices(ds, _scope(request))
    open_findings = [f for f in result.findings if f.severity.rank >= 2]
    chart_data = {
        "units": [k.name for k in kids],
        "wards": wards,
        "trends": {
            "url": reverse("api:trends"),
            "indicators": choices,
            "units": trend_units,
            "first": trend_record(choices[0]["code"], top) if choices else None,
        },
    }
    return render(
        request,
        "plan/dashboard.html",
        {
            "year": y,
            "key_rows": key_rows,
            "tallies": tallies,
            "chart_data": chart_data,
            "findings": open_findings[:200],
            "n_findings": len(open_findings),
            "n_errors": sum(1 for f in open_findings if f.severity.rank == 3),
            "top": ds.tree[top],
            "catalog": ds.catalog,
            "tree": ds.tree,
        },
    )


# --- downloads -------------------------------------------------------------------------

DOWNLOADS = {
    "phu-luc.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "bao-cao.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "bao-cao.pdf": "application/pdf",
    "phu-luc.pdf": "application/pdf",
    "kiem-tra.json": "application/json",
}


@login_required
@require_GET
def download(request: HttpRequest, name: str) -> HttpResponse:
    """The report built from the database's values: annex workbook, narrative,
    their PDFs, and the findings as JSON."""
    require_city(request.user)
    if name not in DOWNLOADS:
        raise Http404("Không có tệp này")
    from ktxh.io.findings_json import findings_document
    from ktxh.io.pdf import LibreOfficeNotFound, PdfError
    from ktxh.io.publish import publish

    result = checked()
    ds = result.dataset
    if name == "kiem-tra.json":
        doc = findings_document(ds, result.findings)
        return HttpResponse(
            json.dumps(doc, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    tmp = Path(tempfile.mkdtemp(prefix="ktxh-web-"))
    target = tmp / name
    try:
        if name == "phu-luc.xlsx":
            publish(ds, xlsx=target)
        elif name == "bao-cao.docx":
            publish(ds, docx=target)
        elif name == "bao-cao.pdf":
            publish(ds, pdf=target)
        else:
            publish(ds, pdf_xlsx=target)
    except LibreOfficeNotFound as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    except PdfError as exc:
        return HttpResponse(str(exc), status=500, content_type="text/plain; charset=utf-8")
    data = target.read_bytes()
    target.unlink()
    tmp.rmdir()
    return HttpResponse(
        data,
        content_type=DOWNLOADS[name],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Excel templates and uploads -------------------------------------------------------

IMPORT_SESSION = "ktxh_nhap_excel"  # {"token", "fingerprint"} of the upload awaiting confirmation


@login_required
@require_GET
def template(request: HttpRequest, orgunit: str) -> HttpResponse:
    """The input workbook of a unit (``?bieu=N``, repeated, to choose forms)."""
    org = get_or_404(OrgUnit, code=orgunit)
    forms = [int(f) for f in request.GET.getlist("bieu") if f.isascii() and f.isdigit()]
    if any(n not in lookup(request.user).breakdown for n in forms):
        raise Http404("Không có biểu số này")
    try:
        made = imports.template_for(acting_user(request), org, forms)
    except TemplateError as exc:
        raise Http404(str(exc)) from None
    return HttpResponse(
        made.data,
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{made.name}"'},
    )


def _template_units(request: HttpRequest, scope: Scope) -> list[OrgUnit]:
    """The units whose template the account may download."""
    index = lookup(request.user)
    unit_forms = index.unit_forms if scope.forms is None else index.unit_forms & scope.forms
    return [
        u
        for u in OrgUnit.objects.restrict(request.user, "edit").order_by("order")
        if u.code == index.top or unit_forms
    ]


def _import_page(
    request: HttpRequest, scope: Scope, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "plan/import.html",
        {
            "units": _template_units(request, scope),
            "year": _plan().reference_year,
            "max_file": mib_text(imports.LIMITS.max_file_bytes),
            "max_request": mib_text(imports.LIMITS.max_request_bytes),
            "error": error,
        },
        status=status,
    )


def _preview_page(
    request: HttpRequest, shown: imports.Preview, token: str | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "plan/import_preview.html",
        {
            "shown": shown,
            "files": shown.files,
            "changes": shown.change_rows(),
            "n_changes": len(shown.plan.changes),
            "more": max(0, len(shown.plan.changes) - imports.SHOWN_CHANGES),
            "problems": shown.problem_rows(),
            "n_blocking": len(shown.plan.blocking),
            "unchanged": shown.plan.unchanged,
            "token": token,
        },
        status=status,
    )


def _forget_upload(request: HttpRequest) -> None:
    held = request.session.pop(IMPORT_SESSION, None)
    if isinstance(held, dict):
        uploads.discard(str(held.get("token", "")))


@login_required
@require_http_methods(["GET", "POST"])
def import_excel(request: HttpRequest) -> HttpResponse:
    """The upload page; a POST of one or more workbooks answers with the preview
    (what would change, cell by cell, and every problem). Nothing is written."""
    scope = _scope(request)
    if request.method == "GET":
        return _import_page(request, scope)
    files = request.FILES.getlist("tep")
    if not files:
        return _import_page(
            request,
            scope,
            "Chưa chọn tệp nào: hãy chọn một hoặc nhiều tệp Excel (.xlsx) đã điền.",
            status=400,
        )
    taken: set[str] = set()
    received = []
    total = 0  # bytes read: the files of one request share a budget (imports.preview)
    for f in files:
        size = int(f.size or 0)
        limits = imports.LIMITS
        readable = size <= limits.max_file_bytes and total + size <= limits.max_request_bytes
        data = f.read() if readable else None
        total += len(data) if data is not None else 0
        received.append(imports.Upload(imports.upload_name(f.name or "", taken), size, data))
    shown = imports.preview(acting_user(request), received)
    _forget_upload(request)
    token = None
    if shown.ok and shown.plan.changes:
        token = uploads.stash(received)
        request.session[IMPORT_SESSION] = {"token": token, "fingerprint": shown.fingerprint()}
    return _preview_page(request, shown, token)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the previewed upload: planned again from the same bytes, written all or nothing."""
    held = request.session.get(IMPORT_SESSION)
    token = request.POST.get("token", "")
    received = None
    if isinstance(held, dict) and token and held.get("token") == token:
        received = uploads.unstash(token)
    if received is None or not isinstance(held, dict):
        _forget_upload(request)
        messages.error(
            request,
            "Không có tệp nào đang chờ xác nhận (các tệp đã được nhập, hoặc đã quá hạn): "
            "hãy tải tệp lên lại.",
        )
        return HttpResponseRedirect(reverse("plan:import"))
    result = imports.apply(acting_user(request), received, str(held.get("fingerprint", "")))
    if result.stale and result.preview.plan.changes:
        request.session[IMPORT_SESSION] = {
            "token": token,
            "fingerprint": result.preview.fingerprint(),
        }
        messages.warning(
            request,
            "Số liệu đã thay đổi kể từ lúc xem trước; dưới đây là các thay đổi tính lại "
            "theo số liệu hiện nay. Chưa ghi gì: hãy xem lại rồi xác nhận lần nữa.",
        )
        return _preview_page(request, result.preview, token)
    _forget_upload(request)
    if result.stale:
        messages.info(
            request,
            "Số liệu đã thay đổi kể từ lúc xem trước và không còn ô nào cần thay đổi: chưa ghi gì.",
        )
        return _preview_page(request, result.preview, None)
    if not result.applied:
        messages.error(request, "Không nhập được: chưa ghi số liệu nào. Xem các lỗi dưới đây.")
        return _preview_page(request, result.preview, None, status=409)
    return render(
        request,
        "plan/import_done.html",
        {
            "result": result,
            "checks": uploads.checks_after(result.preview.dataset, result.preview.plan.changes),
            "n_changes": len(result.preview.plan.changes),
            "year": _plan().reference_year,
        },
    )


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """A trivial view: the benchmark's yardstick for the server itself."""
    return HttpResponse("ok", content_type="text/plain")
