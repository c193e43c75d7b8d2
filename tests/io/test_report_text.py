"""The shipped report's text read automatically, held against the hand-made dataset.

The seed (../shared/seed) is read by ``ktxh.io.reports.read_reports``, exactly as
``ktxh read`` reads it, against the shipped package's catalog; the agreement is
counted over the dataset's values (docs/reading.md lists every difference and its
reason, and must stay current).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ktxh.domain.dataset import Dataset
from ktxh.domain.reading import Agreement, Reading, ReviewKind, agreement
from ktxh.io.report_text import parse_text, read_text
from ktxh.io.reports import read_reports
from tests.conftest import SEED_FILE

ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = 0.97

needs_seed = pytest.mark.skipif(
    not SEED_FILE.exists(),
    reason=f"the seed report is not here ({SEED_FILE}): the reading of the shipped report "
    "needs ../shared/seed beside the clone (or KTXH_SEED_DIR)",
)


@pytest.fixture(scope="module")
def seed_reading(dataset: Dataset) -> tuple[Reading, Agreement]:
    if not SEED_FILE.exists():
        pytest.skip(f"the seed report is not here ({SEED_FILE})")
    reading = read_reports([SEED_FILE], dataset)
    known = [
        ((r[0], r[1], r[2], r[3]), r[4], r[5] or "")
        for r in dataset.values.frame.select(
            "indicator", "orgunit", "year", "measure", "value", "printed"
        ).iter_rows()
    ]
    return reading, agreement(reading, known)


@needs_seed
def test_the_shipped_report_agrees_with_the_dataset(
    seed_reading: tuple[Reading, Agreement], dataset: Dataset
) -> None:
    reading, agree = seed_reading
    assert reading.ok, reading.problems
    assert agree.total == dataset.values.frame.height
    assert agree.share >= THRESHOLD, f"{agree.same}/{agree.total}"
    # every table of the 13 forms was found, in order
    forms = [t.form for t in reading.tables]
    assert sorted(set(forms)) == list(range(1, 14))
    assert forms == sorted(forms)
    assert reading.year == 2023


@needs_seed
def test_every_difference_is_in_the_review_list_or_explained(
    seed_reading: tuple[Reading, Agreement],
) -> None:
    """A value the reading has differently is one it was not sure of, or one the strict
    rules refused; the few rows ktxh read "sure" and the transcriber otherwise are those
    the transcriber placed with other rows' figures (docs/reading.md)."""
    reading, agree = seed_reading
    reviewed_rows = {(r.indicator, r.where.line) for r in reading.review}
    unsure = [
        d
        for d in agree.differences
        if d.read is not None
        and d.read.confidence.value == "high"
        and (d.key[0], d.read.where.line) not in reviewed_rows
    ]
    assert len(unsure) <= 5, unsure


@needs_seed
def test_the_strict_number_rule_holds_on_the_seed(seed_reading: tuple[Reading, Agreement]) -> None:
    reading, _ = seed_reading
    # seed line 394: "4.70" is a question, not a number
    [item] = [r for r in reading.review if r.kind is ReviewKind.UNREADABLE and r.printed == "4.70"]
    assert item.where.line == 394 and item.indicator == "B04.007"
    assert ("B04.007", "lai-chau", 2023, "plan") not in reading.by_key()


@needs_seed
def test_values_keep_their_line_and_column(seed_reading: tuple[Reading, Agreement]) -> None:
    reading, _ = seed_reading
    # seed line 231: "2 | Tổng thu ngân sách ... | Tỷ đồng | 207 | 57,804 | ..."
    value = reading.by_key()[("B01.003", "lai-chau", 2023, "h1")]
    assert (value.where.line, value.where.col, value.printed) == (231, 5, "57,804")
    assert value.where.compact == "000_bbda3b19e6cf7104.txt!t1!l231!c5"


@needs_seed
def test_the_reading_doc_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reading_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@needs_seed
def test_the_doc_states_the_figure(seed_reading: tuple[Reading, Agreement]) -> None:
    from ktxh.domain.numbers import format_number

    _, agree = seed_reading
    doc = (ROOT / "docs" / "reading.md").read_text(encoding="utf-8")
    assert (
        f"| agree | {format_number(agree.same)} ({format_number(agree.share * 100, 2)} %) |" in doc
    )


def test_tables_are_runs_of_tab_lines() -> None:
    doc = parse_text("Biểu số 1\n\nSTT\tChỉ tiêu\n1\tA\t5\n\n(ghi chú)\nx\ty\n", "f.txt")
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["RawText", "RawTable", "RawText", "RawTable"]
    assert doc.tables[0].rows[1][2].where.line == 4
    assert doc.tables[0].rows[1][2].where.col == 3


def test_a_line_of_numbers_without_tabs_is_the_row_above_it() -> None:
    doc = parse_text("+ Tiểu học\n\n% 100 100 100 99,5\n", "f.txt")
    [table] = doc.tables
    texts = [c.text for c in table.rows[0]]
    assert texts == ["+ Tiểu học", "%", "100", "100", "100", "99,5"]
    assert table.rows[0][0].where.line == 1 and table.rows[0][2].where.line == 3


def test_bad_text_files_are_refused_with_where(tmp_path: Path) -> None:
    binary = tmp_path / "anh.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    [problem] = read_text(binary).problems
    assert str(problem) == "tệp «anh.txt»: tệp không phải văn bản (có byte 0: tệp nhị phân?)"
    latin = tmp_path / "cu.txt"
    latin.write_bytes("dòng 1\ndòng 2\n".encode() + b"Bi\xe9u s\xf4 1\t\xf0")
    [problem] = read_text(latin).problems
    assert problem.where.line == 3
    assert "không phải văn bản UTF-8" in problem.message
