"""Every role against every page and every API endpoint.

Each route of the URL configuration must have a row here (a test fails when a
new route has none), with the answer each role gets: the city planner
(``admin``), a department officer whose sector has the form (``phong-kinh-te``:
Biểu 2-6) and one whose sector does not (``phong-y-te``), the unit officer of
the unit asked for (``doan-ket``) and of another unit (``tan-phong``), and an
anonymous visitor. Each case runs in its own transaction, so that what one
role changes does not decide the next one's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ktxh.store.actions import transition
from ktxh.store.models import Form, OrgUnit, Plan, Value
from tests.web.conftest import login, user

ROLES = ("anonymous", "admin", "phong-kinh-te", "phong-y-te", "doan-ket", "tan-phong")


def _version() -> int:
    return Value.objects.get(
        indicator_id="B02.009", orgunit_id="doan-ket", year=2024, measure="plan"
    ).version


def _write_body() -> str:
    return json.dumps(
        {
            "writes": [
                {
                    "indicator": "B02.009",
                    "orgunit": "doan-ket",
                    "year": 2024,
                    "measure": "plan",
                    "version": _version(),
                    "text": "83,5",
                }
            ]
        }
    )


def _document_body() -> str:
    return json.dumps({"code": "nq-thu", "kind": "nghi_quyet_hdnd", "date": "2023-12-15"})


def _document() -> None:
    from ktxh.store.targets import DocumentInput, record_document

    record_document(user("admin"), DocumentInput("nq-thu", "nghi_quyet_hdnd", day="2023-12-15"))


def _target_body() -> str:
    return json.dumps(
        {
            "indicator": "B02.009",
            "orgunit": "doan-ket",
            "year": 2024,
            "text": "83-85",
            "document": "nq-thu",
        }
    )


def _submitted() -> None:
    transition(
        user("doan-ket"),
        OrgUnit.objects.get(code="doan-ket"),
        Form.objects.get(number=2),
        2023,
        "submit",
    )


def _forecast() -> None:
    """A first half and a plan of 2023 for phường Đoàn Kết's B02.009: its estimate has a
    proposal (the plan: no earlier year)."""
    for measure, value in (("h1", 2700.0), ("plan", 2726.0)):
        Value.objects.create(
            indicator_id="B02.009",
            orgunit_id="doan-ket",
            year=2023,
            measure=measure,
            value=value,
            printed=str(value),
        )


def _accept_body() -> str:
    return json.dumps({"cells": [{"indicator": "B02.009", "orgunit": "doan-ket", "year": 2023}]})


def _draft() -> None:
    """A draft of a past report (number 777) with one review item."""
    from django.utils import timezone

    from ktxh.store.models import Draft, DraftItem

    d = Draft.objects.create(pk=777, year=2023, files=["cu.xlsx"], created_at=timezone.now())
    DraftItem.objects.create(
        draft=d,
        number=1,
        kind="ditto",
        where={"file": "cu.xlsx", "sheet": "Biểu 2", "row": 9, "col": 4},
        message="dấu nháy",
        keys=[["B02.009", "lai-chau", 2023, "plan"]],
        confidence="medium",
    )


@dataclass(frozen=True)
class Case:
    route: str  # "namespace:name"
    method: str
    url: str
    expect: tuple[int, int, int, int, int, int]  # in the order of ROLES
    body: Callable[[], str] | None = None
    setup: Callable[[], None] | None = None
    label: str = field(default="")


PAGE = (302, 200, 200, 200, 200, 200)  # every role, anonymous to the login page
CITY = (302, 200, 200, 200, 403, 403)  # planners and departments
FORM2_DOANKET = (302, 200, 200, 403, 200, 403)
API_ALL = (401, 200, 200, 200, 200, 200)
API_FORM2_DOANKET = (401, 200, 200, 403, 200, 403)

CASES = [
    Case("plan:home", "GET", "/", PAGE),
    Case("plan:login", "GET", "/dang-nhap/", (200, 302, 302, 302, 302, 302)),
    Case("plan:logout", "POST", "/dang-xuat/", (302, 302, 302, 302, 302, 302)),
    Case("plan:dashboard", "GET", "/tong-quan/", CITY),
    Case("plan:status", "GET", "/trang-thai/", CITY),
    Case("plan:grid", "GET", "/nhap-lieu/2/doan-ket/2023/", FORM2_DOANKET),
    Case("plan:grid", "GET", "/nhap-lieu/1/lai-chau/2023/", (302, 200, 403, 403, 403, 403)),
    Case(
        "plan:grid",
        "GET",
        "/nhap-lieu/2/lai-chau/2023/?xem=don-vi",
        (302, 200, 200, 403, 403, 403),
        label="city view",
    ),
    Case("plan:grid_save", "POST", "/nhap-lieu/luu/", (302, 200, 200, 403, 200, 403), _write_body),
    Case("plan:workflow", "POST", "/nop/doan-ket/2/2023/submit/", (302, 302, 302, 403, 302, 403)),
    Case(
        "plan:workflow",
        "POST",
        "/nop/doan-ket/2/2023/approve/",
        (302, 302, 403, 403, 403, 403),
        setup=_submitted,
        label="approve",
    ),
    Case("plan:unit_audit", "GET", "/nhat-ky/doan-ket/", (302, 200, 200, 200, 200, 403)),
    Case("plan:cell_audit", "GET", "/nhat-ky/o/B02.009/doan-ket/2024/plan/", FORM2_DOANKET),
    Case("plan:download", "GET", "/tai-ve/kiem-tra.json", CITY),
    Case("plan:template", "GET", "/mau-nhap/doan-ket/?bieu=2", FORM2_DOANKET),
    Case(
        "plan:template",
        "GET",
        "/mau-nhap/lai-chau/",
        (302, 200, 200, 200, 403, 403),
        label="city",
    ),
    Case("plan:import", "GET", "/nhap-excel/", PAGE),
    # a POST without a file: every account may upload (its scope decides what is taken)
    Case("plan:import", "POST", "/nhap-excel/", (302, 400, 400, 400, 400, 400), label="empty"),
    # nothing awaiting confirmation: back to the upload page
    Case("plan:import_confirm", "POST", "/nhap-excel/xac-nhan/", (302, 302, 302, 302, 302, 302)),
    Case("plan:ping", "GET", "/ping", (200, 200, 200, 200, 200, 200)),
    Case("plan:rounds", "GET", "/ky-bao-cao/", CITY),
    Case("plan:round_open", "POST", "/ky-bao-cao/mo/", (302, 400, 403, 403, 403, 403)),
    Case("api:openapi", "GET", "/api/openapi.json", (200, 200, 200, 200, 200, 200)),
    Case("api:session", "GET", "/api/session", (200, 200, 200, 200, 200, 200)),
    Case("api:orgunits", "GET", "/api/orgunits", API_ALL),
    Case("api:forms", "GET", "/api/forms", API_ALL),
    Case("api:form", "GET", "/api/forms/2", API_ALL),
    Case("api:values", "GET", "/api/values?orgunit=doan-ket&form=2", API_FORM2_DOANKET),
    Case("api:values", "POST", "/api/values", API_FORM2_DOANKET, _write_body, label="write"),
    Case(
        "api:value_history",
        "GET",
        "/api/values/history?indicator=B02.009&orgunit=doan-ket&year=2024&measure=plan",
        API_FORM2_DOANKET,
    ),
    Case("api:checks", "GET", "/api/checks?orgunit=doan-ket&form=2&year=2023", API_FORM2_DOANKET),
    Case("api:submissions", "GET", "/api/submissions?year=2023", API_ALL),
    Case("api:ratings", "GET", "/api/ratings?orgunit=doan-ket&form=2&year=2023", API_FORM2_DOANKET),
    Case(
        "api:forecasts",
        "GET",
        "/api/forecasts?orgunit=doan-ket&form=2&year=2023",
        API_FORM2_DOANKET,
        setup=_forecast,
    ),
    Case(
        "api:forecast_accept",
        "POST",
        "/api/forecasts/accept",
        API_FORM2_DOANKET,
        _accept_body,
        setup=_forecast,
    ),
    Case("api:trends", "GET", "/api/trends?indicator=B02.009&orgunit=doan-ket", API_FORM2_DOANKET),
    Case("api:documents", "GET", "/api/documents", API_ALL),
    Case(
        "api:documents",
        "POST",
        "/api/documents",
        (401, 200, 403, 403, 403, 403),
        _document_body,
        label="record",
    ),
    Case(
        "api:targets",
        "POST",
        "/api/targets",
        (401, 200, 403, 403, 403, 403),
        _target_body,
        setup=_document,
    ),
    Case(
        "api:submission_action",
        "POST",
        "/api/submissions/doan-ket/2/2023/submit",
        API_FORM2_DOANKET,
    ),
    Case(
        "api:submission_action",
        "POST",
        "/api/submissions/doan-ket/2/2023/approve",
        (401, 200, 403, 403, 403, 403),
        setup=_submitted,
        label="approve",
    ),
    # a new plan: the administrator's (none of the demo accounts is one); the catalog
    # workbook of the plan: its planner's
    Case("plan:start", "GET", "/quan-tri/ke-hoach-moi/", (302, 403, 403, 403, 403, 403)),
    Case("plan:catalog_workbook", "GET", "/quan-tri/danh-muc.xlsx", (302, 200, 403, 403, 403, 403)),
    # past reports read into drafts: the city planner's
    Case("plan:drafts", "GET", "/bao-cao-cu/", (302, 200, 403, 403, 403, 403)),
    Case("plan:draft", "GET", "/bao-cao-cu/777/", (302, 200, 403, 403, 403, 403), setup=_draft),
    Case(
        "plan:draft_decide",
        "POST",
        "/bao-cao-cu/777/muc/1/",
        (302, 302, 403, 403, 403, 403),
        setup=_draft,
    ),
    Case(
        "plan:draft_confirm",
        "POST",
        "/bao-cao-cu/777/xac-nhan/",
        (302, 302, 403, 403, 403, 403),
        setup=_draft,
    ),
    Case(
        "plan:draft_discard",
        "POST",
        "/bao-cao-cu/777/bo/",
        (302, 302, 403, 403, 403, 403),
        setup=_draft,
    ),
    Case(
        "plan:draft_workbook",
        "GET",
        "/bao-cao-cu/777/xem-lai.xlsx",
        (302, 200, 403, 403, 403, 403),
        setup=_draft,
    ),
    Case(
        "plan:draft_review_upload",
        "POST",
        "/bao-cao-cu/777/bang-xem-lai/",
        (302, 302, 403, 403, 403, 403),
        setup=_draft,
    ),
]


def _routes(resolver: URLResolver, namespace: str = "") -> set[str]:
    out: set[str] = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            out |= _routes(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            out.add(f"{namespace}:{p.name}")
    return out


def test_every_route_is_in_the_matrix() -> None:
    routes = _routes(get_resolver())
    covered = {c.route for c in CASES}
    assert routes - covered == set(), "routes without a permission case"
    assert covered - routes == set(), "cases for routes that do not exist"


@pytest.mark.parametrize(
    ("case", "role"),
    [
        pytest.param(c, r, id=f"{c.method} {c.url} {c.label} as {r}".replace("  ", " "))
        for c in CASES
        for r in ROLES
    ],
)
def test_role_gets_the_expected_answer(plan: Plan, case: Case, role: str) -> None:
    if case.setup is not None:
        case.setup()
    client = Client() if role == "anonymous" else login(role)
    body = case.body() if case.body else "{}"
    if case.method == "GET":
        resp = client.get(case.url)
    else:
        resp = client.post(case.url, data=body, content_type="application/json")
    expected = case.expect[ROLES.index(role)]
    assert resp.status_code == expected, resp.content[:300]
    if resp.status_code == 302 and role == "anonymous" and case.route.startswith("plan:"):
        assert resp["Location"].startswith("/dang-nhap/")
