"""The JSON API fuzzed from its own OpenAPI document (schemathesis over Hypothesis).

For every operation of ktxh/web/plan/openapi.json and every role (the city planner,
a department officer, a ward officer, an anonymous visitor), requests are generated
from the document, valid ones and invalid ones (wrong types, out-of-range numbers,
missing fields, odd strings), and sent to the application in-process (WSGI). Each
answer must:

* never be a server error (5xx);
* have a status, a content type, headers and a body the document describes for
  that operation (errors are RFC 9457 problems);
* refuse what the document says is invalid (schemathesis' negative-data check);
* leave the store as it was when it is a refusal (tests/store_helpers.store_snapshot).

Cases come from the document's examples (a real cell, a real unit, filled in with
generated values), from its schemas (valid) and from their negations (invalid).

The number of cases per operation, role and mode is bounded (``KTXH_FUZZ_EXAMPLES``,
default 8) and the generation is derandomised, so that CI runs the same cases in a
bounded time; raise it locally to search harder: ``KTXH_FUZZ_EXAMPLES=200``.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ktxh.store.models import Plan
from ktxh.web.plan.api import OPENAPI_PATH
from tests.store_helpers import store_snapshot

DOC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
# The roles log in themselves (a session cookie each): the document without its
# security requirement, so that the cookie is not one of the values fuzzed.
FUZZED = {**DOC, "security": []}
SCHEMA = schemathesis.openapi.from_dict(FUZZED)
OPERATIONS = [(p, m) for p, item in DOC["paths"].items() for m in item]
ROLES = {"planner": "admin", "department": "phong-kinh-te", "unit": "doan-ket", "anonymous": None}
EXAMPLES = int(os.environ.get("KTXH_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
APP = WSGIHandler()


def credentials(username: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a fresh session of ``username`` (none: anonymous), with a
    CSRF token as the grid's script sends it. A new session for each request: one
    generated request may log the session out (DELETE /api/session)."""
    token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    cookies = {"csrftoken": token}
    if username is not None:
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookies["sessionid"] = client.cookies["sessionid"].value
    return cookies, {"X-CSRFToken": token}


@pytest.fixture
def in_the_tests_transaction() -> Iterator[None]:
    """The application is called in-process, on the test's connection and inside its
    transaction: Django must not close that connection at a request's start or end
    (which its test client also prevents)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("in_the_tests_transaction")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_answers_what_its_document_says(
    plan: Plan, path: str, method: str, role: str
) -> None:
    operation = SCHEMA[path][method.upper()]
    cases = st.one_of(
        # the document's examples (a real cell, a real unit) filled in, to reach past
        # "not found" into the validation of values and the workflow
        *operation.get_strategies_from_examples(),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    writes = method != "get"

    @settings(
        max_examples=2 * EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: Any) -> None:
        cookies, headers = credentials(ROLES[role])
        before = store_snapshot() if writes else None
        response = case.call(app=APP, cookies=cookies, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if before is not None and response.status_code >= 400:
            assert store_snapshot() == before, f"{response.status_code} changed the store"

    check()
