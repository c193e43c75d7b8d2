"""The org-unit tree through time: validity, events, the tree of a day, look-ups."""

from __future__ import annotations

from datetime import date

import pytest

from ktxh.domain.orgunits import (
    EventKind,
    OrgEvent,
    OrgTree,
    OrgUnit,
    Unknown,
    check_events,
    fold,
    period_day,
)

REFORM = date(2025, 7, 1)
BASIS = "Nghị quyết số 1670/NQ-UBTVQH15 ngày 16/6/2025"


def tree() -> OrgTree:
    """A province with a city and a district before the reform, and after it the city's
    wards merged into one new ward and the district level gone."""
    units = [
        OrgUnit("lc", "Lai Châu", "tỉnh"),
        OrgUnit("tp", "Lai Châu", "thành phố", "lc", valid_to=REFORM),
        OrgUnit("dk", "Đoàn Kết", "phường", "tp", valid_to=REFORM),
        OrgUnit("st", "San Thàng", "xã", "tp", valid_to=REFORM),
        OrgUnit("tu", "Tam Đường", "huyện", "lc", valid_to=REFORM),
        OrgUnit("bl", "Bình Lư", "xã", "tu"),
        OrgUnit("dk2", "Đoàn Kết", "phường", "lc", valid_from=REFORM),
    ]
    events = [
        OrgEvent("e1", REFORM, EventKind.MERGE, ("dk", "st"), ("dk2",), basis=BASIS),
        OrgEvent("e2", REFORM, EventKind.ABOLISH_LEVEL, level="thành phố", basis=BASIS),
        OrgEvent("e3", REFORM, EventKind.ABOLISH_LEVEL, level="huyện", basis=BASIS),
        OrgEvent("e4", date(2026, 1, 1), EventKind.RENAME, ("bl",), new_name="Bình Lư mới"),
    ]
    return OrgTree(units, events)


def test_paths_and_subtrees_are_prefix_matches() -> None:
    t = tree().at(date(2024, 1, 1))
    assert t.paths["dk"] == "lc/tp/dk"
    assert t.depth("dk") == 2
    assert {u.code for u in t.subtree("tp")} == {"tp", "dk", "st"}
    assert len(t.subtree("lc")) == 6


def test_the_tree_of_a_day() -> None:
    t = tree()
    before, after = t.at(date(2025, 6, 30)), t.at(REFORM)
    assert [u.code for u in before.children("lc")] == ["tp", "tu"]
    assert [u.code for u in before.children("tu")] == ["bl"]
    # after the reform: no city, no district; the commune moved up, the new ward in place
    assert [u.code for u in after.children("lc")] == ["bl", "dk2"]
    assert after.paths["bl"] == "lc/bl"
    assert "dk" not in after and "tp" not in after
    assert t.at(date(2026, 3, 1))["bl"].name == "Bình Lư mới"
    assert t.at(date(2025, 12, 31))["bl"].name == "Bình Lư"
    assert [u.code for u in t.children("lc", on=date(2026, 1, 1))] == ["bl", "dk2"]


def test_the_crosswalk_maps_new_units_onto_old_ones() -> None:
    t = tree()
    walk = t.crosswalk(date(2026, 6, 30), date(2024, 6, 30))
    assert walk["dk2"] == {"dk": 1.0, "st": 1.0}
    assert walk["bl"] == {"bl": 1.0}  # moved and renamed: the same unit
    assert walk["lc"] == {"lc": 1.0}
    assert "dk" not in walk  # not valid in 2026


