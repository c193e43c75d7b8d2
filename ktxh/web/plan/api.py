"""The JSON API (described in openapi.json, served at /api/openapi.json).

Authentication is the session: ``POST /api/session`` with a user name and a
password sets the session cookie and returns the CSRF token, which every
request that changes something sends back in the ``X-CSRFToken`` header.
The login itself has no token to send: it is accepted only as JSON
(``Content-Type: application/json``, which a page of another site cannot send
without the browser asking first) and not from another site's page (``Origin``,
``Sec-Fetch-Site``); failed logins are counted by django-axes. The same
permissions, validation and conflict rules as the pages apply, since both call
:mod:`ktxh.store.actions`.

Every error is an RFC 9457 problem (``application/problem+json``: ``title``,
``status``, ``detail`` in Vietnamese; ``problems`` for the cells of a refused
write): :mod:`ktxh.web.plan.errors`.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from ktxh.domain.numbers import format_number
from ktxh.store import actions
from ktxh.store.actions import (
    CellWrite,
    InvalidInput,
    WriteRefused,
    text_problem,
    value_record,
    write_values,
)
from ktxh.store.frames import current_year
from ktxh.store.models import (
    Form,
    Indicator,
    Measure,
    OrgUnit,
    Round,
    Source,
    Submission,
    Value,
    ValueChange,
)
from ktxh.store.permissions import require, scope_of
from ktxh.web.plan.errors import problem
from ktxh.web.plan.findings import cell_findings, checked, finding_dict
from ktxh.web.plan.security import cross_site
from ktxh.web.plan.shortcuts import acting_user, get_or_404

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
MEASURES = tuple(Measure.values)

View = Callable[..., HttpResponse]

# bounds of the integers in queries and bodies (the store keeps years, forms and
# versions in small columns)
YEARS = (1, 9999)
FORMS = (1, 9999)
VERSIONS = (0, 2**31 - 1)
LIMIT = (1, 100000)
MAX_WRITES = 5000
WRITE_FIELDS = (
    "indicator",
    "orgunit",
    "year",
    "measure",
    "version",
    "text",
    "value",
    "source_ref",
)
USERNAME_LENGTH = 150
PASSWORD_LENGTH = 1000


class ApiError(Exception):
    """A refusal of the request itself, with its HTTP status (Vietnamese message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return problem(status, message, **extra)


def ok(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """Method check, authentication (401, not a redirect), and errors as problems."""

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                refused = error(405, f"Phương thức {request.method} không được hỗ trợ ở đây")
                refused["Allow"] = ", ".join(methods)
                return refused
            if not public and scope_of(request.user) is None:
                if request.user.is_authenticated:
                    return error(403, "Tài khoản chưa được phân quyền")
                return error(401, "Cần đăng nhập (POST /api/session)")
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error(exc.status, exc.message)
            except PermissionDenied as exc:
                return error(403, str(exc) or "Không có quyền")
            except Http404 as exc:
                return error(404, str(exc) or "Không tìm thấy")
            except (ValueError, KeyError) as exc:
                return error(400, f"Yêu cầu không hợp lệ: {exc}")

        return inner

    return wrap


def _no_constant(name: str) -> Any:
    raise ApiError(400, f"Yêu cầu không hợp lệ: JSON không có giá trị {name}; hãy gửi một số")


def _check_strings(data: Any, depth: int = 0) -> None:
    """Every string (and key) of a JSON document may be stored and shown: no NUL or
    other control character but tabs and line breaks, no lone surrogate."""
    if depth > 20:
        raise ApiError(400, "Yêu cầu không hợp lệ: nội dung JSON lồng nhau quá sâu")
    if isinstance(data, str):
        if actions.SUSPECT_CHARACTERS.search(data) is None:  # nearly always: nothing to say
            return
        for ch in data:
            kind = unicodedata.category(ch)
            if (kind == "Cc" and ch not in "\t\n\r") or kind == "Cs":
                raise ApiError(
                    400,
                    f"Yêu cầu không hợp lệ: nội dung có ký tự không in được (U+{ord(ch):04X})",
                )
    elif isinstance(data, dict):
        for k, v in data.items():
            _check_strings(k, depth + 1)
            _check_strings(v, depth + 1)
    elif isinstance(data, list):
        for v in data:
            _check_strings(v, depth + 1)


def _body(request: HttpRequest, required: bool = True) -> dict[str, Any]:
    """The request's JSON object. Refused: another content type (415), a body larger
    than Django accepts (413), text that is not JSON or not an object, NaN and
    Infinity (not JSON), control characters (400)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "Nội dung gửi lên quá lớn") from None
    if not raw:
        if required:
            raise ApiError(400, "Yêu cầu không hợp lệ: cần nội dung JSON")
        return {}
    media = (request.content_type or "").lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise ApiError(
            415, f"Nội dung phải là JSON (Content-Type: application/json), không phải «{media}»"
        )
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "không phải UTF-8"
        raise ApiError(400, f"Yêu cầu không hợp lệ: nội dung không phải JSON ({why})") from None
    except RecursionError:
        raise ApiError(400, "Yêu cầu không hợp lệ: nội dung JSON lồng nhau quá sâu") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Yêu cầu không hợp lệ: nội dung phải là một đối tượng JSON")
    _check_strings(data)
    return data


def _members(data: dict[str, Any], allowed: tuple[str, ...], where: str = "nội dung") -> None:
    """Refuse a member the schema does not name: a typo ("valeu") must not pass for an
    empty cell."""
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        raise ApiError(
            400,
            f"Yêu cầu không hợp lệ: {where} có trường không biết «{unknown[0]}»; các trường "
            f"được nhận: {', '.join(allowed)}",
        )


def _bounded(value: Any, name: str, bounds: tuple[int, int]) -> int:
    """A JSON integer within ``bounds``, else ApiError 400 naming the field."""
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» phải là số nguyên")
    if not lo <= value <= hi:
        shown = str if name in ("year", "form") else format_number  # a year is 2023
        raise ApiError(
            400,
            f"Yêu cầu không hợp lệ: «{name}» phải từ {shown(lo)} đến {shown(hi)}, "
            f"không phải {shown(value)}",
        )
    return value


def _query(request: HttpRequest, name: str) -> str | None:
    """A query parameter given at most once."""
    given = request.GET.getlist(name)
    if len(given) > 1:
        raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» chỉ được ghi một lần")
    return given[0] if given else None


def _int(
    request: HttpRequest, name: str, default: int | None = None, bounds: tuple[int, int] = YEARS
) -> int | None:
    """An integer query parameter (ASCII digits, within ``bounds``), or ``default``."""
    raw = _query(request, name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:
        raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» phải là số nguyên")
    return _bounded(int(text), name, bounds)


def _text(request: HttpRequest, name: str) -> str | None:
    """A text query parameter, at most 64 characters (codes)."""
    raw = _query(request, name)
    if raw is None or raw == "":
        return None
    if len(raw) > actions.KEY_LENGTH:
        raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» quá dài")
    return raw


@endpoint("GET", public=True)
def openapi(request: HttpRequest) -> HttpResponse:
    return HttpResponse(OPENAPI_PATH.read_bytes(), content_type="application/json")


def _credential(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"Yêu cầu không hợp lệ: cần «{name}» là chuỗi ký tự không rỗng")
    reason = text_problem(value, limit)
    if reason:
        raise ApiError(400, f"Yêu cầu không hợp lệ: «{name}» {reason}")
    return value


# No CSRF token can be had before logging in: a login is accepted as JSON only (another
# site's page cannot post JSON without the browser asking first) and not from another
# site's page (cross_site). django-axes counts the failures.
@csrf_exempt
@endpoint("GET", "POST", "DELETE", public=True)
def session(request: HttpRequest) -> HttpResponse:
    """Who am I (GET), log in (POST {username, password}), log out (DELETE)."""
    if request.method == "POST":
        if cross_site(request):
            return error(403, "Không nhận đăng nhập gửi từ trang web khác")
        data = _body(request)
        _members(data, ("username", "password"))
        username = _credential(data, "username", USERNAME_LENGTH)
        password = _credential(data, "password", PASSWORD_LENGTH)
        user = authenticate(request, username=username, password=password)
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
    year = current_year()
    return ok(
        [
            {
                "number": f.number,
                "label": f.label,
                "title": f.title_for(year),
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
            "title": f.title_for(current_year()),
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
    form = _int(request, "form", bounds=FORMS)
    if form is not None:
        qs = qs.filter(indicator__form_id=form)
    org = _text(request, "orgunit")
    if org:
        unit = get_or_404(OrgUnit, code=org)
        require(request.user, "view", unit, form)
        qs = qs.filter(orgunit=unit)
    year = _int(request, "year")
    if year is not None:
        qs = qs.filter(year=year)
    measure = _text(request, "measure")
    if measure:
        if measure not in MEASURES:
            raise ApiError(
                400, f"Yêu cầu không hợp lệ: «measure» phải là một trong {', '.join(MEASURES)}"
            )
        qs = qs.filter(measure=measure)
    indicator = _text(request, "indicator")
    if indicator:
        qs = qs.filter(indicator_id=indicator)
    qs = qs.exclude(value__isnull=True, printed="").order_by(
        "indicator__form_id", "indicator__position", "orgunit__order", "year", "measure"
    )
    limit = _int(request, "limit", 10000, bounds=LIMIT) or 10000
    return ok({"values": [value_record(v) for v in qs[:limit]]})


def save_values(request: HttpRequest, source: Source) -> HttpResponse:
    """Write ``{"writes": [{indicator, orgunit, year, measure, version, text | value}]}``
    all or nothing: 200 with the values written, else the gravest refusal (403, 404,
    423 locked, 422 invalid, 409 conflict) with every cell's reason."""
    if scope_of(request.user) is None:
        return error(401, "Cần đăng nhập")
    actor = acting_user(request)
    try:
        writes = _writes(_body(request))
    except ApiError as exc:
        return error(exc.status, exc.message)
    try:
        written = write_values(actor, writes, source=source)
    except WriteRefused as refused:
        return error(
            refused.status,
            refused.problems[0].message,
            problems=[p.as_dict() for p in refused.problems],
        )
    return ok({"changed": written.changed, "values": [value_record(v) for v in written.values]})


def _writes(data: dict[str, Any]) -> list[CellWrite]:
    """The cells of a write request, each field of the type the schema says (400
    naming the field otherwise); what the values mean is checked by write_values."""
    _members(data, ("writes",))
    raw = data.get("writes")
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần danh sách «writes» không rỗng")
    if len(raw) > MAX_WRITES:
        raise ApiError(400, "Yêu cầu không hợp lệ: tối đa 5.000 ô mỗi lần")
    writes = []
    for n, w in enumerate(raw, start=1):
        where = f"ô thứ {n} của «writes»"
        if not isinstance(w, dict):
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where} phải là một đối tượng")
        _members(w, WRITE_FIELDS, where)
        fields: dict[str, Any] = {}
        for name in ("indicator", "orgunit", "measure"):
            value = w.get(name)
            if not isinstance(value, str):
                raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: cần «{name}» là chuỗi")
            fields[name] = value
        for name in ("text", "source_ref"):
            value = w.get(name)
            if value is not None and not isinstance(value, str):
                raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: «{name}» phải là chuỗi")
        number = w.get("value")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: «value» phải là số")
        if "year" not in w:
            raise ApiError(400, f"Yêu cầu không hợp lệ: {where}: thiếu «year»")
        writes.append(
            CellWrite(
                indicator=fields["indicator"],
                orgunit=fields["orgunit"],
                year=_bounded(w["year"], "year", YEARS),
                measure=fields["measure"],
                version=_bounded(w.get("version", 0), "version", VERSIONS),
                text=w.get("text"),
                value=number,
                source_ref=w.get("source_ref") or "",
            )
        )
    return writes


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
    code = _text(request, "orgunit")
    if not code:
        raise ApiError(400, "Yêu cầu không hợp lệ: cần «orgunit»")
    org = get_or_404(OrgUnit, code=code)
    qs = ValueChange.objects.restrict(request.user, "view").filter(orgunit=org)
    ind_code = _text(request, "indicator")
    if ind_code:
        ind = get_or_404(Indicator, code=ind_code)
        require(request.user, "view", org, ind.form_id)
        year = _int(request, "year")
        if year is None:
            raise ApiError(400, "Yêu cầu không hợp lệ: cần «year» cùng với «indicator»")
        measure = _text(request, "measure") or ""
        if measure not in MEASURES:
            raise ApiError(
                400, f"Yêu cầu không hợp lệ: «measure» phải là một trong {', '.join(MEASURES)}"
            )
        qs = qs.filter(indicator=ind, year=year, measure=measure)
    else:
        require(request.user, "view", org)
    return ok({"changes": [_change_record(c) for c in qs[:500]]})


@endpoint("GET")
def checks(request: HttpRequest) -> HttpResponse:
    """Findings of one form (``form``), seen from one org unit (``orgunit``), or of
    everything the user may see."""
    form = _int(request, "form", bounds=FORMS)
    org_code = _text(request, "orgunit")
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
    data = _body(request, required=False)
    _members(data, ("comment",))
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise ApiError(400, "Yêu cầu không hợp lệ: «comment» phải là chuỗi")
    try:
        sub = actions.transition(acting_user(request), org, form_obj, year, action, comment)
    except InvalidInput as exc:
        return error(400, f"Yêu cầu không hợp lệ: {exc}")
    except actions.WorkflowError as exc:
        return error(409, str(exc))
    return ok(_submission_record(sub))
