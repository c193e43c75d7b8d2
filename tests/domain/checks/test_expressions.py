import polars as pl
import pytest

from ktxh.domain.checks.expressions import RuleSyntaxError, compile_side


def _eval(text: str, tolerance: float | None, **values: float) -> tuple[float, float, float]:
    side = compile_side(text, tolerance)
    cols = {}
    for code, v in values.items():
        code = code.replace("_", ".")
        cols[f"{code}::value"] = [v]
        cols[f"{code}::tol"] = [0.05]
    f = pl.DataFrame(cols).select(
        side.interval.lo.alias("lo"), side.interval.hi.alias("hi"), side.point.alias("p")
    )
    return f["lo"][0], f["hi"][0], f["p"][0]


def test_area_times_yield_with_the_printed_precision() -> None:
    # Biểu 2 line 288-290: lúa mùa 510,5 ha x 53 tạ/ha / 10 = 2.705,65 tấn (printed 2.704)
    lo, hi, p = _eval("B02.022 * B02.023 / 10", None, B02_022=510.5, B02_023=53.0)
    assert p == pytest.approx(2705.65)
    assert lo < 2704.0 < hi  # explained by rounding: no finding


def test_fixed_tolerance() -> None:
    lo, hi, _ = _eval("B01.001 + B01.002", 1.0, B01_001=10.0, B01_002=20.0)
    assert (lo, hi) == (28.0, 32.0)


def test_division_by_an_interval_around_zero_gives_no_bound() -> None:
    lo, hi, _ = _eval("B01.001 / B01.002", None, B01_001=1.0, B01_002=0.0)
    assert lo is None and hi is None


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "B01.001 ** 2",
        "max(B01.001, 1)",
        "B01.001 if B01.002 else 0",
        "x + 1",
        "B01.001 +",
    ],
)
def test_only_codes_numbers_and_arithmetic(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        compile_side(text, None)
