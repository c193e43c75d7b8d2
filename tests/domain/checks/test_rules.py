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
    Form,
    Indicator,
    Nature,
    RatioConvention,
    Unit,
)
from ktxh.domain.checks import (
    CheckContext,
    DeclaredRule,
    Finding,
    Severity,
    group_causes,
    run_checks,
)
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
        Unit("trường", "schools", Decimal(1), "trường"),
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
                "confidence": r[6] if len(r) > 6 else "high",
                "note": r[7] if len(r) > 7 else "",
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
            "confidence": pl.String,
            "note": pl.String,
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
        # Biểu 7 line 470: poor households 234 -> 217, printed 93 = new/old, as the
        # header says (lower is better only decides the rating)
        ("H", "tp", 2023, "plan", 234.0, "234"),
        ("H", "tp", 2023, "estimate", 217.0, "217"),
        ("H", "tp", 2023, "printed_ratio_estimate_plan", 93.0, "93"),
        ("H", "tp", 2024, "plan", 207.0, "207"),
        ("H", "tp", 2024, "printed_ratio_nextplan_estimate", 105.0, "105"),
    ]
    found = only(run_checks(ctx([inc, poor], rows)), "printed_ratio")
    by = {(f.indicator, f.measure): f for f in found}
    assert ("I", "printed_ratio_nextplan_estimate") not in by  # 82 is right
    assert by[("I", "printed_ratio_estimate_plan")].severity is Severity.ERROR
    assert ("H", "printed_ratio_estimate_plan") not in by  # 93 is what the header says
    # 105 = 217/207 is the other way round (old/new) for a lower-is-better row: a warning
    inverted = by[("H", "printed_ratio_nextplan_estimate")]
    assert inverted.severity is Severity.WARNING and "cũ/mới" in inverted.message
    # a form that declares old ÷ new for its lower-is-better rows: 105 is right, 93 is not
    forms = {7: Form(7, "Biểu 7", (), None, RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER)}
    c = ctx([inc, poor], rows)
    c.catalog = Catalog(forms, c.catalog.indicators, UNITS)
    by = {(f.indicator, f.measure): f for f in only(run_checks(c), "printed_ratio")}
    assert ("H", "printed_ratio_nextplan_estimate") not in by
    assert by[("H", "printed_ratio_estimate_plan")].severity is Severity.WARNING


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


def _people(code: str, name: str, **kw: object) -> Indicator:
    return Indicator(code, 9, int(code[-1]), name, unit="người", **kw)  # type: ignore[arg-type]


def test_declared_parts_add_up_and_rates_lie_between_their_parts() -> None:
    # Biểu 9 lines 592, 594, 595: urban + rural = population, in the estimate 36.990 + 9.760
    pop = _people("P1", "Dân số", parts=(("P2", "P3"),))
    urban, rural = _people("P2", "Dân số thành thị"), _people("P3", "Dân số nông thôn")
    rows = [
        ("P1", "tp", 2023, "plan", 47469.0, "47.469"),
        ("P2", "tp", 2023, "plan", 37709.0, "37.709"),
        ("P3", "tp", 2023, "plan", 9760.0, "9.760"),
        ("P1", "tp", 2023, "estimate", 47469.0, "47.469"),
        ("P2", "tp", 2023, "estimate", 36990.0, "36.990"),
        ("P3", "tp", 2023, "estimate", 9760.0, "9.760"),
        # a declared set is checked only where every member is printed
        ("P1", "tp", 2023, "h1", 47084.0, "47.084"),
        ("P2", "tp", 2023, "h1", 37403.0, "37.403"),
    ]
    found = only(run_checks(ctx([pop, urban, rural], rows)), "parts_sum")
    assert [(f.measure, f.severity) for f in found] == [("estimate", Severity.ERROR)]
    assert "«Dân số thành thị» + «Dân số nông thôn»" in found[0].message
    assert "46.750" in found[0].message
    # Biểu 8 lines 568, 573, 574: the clean-water rate 98,3 with urban and rural at 100
    water = Indicator(
        "W", 8, 1, "Tỷ lệ nước sạch", unit="%", nature=Nature.RATE, decimals=1, parts=(("U", "R"),)
    )
    u = Indicator("U", 8, 2, "Thành thị", unit="%", nature=Nature.RATE)
    r = Indicator("R", 8, 3, "Nông thôn", unit="%", nature=Nature.RATE)
    rows = [
        ("W", "tp", 2023, "plan", 98.3, "98,3"),
        ("U", "tp", 2023, "plan", 100.0, "100"),
        ("R", "tp", 2023, "plan", 85.0, "85"),
        ("W", "tp", 2024, "plan", 98.3, "98,3"),
        ("U", "tp", 2024, "plan", 100.0, "100"),
        ("R", "tp", 2024, "plan", 100.0, "100"),
    ]
    found = only(run_checks(ctx([water, u, r], rows)), "rate_range")
    assert [(f.year, f.severity) for f in found] == [(2024, Severity.ERROR)]


