"""The Lai Châu dataset held against the seed report it was transcribed from."""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from ktxh.domain.catalog import RowKind
from ktxh.domain.dataset import Dataset

FIRST_TABLE_LINE = 221
NUMBERISH = re.compile(r'^(\(?[\d.,]+\)?|-|")$')
HEADER_WORDS = (
    "Kế hoạch",
    "Đơn vị",
    "Năm 2023",
    "TH 6",
    "Tổng cộng",
    "Tổng công",
    "Đoàn Kết",
    "So sánh",
    "Số sánh",
    "Định hướng",
    "Ước TH",
    "Uớc TH",
)


def cells(line: str) -> list[str]:
    return [c.strip() for c in (line.split("\t") if "\t" in line else line.split())]


def data_tokens(line: str) -> list[str]:
    """The printed numbers and "-" of a table row, after its STT, name and unit."""
    cs = cells(line)
    has_letter = [bool(re.search(r"[^\W\d_]", c)) for c in cs]
    if not any(has_letter):
        start = 0
    else:
        start = has_letter.index(True) + 1
        rest = [i for i in range(start, len(cs)) if cs[i]]
        if rest and (has_letter[rest[0]] or cs[rest[0]] in ('"', "%", "‰")):
            start = rest[0] + 1
    out = []
    for c in cs[start:]:
        parts = c.split()
        if parts and all(NUMBERISH.match(p) for p in parts):
            out.extend(parts)
    return out


def is_structure(line: str, row_names: set[str]) -> bool:
    """Not a table row: titles, "Kèm theo" lines, "Biểu số N", repeated column headers,
    a bare "Trong đó:" (it makes the next rows "of which" items), and a row name
    repeated at a page break."""
    s = line.strip()
    if not s or s.startswith(("Biểu số", "(Kèm theo")):
        return True
    if "\t" not in line and s.upper() == s:
        return True  # a form title
    cs = [c for c in cells(line) if c]
    if (cs and cs[0] in ("STT", "TT", "T", "TR")) or s.startswith("TÍM"):
        return True
    if all(c.rstrip(":") == "Trong đó" for c in cs):
        return True
    if not data_tokens(line) and s in row_names:
        return True
    return any(w in line for w in HEADER_WORDS) and not data_tokens(line)


def test_every_value_is_printed_on_the_line_it_cites(
    dataset: Dataset, seed_lines: list[str]
) -> None:
    missing = []
    for r in dataset.values.frame.select(
        "indicator", "measure", "printed", "seed_line"
    ).iter_rows():
        code, measure, printed, line = r
        tokens = seed_lines[line - 1].replace("\t", " ").split()
        if printed not in tokens:
            missing.append(f"{code} {measure}: «{printed}» not on line {line}")
    assert not missing, "\n".join(missing[:30])


def test_every_printed_number_of_every_row_is_accounted_for(
    dataset: Dataset, seed_lines: list[str]
) -> None:
    """Each number (and "-") of a row's line is a value or listed as unplaced: no more, no less."""
    used: dict[int, Counter[str]] = {}
    for printed, line in dataset.values.frame.select("printed", "seed_line").iter_rows():
        used.setdefault(line, Counter())[printed] += 1
    row_lines: dict[int, str] = {}
    for ind in dataset.catalog:
        lines = [n for n in (ind.values_line, ind.seed_line) if n is not None]
        for n in lines:
            used.setdefault(n, Counter())
            row_lines[n] = ind.code
        for token in filter(
            None, (t.strip() for t in dataset.unplaced.get(ind.code, "").split(" ; "))
        ):
            where = next(
                (n for n in lines if token in seed_lines[n - 1].replace("\t", " ").split()),
                lines[0],
            )
            used[where][token] += 1
    problems = []
    for n, got in sorted(used.items()):
        printed = Counter(data_tokens(seed_lines[n - 1]))
        if printed != got:
            extra, lost = sorted((printed - got).elements()), sorted((got - printed).elements())
            problems.append(f"line {n} ({row_lines.get(n)}): unaccounted {extra}, unprinted {lost}")
    assert not problems, "\n".join(problems)


def test_every_row_of_every_table_is_in_the_dataset(
    dataset: Dataset, seed_lines: list[str]
) -> None:
    cited = set()
    for ind in dataset.catalog:
        cited.update(n for n in (ind.seed_line, ind.values_line) if n is not None)
    names = {c for n in cited for c in cells(seed_lines[n - 1]) if re.search(r"[^\W\d_]{3}", c)}
    uncited = [
        f"{n}: {seed_lines[n - 1][:70]!r}"
        for n in range(FIRST_TABLE_LINE, len(seed_lines) + 1)
        if not is_structure(seed_lines[n - 1], names) and n not in cited
    ]
    assert not uncited, "\n".join(uncited)
    assert sorted(dataset.catalog.forms) == list(range(1, 14))
    for form in dataset.catalog.forms:
        assert dataset.catalog.in_form(form), f"Biểu {form} has no rows"


def test_rows_are_in_seed_order_within_each_form(dataset: Dataset) -> None:
    for form in dataset.catalog.forms:
        lines = [i.seed_line for i in dataset.catalog.in_form(form)]
        assert lines == sorted(lines), f"Biểu {form}: rows out of seed order"


def test_group_rows_carry_no_values(dataset: Dataset) -> None:
    groups = [i.code for i in dataset.catalog if i.kind is RowKind.GROUP]
    assert dataset.values.frame.filter(pl.col("indicator").is_in(groups)).height == 0


def test_uncertain_values_say_why(dataset: Dataset) -> None:
    f = dataset.values.frame
    assert set(f["confidence"].unique()) <= {"high", "medium", "low"}
    unexplained = f.filter((pl.col("confidence") != "high") & (pl.col("note") == ""))
    assert unexplained.height == 0


def test_claims_quote_the_narrative(dataset: Dataset, seed_lines: list[str]) -> None:
    assert len(dataset.claims) >= 40
    for c in dataset.claims:
        assert c.seed_line is not None
        assert c.text in seed_lines[c.seed_line - 1], c.id
        assert c.printed in c.text, c.id
    sections = Counter(c.section for c in dataset.claims)
    assert {"I.1.1", "I.2", "II.4"} <= set(sections)
    assert sum(1 for c in dataset.claims if c.indicator) >= 0.8 * len(dataset.claims)
