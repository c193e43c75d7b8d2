"""The example package of Lai Châu's 2025 reorganisation (ktxh/data/laichau-sap-xep-2025).

Its facts (the two new wards, what each is made of, the end of the district level) are
rows of orgunit_events.csv, each with its legal basis and source. The 2023 round is the
city's report on the old wards. Values of the first half of 2025 (the old units, before
1 July) and of 2026 (the new wards) are typed in by the tests, as their offices would:
"so với cùng kỳ" of the new phường Tân Phong is then made from its five predecessors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from django.contrib.auth.models import User

from ktxh.domain.history import compare_years, values_for
from ktxh.domain.importing import CellRef, Entry, Issue, plan_import
from ktxh.io.datapackage import read_dataset, read_package, shipped_package
from ktxh.io.xlsx_template import TemplateError, template_layout
from ktxh.store import models
from ktxh.store.frames import dataset_from_store
from ktxh.store.packages import load

EXAMPLE = shipped_package("laichau-sap-xep-2025")
REFORM = date(2025, 7, 1)
PREDECESSORS = ["tan-phong", "dong-phong", "san-thang", "nung-nang", "ban-giang"]
AREA = "B02.009"  # Tổng diện tích đất nông nghiệp canh tác (ha), a sum over the units
POVERTY = "B07.006"  # Tỷ lệ hộ nghèo (%), a rate


def test_every_event_has_its_date_legal_basis_and_source() -> None:
    pkg = read_package(EXAMPLE)
    assert [e.id for e in pkg.tree.events] == [
        "bo-cap-huyen",
        "bo-cap-huyen-tp",
        "sx-2025-35",
        "sx-2025-36",
    ]
    for e in pkg.tree.events:
        assert e.day == REFORM
        assert e.basis.startswith(("Nghị quyết số 1670/NQ-UBTVQH15 ngày 16/6/2025", "Luật"))
        assert e.source
    merge = next(e for e in pkg.tree.events if e.id == "sx-2025-35")
    assert merge.sources == tuple(PREDECESSORS) and merge.targets == ("tan-phong-2025",)


def test_the_tree_before_and_after_the_reform() -> None:
    ds = read_dataset(EXAMPLE)
    before, after = ds.tree.at(date(2025, 6, 30)), ds.tree.at(REFORM)
    assert [u.code for u in before.children("tinh-lai-chau")] == [
        "lai-chau",
        "tam-duong",
        "phong-tho",
    ]
    assert len(before.children("lai-chau")) == 7
    assert [u.full_name for u in after.children("tinh-lai-chau")] == [
        "phường Tân Phong",
        "phường Đoàn Kết",
    ]
    assert ds.tree.timeline("tan-phong-2025")[-1].startswith(
        "01/07/2025: hợp nhất, sáp nhập tan-phong, dong-phong, san-thang, nung-nang, "
        "ban-giang → tan-phong-2025 (Nghị quyết số 1670/NQ-UBTVQH15"
    )
    with pytest.raises(KeyError) as two:
        ds.tree.find("Tân Phong")
    assert "mã tan-phong, đến hết 30/06/2025" in two.value.args[0]
    assert "mã tan-phong-2025, từ 01/07/2025" in two.value.args[0]


def _frame(rows: list[tuple[str, str, int, str, float]]) -> pl.DataFrame:
    from ktxh.domain.values import frame_from_rows

    return frame_from_rows(
        {"indicator": i, "orgunit": o, "year": y, "measure": m, "value": v, "printed": ""}
        for i, o, y, m, v in rows
    )


def test_so_voi_cung_ky_of_the_new_ward_is_made_from_its_predecessors() -> None:
    ds = read_dataset(EXAMPLE)
    h1_2025 = {u: 100.0 + 10 * n for n, u in enumerate(PREDECESSORS)}  # 100 ... 140 ha
    typed = [(AREA, u, 2025, "h1", v) for u, v in h1_2025.items()]
    typed += [(AREA, "tan-phong-2025", 2026, "h1", 612.0)]
    # the poverty rate, recomputed from households (numerator and denominator), not averaged
    poor, households = ds.catalog[POVERTY].basis
    for n, u in enumerate(PREDECESSORS):
        typed += [(poor, u, 2025, "h1", 10.0 + n), (households, u, 2025, "h1", 100.0 * (n + 1))]
    typed += [(POVERTY, "tan-phong-2025", 2026, "h1", 2.5)]
    values = pl.concat([ds.values.frame, _frame(typed)], how="vertical_relaxed")

    cmp = compare_years(values, ds.catalog, ds.tree, 2026, "h1", 2025, [AREA, POVERTY])
    area = cmp.filter((pl.col("indicator") == AREA) & (pl.col("orgunit") == "tan-phong-2025"))
    assert area.row(0, named=True) == {
        "indicator": AREA,
        "orgunit": "tan-phong-2025",
        "value": 612.0,
        "base": 600.0,  # 100 + 110 + 120 + 130 + 140
        "mapped": True,
        "ratio": 102.0,
        "reason": "",
    }
    rate = cmp.filter(pl.col("indicator") == POVERTY).row(0, named=True)
    want = 100 * sum(10.0 + n for n in range(5)) / sum(100.0 * (n + 1) for n in range(5))
    assert rate["base"] == pytest.approx(want)  # 60 / 1.500 = 4 %, not the mean of the rates
    # Đoàn Kết's predecessors typed nothing: not comparable, with the units that lack it
    dk = values_for(values, ds.catalog, ds.tree, date(2026, 6, 30), 2025, "h1", [AREA])
    reason = dk.filter(pl.col("orgunit") == "doan-ket-2025")["reason"][0]
    assert reason.startswith("không so sánh được: thiếu số liệu của doan-ket, lan-nhi-thang")
    # the stored values are untouched: each is still there with its own unit
    assert (
        values.filter((pl.col("indicator") == AREA) & (pl.col("year") == 2025))["orgunit"].to_list()
        == PREDECESSORS
    )


def test_totals_never_count_a_unit_twice() -> None:
    from ktxh.domain.consolidate import consolidate

    ds = read_dataset(EXAMPLE)
    typed = [(AREA, u, 2025, "h1", 10.0) for u in PREDECESSORS]
    typed += [(AREA, "tan-phong-2025", 2025, "estimate", 55.0)]
    totals = consolidate(
        pl.concat([ds.values.frame, _frame(typed)], how="vertical_relaxed"), ds.catalog, ds.tree
    )
    top = totals.filter(
        (pl.col("indicator") == AREA)
        & (pl.col("orgunit") == "tinh-lai-chau")
        & (pl.col("year") == 2025)
    )
    by = dict(zip(top["measure"], top["value"], strict=True))
    assert by == {"h1": 50.0, "estimate": 55.0}  # the old units in June, the new in December


def test_a_value_or_a_template_for_an_abolished_ward_is_refused() -> None:
    ds = read_dataset(EXAMPLE)
    entry = Entry((AREA, "doan-ket", 2026, "h1"), 90.0, CellRef("dk.xlsx", "Biểu 2", "J9"))
    plan = plan_import([entry], ds.values.frame, ds.catalog, ds.tree)
    (problem,) = plan.problems
    assert problem.issue is Issue.OUTSIDE_VALIDITY
    assert str(problem) == (
        "tệp «dk.xlsx», trang «Biểu 2», ô J9: B02.009 «Tổng diện tích đất nông nghiệp canh "
        "tác», phường Đoàn Kết, TH 6 tháng 2026: phường Đoàn Kết (mã doan-ket) không có hiệu "
        "lực trong năm 2026 (đến hết 30/06/2025), nên không nhận số liệu của năm đó"
    )
    with pytest.raises(TemplateError, match=r"phường Đoàn Kết \(mã doan-ket\) không có hiệu lực"):
        template_layout(ds.catalog, ds.tree, ds.top_orgunit, ds.name, "doan-ket", 2026)
    layout = template_layout(ds.catalog, ds.tree, ds.top_orgunit, ds.name, "doan-ket", 2024)
    # the plan of 2025 is still the old ward's to set (it exists until 30 June 2025)
    assert any(c.input and c.year == 2025 for c in layout.sheets[0].columns)


def test_the_example_loads_into_the_store_and_dumps_back(plan: Any, tmp_path: Any) -> None:
    from ktxh.store.packages import dump

    load(EXAMPLE, user="tests", replace=True)
    ds = dataset_from_store()
    assert ds.top_orgunit == "tinh-lai-chau"
    assert [e.id for e in ds.tree.events][-1] == "sx-2025-36"
    assert models.OrgEvent.objects.count() == 4
    dump(tmp_path / "out")
    names = sorted(p.name for p in EXAMPLE.iterdir())
    assert {n: (tmp_path / "out" / n).read_bytes() for n in names} == {
        n: (EXAMPLE / n).read_bytes() for n in names
    }
    assert User.objects.filter(username="admin").exists()
