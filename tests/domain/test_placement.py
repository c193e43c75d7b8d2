"""Placing a printed row's cells into its columns by arithmetic (ktxh.domain.placement).

The rows are the seed's own (line numbers cited); the columns are those of an annex
form with the seven units of Lai Châu city.
"""

from __future__ import annotations

from ktxh.domain.numbers import parse_number
from ktxh.domain.placement import Facts, Slot, Sureness, Token, place, under_headers

UNITS = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"]


def slots(units: bool = True, cols: bool = False) -> list[Slot]:
    roles = ["plan", "h1", "estimate", "next"]
    out = [Slot(r, col=(3 + i) if cols else None) for i, r in enumerate(roles)]
    if units:
        out += [Slot("unit", u, u, (7 + i) if cols else None) for i, u in enumerate(UNITS)]
    start = 7 + (len(UNITS) if units else 0)
    out += [
        Slot("ratio_estimate_plan", col=start if cols else None),
        Slot("ratio_nextplan_estimate", col=start + 1 if cols else None),
    ]
    return out


def tokens(*cells: str, start: int = 3) -> list[Token]:
    out = []
    for i, text in enumerate(cells):
        p = parse_number(text)
        assert p is not None
        value = None if p.value is None else float(p.value)
        out.append(Token(start + i, value, p.decimals))
    return out


def placed(p, sl: list[Slot], toks: list[Token]) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    return {(sl[s].orgunit or sl[s].role): toks[t].value for s, t in sorted(p.assign.items())}


def test_a_complete_row_in_order_is_sure() -> None:
    # seed line 274: every cell present, the units add up to the total, ratios agree
    sl = slots()
    toks = tokens(
        "3.489", "2.820", "3.518", "3.517,9", "105,3", "185,0", "220,7", "189,3", "81,4",
        "1.123,8", "1.612,4", "101", "100",
    )  # fmt: skip
    p = place(sl, toks, Facts("sum"))
    assert p.sureness is Sureness.HIGH and p.in_order
    assert placed(p, sl, toks)["next"] == 3517.9


def test_a_complete_row_whose_units_do_not_add_up_keeps_its_places_with_a_doubt() -> None:
    # seed line 271: the source's units add up to 2.701,1, its total says 2.731,1
    sl = slots()
    toks = tokens(
        "2.726", "2.721", "2.731", "2.731,1", "82,8", "157,0", "149,7", "118,3", "54,4",
        "814,3", "1.324,6", "100", "100",
    )  # fmt: skip
    p = place(sl, toks, Facts("sum"))
    assert p.in_order and p.sureness is Sureness.MEDIUM
    assert p.doubts == ["các đơn vị cộng lại 2.701,1, tổng cộng in 2.731,1"]


def test_a_lost_cell_is_found_by_the_units_and_the_ratios() -> None:
    # seed line 280: 12 cells for 13 columns; the units add up to 2.112,2, and
    # 2.112/2.146 = 98 and 2.112,2/2.112 = 100 as printed: the first half is the lost cell
    sl = slots()
    toks = tokens(
        "2.146", "2.112", "2.112,2", "56,3", "44,5", "155,5", "154,1", "51,0", "715,5",
        "935,3", "98", "100",
    )  # fmt: skip
    p = place(sl, toks, Facts("sum"))
    got = placed(p, sl, toks)
    assert "h1" not in got
    assert got["estimate"] == 2112 and got["next"] == 2112.2
    assert got["u1"] == 56.3 and got["u7"] == 935.3
    assert got["ratio_estimate_plan"] == 98
    assert any("các đơn vị cộng lại bằng tổng cộng" in r for r in p.reasons)
    # the other reading (the total lost, 2.112,2 the estimate) holds almost as well: a
    # person is asked, the alternative named
    assert p.sureness is not Sureness.HIGH and p.runner_up is not None


def test_a_lost_total_is_implied_by_the_printed_ratio() -> None:
    # seed line 525: no total printed; the seven units add up to 950 and the printed
    # next/estimate % (100) says the total is 950
    sl = slots()
    toks = tokens(
        "950", "590", "950", "150", "158", "135", "123", "121", "153", "110", "100", "100"
    )
    got = placed(place(sl, toks, Facts("sum")), sl, toks)
    assert "next" not in got
    assert [got[u] for u in UNITS] == [150, 158, 135, 123, 121, 153, 110]


def test_ratios_shifted_under_empty_unit_columns() -> None:
    # seed line 349: no unit values; the two ratios sit under unit headers in the OCR
    sl = slots(cols=True)
    toks = [*tokens("597", "258,4", "606", "619"), *tokens("101", "102", start=12)]
    got = placed(place(sl, toks, Facts("sum")), sl, toks)
    assert got["ratio_estimate_plan"] == 101 and got["ratio_nextplan_estimate"] == 102
    assert not any(u in got for u in UNITS)


def test_lower_is_better_ratios_either_way_round() -> None:
    # seed line 235: natural population growth (lower is better), 10,5/10,8 = 97
    sl = slots(units=False)
    toks = tokens("10,5", "10,8", "10,6", "97", "102")
    got = placed(place(sl, toks, Facts("rate", down=True)), sl, toks)
    assert got == {
        "plan": 10.5,
        "estimate": 10.8,
        "next": 10.6,
        "ratio_estimate_plan": 97,
        "ratio_nextplan_estimate": 102,
    }


def test_an_extra_cell_among_rates_is_left_over_by_the_mean() -> None:
    # seed line 536: eight unit-like cells for seven units; without the first (a repeat
    # of the total) the units average 83,857 = the total 83,9
    sl = slots()
    toks = tokens(
        "83,86", "83,9", "83,9", "83,9", "83,9", "85,0", "84,0", "82,0", "85,0", "83,0",
        "85,0", "83,0", "100", "100",
    )  # fmt: skip
    p = place(sl, toks, Facts("rate"))
    got = placed(p, sl, toks)
    assert [got[u] for u in UNITS] == [85, 84, 82, 85, 83, 85, 83]
    assert len(p.left_over) == 1


def test_under_headers_in_a_grid() -> None:
    sl = slots(cols=True)
    toks = [*tokens("7", "7", "7", "7"), *tokens("1", "1", "1", "1", "1", "1", start=7)]
    p = under_headers(sl, toks, Facts("sum"))
    assert p is not None and p.sureness is Sureness.HIGH
    assert placed(p, sl, toks)["u6"] == 1 and "u7" not in placed(p, sl, toks)
    assert under_headers(sl, [Token(30, 1.0)], Facts("sum")) is None


def test_no_cells() -> None:
    assert place(slots(), [], Facts("sum")).assign == {}
