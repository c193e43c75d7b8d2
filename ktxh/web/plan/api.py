"""The JSON API (described in openapi.json, served at /api/openapi.json).

Authentication is the session: ``POST /api/session`` with a user name and a
password sets the session cookie and returns the CSRF token, which every
request that changes something sends back in the ``X-CSRFToken`` header.
The same permissions, validation and conflict rules as the pages apply, since
both call :mod:`ktxh.web.plan.actions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from ktxh.store import actions
from ktxh.store.actions import CellWrite, WriteRefused, value_record, write_values
from ktxh.store.models import (
    Form,
    Indicator,
    OrgUnit,
    Round,
    Source,
    Submission,
    Value,
    ValueChange,
)
from ktxh.store.permissions import require, scope_of
from ktxh.web.plan.findings import cell_findings, checked, finding_dict
from ktxh.web.plan.shortcuts import acting_user, get_or_404

OPENAPI_PATH = Path(__file__).with_name("openapi.json")

View = Callable[..., HttpResponse]


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"error": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def ok(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """Method check, authentication (401, not a redirect), and errors as JSON."""

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return error(405, f"Phương thức {request.method} không được hỗ trợ")
            if not public and scope_of(request.user) is None:
                if request.user.is_authenticated:
                    return error(403, "Tài khoản chưa được phân quyền")
                return error(401, "Cần đăng nhập (POST /api/session)")
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return error(403, str(exc) or "Không có quyền")
            except Http404 as exc:
                return error(404, str(exc) or "Không tìm thấy")
            except (ValueError, KeyError) as exc:
                return error(400, f"Yêu cầu không hợp lệ: {exc}")

        return inner

    return wrap


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"nội dung không phải JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("nội dung phải là một đối tượng JSON")
    return data


def _int(request: HttpRequest, name: str, default: int | None = None) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"«{name}» phải là số nguyên") from None


@endpoint("GET", public=True)
def openapi(request: HttpRequest) -> HttpResponse:
    return HttpResponse(OPENAPI_PATH.read_bytes(), content_type="application/json")


@csrf_exempt
@endpoint("GET", "POST", "DELETE", public=True)
def session(request: HttpRequest) -> HttpResponse:
    """Who am I (GET), log in (POST {username, password}), log out (DELETE)."""
    if request.method == "POST":
        data = _body(request)
        user = authenticate(
            request, username=str(data.get("username", "")), password=str(data.get("password", ""))
        )
        if user is None:
            return error(401, "Sai tên đăng nhập hoặc mật khẩu")
        login(request, user)
    elif request.method == "DELETE":
        logout(request)
        return ok({"authenticated": False})
    scope = scope_of(request.user)
    if scope is None:
        return ok({"authenticated": bool(request.user.is_authenticated)}, 200)
    return ok(
        {
            "authenticated": True,
            "username": request.user.get_username(),
            "role": scope.role.value,
            "orgunit": scope.orgunit,
            "forms": sorted(scope.forms) if scope.forms is not None else None,
            "csrf_token": get_token(request),
        }
    )


@endpoint("GET")
def orgunits(request: HttpRequest) -> HttpResponse:
    units = OrgUnit.objects.restrict(request.user, "view").order_by("order")
    return ok(
        [
            {
                "code": u.code,
                "name": u.name,
                "full_name": u.full_name,
                "level": u.level,
                "parent": u.parent_id,
                "path": u.path,
                "valid_from": u.valid_from.isoformat() if u.valid_from else None,
                "valid_to": u.valid_to.isoformat() if u.valid_to else None,
            }
            for u in units
        ]
    )


@endpoint("GET")
def forms(request: HttpRequest) -> HttpResponse:
    return ok(
        [
            {
                "number": f.number,
                "label": f.label,
                "title": f.title,
                "columns": f.columns.split(),
                "unit_breakdown": f.has_unit_breakdown,
            }
            for f in Form.objects.all()
        ]
    )


@endpoint("GET")
def form_detail(request: HttpRequest, form: int) -> HttpResponse:
    f = get_or_404(Form, number=form)
    return ok(
        {
            "number": f.number,
            "label": f.label,
            "title": f.title,
            "columns": f.columns.split(),
            "unit_breakdown": f.has_unit_breakdown,
            "indicators": [
                {
                    "code": i.code,
                    "position": i.position,
                    "stt": i.stt,
                    "name": i.name,
                    "full_name": i.full_name or i.name,
                    "kind": i.kind,
                    "parent": i.parent_code or None,
                    "unit": i.unit,
                    "unit_printed": i.unit_printed,
                    "direction": i.direction,
                    "decimals": i.decimals,
                    "consolidation": i.row.get("consolidation", ""),
                    "nature": i.row.get("nature", ""),
                }
                for i in f.indicators.order_by("position")
            ],
        }
    )


@endpoint("GET", "POST")
def values(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return save_values(request, Source.API)
    qs = Value.objects.restrict(request.user, "view")
    form = _int(request, "form")
    if form is not None:
        qs = qs.filter(indicator__form_id=form)
    org = request.GET.get("orgunit")
    if org:
        unit = get_or_404(OrgUnit, code=org)
        require(request.user, "view", unit, form)
        qs = qs.filter(orgunit=unit)
    year = _int(request, "year")
    if year is not None:
        qs = qs.filter(year=year)
    if request.GET.get("measure"):
        qs = qs.filter(measure=request.GET["measure"])
    if request.GET.get("indicator"):
        qs = qs.filter(indicator_id=request.GET["indicator"])
    qs = qs.exclude(value__isnull=True, printed="").order_by(
        "indicator__form_id", "indicator__position", "orgunit__order", "year", "measure"
    )
    limit = min(_int(request, "limit", 10000) or 10000, 100000)
    return ok({"values": [value_record(v) for v in qs[:limit]]})


def save_values(request: HttpRequest, source: Source) -> HttpResponse:
    """Write ``{"writes": [{indicator, orgunit, year, measure, version, text | value}]}``
    all or nothing: 200 with the values written, else the gravest refusal (403, 404,
    423 locked, 422 invalid, 409 conflict) with every cell's reason."""
    if scope_of(request.user) is None:
        return error(401, "Cần đăng nhập")
    try:
        data = _body(request)
        raw = data.get("writes")
        if not isinstance(raw, list) or not raw:
            raise ValueError("cần danh sách «writes» không rỗng")
        if len(raw) > 5000:
            raise ValueError("tối đa 5.000 ô mỗi lần")
        writes = []
        for w in raw:
            if not isinstance(w, dict):
                raise ValueError("mỗi phần tử của «writes» là một đối tượng")
            text = w.get("text")
            number = w.get("value")
            if text is not None and not isinstance(text, str):
                raise ValueError("«text» phải là chuỗi")
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int | float)
            ):
                raise ValueError("«value» phải là số")
            writes.append(
                CellWrite(
                    indicator=str(w["indicator"]),
                    orgunit=str(w["orgunit"]),
                    year=int(w["year"]),
                    measure=str(w["measure"]),
                    version=int(w.get("version", 0)),
                    text=text,
                    value=None if number is None else float(number),
                    source_ref=str(w.get("source_ref", ""))[:300],
                )
            )
    except (ValueError, KeyError, TypeError) as exc:
        return error(400, f"Yêu cầu không hợp lệ: {exc}")
    try:
        written = write_values(acting_user(request), writes, source=source)
    except WriteRefused as refused:
        return error(
            refused.status,
            refused.problems[0].message,
            problems=[p.as_dict() for p in refused.problems],
        )
    return ok({"changed": written.changed, "values": [value_record(v) for v in written.values]})


