"""Targets on the web: typed into the grid's save and the API, rated in the API, the grid's
configuration and the dashboard; documents and their targets through the API."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from ktxh.store.models import Plan, Target, Value
from tests.web.conftest import login
from tests.web.test_api import conforms

CELL = {"indicator": "B01.014", "orgunit": "lai-chau", "year": 2023, "measure": "plan"}


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def ratings(client: Client, **query: Any) -> dict[str, Any]:
    params = {"orgunit": "lai-chau", "form": 1, "year": 2023, **query}
    resp = client.get("/api/ratings", params)
    assert resp.status_code == 200, resp.content
    return resp.json()


def row(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in data["rows"] if r["indicator"] == code)


def write(client: Client, text: str, url: str = "/api/values") -> Any:
    version = Value.objects.get(
        indicator_id="B01.014", orgunit_id="lai-chau", year=2023, measure="plan"
    ).version
    return post(client, url, {"writes": [{**CELL, "version": version, "text": text}]})


def test_a_range_typed_through_the_api_is_kept_as_written_and_rated(plan: Plan) -> None:
    client = login("admin")
    before = ratings(client)
    assert row(before, "B01.014")["ratings"]["estimate"]["label"] == "Đạt"  # 84,5 of 84,5
    resp = write(client, "85 - 86%")
    assert resp.status_code == 200, resp.content
    (value,) = resp.json()["values"]
    assert (value["value"], value["printed"], value["display"]) == (85.0, "85 - 86%", "85 - 86%")
    data = ratings(client)
    got = row(data, "B01.014")
    conforms(got, "Rating")
    assert got["target"]["kind"] == "range" and got["target"]["text"] == "85 - 86%"
    assert got["target"]["describe"] == "từ 85% đến 86%"
    assert got["document"] is None  # typed into the plan cell
    assert got["ratings"]["estimate"] == {
        "result": 84.5,
        "rating": "missed",
        "label": "Không đạt",
        "reason": "",
    }
    assert got["ratings"]["h1"]["label"] == "Không đạt"  # a rate: its first half counts
    conforms(data["tally"]["overall"], "Tally")
    assert data["on"] == "2023-08-30"  # the round's report
    assert [t["label"] for t in data["tally"]["sections"]] == [
        "CÁC CHỈ TIÊU VỀ KINH TẾ",
        "CÁC CHỈ TIÊU VỀ XÃ HỘI",
        "CÁC CHỈ TIÊU VỀ MÔI TRƯỜNG",
    ]
    social = data["tally"]["sections"][1]
    assert social["missed"] == before["tally"]["sections"][1]["missed"] + 1
    assert social["sentence"].startswith("có ")
    assert Target.objects.filter(indicator_id="B01.014", document=None).count() == 1


def test_the_grid_saves_a_bound_and_refuses_what_it_cannot_read(plan: Plan) -> None:
    client = login("admin")
    assert write(client, "trên 84", "/nhap-lieu/luu/").status_code == 200
    got = row(ratings(client), "B01.014")
    assert got["target"]["low_strict"] and got["ratings"]["estimate"]["label"] == "Đạt"
    resp = write(client, "trên 4.70", "/nhap-lieu/luu/")
    assert resp.status_code == 422
    (problem,) = resp.json()["problems"]
    assert (
        "hãy viết 4,70" in problem["message"] and "Cách viết được chấp nhận" in problem["message"]
    )
    assert "B01.014" in problem["message"]


def test_the_grid_page_asks_for_the_ratings(plan: Plan) -> None:
    page = login("admin").get("/nhap-lieu/1/lai-chau/2023/").content.decode()
    assert "plan/targets.js" in page
    assert "/api/ratings?orgunit=lai-chau\\u0026form=1\\u0026year=2023" in page or (
        "/api/ratings?orgunit=lai-chau&amp;form=1&amp;year=2023" in page
    )


def test_ratings_follow_the_users_scope(plan: Plan) -> None:
    ward = login("doan-ket")
    assert ward.get("/api/ratings", {"orgunit": "lai-chau", "form": 1}).status_code == 403
    own = ward.get("/api/ratings", {"orgunit": "doan-ket", "form": 7, "year": 2023})
    assert own.status_code == 200
    assert Client().get("/api/ratings", {"orgunit": "lai-chau", "form": 1}).status_code == 401
    bad = login("admin").get("/api/ratings", {"orgunit": "lai-chau", "form": 1, "on": "30/08/2023"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]


def test_documents_and_their_targets_through_the_api(plan: Plan) -> None:
    admin = login("admin")
    doc = {
        "code": "nq-08-2022",
        "kind": "nghi_quyet_hdnd",
        "number": "08/NQ-HĐND",
        "date": "2022-12-15",
        "issuer": "HĐND thành phố (thử)",
    }
    resp = post(admin, "/api/documents", doc)
    assert resp.status_code == 200, resp.content
    conforms(resp.json(), "Document")
    assert post(login("doan-ket"), "/api/documents", {**doc, "code": "x"}).status_code == 403
    bad = post(admin, "/api/documents", {**doc, "kind": "cong_van"})
    assert bad.status_code == 422 and "nghi_quyet_hdnd" in bad.json()["detail"]
    amendment = {
        **doc,
        "code": "nq-21-2023",
        "number": "21/NQ-HĐND",
        "date": "2023-07-14",
        "amends": "nq-08-2022",
    }
    assert post(admin, "/api/documents", amendment).status_code == 200
    target = {"indicator": "B01.014", "orgunit": "lai-chau", "year": 2023, "document": "nq-08-2022"}
    resp = post(admin, "/api/targets", {**target, "text": "84-85%"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["changed"] and body["value_written"]
    conforms(body["rating"], "Rating")
    resp = post(admin, "/api/targets", {**target, "document": "nq-21-2023", "text": "85-86%"})
    got = resp.json()["rating"]
    assert got["target"]["text"] == "85-86%" and got["document"]["number"] == "21/NQ-HĐND"
    assert [h["document"]["code"] for h in got["history"]] == ["nq-08-2022"]
    assert got["ratings"]["estimate"]["label"] == "Không đạt"
    refused = post(admin, "/api/targets", {**target, "text": "khoảng trên 90"})
    assert refused.status_code == 422 and "Cách viết được chấp nhận" in refused.json()["detail"]
    assert (
        post(admin, "/api/targets", {**target, "document": "nq-99", "text": "1"}).status_code == 404
    )
    listed = admin.get("/api/documents").json()["documents"]
    assert [(d["code"], d["targets"], d["amends"]) for d in listed] == [
        ("nq-08-2022", 1, None),
        ("nq-21-2023", 1, "nq-08-2022"),
    ]
    for d in listed:
        conforms(d, "Document")


def test_the_dashboard_colours_come_from_the_rating(plan: Plan) -> None:
    client = login("admin")
    # 5,5 against "6,0 - 6,5" was amber at 92 %: here 84,5 against "85-86" is missed
    assert write(client, "85-86").status_code == 200
    page = client.get("/tong-quan/").content.decode()
    assert "<th>Đánh giá</th>" in page
    start = page.index("Tỷ lệ lao động qua đào tạo, tập huấn")
    chunk = page[start : page.index("</tr>", start)]
    assert "85-86" in chunk
    assert "tone-bad" in chunk and "tone-near" not in chunk
    assert 'class="rating r-missed"' in chunk and "Không đạt" in chunk
    assert "chỉ tiêu đạt và vượt kế hoạch" in page  # the tally, per section and overall