def test_a_split_without_shares_cannot_be_mapped() -> None:
    units = [
        OrgUnit("p", "P", "tỉnh"),
        OrgUnit("a", "A", "xã", "p", valid_to=date(2025, 1, 1)),
        OrgUnit("b", "B", "xã", "p", valid_from=date(2025, 1, 1)),
        OrgUnit("c", "C", "xã", "p", valid_from=date(2025, 1, 1)),
    ]
    known = OrgTree(
        units, [OrgEvent("s", date(2025, 1, 1), EventKind.SPLIT, ("a",), ("b", "c"), (0.25, 0.75))]
    )
    assert known.crosswalk(date(2025, 6, 1), date(2024, 6, 1))["c"] == {"a": 0.75}
    unknown = OrgTree(units, [OrgEvent("s", date(2025, 1, 1), EventKind.SPLIT, ("a",), ("b", "c"))])
    b = unknown.crosswalk(date(2025, 6, 1), date(2024, 6, 1))["b"]
    assert isinstance(b, Unknown) and "không có tỷ lệ chia" in b.reason


def test_events_are_held_to_the_units_validity() -> None:
    assert check_events(tree()) == []
    units = [
        OrgUnit("p", "P", "tỉnh"),
        OrgUnit("a", "A", "xã", "p"),  # still valid after it was merged
        OrgUnit("b", "B", "xã", "p", valid_from=date(2024, 1, 1)),  # begins too early
    ]
    bad = OrgTree(
        units,
        [
            OrgEvent("m", date(2025, 1, 1), EventKind.MERGE, ("a",), ("b",)),
            OrgEvent("s", date(2025, 1, 1), EventKind.SPLIT, ("p",), ("a", "b"), (0.5, 0.6)),
            OrgEvent("r", date(2025, 1, 1), EventKind.RENAME, ("zz",), new_name="Z"),
        ],
    )
    problems = check_events(bad)
    assert "Sự kiện m (01/01/2025): a phải hết hiệu lực từ ngày của sự kiện" in problems
    assert "Sự kiện m (01/01/2025): b phải bắt đầu từ ngày của sự kiện" in problems
    assert "Sự kiện s (01/01/2025): các tỷ lệ chia phải dương và cộng lại bằng 1" in problems
    assert "Sự kiện r (01/01/2025): không có đơn vị «zz»" in problems


def test_find_ignores_case_and_diacritics_and_names_the_units_a_name_fits() -> None:
    t = tree()
    assert t.find("San Thang").code == "st"
    assert t.find("xã San Thàng").code == "st"
    assert t.find("dk2").code == "dk2"
    with pytest.raises(KeyError) as many:
        t.find("Đoàn Kết")
    message = many.value.args[0]
    assert "«Đoàn Kết» khớp nhiều đơn vị" in message
    assert "phường Đoàn Kết (mã dk, đến hết 30/06/2025)" in message
    assert "phường Đoàn Kết (mã dk2, từ 01/07/2025)" in message
    assert t.find("Đoàn Kết", on=date(2026, 1, 1)).code == "dk2"
    with pytest.raises(KeyError, match="Không có đơn vị «Hà Nội»"):
        t.find("Hà Nội")


def test_a_timeline_per_unit() -> None:
    assert tree().timeline("dk2") == [
        "01/07/2025: bắt đầu (phường Đoàn Kết)",
        f"01/07/2025: hợp nhất, sáp nhập dk, st → dk2 ({BASIS})",
    ]
    assert tree().timeline("tp")[-1] == "01/07/2025: không còn"


def test_period_days() -> None:
    assert period_day(2025, "plan") == date(2025, 1, 1)
    assert period_day(2025, "h1") == date(2025, 6, 30)
    assert period_day(2025, "estimate") == date(2025, 12, 31)


def test_bad_trees_are_refused() -> None:
    with pytest.raises(ValueError, match="không tồn tại"):
        OrgTree([OrgUnit("a", "A", "xã", "zz")])
    with pytest.raises(ValueError, match="trùng"):
        OrgTree([OrgUnit("a", "A", "xã"), OrgUnit("a", "B", "xã")])
    with pytest.raises(ValueError, match="vòng lặp"):
        OrgTree([OrgUnit("a", "A", "xã", "b"), OrgUnit("b", "B", "xã", "a")])


def test_fold() -> None:
    assert fold("Sùng Phài") == "sung phai"
    assert fold("Đông-Phong") == "dong phong"