def test_a_city_rate_lies_within_its_units_rates() -> None:
    # Biểu 7 line 534: the city's urban unemployment 8,3 % is the sum of its wards' 0,9-1,6 %
    rate = Indicator(
        "U",
        7,
        1,
        "Tỷ lệ thất nghiệp",
        unit="%",
        nature=Nature.RATE,
        consolidation=Consolidation.RATE,
    )
    rows = [("U", "tp", 2024, "plan", 8.3, "8,3")]
    rows += [
        ("U", w, 2024, "plan", v, str(v).replace(".", ","))
        for w, v in zip(WARDS, (0.9, 1.6, 1.4), strict=True)
    ]
    found = only(run_checks(ctx([rate], rows)), "rate_range")
    assert len(found) == 1 and found[0].severity is Severity.ERROR
    assert "0,9% - 1,6%" in found[0].message
    # a unit without a value: the city's rate could be its weight's; no conclusion
    assert not only(run_checks(ctx([rate], rows[:-1])), "rate_range")
    # within the range: nothing
    rows[0] = ("U", "tp", 2024, "plan", 1.2, "1,2")
    assert not only(run_checks(ctx([rate], rows)), "rate_range")


def test_a_structure_adds_up_to_100() -> None:
    # Biểu 7 lines 510-516: the labour structure prints 86 (20 + 22 + 44) and Sùng Phài 101
    whole = Indicator(
        "S", 7, 1, "Cơ cấu lao động", unit="%", children=Children.STRUCTURE, nature=Nature.RATE
    )
    parts = [
        Indicator(c, 7, n, name, unit="%", parent="S", nature=Nature.RATE, decimals=1)
        for n, (c, name) in enumerate(
            (("A", "Nông nghiệp"), ("B", "Công nghiệp"), ("C", "Dịch vụ")), 2
        )
    ]
    rows = [
        ("S", "tp", 2023, "plan", 100.0, "100"),
        ("A", "tp", 2023, "plan", 20.0, "20"),
        ("B", "tp", 2023, "plan", 27.0, "27"),
        ("C", "tp", 2023, "plan", 53.0, "53"),
        ("S", "tp", 2023, "estimate", 86.0, "86"),
        ("A", "tp", 2023, "estimate", 20.0, "20"),
        ("B", "tp", 2023, "estimate", 22.0, "22"),
        ("C", "tp", 2023, "estimate", 44.0, "44"),
        ("S", "c", 2024, "plan", 100.0, "100"),
        ("A", "c", 2024, "plan", 64.5, "64,5"),
        ("B", "c", 2024, "plan", 11.5, "11,5"),
        ("C", "c", 2024, "plan", 25.0, "25,0"),
    ]
    found = run_checks(ctx([whole, *parts], rows))
    structure = only(found, "structure_sum")
    assert [(f.orgunit, f.measure) for f in structure] == [("tp", "estimate"), ("c", "plan")]
    assert "dòng tổng ghi 86%" in structure[0].message and "101,0%" in structure[1].message
    assert not only(found, "parts_sum")  # a structure is not checked twice
    (cause,) = group_causes(structure)  # the same row and rule: one cause
    assert len(cause.findings) == 2


