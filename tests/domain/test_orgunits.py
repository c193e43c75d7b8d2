from datetime import date

import pytest

from ktxh.domain.orgunits import OrgTree, OrgUnit, fold


def tree() -> OrgTree:
    return OrgTree(
        [
            OrgUnit("lc", "Lai Châu", "tỉnh"),
            OrgUnit("tp", "Lai Châu", "thành phố", "lc", valid_to=date(2025, 7, 1)),
            OrgUnit("dk", "Đoàn Kết", "phường", "tp"),
            OrgUnit("st", "San Thàng", "xã", "tp"),
            OrgUnit("tu", "Tam Đường", "huyện", "lc"),
            OrgUnit("bh", "Bình Lư", "xã", "tu"),
        ]
    )


def test_paths_and_subtrees_are_prefix_matches() -> None:
    t = tree()
    assert t.paths["dk"] == "lc/tp/dk"
    assert t.depth("dk") == 2
    assert {u.code for u in t.subtree("tp")} == {"tp", "dk", "st"}
    assert len(t.subtree("lc")) == 6


def test_find_ignores_case_and_diacritics() -> None:
    t = tree()
    assert t.find("Doan Ket").code == "dk"
    assert t.find("phường Đoàn Kết").code == "dk"
    assert t.find("san-thang").code == "st"
    with pytest.raises(KeyError, match="khớp nhiều đơn vị"):
        t.find("Lai Châu")
    with pytest.raises(KeyError, match="Không có đơn vị"):
        t.find("Hà Nội")


def test_validity() -> None:
    t = tree()
    assert [u.code for u in t.children("lc", on=date(2026, 1, 1))] == ["tu"]
    assert [u.code for u in t.children("lc", on=date(2024, 1, 1))] == ["tp", "tu"]


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
