"""The yearly cycle on the web: the proposals beside the empty estimate cells (the API
and the grid's page), their acceptance, and an indicator across the years (the API and
the dashboard). Lai Châu's real 2023 figures; B01.003 (Tổng thu ngân sách, tỷ đồng):
its estimate cleared and three earlier years added (tests/store/test_forecasts.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ktxh.store.models import Value, ValueChange
from tests.store.test_forecasts import CITY, CODE, YEAR, add_history, clear_estimate
from tests.store_helpers import store_snapshot
from tests.web.conftest import login
from tests.web.test_api import DOC, conforms


@pytest.fixture
def store(plan: Any) -> Any:
    clear_estimate()
    add_history()
    return plan


def response_schema(path: str, method: str) -> dict[str, Any]:
    op = DOC["paths"][path][method]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return {**DOC, **schema}


def check(body: Any, path: str, method: str = "get") -> None:
    import jsonschema

    jsonschema.Draft202012Validator(response_schema(path, method)).validate(body)


def test_the_proposals_of_a_unit_and_nothing_written(store: Any) -> None:
    client = login("admin")
    before = store_snapshot()
    resp = client.get(f"/api/forecasts?orgunit={CITY}&form=1&year={YEAR}")
    assert resp.status_code == 200
    body = resp.json()
    check(body, "/api/forecasts")
    (s,) = [s for s in body["suggestions"] if s["indicator"] == CODE]
    conforms(s, "Suggestion")
    assert (s["value"], s["display"], s["method"], s["years"]) == (
        203.384,
        "203,384",
        "ratio",
        [2020, 2021, 2022],
    )
    assert s["range"] == "192,680 - 208,094" and not s["short_history"]
    assert body["entered"] == 21 and "bỏ qua 21 ô" in body["summary"]
    assert store_snapshot() == before
    # a ward's officer does not see the city's form 1
    assert login("doan-ket").get(f"/api/forecasts?orgunit={CITY}&form=1").status_code == 403
    assert client.get("/api/forecasts?form=1").status_code == 400
    assert client.get(f"/api/forecasts?orgunit={CITY}&year=1999").status_code == 404


def test_accepted_through_the_api_and_audited(store: Any) -> None:
    client = login("admin")
    cell = {"indicator": CODE, "orgunit": CITY, "year": YEAR, "value": 203.384}
    resp = client.post(
        "/api/forecasts/accept", json.dumps({"cells": [cell]}), content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    check(body, "/api/forecasts/accept", "post")
    (v,) = body["values"]
    assert (v["display"], v["source"], v["updated_by"]) == ("203,384", "forecast", "admin")
    change = ValueChange.objects.filter(indicator_id=CODE, year=YEAR, measure="estimate").latest(
        "at", "version"
    )
    assert (change.source, change.username) == ("forecast", "admin")
    assert change.source_ref == "gợi ý ước TH của ktxh: ratio (các năm 2020, 2021, 2022)"
    # the history of the cell, as the grid's panel shows it
    hist = client.get(
        f"/api/values/history?indicator={CODE}&orgunit={CITY}&year={YEAR}&measure=estimate"
    ).json()["changes"]
    assert hist[0]["source_label"] == "gợi ý ước TH được chấp nhận"
    # once accepted, the cell is entered: accepting again is refused, nothing written
    before = store_snapshot()
    again = client.post(
        "/api/forecasts/accept", json.dumps({"cells": [cell]}), content_type="application/json"
    )
    assert again.status_code == 409
    assert "ô đã có số ước thực hiện do người nhập" in again.json()["detail"]
    assert store_snapshot() == before


@pytest.mark.parametrize(
    ("cells", "user", "status", "text"),
    [
        (
            [{"indicator": CODE, "orgunit": CITY, "year": YEAR, "value": 1.0}],
            "admin",
            409,
            "đã đổi",
        ),
        ([{"indicator": CODE, "orgunit": CITY, "year": YEAR}], "doan-ket", 403, "không có quyền"),
        ([{"indicator": "B01.001", "orgunit": CITY, "year": YEAR}], "admin", 422, "không có gợi ý"),
        ([{"indicator": CODE, "orgunit": CITY}], "admin", 400, "thiếu «year»"),
        ([{"indicator": CODE, "orgunit": CITY, "year": YEAR, "text": "1"}], "admin", 400, "text"),
        ([], "admin", 400, "«cells» không rỗng"),
    ],
)
def test_refusals_write_nothing(
    store: Any, cells: list[dict[str, Any]], user: str, status: int, text: str
) -> None:
    before = store_snapshot()
    resp = login(user).post(
        "/api/forecasts/accept", json.dumps({"cells": cells}), content_type="application/json"
    )
    assert resp.status_code == status, resp.content
    assert text in resp.json()["detail"]
    assert store_snapshot() == before


def test_an_indicator_across_the_years(store: Any) -> None:
    client = login("admin")
    resp = client.get(f"/api/trends?indicator={CODE}")
    assert resp.status_code == 200
    body = resp.json()
    check(body, "/api/trends")
    assert body["orgunit"] == CITY and body["unit"] == "tỷ đồng"
    by_year = {p["year"]: p for p in body["points"]}
    assert sorted(by_year) == [2020, 2021, 2022, 2023, 2024]
    p = by_year[2023]
    assert (p["h1"], p["full"], p["full_measure"]) == (57.804, None, None)  # cleared
    assert p["h1_change"]["shown"] == "96,3"  # 57,804 against the first half of 2022 (60)
    assert by_year[2022]["full_change"]["shown"] == "105,3"  # 200 against 190
    assert by_year[2020]["h1_change"] == {"ratio": None, "shown": "", "reason": ""}  # the first
    # a ward's series of a form it reports; a ward may not see the city's form 1
    ward = login("doan-ket")
    assert ward.get("/api/trends?indicator=B02.009&orgunit=doan-ket").status_code == 200
    assert ward.get(f"/api/trends?indicator={CODE}&orgunit={CITY}").status_code == 403
    assert client.get("/api/trends?indicator=B99.999").status_code == 404
    assert client.get("/api/trends").status_code == 400


def test_the_grid_and_the_dashboard_carry_them(store: Any) -> None:
    client = login("admin")
    page = client.get(f"/nhap-lieu/1/{CITY}/{YEAR}/").content.decode()
    assert "plan/forecast.js" in page and page.index("plan/forecast.js") < page.index(
        "plan/grid.js"
    )  # the column is added before the grid reads its headings
    assert '"forecasts": "/api/forecasts?form=1\\u0026year=2023"' in page
    assert '"accept": "/api/forecasts/accept"' in page
    dash = client.get("/tong-quan/")
    assert dash.status_code == 200
    text = dash.content.decode()
    assert 'id="trend-unit"' in text and 'id="trend-table"' in text
    data = json.loads(
        text.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    )
    trends = data["trends"]
    assert trends["url"] == "/api/trends"
    assert trends["units"][0] == {"code": CITY, "name": "thành phố Lai Châu"}
    assert trends["first"]["indicator"] == trends["indicators"][0]["code"]
    assert any(i["code"] == CODE for i in trends["indicators"])
    assert not Value.objects.filter(source="forecast").exists()