def test_ordered_pairs_and_identities_are_declared_rules() -> None:
    # Biểu 7 lines 505, 509: employed 3.322 > labour force 3.296 in Sùng Phài
    force = _people("B07.033", "Lực lượng lao động")
    employed = _people("B07.037", "Lao động làm việc")
    pair = DeclaredRule(
        "lao_dong",
        "Lao động làm việc ≤ lực lượng lao động",
        "B07.037",
        "<=",
        "B07.033",
        Severity.ERROR,
        "{where}: {left} > {right}",
    )
    rows = [
        ("B07.033", "c", 2024, "plan", 3296.0, "3.296"),
        ("B07.037", "c", 2024, "plan", 3322.0, "3.322"),
        ("B07.033", "b", 2024, "plan", 3562.0, "3.562"),
        ("B07.037", "b", 2024, "plan", 3286.0, "3.286"),
    ]
    found = only(run_checks(ctx([force, employed], rows), [pair]), "lao_dong")
    assert [(f.orgunit, f.severity) for f in found] == [("c", Severity.ERROR)]
    # Biểu 9 lines 600-602: natural growth = births - deaths; 13,61 - 2,9 = 10,71, printed 10,6
    per_mille = {"unit": "‰", "nature": Nature.RATE, "consolidation": Consolidation.CITY_ONLY}
    births = Indicator("B09.010", 9, 1, "Tỷ suất sinh thô", decimals=2, **per_mille)  # type: ignore[arg-type]
    deaths = Indicator("B09.011", 9, 2, "Tỷ suất chết thô", decimals=1, **per_mille)  # type: ignore[arg-type]
    growth = Indicator("B09.012", 9, 3, "Tăng tự nhiên", decimals=1, **per_mille)  # type: ignore[arg-type]
    identity = DeclaredRule(
        "tang_tu_nhien",
        "Tăng tự nhiên = sinh - chết",
        "B09.012",
        "==",
        "B09.010 - B09.011",
        Severity.WARNING,
        "{where}: {left} khác {right}",
    )
    rows = [
        ("B09.010", "tp", 2023, "plan", 13.5, "13,50"),
        ("B09.011", "tp", 2023, "plan", 3.0, "3,0"),
        ("B09.012", "tp", 2023, "plan", 10.5, "10,5"),
        ("B09.010", "tp", 2024, "plan", 13.61, "13,61"),
        ("B09.011", "tp", 2024, "plan", 2.9, "2,9"),
        ("B09.012", "tp", 2024, "plan", 10.6, "10,6"),
    ]
    (f,) = only(run_checks(ctx([births, deaths, growth], rows), [identity]), "tang_tu_nhien")
    assert f.year == 2024 and f.severity is Severity.WARNING
    # what each cell would have to hold for the identity: the births rate about 13,5
    (birth_hint,) = [h for h in f.hints if h.cell[0] == "B09.010"]
    assert birth_hint.lo < 13.5 < birth_hint.hi and birth_hint.point


