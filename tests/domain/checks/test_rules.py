"""Each rule on small plans, and the real inconsistencies of the Lai Châu report."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from ktxh.domain.catalog import (
    Catalog,
    Children,
    Consolidation,
    Direction,
    Indicator,
    Nature,
    Unit,
)
from ktxh.domain.checks import CheckContext, DeclaredRule, Finding, Severity, run_checks
from ktxh.domain.dataset import Dataset
from ktxh.domain.narrative import Claim, ClaimKind
from ktxh.domain.orgunits import OrgTree, OrgUnit

UNITS = {
    u.name: u
    for u in (
        Unit("ha", "area", Decimal(1), "ha"),
        Unit("tấn", "mass", Decimal(1000), "kg"),
        Unit("tạ/ha", "yield", Decimal(100), "kg/ha"),
        Unit("hộ", "households", Decimal(1), "hộ"),
        Unit("người", "persons", Decimal(1), "người"),
        Unit("%", "ratio", Decimal("0.01"), "1", True),
        Unit("‰", "ratio", Decimal("0.001"), "1", True),
        Unit("tỷ đồng", "money", Decimal(10**9), "đồng"),
    )
}
WARDS = ["a", "b", "c"]


def tree() -> OrgTree:
    return OrgTree(
        [OrgUnit("tp", "Lai Châu", "thành phố")]
        + [OrgUnit(w, w.upper(), "phường", "tp") for w in WARDS]
    )


def ctx(
    inds: list[Indicator], rows: list[tuple], claims: list[Claim] | None = None
) -> CheckContext:
    frame = pl.DataFrame(
        [
            {
                "indicator": r[0],
                "orgunit": r[1],
                "year": r[2],
                "measure": r[3],
                "value": r[4],
                "printed": r[5] if len(r) > 5 else None,
            }
            for r in rows
        ],
        schema={
            "indicator": pl.String,
            "orgunit": pl.String,
            "year": pl.Int32,
            "measure": pl.String,
            "value": pl.Float64,
            "printed": pl.String,
        },
    )
    cat = Catalog({}, {i.code: i for i in inds}, UNITS)
    return CheckContext(cat, tree(), frame, 2023, "tp", claims or [])


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


AREA = Indicator("A", 2, 1, "Tổng diện tích đất nông nghiệp canh tác", unit="ha", decimals=1)


def test_units_must_add_up_and_the_message_says_by_how_much() -> None:
    # Biểu 2 line 271
    rows = [("A", "tp", 2024, "plan", 2731.1, "2.731,1")]
    rows += [(w, v) for w, v in zip(WARDS, (82.8, 157.0, 2461.3), strict=True)]  # type: ignore[misc]
    rows = [rows[0]] + [("A", w, 2024, "plan", v, None) for w, v in rows[1:]]  # type: ignore[misc]
    found = only(run_checks(ctx([AREA], rows)), "units_sum")
    assert len(found) == 1
    f = found[0]
    assert f.severity is Severity.ERROR
    assert f.message == (
        "KH 2024: Tổng 3 xã, phường là 2.701,1 ha, khác Tổng cộng 2.731,1 ha (lệch 30,0 ha)"
    )
    assert f.values["difference"] == pytest.approx(30.0)
    assert f.expected == pytest.approx(2701.1)


def test_a_difference_the_printed_precision_explains_is_no_error() -> None:
    rows = [("A", "tp", 2024, "plan", 100.0, "100")]
    rows += [
        ("A", w, 2024, "plan", v, f"{v:.1f}".replace(".", ","))
        for w, v in zip(WARDS, (33.4, 33.3, 33.6), strict=True)
    ]
    assert not only(run_checks(ctx([AREA], rows)), "units_sum")  # 100,3 vs 100 ± 0,65


def test_counts_have_no_rounding_slack() -> None:
    hh = Indicator("H", 7, 1, "Số hộ nghèo", unit="hộ")
    rows = [("H", "tp", 2024, "plan", 10.0, "10")] + [
        ("H", w, 2024, "plan", 3.0, "3") for w in WARDS
    ]
    assert only(run_checks(ctx([hh], rows)), "units_sum")  # 9 vs 10


def test_complete_parts_and_of_which_items() -> None:
    whole = Indicator(
        "W",
        2,
        1,
        "Giá trị sản xuất nông nghiệp",
        unit="tỷ đồng",
        children=Children.COMPLETE,
        consolidation=Consolidation.CITY_ONLY,
    )
    p1 = Indicator(
        "P1", 2, 2, "Trồng trọt", unit="tỷ đồng", parent="W", consolidation=Consolidation.CITY_ONLY
    )
    p2 = Indicator(
        "P2", 2, 3, "Chăn nuôi", unit="tỷ đồng", parent="W", consolidation=Consolidation.CITY_ONLY
    )
    big = Indicator(
        "O",
        2,
        4,
        "Trong đó: hữu cơ",
        unit="tỷ đồng",
        parent="W",
        of_which=True,
        consolidation=Consolidation.CITY_ONLY,
    )
    rows = [
        ("W", "tp", 2023, "plan", 410.7, "410,7"),
        ("P1", "tp", 2023, "plan", 266.5, "266,5"),
        ("P2", "tp", 2023, "plan", 128.2, "128,2"),
        ("O", "tp", 2023, "plan", 500.0, "500"),
    ]
    found = run_checks(ctx([whole, p1, p2, big], rows))
    parts = only(found, "parts_sum")
    assert (
        len(parts) == 1 and "394,7" in parts[0].message and "lệch 16,0 tỷ đồng" in parts[0].message
    )
    assert len(only(found, "part_le_whole")) == 1


def test_rates_recompute_from_their_parts() -> None:
    poor = Indicator("N", 7, 1, "Số hộ nghèo", unit="hộ")
    hh = Indicator("D", 9, 1, "Tổng số hộ", unit="hộ")
    rate = Indicator(
        "R",
        7,
        2,
        "Tỷ lệ hộ nghèo",
        unit="%",
        consolidation=Consolidation.RATE,
        basis=("N", "D"),
        direction=Direction.DOWN,
        nature=Nature.RATE,
        decimals=2,
    )
    rows = [
        ("N", "tp", 2024, "plan", 207.0, "207"),
        ("D", "tp", 2024, "plan", 13194.0, "13.194"),
        ("R", "tp", 2024, "plan", 1.57, "1,57"),
        ("N", "a", 2024, "plan", 18.0, "18"),
        ("D", "a", 2024, "plan", 2416.0, "2.416"),
        ("R", "a", 2024, "plan", 1.2, "1,2"),
        ("N", "b", 2024, "plan", 7.0, "7"),
        ("D", "b", 2024, "plan", 3670.0, "3.670"),
        ("R", "b", 2024, "plan", 0.0, "0"),
    ]
    found = only(run_checks(ctx([poor, hh, rate], rows)), "rate_parts")
    # 207/13.194 = 1,569 %: agrees; ward a: 18/2.416 = 0,75 % printed 1,2: does not;
    # ward b: 7/3.670 = 0,19 % printed 0: rounded to whole numbers, agrees
    assert [f.orgunit for f in found] == ["a"]
    assert "0,75%" in found[0].message


def test_weighted_mean_yield() -> None:
    area = Indicator("A", 2, 1, "Diện tích", unit="ha", decimals=1)
    yld = Indicator(
        "Y",
        2,
        2,
        "Năng suất",
        unit="tạ/ha",
        decimals=1,
        nature=Nature.RATE,
        consolidation=Consolidation.WEIGHTED_MEAN,
        basis=("A",),
    )
    rows = [("Y", "tp", 2024, "plan", 100.0, "100")]
    for w, a, y in zip(WARDS, (10.0, 20.0, 30.0), (80.0, 90.0, 110.0), strict=True):
        rows += [("A", w, 2024, "plan", a, None), ("Y", w, 2024, "plan", y, None)]
    found = only(run_checks(ctx([area, yld], rows)), "weighted_mean")
    assert len(found) == 1 and found[0].expected == pytest.approx(98.33, abs=0.01)


def test_production_is_area_times_yield_as_a_declared_rule() -> None:
    area = Indicator("B02.031", 2, 1, "Diện tích", unit="ha", decimals=1)
    yld = Indicator("B02.035", 2, 2, "Năng suất", unit="tạ/ha", decimals=1)
    prod = Indicator("B02.039", 2, 3, "Sản lượng", unit="tấn", decimals=1)
    rule = DeclaredRule(
        "san_luong",
        "SL = DT x NS",
        "B02.039",
        "==",
        "B02.031 * B02.035 / 10",
        Severity.ERROR,
        "{where}: {left} khác {right} (lệch {diff})",
    )
    rows = [
        ("B02.031", "a", 2024, "plan", 37.0, "37,0"),
        ("B02.035", "a", 2024, "plan", 53.0, "53,0"),
        ("B02.039", "a", 2024, "plan", 166.1, "166,1"),
        ("B02.031", "b", 2024, "plan", 10.0, "10,0"),
        ("B02.035", "b", 2024, "plan", 50.0, "50,0"),
        ("B02.039", "b", 2024, "plan", 50.0, "50,0"),
    ]
    found = only(run_checks(ctx([area, yld, prod], rows), [rule]), "san_luong")
    assert [f.orgunit for f in found] == ["a"]  # 37 x 53 / 10 = 196,1 (Biểu 2 line 306)
    assert "196,1" in found[0].message


def test_bounds_counts_flows_and_jumps() -> None:
    share = Indicator("S", 1, 1, "Tỷ lệ hộ nghèo", unit="%", nature=Nature.RATE)
    growth = Indicator(
        "G",
        1,
        2,
        "Tỷ lệ tăng dân số tự nhiên",
        unit="‰",
        unit_printed="%",
        direction=Direction.DOWN,
        consolidation=Consolidation.CITY_ONLY,
    )
    people = Indicator("P", 7, 1, "Giải quyết việc làm", unit="người", nature=Nature.FLOW)
    unemp = Indicator(
        "U",
        7,
        2,
        "Tỷ lệ thất nghiệp khu vực thành thị",
        unit="%",
        direction=Direction.DOWN,
        nature=Nature.RATE,
        consolidation=Consolidation.CITY_ONLY,
    )
    rows = [
        ("S", "a", 2024, "plan", 105.0, "105"),
        ("P", "tp", 2023, "h1", 2.0, "2"),
        ("P", "tp", 2023, "estimate", 1.0, "1"),
        ("P", "b", 2024, "plan", 2.5, "2,5"),
        ("U", "tp", 2023, "plan", 1.21, "1,21"),
        ("U", "tp", 2023, "estimate", 9.0, "9"),
    ]
    found = run_checks(ctx([share, growth, people, unemp], rows))
    rules = {f.rule for f in found}
    assert {
        "share_bounds",
        "permille_as_percent",
        "h1_le_estimate",
        "whole_counts",
        "jump",
    } <= rules
    jump = only(found, "jump")[0]
    assert "gấp 7,4 lần" in jump.message


def test_printed_ratios() -> None:
    inc = Indicator(
        "I", 1, 1, "Thu ngân sách", unit="tỷ đồng", consolidation=Consolidation.CITY_ONLY
    )
    poor = Indicator(
        "H",
        7,
        1,
        "Tổng số hộ nghèo",
        unit="hộ",
        direction=Direction.DOWN,
        consolidation=Consolidation.CITY_ONLY,
    )
    rows = [
        ("I", "tp", 2023, "estimate", 207.0, "207"),
        ("I", "tp", 2024, "plan", 169.5, "169,5"),
        ("I", "tp", 2024, "printed_ratio_nextplan_estimate", 82.0, "82"),
        ("I", "tp", 2023, "plan", 207.0, "207"),
        ("I", "tp", 2023, "printed_ratio_estimate_plan", 90.0, "90"),
        ("H", "tp", 2023, "plan", 234.0, "234"),
        ("H", "tp", 2023, "estimate", 217.0, "217"),
        ("H", "tp", 2023, "printed_ratio_estimate_plan", 93.0, "93"),
    ]
    found = only(run_checks(ctx([inc, poor], rows)), "printed_ratio")
    by = {(f.indicator, f.measure): f for f in found}
    assert ("I", "printed_ratio_nextplan_estimate") not in by  # 82 is right
    assert by[("I", "printed_ratio_estimate_plan")].severity is Severity.ERROR
    assert by[("H", "printed_ratio_estimate_plan")].severity is Severity.WARNING  # inverted


def test_narrative_claims() -> None:
    ind = Indicator(
        "B03.001",
        3,
        1,
        "Giá trị sản xuất công nghiệp",
        unit="tỷ đồng",
        consolidation=Consolidation.CITY_ONLY,
        seed_line=349,
    )
    rows = [
        ("B03.001", "tp", 2023, "h1", 258.4, "258,4"),
        ("B03.001", "tp", 2023, "plan", 597.0, "597"),
    ]
    claims = [
        Claim(
            "c1",
            "I.1.1",
            "",
            26,
            "ước thực hiện 285,4 tỷ đồng",
            "285,4",
            "tỷ đồng",
            ClaimKind.VALUE,
            "B03.001",
            "h1",
            2023,
            Decimal("285.4"),
        ),
        Claim(
            "c2",
            "I.1.1",
            "",
            26,
            "đạt 43% kế hoạch",
            "43",
            "%",
            ClaimKind.RATIO_PLAN,
            "B03.001",
            "h1",
            2023,
            Decimal(43),
        ),
        Claim(
            "c3",
            "I.1.1",
            "",
            26,
            "tổng đàn gia súc đạt 16.474 con",
            "16.474",
            "con",
            ClaimKind.VALUE,
            None,
            "h1",
            2023,
            Decimal(16474),
        ),
    ]
    found = run_checks(ctx([ind], rows, claims))
    errors = only(found, "narrative")
    assert len(errors) == 1 and "285,4" in errors[0].message and "258,4" in errors[0].message
    assert len(only(found, "narrative_unlinked")) == 1


def test_min_severity_filters() -> None:
    rows = [("A", "tp", 2024, "plan", 10.0, "10")] + [
        ("A", w, 2024, "plan", 1.0, "1") for w in WARDS
    ]
    assert run_checks(ctx([AREA], rows), min_severity=Severity.ERROR)
    assert all(
        f.severity is Severity.ERROR
        for f in run_checks(ctx([AREA], rows), min_severity=Severity.ERROR)
    )


def test_severity_parse() -> None:
    assert Severity.parse("Cảnh báo") is Severity.WARNING
    assert Severity.parse("loi") is Severity.ERROR
    assert Severity.parse("notice") is Severity.NOTICE
    with pytest.raises(ValueError, match="không hợp lệ"):
        Severity.parse("nghiêm trọng")


# --- the real report -----------------------------------------------------------


@pytest.fixture(scope="module")
def lai_chau(dataset: Dataset) -> list[Finding]:
    c = CheckContext(
        dataset.catalog,
        dataset.tree,
        dataset.values.frame,
        dataset.reference_year,
        dataset.top_orgunit,
        dataset.claims,
    )
    return run_checks(c, dataset.rules)


def test_lai_chau_known_inconsistencies_are_found(lai_chau: list[Finding]) -> None:
    messages = "\n".join(f.message for f in lai_chau)
    # units that do not add up (Biểu 2 line 271)
    assert "Tổng 7 xã, phường là 2.701,1 ha, khác Tổng cộng 2.731,1 ha (lệch 30,0 ha)" in messages
    # the narrative's 285,4 against Biểu 3's 258,4 (line 26 vs 349)
    assert any(f.rule == "narrative" and "285,4" in f.message for f in lai_chau)
    # per thousand printed as per cent (Biểu 1 line 235)
    assert any(f.rule == "permille_as_percent" and f.indicator == "B01.007" for f in lai_chau)
    # urban unemployment 9 % against a plan of 1,21 % (Biểu 7 line 534)
    assert any(f.rule == "jump" and f.indicator == "B07.056" for f in lai_chau)
    # a printed % that is not the ratio of its columns (Biểu 11 line 724: 6/1 printed 60)
    assert any(f.rule == "printed_ratio" and f.indicator == "B11.041" for f in lai_chau)
    # production = area x yield (Biểu 2 line 306, Quyết Thắng)
    assert any(f.rule == "san_luong_ngo_xuan_he" and f.orgunit == "quyet-thang" for f in lai_chau)
    # Biểu 1 against Biểu 7 (line 241 vs 521)
    assert any(f.rule == "bieu1_013_bieu7" for f in lai_chau)


def test_lai_chau_findings_point_at_seed_lines(lai_chau: list[Finding]) -> None:
    located = [f for f in lai_chau if f.seed_line is not None]
    assert len(located) == len(lai_chau)
