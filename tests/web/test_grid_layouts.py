"""The web grid follows the forms' declared layouts (issue 13): a unit's view (the cells
it fills, the actual of the year before first) and the city's view of a form with its
units as columns beside the total, editable where the planner may edit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ktxh.store.models import Plan, Value
from ktxh.store.packages import load
from tests.layout_package import make_layout_package
from tests.web.conftest import login


@pytest.fixture
def layouts(plan: Plan, tmp_path: Path) -> Plan:
    load(make_layout_package(tmp_path / "laichau-layouts"), user="tests", replace=True)
    found = Plan.objects.first()
    assert found is not None
    return found


def _cells(html: str) -> dict[str, tuple[str, str]]:
    """data-key -> (classes, text) of every grid cell."""
    out = {}
    for classes, key, text in re.findall(
        r'<td class="cell ([^"]*)" data-key="([^"]*)" data-version="\d+">([^<]*)</td>', html
    ):
        out[key] = (classes, text)
    return out


def _headings(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    last = head.split("<tr>")[-1]
    return re.findall(r"<th[^>]*>([^<]*)</th>", last)


def test_the_city_sees_a_form_with_its_wards_as_columns(layouts: Plan) -> None:
    client = login("admin")
    html = client.get("/nhap-lieu/14/lai-chau/2023/?xem=don-vi").content.decode()
    heads = _headings(html)
    assert heads[3:12] == [
        "Tổng cộng",
        "Đoàn Kết",
        "Tân Phong",
        "Đông Phong",
        "Quyết Thắng",
        "Quyết Tiến",
        "San Thàng",
        "Sùng Phài",
        "Tổng cộng",
    ]
    assert heads[-3:] == ["TH 6 tháng/KH (%)", "Ước TH/KH (%)", "Kiểm tra số liệu"]
    assert 'colspan="8">KH 2023</th>' in html and 'colspan="2">So sánh</th>' in html
    cells = _cells(html)
    assert cells["B14.002|quyet-thang|2023|h1"] == ("edit", "30")
    assert cells["B14.002|lai-chau|2023|plan"] == ("edit", "700")
    ratios = sorted(k for k in cells if k.startswith("B14.002|lai-chau|2023|ratio-"))
    classes, text = cells[ratios[0]]
    assert "derived" in classes and "ro" in classes and text == "50"  # 352,5 / 700


def test_a_ward_cell_of_the_city_view_saves_like_any_other(layouts: Plan) -> None:
    client = login("admin")
    html = client.get("/nhap-lieu/14/lai-chau/2023/?xem=don-vi").content.decode()
    version = int(
        re.search(r'data-key="B14.002\|san-thang\|2023\|estimate" data-version="(\d+)"', html)[1]  # type: ignore[index]
    )
    resp = client.post(
        "/nhap-lieu/luu/",
        data=json.dumps(
            {
                "writes": [
                    {
                        "indicator": "B14.002",
                        "orgunit": "san-thang",
                        "year": 2023,
                        "measure": "estimate",
                        "version": version,
                        "text": "150,5",
                    }
                ]
            }
        ),
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content[:300]
    stored = Value.objects.get(
        indicator_id="B14.002", orgunit_id="san-thang", year=2023, measure="estimate"
    )
    assert stored.value == 150.5 and stored.source == "web"


def test_a_total_the_units_make_is_shown_and_not_editable(layouts: Plan) -> None:
    Value.objects.filter(indicator_id="B14.003", orgunit_id="lai-chau", year=2023).delete()
    html = login("admin").get("/nhap-lieu/14/lai-chau/2023/?xem=don-vi").content.decode()
    classes, text = _cells(html)["B14.003|lai-chau|2023|h1"]
    assert "derived" in classes and text == "138"  # 22 + 18 + 14 + 12 + 11 + 31 + 30


def test_a_ward_sees_the_cells_it_fills(layouts: Plan) -> None:
    html = login("doan-ket").get("/nhap-lieu/14/doan-ket/2023/").content.decode()
    assert _headings(html)[3:-1] == ["TH cả năm 2022", "KH 2023", "TH 6 tháng 2023", "Ước TH 2023"]
    assert _cells(html)["B14.002|doan-ket|2023|h1"] == ("edit", "61")
    # the ward is not given the city's view
    other = login("doan-ket").get("/nhap-lieu/14/lai-chau/2023/?xem=don-vi")
    assert other.status_code == 403


def test_the_three_year_plan_in_the_grid(layouts: Plan) -> None:
    html = login("admin").get("/nhap-lieu/15/lai-chau/2023/").content.decode()
    assert _headings(html)[3:-1] == ["TH cả năm 2022", "KH 2024", "KH 2025", "KH 2026"]
    cells: dict[str, Any] = _cells(html)
    assert cells["B15.001|lai-chau|2026|plan"][1] == "2.550"
    assert cells["B15.002|lai-chau|2022|actual"] == ("edit", "14")
    # the later years of a three-year plan are entered in this round; the city is not in
    # being in 2026 (the 2025 reorganisation): the save says why
    client = login("admin")

    def save(year: int, text: str) -> Any:
        body = {"indicator": "B15.002", "orgunit": "lai-chau", "year": year, "measure": "plan"}
        current = Value.objects.get(
            **{k + ("_id" if k in ("indicator", "orgunit") else ""): v for k, v in body.items()}
        )
        return client.post(
            "/nhap-lieu/luu/",
            data=json.dumps({"writes": [{**body, "version": current.version, "text": text}]}),
            content_type="application/json",
        )

    assert save(2025, "19").status_code == 200
    refused = save(2026, "21")
    assert refused.status_code == 422
    assert "không tồn tại vào ngày 01/01/2026" in refused.content.decode()
