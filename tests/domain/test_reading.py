"""Reading annex tables against a catalog (ktxh.domain.reading), on another locality's plan.

The plan here is not Lai Châu's: a province with two districts and a town, its own
forms, units and rows (names repeat under every crop), its headers over three rows
with garbled diacritics and the units in another order than its tree: what a report
of the same kind from elsewhere looks like.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktxh.domain.catalog import Catalog, Consolidation, Form, Indicator, RowKind, Unit
from ktxh.domain.orgunits import OrgTree, OrgUnit
from ktxh.domain.placement import Sureness
from ktxh.domain.reading import (
    RawCell,
    RawDocument,
    RawTable,
    RawText,
    ReviewKind,
    Where,
    agreement,
    fold,
    interpret,
    name_key,
)

FILE = "bao-cao-2024.txt"
COLUMNS = (
    "plan",
    "h1",
    "estimate",
    "next_plan",
    "units",
    "ratio_estimate_plan",
    "ratio_nextplan_estimate",
)


def province() -> tuple[Catalog, OrgTree]:
    tree = OrgTree(
        [
            OrgUnit("tinh-x", "Sơn Hà", "tỉnh"),
            OrgUnit("muong-lat", "Mường Lát", "huyện", "tinh-x"),
            OrgUnit("quan-son", "Quan Sơn", "huyện", "tinh-x"),
            OrgUnit("nghia-lo", "Nghĩa Lộ", "thị xã", "tinh-x"),
        ]
    )
    units = {
        u.name: u
        for u in (
            Unit("ha", "area", Decimal(1), "ha"),
            Unit("tạ/ha", "yield", Decimal(100), "kg/ha"),
            Unit("tấn", "mass", Decimal(1000), "kg"),
            Unit("%", "share", Decimal("0.01"), "1", True),
        )
    }
    forms = {
        1: Form(1, "KẾT QUẢ SẢN XUẤT NÔNG NGHIỆP VÀ KẾ HOẠCH NĂM 2025", COLUMNS),
        2: Form(2, "MỘT SỐ CHỈ TIÊU Y TẾ NĂM 2025", ("plan", "estimate", "next_plan")),
    }
    g, wm = RowKind.GROUP, Consolidation.WEIGHTED_MEAN
    inds = [
        Indicator("F1.01", 1, 1, "TRỒNG TRỌT", kind=g, stt="I", consolidation=Consolidation.NONE),
        Indicator("F1.02", 1, 2, "Lúa cả năm", kind=g, stt="1", parent="F1.01"),
        Indicator("F1.03", 1, 3, "Diện tích", "ha", parent="F1.02"),
        Indicator("F1.04", 1, 4, "Năng suất", "tạ/ha", parent="F1.02", consolidation=wm),
        Indicator("F1.05", 1, 5, "Sản lượng", "tấn", parent="F1.02"),
        Indicator("F1.06", 1, 6, "Ngô", kind=g, stt="2", parent="F1.01"),
        Indicator("F1.07", 1, 7, "Diện tích", "ha", parent="F1.06"),
        Indicator("F1.08", 1, 8, "Năng suất", "tạ/ha", parent="F1.06", consolidation=wm),
        Indicator("F1.09", 1, 9, "Sản lượng", "tấn", parent="F1.06"),
        Indicator(
            "F2.01", 2, 1, "Tỷ lệ trạm y tế có bác sĩ", "%", consolidation=Consolidation.RATE
        ),
    ]
    return Catalog(forms, {i.code: i for i in inds}, units), tree


class Page:
    """A table made of tab-separated lines, as the text reader makes it."""

    def __init__(self, number: int, first_line: int) -> None:
        self.rows: list[list[RawCell]] = []
        self.number, self.line = number, first_line

    def row(self, *cells: str) -> Page:
        line = self.line + len(self.rows)
        self.rows.append(
            [
                RawCell(c, Where(FILE, table=self.number, line=line, col=i))
                for i, c in enumerate(cells, start=1)
            ]
        )
        return self

    def table(self) -> RawTable:
        return RawTable(self.rows, Where(FILE, table=self.number, line=self.line))


# OCR-garbled header: "Uớc", "Muong Lat" without diacritics, the units in another order
HEADER = (
    [
        *("STT", "Chi tiêu", "Đơn vị tính", "Năm 2024", "", "", "Định hướng kế hoạch năm 2025"),
        *("", "", "", "So sánh (%)", "", "Ghi chú"),
    ],
    [
        *("", "", "", "Kế hoạch giao", "TH 6 tháng", "Uớc TH cả năm", "Tổng cộng", "Trong đó"),
        *("", "", "Uớc TH 2024/KH 2024", "Định hướng 2025/Uớc TH 2024", ""),
    ],
    ["", "", "", "", "", "", "", "Nghĩa Lộ", "Muong Lat", "Quan Son", "", "", ""],
)


def agriculture(first_line: int = 10) -> RawTable:
    page = Page(1, first_line)
    for h in HEADER:
        page.row(*h)
    page.row("I", "TRỒNG TRỌT")
    page.row("1", "Lúa cả năm")
    # Nghĩa Lộ, Mường Lát, Quan Sơn: 100 + 1.200 + 900 = 2.200
    page.row("", "- Diện tích", "Ha", "2.150", "2.100", "2.180", "2.200", "100", "1.200", "900")
    page.rows[-1] += [
        RawCell(t, Where(FILE, table=1, line=15, col=c)) for c, t in ((11, "101"), (12, "101"))
    ]
    page.row("", "- Năng suất", "Tạ/ha", "52,0", "-", "52,3", "53,0", "50,0", "53,5", "52,8")
    page.rows[-1] += [
        RawCell(t, Where(FILE, table=1, line=16, col=c)) for c, t in ((11, "101"), (12, "101"))
    ]
    # a lost cell: the first half printed nowhere, the rest shifted left
    page.row("", "- Sản lượng", "Tấn", "11.180", "11.401", "11.660", "500", "6.420", "4.740")
    page.rows[-1] += [
        RawCell(t, Where(FILE, table=1, line=17, col=c)) for c, t in ((10, "102"), (11, "102"))
    ]
    page.row("2", "Ngô")
    page.row("", "- Diện tích", "Ha", "800", "790", "810", "820", "120", "400", "300", "101")
    page.rows[-1] += [RawCell("101", Where(FILE, table=1, line=19, col=12))]
    page.row("", "- Năng suất", "Tạ/ha", "45,0", "-", "4.70", "46,0", "44,0", "46,5", "46,0")
    page.row("", "- Sản lượng", "Tấn", "3.600", "-", "3.650", "3.768", "528", "1.860", "1.380")
    page.rows[-1] += [RawCell("101", Where(FILE, table=1, line=21, col=11))]
    # the last cell wrapped onto a line of its own
    page.row("", "", "", "", "", "", "", "", "", "", "", "103")
    return page.table()


def doc(*blocks: RawText | RawTable) -> RawDocument:
    return RawDocument(FILE, list(blocks))


def titled(table: RawTable, label: str, title: str) -> list[RawText | RawTable]:
    line = table.where.line or 1
    return [
        RawText(label, Where(FILE, line=line - 3)),
        RawText(title, Where(FILE, line=line - 2)),
        table,
    ]


@pytest.fixture
def plan() -> tuple[Catalog, OrgTree]:
    return province()


def read(plan: tuple[Catalog, OrgTree], *blocks: RawText | RawTable, year: int | None = None):  # type: ignore[no-untyped-def]
    catalog, tree = plan
    return interpret([doc(*blocks)], catalog, tree, "tinh-x", year=year)


def test_fold_tolerates_garbled_diacritics() -> None:
    assert fold("Uớc TH cả năm 2024/KH") == "uoc th ca nam 2024/kh"
    assert fold("Đóng Phong") == fold("Dong Phong") == "dong phong"
    assert name_key("Trong đó: + Tỷ lệ hộ nghèo") == "ty le ho ngheo"
    assert name_key("- Diện tích") == "dien tich"


def test_a_form_is_read_from_another_locality(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, *titled(agriculture(), "Biểu số 1", "KẾT QUẢ SẢN XUẤT ... NĂM 2025"))
    assert reading.ok and reading.year == 2024
    got = reading.by_key()
    # the unit columns follow the header's names, not the tree's order
    assert got[("F1.03", "nghia-lo", 2025, "plan")].value == 100
    assert got[("F1.03", "muong-lat", 2025, "plan")].value == 1200
    assert got[("F1.03", "quan-son", 2025, "plan")].value == 900
    assert got[("F1.03", "tinh-x", 2024, "printed_ratio_estimate_plan")].value == 101
    # "Diện tích" twice: the second is the maize row, by the order of the rows
    assert got[("F1.07", "tinh-x", 2024, "plan")].value == 800
    assert got[("F1.07", "tinh-x", 2025, "plan")].value == 820
    # a printed "-" is a value that is explicitly none
    assert got[("F1.04", "tinh-x", 2024, "h1")].value is None
    assert got[("F1.04", "tinh-x", 2024, "h1")].printed == "-"
    # each value keeps where it was printed
    cell = got[("F1.03", "muong-lat", 2025, "plan")].where
    assert (cell.file, cell.line, cell.col) == (FILE, 15, 9)


def test_a_lost_cell_is_placed_by_arithmetic_and_reviewed(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, *titled(agriculture(), "Biểu số 1", "KẾT QUẢ"))
    got = reading.by_key()
    # rice production: 11.180, 11.401 and 11.660 before the units (500 + 6.420 + 4.740 =
    # 11.660): a cell is lost; 11.401/11.180 = 102 and 11.660/11.401 = 102 as printed:
    # 11.401 is the estimate, 11.660 next year's total, the first half the lost cell
    assert got[("F1.05", "tinh-x", 2024, "estimate")].value == 11401
    assert got[("F1.05", "tinh-x", 2025, "plan")].value == 11660
    assert ("F1.05", "tinh-x", 2024, "h1") not in got
    assert got[("F1.05", "tinh-x", 2024, "estimate")].confidence is not Sureness.HIGH
    # the wrapped cell is the maize production's next/estimate %: 3.768/3.650 = 103
    assert got[("F1.09", "tinh-x", 2025, "printed_ratio_nextplan_estimate")].value == 103
    shifted = [r for r in reading.review if r.kind is ReviewKind.PLACEMENT]
    assert any(r.indicator == "F1.05" for r in shifted)


def test_a_number_that_could_be_read_two_ways_is_a_question(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, *titled(agriculture(), "Biểu số 1", "KẾT QUẢ"))
    assert ("F1.08", "tinh-x", 2024, "estimate") not in reading.by_key()
    [item] = [r for r in reading.review if r.kind is ReviewKind.UNREADABLE]
    assert item.printed == "4.70" and item.indicator == "F1.08"
    assert (item.where.line, item.where.col) == (20, 6)
    assert "hãy viết 4,70" in item.message
    assert str(item).startswith(f"tệp «{FILE}», bảng 1, dòng 20, cột 6: ")


def test_a_form_the_catalog_does_not_have_is_refused_where_it_is(
    plan: tuple[Catalog, OrgTree],
) -> None:
    other = Page(2, 40).row("STT", "Chỉ tiêu", "Kế hoạch").row("1", "Số trường", "12").table()
    reading = read(
        plan,
        *titled(agriculture(), "Biểu số 1", "KẾT QUẢ"),
        *titled(other, "Biểu số 7", "GIÁO DỤC"),
    )
    [problem] = reading.problems
    assert problem.where.line == 37
    assert "danh mục không có biểu số 7" in problem.message
    assert str(problem).startswith(f"tệp «{FILE}», dòng 37: bảng ghi «Biểu số 7»")
    assert not reading.ok
    assert ("F1.03", "tinh-x", 2024, "plan") in reading.by_key()  # the other table is read


def test_a_table_of_no_form_is_refused(plan: tuple[Catalog, OrgTree]) -> None:
    other = Page(1, 5).row("Nội dung", "Số").row("Học sinh lớp 1", "120").table()
    reading = read(plan, other)
    assert len(reading.problems) == 1
    assert "không khớp biểu nào" in reading.problems[0].message


def test_a_form_found_by_its_title_and_a_page_that_continues_it(
    plan: tuple[Catalog, OrgTree],
) -> None:
    first = (
        Page(1, 5)
        .row("STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2024", "Ước TH năm 2024")
        .row("", "", "", "", "", "Định hướng kế hoạch năm 2025")
        .table()
    )
    second = (
        Page(2, 20)
        .row("STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2024", "Ước TH năm 2024", "KH 2025")
        .row("1", "Tỷ lệ trạm y tế có bác sĩ", "%", "85,7", "85,7", "100")
        .table()
    )
    reading = read(
        plan, RawText("MỘT SỐ CHỈ TIÊU Y TẾ NĂM 2025", Where(FILE, line=2)), first, second
    )
    assert [t.form for t in reading.tables] == [2, 2]
    assert reading.tables[1].how == "tiếp theo bảng trước"
    got = reading.by_key()
    assert got[("F2.01", "tinh-x", 2025, "plan")].value == 100


def test_the_year_may_be_given(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, *titled(agriculture(), "Biểu số 1", "KẾT QUẢ"), year=2030)
    assert ("F1.03", "tinh-x", 2030, "plan") in reading.by_key()


def test_a_document_without_tables(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, RawText("Báo cáo tình hình", Where(FILE, line=1)))
    assert [p.message for p in reading.problems] == ["không tìm thấy bảng số liệu nào trong tệp"]


def test_agreement_counts_over_the_known_values(plan: tuple[Catalog, OrgTree]) -> None:
    reading = read(plan, *titled(agriculture(), "Biểu số 1", "KẾT QUẢ"))
    known = [
        (("F1.03", "tinh-x", 2024, "plan"), 2150.0, "2.150"),
        (("F1.04", "tinh-x", 2024, "h1"), None, "-"),
        (("F1.08", "tinh-x", 2024, "estimate"), 4.7, "4.70"),
        (("F1.03", "tinh-x", 2024, "h1"), 1.0, "1"),
    ]
    agree = agreement(reading, known)
    assert (agree.total, agree.same) == (4, 2)
    assert [d.kind for d in agree.differences] == ["missing", "different"]
    assert agree.share == 0.5


WORDS = ["Biểu số 1", "Kế hoạch", "Uớc TH", "Năm 2024", "Diện tích", "Ngô", "Ha", "-", '"']
NUMBERS = ["2.150", "4.70", "52,0", "(2,95)", "100", "1.200", "x1", "12,3,4", "∞"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(["", *WORDS, *NUMBERS]) | st.text(max_size=6), max_size=14),
        max_size=25,
    )
)
def test_any_table_is_read_without_crashing(rows: list[list[str]]) -> None:
    catalog, tree = province()
    cells = [
        [RawCell(t, Where(FILE, line=r, col=c)) for c, t in enumerate(row, start=1)]
        for r, row in enumerate(rows, start=1)
    ]
    reading = interpret([doc(RawTable(cells, Where(FILE)))], catalog, tree, "tinh-x", year=2024)
    for v in reading.values:
        assert v.indicator in catalog.indicators
    for item in reading.review:
        assert str(item).startswith(f"tệp «{FILE}»")