def test_one_finding_per_cause_names_the_cell() -> None:
    # Biểu 2 lines 298, 302, 305-308: Quyết Thắng's maize production 166,1 where its area and
    # yield make 196,1; the wards' total and the seasons' sum break on the same cell
    area = Indicator("B02.032", 2, 1, "Diện tích ngô xuân hè", unit="ha", decimals=1)
    yld = Indicator("B02.036", 2, 2, "Năng suất ngô xuân hè", unit="tạ/ha", decimals=1)
    prod = Indicator(
        "B02.039", 2, 3, "Sản lượng ngô", unit="tấn", decimals=1, children=Children.COMPLETE
    )
    season = Indicator("B02.040", 2, 4, "Vụ xuân hè", unit="tấn", decimals=1, parent="B02.039")
    other = Indicator("B02.041", 2, 5, "Vụ thu đông", unit="tấn", decimals=1, parent="B02.039")
    rule = DeclaredRule(
        "san_luong",
        "SL = DT x NS",
        "B02.040",
        "==",
        "B02.032 * B02.036 / 10",
        Severity.ERROR,
        "{where}: {left} khác {right}",
    )
    rows = [
        ("B02.032", "a", 2024, "plan", 37.0, "37,0"),
        ("B02.036", "a", 2024, "plan", 53.0, "53,0"),
        ("B02.040", "a", 2024, "plan", 166.1, "166,1"),
        ("B02.041", "a", 2024, "plan", 150.0, "150,0"),
        ("B02.039", "a", 2024, "plan", 346.1, "346,1"),
        ("B02.040", "b", 2024, "plan", 10.0, "10,0"),
        ("B02.040", "c", 2024, "plan", 20.0, "20,0"),
        ("B02.040", "tp", 2024, "plan", 226.1, "226,1"),
    ]
    c = ctx([area, yld, prod, season, other], rows)
    findings = run_checks(c, [rule])
    assert {f.rule for f in findings} == {"units_sum", "parts_sum", "san_luong"}
    assert len({f.cause for f in findings}) == 1
    (cause,) = group_causes(findings, c)
    assert cause.cell == ("B02.040", "a", 2024, "plan")
    assert cause.value == pytest.approx(196.1, abs=0.1)
    assert "ghi 166,1" in cause.message and "196,1 tấn" in cause.message
    assert len(cause.consequences) == 2


def test_a_lost_cell_is_a_notice_said_once() -> None:
    # Biểu 3 line 361: six ward cells for seven, placed by guess: the total cannot be checked
    wood = Indicator("W", 3, 1, "Sản xuất đồ gỗ", unit="m³")
    note = "page-1 row has only 6 cells after the total"
    rows = [("W", "tp", 2024, "plan", 1082.0, "1.082")]
    rows += [
        ("W", w, 2024, "plan", v, str(int(v)), "low", note)
        for w, v in zip(WARDS[:2], (900.0, 102.0), strict=True)
    ]
    c = ctx([wood], rows)
    found = run_checks(c)
    assert {(f.rule, f.severity) for f in found} == {
        ("units_sum", Severity.NOTICE),
        ("missing_unit", Severity.NOTICE),
    }
    assert "bị mất khi đọc bản in" in only(found, "units_sum")[0].message
    (cause,) = group_causes(found, c)  # the lost cell: one cause
    assert cause.cell == ("W", "c", 2024, "plan") and cause.value == pytest.approx(80)
    # all seven cells read, some placed by guess: the sum does not depend on the placement
    rows.append(("W", "c", 2024, "plan", 50.0, "50", "low", note))
    (f,) = run_checks(ctx([wood], rows))
    assert f.rule == "units_sum" and f.severity is Severity.ERROR


def test_a_printed_ratio_placed_by_guess() -> None:
    # Biểu 11 line 724: 6 schools against 1, printed 60; its column is a guess, but 60 is
    # no ratio of the row in either column (1/3 = 33): still an error
    schools = Indicator("S", 11, 1, "Số trường công nhận mới", unit="trường", nature=Nature.FLOW)
    rows = [
        ("S", "tp", 2023, "plan", 3.0, "3"),
        ("S", "tp", 2023, "estimate", 1.0, "1"),
        ("S", "tp", 2024, "plan", 6.0, "6"),
        ("S", "tp", 2023, "printed_ratio_estimate_plan", 33.0, "33"),
        ("S", "tp", 2024, "printed_ratio_nextplan_estimate", 60.0, "60", "low", "extra cell"),
    ]
    (f,) = only(run_checks(ctx([schools], rows)), "printed_ratio")
    assert f.severity is Severity.ERROR and "600" in f.message
    # placed by guess where the other column would fit it: no conclusion
    rows[-1] = ("S", "tp", 2024, "printed_ratio_nextplan_estimate", 33.0, "33", "low", "x")
    (f,) = only(run_checks(ctx([schools], rows)), "printed_ratio")
    assert f.severity is Severity.NOTICE and "phỏng đoán" in f.message


