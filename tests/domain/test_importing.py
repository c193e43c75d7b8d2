"""The import logic without files: cells, identity, the plan of changes, apply, audit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ktxh.domain.dataset import Dataset
from ktxh.domain.importing import (
    ABSENT,
    NONE_MARK,
    CellError,
    CellRef,
    Department,
    Entry,
    Expectation,
    Issue,
    Key,
    Lock,
    SourceInfo,
    Stored,
    apply_changes,
    check_source,
    find_department,
    parse_cell,
    plan_import,
    printed_number,
)
from ktxh.domain.numbers import format_number, plain_number
from ktxh.domain.values import KEY

AREA = "B02.009"  # ha, 1 decimal, sum over the units
SHARE = "B07.006"  # Tỷ lệ hộ nghèo, %
REF = CellRef("dk.xlsx", "Biểu 2", "I9")


def entry(key: tuple[str, str, int, str], raw: object, base: Stored | None = None) -> Entry:
    return Entry(key, raw, CellRef("dk.xlsx", "Biểu 2", f"I{abs(hash(key)) % 900 + 8}"), base)


# --- one cell -------------------------------------------------------------------


def test_number_cells_are_numbers_and_keep_their_decimals(dataset: Dataset) -> None:
    area = dataset.catalog[AREA]
    assert parse_cell(1330.5, area) == Stored(True, 1330.5, "1.330,5")
    assert parse_cell(700.0, area) == Stored(True, 700.0, "700,0")  # the cell shows 700,0
    assert parse_cell(0.123, area).value == 0.123  # never rounded to the format
    assert parse_cell(-2.95, area).printed == "(2,95)"
    assert parse_cell(12, area).value == 12.0


def test_text_cells_must_be_unambiguous_vietnamese_numbers(dataset: Dataset) -> None:
    area = dataset.catalog[AREA]
    assert parse_cell("1.234,5", area) == Stored(True, 1234.5, "1.234,5")
    assert parse_cell(" - ", area) == NONE_MARK
    assert parse_cell("", area) == ABSENT
    assert parse_cell("   ", area) == ABSENT
    with pytest.raises(CellError) as exc:
        parse_cell("4.70", area)
    assert exc.value.issue is Issue.BAD_NUMBER
    assert "dấu chấm ngăn cách hàng nghìn phải đứng trước đúng 3 chữ số" in exc.value.message
    assert "4,70" in exc.value.message
    with pytest.raises(CellError) as exc:
        parse_cell("1,234.5", area)
    assert "dấu chấm đứng sau dấu phẩy" in exc.value.message
    with pytest.raises(CellError) as exc:
        parse_cell("khoảng năm mươi", area)
    assert exc.value.issue is Issue.NOT_A_NUMBER
    assert exc.value.message == "ô chứa chữ «khoảng năm mươi», không phải số"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (True, "TRUE"),
        (date(2023, 5, 12), "ngày tháng (12/05/2023)"),
        (datetime(2023, 5, 12, 0, 0), "ngày tháng"),
        (float("nan"), "giá trị lỗi"),
        ("=SUM(A1:A3)", "chữ «=SUM(A1:A3)»"),
    ],
)
def test_what_is_not_a_number_is_refused(dataset: Dataset, raw: object, words: str) -> None:
    with pytest.raises(CellError) as exc:
        parse_cell(raw, dataset.catalog[AREA])
    assert words in exc.value.message


def test_a_percent_sign_must_match_the_unit(dataset: Dataset) -> None:
    assert parse_cell("2,5%", dataset.catalog[SHARE]).value == 2.5
    with pytest.raises(CellError) as exc:
        parse_cell("2,5%", dataset.catalog[AREA])
    assert exc.value.issue is Issue.UNIT_MARK
    assert "«%»" in exc.value.message and "«ha»" in exc.value.message


def test_machine_and_people_numbers() -> None:
    assert plain_number(1330.5) == "1330.5"
    assert plain_number(700.0) == "700"
    assert plain_number(1e-05) == "0.00001"
    assert plain_number(None) == ""
    assert printed_number(2731.1, 0) == "2.731,1"
    assert printed_number(59.0, 1) == "59,0"


# --- identity -------------------------------------------------------------------


def test_check_source_refuses_another_dataset_period_or_unit(dataset: Dataset) -> None:
    tree = dataset.tree
    expected = Expectation("laichau-2024", 2023, frozenset({"doan-ket"}))
    ok = SourceInfo("dk.xlsx", "template", 2023, ("doan-ket",), "laichau-2024", (2,))
    assert check_source(ok, expected, tree) == []
    other = SourceInfo("tp.xlsx", "template", 2024, ("tan-phong",), "dienbien-2024", (2,))
    problems = check_source(other, expected, tree)
    assert [p.issue for p in problems] == [
        Issue.OTHER_DATASET,
        Issue.OTHER_PERIOD,
        Issue.OTHER_UNIT,
    ]
    assert "«dienbien-2024»" in str(problems[0]) and "tệp «tp.xlsx»" in str(problems[0])
    assert "năm 2024" in problems[1].message and "năm 2023" in problems[1].message
    assert "phường Tân Phong" in problems[2].message and "phường Đoàn Kết" in problems[2].message
    ghost = SourceInfo("x.xlsx", "template", 2023, ("ha-noi",), "laichau-2024", (2,))
    assert "«ha-noi»" in check_source(ghost, Expectation("laichau-2024", 2023), tree)[0].message


def test_last_years_annex_starts_a_new_year(dataset: Dataset) -> None:
    units = ("lai-chau", *(u.code for u in dataset.tree.children("lai-chau")))
    annex = SourceInfo("phu-luc.xlsx", "annex", 2023, units, None, (1, 2))
    assert check_source(annex, Expectation("x", 2024), dataset.tree) == []
    assert check_source(annex, Expectation("x", 2023), dataset.tree) == []
    late = check_source(annex, Expectation("x", 2025), dataset.tree)
    assert [p.issue for p in late] == [Issue.OTHER_PERIOD]
    one_ward = check_source(annex, Expectation("x", 2023, frozenset({"doan-ket"})), dataset.tree)
    assert [p.issue for p in one_ward] == [Issue.OTHER_UNIT]


def test_departments_are_found_by_code_or_name() -> None:
    deps = [Department("kinh-te", "Phòng Kinh tế", (2, 3)), Department("y-te", "Phòng Y tế", (10,))]
    assert find_department(deps, "phong kinh te").forms == (2, 3)
    assert find_department(deps, "y-te").name == "Phòng Y tế"
    with pytest.raises(KeyError, match="Phòng Kinh tế, Phòng Y tế"):
        find_department(deps, "Phòng Giáo dục")


# --- the plan -------------------------------------------------------------------


def test_plan_adds_updates_and_deletes_cell_by_cell(dataset: Dataset) -> None:
    stored = dataset.values.get(AREA, "sung-phai", 2024, "plan")
    assert stored == 1324.6
    entries = [
        entry((AREA, "sung-phai", 2024, "plan"), 1330.5, Stored(True, 1324.6, "1.324,6")),
        entry((AREA, "sung-phai", 2023, "h1"), "1.200,0", ABSENT),
        entry((AREA, "doan-ket", 2024, "plan"), "", Stored(True, 82.8, "82,8")),
        entry((AREA, "tan-phong", 2024, "plan"), 999.0, Stored(True, 999.0)),  # untouched
    ]
    plan = plan_import(entries, dataset.values.frame, dataset.catalog, dataset.tree)
    assert plan.ok, plan.problems
    got = {c.key: (c.action, c.old.show(), c.new.show()) for c in plan.changes}
    assert got == {
        (AREA, "sung-phai", 2024, "plan"): ("update", "1.324,6", "1.330,5"),
        (AREA, "sung-phai", 2023, "h1"): ("add", "(trống)", "1.200,0"),
        (AREA, "doan-ket", 2024, "plan"): ("delete", "82,8", "(trống)"),
    }
    assert [c.key for c in plan.changes] == [e.key for e in entries[:3]]  # the order read
    assert plan.unchanged == 1 and plan.entries == 4


def test_a_cell_left_as_the_template_had_it_changes_nothing(dataset: Dataset) -> None:
    """The store may hold a newer value (entered on the web since): it is kept."""
    key = (AREA, "sung-phai", 2024, "plan")
    plan = plan_import(
        [entry(key, 1000.0, Stored(True, 1000.0))],
        dataset.values.frame,
        dataset.catalog,
        dataset.tree,
    )
    assert plan.ok and not plan.changes and plan.unchanged == 1


def test_a_value_changed_since_the_template_was_made_is_a_conflict(dataset: Dataset) -> None:
    key = (AREA, "sung-phai", 2024, "plan")
    plan = plan_import(
        [entry(key, 1400.0, Stored(True, 1000.0))],
        dataset.values.frame,
        dataset.catalog,
        dataset.tree,
    )
    assert not plan.ok
    (problem,) = plan.problems
    assert problem.issue is Issue.CONFLICT
    assert "lúc tạo: 1.000" in problem.message and "hiện nay: 1.324,6" in problem.message
    assert "tệp ghi: 1.400" in problem.message and "xã Sùng Phài" in problem.message


def test_two_files_giving_one_value_two_ways_are_refused(dataset: Dataset) -> None:
    key = (AREA, "sung-phai", 2023, "h1")
    a = Entry(key, 10.0, CellRef("a.xlsx", "Biểu 2", "J9"), ABSENT)
    b = Entry(key, 12.0, CellRef("b.xlsx", "Biểu 2", "J9"), ABSENT)
    same = Entry(key, 10.0, CellRef("c.xlsx", "Biểu 2", "J9"), ABSENT)
    plan = plan_import([a, b, same], dataset.values.frame, dataset.catalog, dataset.tree)
    (problem,) = plan.problems
    assert problem.issue is Issue.DUPLICATE and problem.ref.file == "b.xlsx"
    assert "tệp «a.xlsx», trang «Biểu 2», ô J9 cũng ghi" in problem.message


def test_cell_problems_name_the_indicator_and_the_cell(dataset: Dataset) -> None:
    key = (AREA, "sung-phai", 2023, "h1")
    bad = Entry(key, "4.70", CellRef("dk.xlsx", "Biểu 2", "J9"), ABSENT)
    ghost = Entry(("B99.999", "sung-phai", 2023, "h1"), 1.0, CellRef("dk.xlsx", "Biểu 2", "J10"))
    plan = plan_import([bad, ghost], dataset.values.frame, dataset.catalog, dataset.tree)
    assert [p.issue for p in plan.problems] == [Issue.BAD_NUMBER, Issue.UNKNOWN_KEY]  # J9, J10
    text = str(plan.problems[0])
    assert text.startswith("tệp «dk.xlsx», trang «Biểu 2», ô J9: B02.009 «")
    assert "xã Sùng Phài, TH 6 tháng 2023: ô chứa «4.70»" in text


def test_locks_refuse_changes_but_not_equal_values(dataset: Dataset) -> None:
    locks = {
        (AREA, "sung-phai", 2024, "plan"): Lock(
            2023, "sung-phai", 2, "admin", "15/12/2023", "Biểu số 2, kỳ báo cáo năm 2023"
        ),
        (AREA, "doan-ket", 2023, "h1"): Lock(2023, note="kỳ báo cáo năm 2023", state="đã khóa sổ"),
    }

    def check(key: Key) -> Lock | None:
        return locks.get(key)

    entries = [
        entry((AREA, "sung-phai", 2024, "plan"), 1324.6, None),  # equal: not a change
        entry((AREA, "sung-phai", 2024, "plan"), 1324.6, None),
        entry((AREA, "doan-ket", 2023, "h1"), 5.0, None),
    ]
    plan = plan_import(entries, dataset.values.frame, dataset.catalog, dataset.tree, locked=check)
    (problem,) = plan.problems
    assert problem.issue is Issue.LOCKED
    assert "đã khóa sổ (kỳ báo cáo năm 2023)" in problem.message
    assert "(trống) → 5,0" in problem.message
    plan = plan_import(
        [entry((AREA, "sung-phai", 2024, "plan"), 1400.0, None)],
        dataset.values.frame,
        dataset.catalog,
        dataset.tree,
        locked=check,
    )
    assert "đã được phê duyệt bởi admin ngày 15/12/2023 (Biểu số 2, kỳ báo cáo năm 2023)" in (
        plan.problems[0].message
    )


def test_a_ditto_mark_equal_to_what_is_stored_is_not_a_problem(dataset: Dataset) -> None:
    key = ("B13.020", "lai-chau", 2023, "plan")  # printed '"' in the source
    plan = plan_import([entry(key, '"')], dataset.values.frame, dataset.catalog, dataset.tree)
    assert plan.ok and plan.unchanged == 1


def test_consolidated_totals_are_left_to_consolidation(dataset: Dataset) -> None:
    """An annex total shown in italics is not stored when it equals the units' sum."""
    frame = dataset.values.frame.filter(
        ~((pl.col("indicator") == AREA) & (pl.col("orgunit") == "lai-chau"))
    )
    units = dataset.values.frame.filter(
        (pl.col("indicator") == AREA) & (pl.col("year") == 2024) & (pl.col("orgunit") != "lai-chau")
    )["value"].sum()
    total = (AREA, "lai-chau", 2024, "plan")
    computed = Entry(total, units, REF, None, computed_ok=True)
    plan = plan_import([computed], frame, dataset.catalog, dataset.tree)
    assert plan.ok and not plan.changes and plan.computed == 1
    typed = Entry(total, units + 1, REF, None, computed_ok=True)
    plan = plan_import([typed], frame, dataset.catalog, dataset.tree)
    assert [c.new.value for c in plan.changes] == [units + 1]