def _change_record(c: ValueChange) -> dict[str, Any]:
    return {
        "indicator": c.indicator_id,
        "orgunit": c.orgunit_id,
        "year": c.year,
        "measure": c.measure,
        "version": c.version,
        "old_value": c.old_value,
        "old_printed": c.old_printed,
        "new_value": c.new_value,
        "new_printed": c.new_printed,
        "user": c.username or None,
        "at": c.at.isoformat(),
        "source": c.source,
        "source_label": c.get_source_display(),
        "source_ref": c.source_ref,
        "batch": c.batch,
    }


@endpoint("GET")
def value_history(request: HttpRequest) -> HttpResponse:
    """The audit trail of one cell (indicator, orgunit, year, measure all given),
    or of one org unit (orgunit only; the newest 500)."""
    org = get_or_404(OrgUnit, code=request.GET.get("orgunit", ""))
    qs = ValueChange.objects.restrict(request.user, "view").filter(orgunit=org)
    ind_code = request.GET.get("indicator")
    if ind_code:
        ind = get_or_404(Indicator, code=ind_code)
        require(request.user, "view", org, ind.form_id)
        year = _int(request, "year")
        if year is None:
            raise ValueError("cần «year» cùng với «indicator»")
        qs = qs.filter(indicator=ind, year=year, measure=request.GET.get("measure", ""))
    else:
        require(request.user, "view", org)
    return ok({"changes": [_change_record(c) for c in qs[:500]]})


