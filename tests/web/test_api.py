"""The JSON API: its OpenAPI description, and its answers held against it."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from ktxh.store.models import Plan, Submission, Value
from ktxh.web.plan.api import OPENAPI_PATH
from tests.web.conftest import PASSWORD

DOC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def conforms(instance: Any, schema_name: str) -> None:
    """Validate against a component schema (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
    schema = {**DOC, "$ref": f"#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema).validate(instance)


def api_routes() -> set[str]:
    """Every API route as an OpenAPI path: /api/forms/<int:form> -> /api/forms/{form}."""
    out = set()
    for p in get_resolver().url_patterns:
        if isinstance(p, URLResolver) and str(p.pattern) == "api/":
            for q in p.url_patterns:
                assert isinstance(q, URLPattern)
                route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(q.pattern))
                out.add("/api/" + route)
    return out


def test_the_openapi_document_is_valid() -> None:
    validate(DOC)


def test_every_route_is_described_and_nothing_else() -> None:
    assert api_routes() == set(DOC["paths"])


def session(username: str) -> tuple[Client, str]:
    """Log in through the API, as a script would, and enforce CSRF like a browser."""
    client = Client(enforce_csrf_checks=True)
    resp = client.post(
        "/api/session",
        data=json.dumps({"username": username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert resp.status_code == 200
    body = resp.json()
    conforms(body, "Session")
    return client, body["csrf_token"]


def test_login_scope_and_catalog(plan: Plan) -> None:
    client, _ = session("phong-kinh-te")
    me = client.get("/api/session").json()
    assert me["role"] == "department" and me["forms"] == [2, 3, 4, 5, 6]
    units = client.get("/api/orgunits").json()
    for u in units:
        conforms(u, "OrgUnit")
    assert [u["path"] for u in units][:2] == ["lai-chau", "lai-chau/doan-ket"]
    form = client.get("/api/forms/2").json()
    conforms(form, "FormDetail")
    assert form["indicators"][8]["code"] == "B02.009"
    assert client.get("/api/forms/99").status_code == 404


def test_a_unit_sees_only_itself(plan: Plan) -> None:
    client, _ = session("doan-ket")
    assert [u["code"] for u in client.get("/api/orgunits").json()] == ["doan-ket"]
    values = client.get("/api/values").json()["values"]
    assert values and {v["orgunit"] for v in values} == {"doan-ket"}
    subs = client.get("/api/submissions?year=2023").json()["submissions"]
    assert {s["orgunit"] for s in subs} == {"doan-ket"}
    assert {s["form"] for s in subs} == {2, 3, 7, 9, 10, 11, 12}


def test_write_conflict_and_history_through_the_api(plan: Plan) -> None:
    client, token = session("doan-ket")
    got = client.get("/api/values?orgunit=doan-ket&form=2&indicator=B02.009&year=2024").json()
    (value,) = got["values"]
    conforms(value, "Value")
    assert (value["value"], value["printed"], value["version"]) == (82.8, "82,8", 1)
    write = {
        "indicator": "B02.009",
        "orgunit": "doan-ket",
        "year": 2024,
        "measure": "plan",
        "version": 1,
        "value": 90.5,
    }
    body = json.dumps({"writes": [write]})
    # no CSRF token: refused before anything happens
    assert client.post("/api/values", body, content_type="application/json").status_code == 403
    resp = client.post(
        "/api/values", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert resp.status_code == 200, resp.content
    conforms(resp.json(), "WriteResult")
    assert resp.json()["values"][0]["printed"] == "90,5"
    # the same write again is stale now: 409 with the newer value
    resp = client.post(
        "/api/values",
        json.dumps({"writes": [{**write, "value": 91}]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 409
    refused = resp.json()
    conforms(refused, "Refused")
    assert refused["problems"][0]["current"]["value"] == 90.5
    assert refused["problems"][0]["current"]["version"] == 2
    history = client.get(
        "/api/values/history?indicator=B02.009&orgunit=doan-ket&year=2024&measure=plan"
    ).json()["changes"]
    for c in history:
        conforms(c, "Change")
    assert [(c["version"], c["source"], c["old_printed"], c["new_printed"]) for c in history] == [
        (2, "api", "82,8", "90,5"),
    ]


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [("4.70", 422, "invalid"), ("12", 403, "forbidden")],
)
def test_refusals(plan: Plan, text: str, status: int, reason: str) -> None:
    client, token = session("doan-ket" if status != 403 else "tan-phong")
    write = {
        "indicator": "B02.009",
        "orgunit": "doan-ket",
        "year": 2024,
        "measure": "plan",
        "version": 1,
        "text": text,
    }
    resp = client.post(
        "/api/values",
        json.dumps({"writes": [write]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == status
    assert resp.json()["problems"][0]["reason"] == reason
    assert Value.objects.get(indicator_id="B02.009", orgunit_id="doan-ket", year=2024).version == 1


def test_malformed_requests_are_400(plan: Plan) -> None:
    client, token = session("doan-ket")
    for body in ("not json", "[]", '{"writes": []}', '{"writes": [{"indicator": "B02.009"}]}'):
        resp = client.post(
            "/api/values", body, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert resp.status_code == 400, body
        assert resp["Content-Type"] == "application/problem+json"
        conforms(resp.json(), "ProblemDetails")


def test_checks_and_the_workflow_through_the_api(plan: Plan) -> None:
    client, token = session("doan-ket")
    findings = client.get("/api/checks?orgunit=doan-ket&form=2&year=2023").json()["findings"]
    for f in findings:
        conforms(f, "Finding")
        assert f["cell"] is None or f["cell"].split("|")[1] == "doan-ket"
    resp = client.post(
        "/api/submissions/doan-ket/2/2023/submit",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 200
    conforms(resp.json(), "Submission")
    assert resp.json()["status"] == "submitted"
    again = client.post(
        "/api/submissions/doan-ket/2/2023/submit",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert again.status_code == 409 and "không thể nộp" in again.json()["detail"]
    admin, admin_token = session("admin")
    resp = admin.post(
        "/api/submissions/doan-ket/2/2023/return",
        json.dumps({"comment": "Diện tích lệch tổng"}),
        content_type="application/json",
        headers={"X-CSRFToken": admin_token},
    )
    returned = resp.json()
    assert returned["status"] == "returned" and returned["opinion"] == "Diện tích lệch tổng"
    assert returned["opinion_by"] == "admin"
    assert list(
        Submission.objects.get(orgunit_id="doan-ket", form_id=2).events.values_list(
            "action", "username"
        )
    ) == [("return", "admin"), ("submit", "doan-ket")]
