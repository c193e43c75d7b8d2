"""What identifies a report: issuing body, number and symbol, place and date, signer.

The metadata lives with the dataset (``datapackage.json`` -> ``ktxh.report``,
see docs/publish.md); the narrative report and the annex workbook print it
the way Decree 30/2020/NĐ-CP lays it out. A report that has not been issued
yet has no number and no date: they print as blanks to be filled by hand
("Số:      /BC-UBND", "ngày ... tháng ... năm 2023").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
BLANK = "..."


class ReportMetaError(ValueError):
    """Report metadata that cannot be used; the message is Vietnamese."""


@dataclass(frozen=True, slots=True)
class Signer:
    name: str = ""  # "Bùi Hữu Cam"
    position: str = ""  # "PHÓ CHỦ TỊCH"
    authority: str = ""  # "TM. ỦY BAN NHÂN DÂN"
    acting: str = ""  # "KT. CHỦ TỊCH"

    @property
    def lines(self) -> list[str]:
        """The capitalised lines above the signature, in order."""
        return [s for s in (self.authority, self.acting, self.position) if s]


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Decree 30 metadata of one report. Every field may be missing (printed as blanks)."""

    issuer: tuple[str, ...] = ()  # lines of the issuing body, capitalised
    superior: tuple[str, ...] = ()  # the body it reports to (cơ quan chủ quản), if printed
    issuer_short: str = ""  # "UBND thành phố Lai Châu", used in running text
    number: str = ""  # "2547"; empty until the report is issued
    symbol: str = ""  # "BC-UBND"
    place: str = ""  # "Lai Châu"
    date: date | None = None
    kind: str = "BÁO CÁO"
    title: str = ""  # the summary line (trích yếu)
    signer: Signer = field(default_factory=Signer)
    recipients: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> ReportMeta:
        """Read ``ktxh.report`` of a datapackage; raise :class:`ReportMetaError` if malformed."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise ReportMetaError("Thông tin báo cáo («report») phải là một đối tượng JSON")

        def text(key: str, source: Mapping[str, Any] = data) -> str:
            v = source.get(key, "")
            if v is None:
                return ""
            if not isinstance(v, str | int):
                raise ReportMetaError(f"Thông tin báo cáo: «{key}» phải là chuỗi ký tự")
            return str(v).strip()

        def lines(key: str) -> tuple[str, ...]:
            v = data.get(key, [])
            if isinstance(v, str):
                return tuple(s.strip() for s in v.split("\n") if s.strip())
            if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
                raise ReportMetaError(f"Thông tin báo cáo: «{key}» phải là danh sách chuỗi ký tự")
            return tuple(s.strip() for s in v if s.strip())

        issued: date | None = None
        if data.get("date"):
            try:
                issued = date.fromisoformat(text("date"))
            except ValueError:
                raise ReportMetaError(
                    f"Thông tin báo cáo: ngày «{data['date']}» không đúng dạng YYYY-MM-DD"
                ) from None
        signer_data = data.get("signer") or {}
        if not isinstance(signer_data, Mapping):
            raise ReportMetaError("Thông tin báo cáo: «signer» phải là một đối tượng JSON")
        return cls(
            issuer=lines("issuer"),
            superior=lines("superior"),
            issuer_short=text("issuer_short"),
            number=text("number"),
            symbol=text("symbol"),
            place=text("place"),
            date=issued,
            kind=text("kind") or "BÁO CÁO",
            title=text("title"),
            signer=Signer(
                name=text("name", signer_data),
                position=text("position", signer_data),
                authority=text("authority", signer_data),
                acting=text("acting", signer_data),
            ),
            recipients=lines("recipients"),
        )

    @property
    def number_symbol(self) -> str:
        """ "Số: 2547/BC-UBND"; the number left blank (spaces) until the report is issued."""
        number = self.number or " " * 6
        return f"Số: {number}/{self.symbol or BLANK}"

    def place_date(self, year: int | None = None) -> str:
        """ "Lai Châu, ngày 30 tháng 8 năm 2023" (Decree 30: days below 10 and months 1-2
        take a leading zero)."""
        place = self.place or BLANK
        if self.date is None:
            y = str(year) if year else BLANK
            return f"{place}, ngày {BLANK} tháng {BLANK} năm {y}"
        return f"{place}, {day_month_year(self.date)}"

    @property
    def reference(self) -> str:
        """The annex line "(Kèm theo báo cáo số 2547/BC-UBND ngày 30 tháng 8 năm 2023 của
        UBND thành phố Lai Châu)"."""
        number = f"{self.number or BLANK}/{self.symbol or BLANK}"
        when = day_month_year(self.date) if self.date else f"ngày {BLANK}"
        who = self.issuer_short or f"UBND {BLANK}"
        return f"(Kèm theo {self.kind.lower()} số {number} {when} của {who})"


def day_month_year(d: date) -> str:
    day = f"{d.day:02d}" if d.day < 10 else str(d.day)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {day} tháng {month} năm {d.year}"