@endpoint("GET")
def checks(request: HttpRequest) -> HttpResponse:
    """Findings of one form (``form``), seen from one org unit (``orgunit``), or of
    everything the user may see."""
    form = _int(request, "form")
    org_code = request.GET.get("orgunit")
    if form is not None and not Form.objects.filter(number=form).exists():
        raise Http404(f"Không có biểu số {form}")
    result = checked(form)
    ds = result.dataset
    if org_code:
        org = get_or_404(OrgUnit, code=org_code)
        require(request.user, "view", org, form)
        pairs = cell_findings(ds, result.findings, org.code)
    else:
        scope = scope_of(request.user)
        assert scope is not None
        visible = {u.code for u in OrgUnit.objects.restrict(request.user, "view")}
        pairs = [
            (f, None)
            for f in result.findings
            if (f.orgunit in visible or f.orgunit is None)
            and (
                scope.forms is None
                or ds.catalog.indicators.get(f.indicator or "") is None
                or ds.catalog[f.indicator or ""].form in scope.forms
            )
        ]
    year = _int(request, "year")
    if year is not None:  # the round's cells: year Y and next year's plan
        pairs = [(f, c) for f, c in pairs if f.year is None or f.year in (year, year + 1)]
    return ok({"findings": [finding_dict(ds, f, cell) for f, cell in pairs]})


def _submission_record(s: Submission) -> dict[str, Any]:
    return {
        "orgunit": s.orgunit_id,
        "form": s.form_id,
        "year": s.year,
        "status": s.status,
        "status_label": s.get_status_display(),
        "note": s.note,
        "note_by": s.note_by or None,
        "opinion": s.opinion,
        "opinion_by": s.opinion_by or None,
        "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
        "updated_at": s.updated_at.isoformat() if s.updated_at else None,
        "updated_by": s.updated_by or None,
    }


@endpoint("GET")
def submissions(request: HttpRequest) -> HttpResponse:
    year = _int(request, "year")
    years = [year] if year is not None else list(Round.objects.values_list("year", flat=True))
    user = acting_user(request)
    found = [s for y in years for s in actions.expected_submissions(user, y)]
    return ok({"submissions": [_submission_record(s) for s in found]})


@endpoint("POST")
def submission_action(
    request: HttpRequest, orgunit: str, form: int, year: int, action: str
) -> HttpResponse:
    org = get_or_404(OrgUnit, code=orgunit)
    form_obj = get_or_404(Form, number=form)
    if action not in actions.TRANSITIONS:
        raise Http404(f"Không có thao tác «{action}»")
    comment = str(_body(request).get("comment", ""))
    try:
        sub = actions.transition(acting_user(request), org, form_obj, year, action, comment)
    except actions.WorkflowError as exc:
        return error(409, str(exc))
    return ok(_submission_record(sub))
