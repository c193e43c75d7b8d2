from datetime import date

import pytest

from ktxh.domain.dataset import Dataset
from ktxh.domain.report import ReportMeta, ReportMetaError, day_month_year


def test_lai_chau_metadata(dataset: Dataset) -> None:
    meta = ReportMeta.from_mapping(dataset.meta["report"])
    assert meta.issuer == ("ỦY BAN NHÂN DÂN", "THÀNH PHỐ LAI CHÂU")
    assert meta.number_symbol == "Số: 2547/BC-UBND"
    assert meta.place_date() == "Lai Châu, ngày 30 tháng 8 năm 2023"
    assert meta.reference == (
        "(Kèm theo báo cáo số 2547/BC-UBND ngày 30 tháng 8 năm 2023 của UBND thành phố Lai Châu)"
    )
    assert meta.signer.lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert meta.signer.name == "Bùi Hữu Cam"
    assert meta.recipients[-1] == "Lưu: VT, VP."


def test_decree_30_dates_pad_small_days_and_january_february() -> None:
    assert day_month_year(date(2023, 8, 30)) == "ngày 30 tháng 8 năm 2023"
    assert day_month_year(date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"
    assert day_month_year(date(2024, 12, 1)) == "ngày 01 tháng 12 năm 2024"


def test_an_unissued_report_prints_blanks() -> None:
    meta = ReportMeta.from_mapping({"symbol": "BC-UBND", "place": "Lai Châu"})
    assert meta.number_symbol == "Số:       /BC-UBND"
    assert meta.place_date(2023) == "Lai Châu, ngày ... tháng ... năm 2023"
    assert "số .../BC-UBND ngày ..." in meta.reference


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "30/8/2023"}, "không đúng dạng YYYY-MM-DD"),
        ({"issuer": 5}, "«issuer» phải là danh sách"),
        ({"signer": "Bùi Hữu Cam"}, "«signer» phải là một đối tượng"),
        ({"title": ["a"]}, "«title» phải là chuỗi"),
    ],
)
def test_malformed_metadata_is_explained_in_vietnamese(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ReportMetaError, match=message):
        ReportMeta.from_mapping(data)
