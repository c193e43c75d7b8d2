"""The decompression budget (ktxh/io/xlsx_safety.py): a file's parts together, not only
each part, and the files of one request together.

Issue 10: a 232 KB workbook with 190 parts of 1 MiB passed (the ratio was checked only
for parts above 1 MiB); 100 of them in one request took 14 s and 380 MB.
"""

from __future__ import annotations

import functools
import io
import os
import zipfile

import pytest

from ktxh.domain.importing import Issue
from ktxh.io.xlsx_safety import Budget, Limits, MiB, UnsafeFile, open_package


@functools.cache
def workbook(parts: int = 0, part_bytes: int = MiB, *, random: bool = False) -> bytes:
    """A minimal workbook container with ``parts`` extra parts of ``part_bytes`` each:
    zeros (which compress a thousand times) or random bytes (which do not compress)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(parts):
            z.writestr(
                f"xl/media/image{n}.png", os.urandom(part_bytes) if random else bytes(part_bytes)
            )
    return buf.getvalue()


def test_many_parts_just_under_the_per_part_threshold_are_a_bomb() -> None:
    data = workbook(190)  # each part exactly 1 MiB: the old per-part check let them all by
    assert len(data) < 300_000
    with pytest.raises(UnsafeFile) as refused:
        open_package(data, "bom.xlsx")
    assert refused.value.issue is Issue.ZIP_BOMB
    assert "tệp giải nén ra quá lớn" in refused.value.message


def test_the_whole_files_ratio_is_checked() -> None:
    data = workbook(40)  # 40 MiB of zeros in about 40 KB: under the size limit, not the ratio
    with pytest.raises(UnsafeFile) as refused:
        open_package(data, "bom.xlsx")
    assert refused.value.issue is Issue.ZIP_BOMB
    assert "tệp giải nén ra 40,0 MiB từ" in refused.value.message
    assert "bất thường với một sổ tính (tối đa 100 lần)" in refused.value.message


def test_a_workbook_that_compresses_like_one_passes() -> None:
    data = workbook(3, 200_000, random=True)
    package = open_package(data, "anh.xlsx")
    assert len(package.parts) == 5


def test_the_files_of_a_request_share_a_budget() -> None:
    one = workbook(2, 100_000, random=True)
    budget = Budget(Limits(max_request_total_bytes=450_000, max_request_parts=100))
    budget.charge(one)
    budget.charge(one)
    with pytest.raises(UnsafeFile) as refused:
        budget.charge(one)
    assert refused.value.issue is Issue.ZIP_BOMB
    assert "các tệp gửi cùng lúc giải nén ra quá lớn" in refused.value.message
    assert budget.parts == 8 and budget.uncompressed < 450_000  # the refused file not counted
    budget = Budget(Limits(max_request_parts=9))
    budget.charge(one)
    budget.charge(one)
    with pytest.raises(UnsafeFile, match="tổng cộng hơn 9 phần nén"):
        budget.charge(one)
    budget = Budget(Limits(max_request_bytes=2 * len(one)))
    budget.charge_bytes(len(one))
    budget.charge_bytes(len(one))
    with pytest.raises(UnsafeFile) as refused:
        budget.charge_bytes(1)
    assert refused.value.issue is Issue.TOO_LARGE


def test_a_file_refused_on_its_own_is_not_charged() -> None:
    """A bomb is refused for what it is, and does not use up the budget of the others."""
    budget = Budget()
    bomb = workbook(190)
    for _ in range(100):
        budget.charge(bomb)
        budget.charge(b"not a zip")
    assert (budget.uncompressed, budget.parts) == (0, 0)
