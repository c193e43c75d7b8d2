"""Checks that know the year (issue 12)."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ktxh.domain.catalog import Catalog, Nature
from ktxh.domain.checks import CheckContext, Severity, run_checks
from ktxh.domain.checks.cycle import CarriedOver, YearsOfTheRound
from ktxh.domain.dataset import Dataset, catalog_for_round
from ktxh.domain.narrative import Claim, ClaimKind


def _ctx(ds: Dataset, year: int, values: pl.DataFrame | None = None, **kw: object) -> CheckContext:
    catalog = kw.pop("catalog", catalog_for_round(ds.catalog, year))
    assert isinstance(catalog, Catalog)
    claims = kw.pop("claims", ())
    frame = ds.values.frame if values is None else values
    return CheckContext(catalog, ds.tree, frame, year, ds.top_orgunit, claims)  # type: ignore[arg-type]


def test_the_shipped_plan_names_only_the_years_of_its_round(dataset: Dataset) -> None:
    ctx = _ctx(dataset, 2023, claims=dataset.claims)
    assert list(YearsOfTheRound().find(ctx)) == []
    assert list(CarriedOver().find(ctx)) == []


def test_a_title_or_a_sentence_left_from_another_year_is_an_error(dataset: Dataset) -> None:
    forms = dict(catalog_for_round(dataset.catalog, 2023).forms)  # "... NĂM 2024" as typed
    catalog = Catalog(forms, dataset.catalog.indicators, dataset.catalog.units)
    old = Claim(
        "x",
        "I.2",
        "",
        40,
        "Thu ngân sách trên địa bàn ước thực hiện năm 2023 là 207 tỷ đồng",
        "207",
        "tỷ đồng",
        ClaimKind.VALUE,
        "B01.003",
        "estimate",
        2025,
        None,
        "",
    )
    found = list(YearsOfTheRound().find(_ctx(dataset, 2025, catalog=catalog, claims=[old])))
    titles = [f for f in found if f.message.startswith("Tên Biểu số")]
    assert len(titles) == 13 and all(f.severity is Severity.ERROR for f in found)
    assert titles[1].message.startswith(
        "Tên Biểu số 2 ghi năm 2024 nhưng đây là kỳ báo cáo năm 2025"
    )
    (sentence,) = [f for f in found if f.message.startswith("Câu")]
    assert "ghi năm 2023 nhưng đây là kỳ báo cáo năm 2025" in sentence.message
    assert sentence.indicator == "B01.003"
    # a multi-year plan's own period is the form's
    three = replace(forms[5], title="KẾ HOẠCH BA NĂM 2027-2029", columns=("plan@2027", "plan@2029"))
    catalog = Catalog({5: three}, dataset.catalog.indicators, dataset.catalog.units)
    assert list(YearsOfTheRound().find(_ctx(dataset, 2025, catalog=catalog))) == []


def test_a_figure_copied_from_last_year_is_a_warning(dataset: Dataset) -> None:
    flow = dataset.catalog["B04.001"]  # retail sales: a flow
    assert flow.nature is Nature.FLOW
    frame = dataset.values.frame
    this_year = frame.filter(
        (pl.col("indicator") == "B04.001")
        & (pl.col("orgunit") == "lai-chau")
        & (pl.col("year") == 2023)
    )
    h1 = this_year.filter(pl.col("measure") == "h1")["value"][0]
    estimate = this_year.filter(pl.col("measure") == "estimate")["value"][0]
    last_year = pl.DataFrame(
        {
            "indicator": ["B04.001", "B04.001", "B04.001"],
            "orgunit": ["lai-chau"] * 3,
            "year": [2022, 2022, 2022],
            "measure": ["h1", "estimate", "actual"],
            "value": [h1, 1.0, estimate],  # the actual, not the estimate, is last year's figure
        },
        schema_overrides={"year": pl.Int32},
    )
    values = pl.concat([frame, last_year], how="diagonal_relaxed")
    found = list(CarriedOver().find(_ctx(dataset, 2023, values)))
    assert [(f.measure, f.severity) for f in found] == [
        ("h1", Severity.WARNING),
        ("estimate", Severity.WARNING),
    ]
    assert "TH 6 tháng 2023 bằng đúng TH 6 tháng 2022 (2.022 tỷ đồng)" in found[0].message
    assert "Ước TH 2023 bằng đúng TH 2022" in found[1].message
    # through the whole run, with the others
    everything = run_checks(_ctx(dataset, 2023, values, claims=dataset.claims))
    assert {f.rule for f in everything if f.rule == "carried_over"} == {"carried_over"}


def _last_year_h1(frame: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with last year's first half of ``rows`` (2023 first halves) equal to this
    year's."""
    copied = rows.select("indicator", "orgunit", pl.lit(2022, pl.Int32).alias("year"), "measure")
    return pl.concat([frame, copied.with_columns(rows["value"])], how="diagonal_relaxed")


def test_a_small_figure_equal_by_chance_alone_is_not_reported(dataset: Dataset) -> None:
    """A few births equal two years running happens; a column copied is not chance."""
    flows = {
        i.code
        for i in dataset.catalog
        if i.nature is Nature.FLOW and i.comparable and i.kind.value == "indicator"
    }
    frame = dataset.values.frame
    h1 = frame.filter(
        pl.col("indicator").is_in(flows)
        & (pl.col("orgunit") == "lai-chau")
        & (pl.col("year") == 2023)
        & (pl.col("measure") == "h1")
        & pl.col("value").is_between(10, 999)
    ).with_columns(pl.col("indicator").str.slice(0, 3).alias("form"))
    form = h1.group_by("form").len().sort("len", descending=True)["form"][0]
    column = h1.filter(pl.col("form") == form).drop("form")
    assert column.height >= 3
    # a whole number under 1.000: equal by chance often enough not to be reported alone
    small = column.filter(~pl.col("printed").str.contains(",")).head(1)
    assert small.height == 1
    one = _last_year_h1(frame, small)
    assert list(CarriedOver().find(_ctx(dataset, 2023, one))) == []
    # the ward's whole column of that form equal to last year's: copied
    every = frame.filter(
        pl.col("indicator").str.starts_with(form)
        & (pl.col("orgunit") == "lai-chau")
        & (pl.col("year") == 2023)
        & (pl.col("measure") == "h1")
    )
    found = list(CarriedOver().find(_ctx(dataset, 2023, _last_year_h1(frame, every))))
    moving = every.filter(pl.col("indicator").is_in(flows) & (pl.col("value").abs() >= 10))
    assert {f.indicator for f in found} == set(moving["indicator"]) >= set(column["indicator"])
    assert all(f.severity is Severity.WARNING and f.orgunit == "lai-chau" for f in found)