def test_apply_changes_and_audit(dataset: Dataset) -> None:
    entries = [
        entry((AREA, "sung-phai", 2024, "plan"), 1330.55, None),
        entry((AREA, "sung-phai", 2023, "h1"), "-", None),
        entry((AREA, "doan-ket", 2024, "plan"), "", Stored(True, 82.8)),
    ]
    plan = plan_import(entries, dataset.values.frame, dataset.catalog, dataset.tree)
    after = apply_changes(dataset.values.frame, plan.changes)
    assert after.columns == dataset.values.frame.columns
    assert after.height == dataset.values.frame.height  # one added, one deleted
    rows = {
        r["orgunit"]: r
        for r in after.filter(pl.col("indicator") == AREA)
        .filter(pl.col("orgunit").is_in(["sung-phai", "doan-ket"]))
        .iter_rows(named=True)
        if r["year"] in (2023, 2024)
    }
    assert "doan-ket" not in rows
    kept = after.filter(
        (pl.col("indicator") == AREA)
        & (pl.col("orgunit") == "sung-phai")
        & (pl.col("year") == 2024)
    ).row(0, named=True)
    assert kept["value"] == 1330.55 and kept["printed"] == "1.330,55"
    assert kept["source"] == "import" and kept["seed_line"] is None
    assert kept["source_ref"] == entries[0].ref.compact
    none = after.filter(
        (pl.col("indicator") == AREA)
        & (pl.col("orgunit") == "sung-phai")
        & (pl.col("year") == 2023)
    ).row(0, named=True)
    assert none["value"] is None and none["printed"] == "-"
    assert not after.select(KEY).is_duplicated().any()
    assert [c.action for c in plan.changes] == ["update", "add", "delete"]


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False),
    st.integers(min_value=0, max_value=3),
)
def test_printed_number_is_format_number_without_rounding(value: Decimal, decimals: int) -> None:
    v = float(value)
    places = max(decimals, -Decimal(repr(v)).normalize().as_tuple().exponent)  # type: ignore[operator]
    assert printed_number(v, decimals) == format_number(v, max(places, 0), parens=True)