def test_a_printed_ratio_that_is_another_ratio_of_the_row() -> None:
    # Biểu 12 line 777: 163 registered in every column, Đoàn Kết 94, printed 58 = 94/163
    n = Indicator("N", 12, 1, "Số cơ quan đăng ký", unit="cq, đv, trh")
    rows = [
        ("N", "tp", 2023, "estimate", 163.0, "163"),
        ("N", "tp", 2024, "plan", 163.0, "163"),
        ("N", "a", 2024, "plan", 94.0, "94"),
        ("N", "tp", 2024, "printed_ratio_nextplan_estimate", 58.0, "58"),
    ]
    (f,) = only(run_checks(ctx([n], rows)), "printed_ratio")
    assert f.severity is Severity.ERROR
    assert "KH năm sau của phường A trên Ước TH (94/163)" in f.message


def test_two_forms_comparing_one_indicator_two_ways_is_one_finding() -> None:
    # Biểu 1 line 235 (old ÷ new: 97, 102) and Biểu 9 line 602 (new ÷ old: 103,2, 98)
    old_new = RatioConvention.OLD_NEW_WHEN_LOWER_IS_BETTER
    forms = {1: Form(1, "Biểu 1", (), None, old_new), 9: Form(9, "Biểu 9", ())}
    kw = {"unit": "‰", "direction": Direction.DOWN, "consolidation": Consolidation.CITY_ONLY}
    a = Indicator("B01.007", 1, 1, "Tỷ lệ tăng dân số tự nhiên", decimals=1, **kw)  # type: ignore[arg-type]
    b = Indicator("B09.012", 9, 1, "Tỷ lệ tăng dân số tự nhiên", decimals=1, **kw)  # type: ignore[arg-type]
    rows = []
    for code, p1, p2 in (("B01.007", 97.0, 102.0), ("B09.012", 103.2, 98.0)):
        rows += [
            (code, "tp", 2023, "plan", 10.5, "10,5"),
            (code, "tp", 2023, "estimate", 10.8, "10,8"),
            (code, "tp", 2024, "plan", 10.6, "10,6"),
            (code, "tp", 2023, "printed_ratio_estimate_plan", p1, num_text(p1)),
            (code, "tp", 2024, "printed_ratio_nextplan_estimate", p2, num_text(p2)),
        ]
    copy = DeclaredRule(
        "copy",
        "Biểu 1 = Biểu 9",
        "B01.007",
        "==",
        "B09.012",
        Severity.ERROR,
        "{where}",
        None,
        "top",
    )
    c = ctx([a, b], rows)
    c.catalog = Catalog(forms, c.catalog.indicators, UNITS)
    found = run_checks(c, [copy])
    assert not only(found, "printed_ratio")  # each % is what its own form computes
    (mixed,) = only(found, "ratio_convention_mixed")
    assert mixed.severity is Severity.WARNING
    assert "Biểu số 1 in 97 (cũ/mới), Biểu số 9 in 103,2 (mới/cũ)" in mixed.message


def num_text(v: float) -> str:
    return f"{v:g}".replace(".", ",")


def test_a_blank_unit_whose_total_the_others_make_is_none() -> None:
    # Biểu 3 line 363: six wards make the total 14.100 exactly: the seventh printed nothing
    iron = Indicator("I", 3, 1, "Sản xuất đồ sắt", unit="m²")
    rows = [("I", "tp", 2024, "plan", 3000.0, "3.000")]
    rows += [
        ("I", w, 2024, "plan", v, "") for w, v in zip(WARDS[:2], (1000.0, 2000.0), strict=True)
    ]
    assert not only(run_checks(ctx([iron], rows)), "missing_unit")
    rows[0] = ("I", "tp", 2024, "plan", 3300.0, "3.300")
    assert only(run_checks(ctx([iron], rows)), "missing_unit")


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
