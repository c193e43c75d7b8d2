"""The SDMX export (ktxh.io.sdmx): an SDMX-ML 2.1 structure message and SDMX-CSV 1.0
values whose every code is in the structure's code lists."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import pytest

from ktxh.domain.dataset import Dataset
from ktxh.io.sdmx import (
    ATTRIBUTES,
    CSV_COLUMNS,
    DIMENSIONS,
    NS,
    flow_id,
    sdmx_id,
    unit_id,
    write_sdmx,
)

STR = f"{{{NS['str']}}}"
COM = f"{{{NS['com']}}}"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("sdmx")
    done = write_sdmx(dataset, out, prepared=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    rows = list(csv.DictReader(done.csv.open(encoding="utf-8", newline="")))
    root = SafeET.parse(done.structure).getroot()
    return done, rows, root


def _codelists(root) -> dict[str, dict[str, str | None]]:  # type: ignore[no-untyped-def]
    out = {}
    for cl in root.iter(f"{STR}Codelist"):
        codes = {}
        for code in cl.findall(f"{STR}Code"):
            parent = code.find(f"{STR}Parent/Ref")
            codes[code.get("id")] = None if parent is None else parent.get("id")
        out[cl.get("id")] = codes
    return out


def test_the_structure_message(export, dataset: Dataset) -> None:  # type: ignore[no-untyped-def]
    done, _, root = export
    assert root.tag == f"{{{NS['mes']}}}Structure"
    assert root.find(f"{{{NS['mes']}}}Header/{{{NS['mes']}}}Prepared").text == "2024-01-02T03:04:05"
    [dsd] = root.iter(f"{STR}DataStructure")
    assert (dsd.get("id"), dsd.get("agencyID"), dsd.get("version")) == (
        "KTXH_LAICHAU_2024",
        "KTXH",
        "1.0",
    )
    dims = [
        (d.get("id"), d.get("position"))
        for d in dsd.find(f"{STR}DataStructureComponents/{STR}DimensionList")
    ]
    assert dims == [("INDICATOR", "1"), ("ORGUNIT", "2"), ("MEASURE", "3"), ("TIME_PERIOD", "4")]
    attrs = [a.get("id") for a in dsd.iter(f"{STR}Attribute")]
    assert tuple(attrs) == ATTRIBUTES
    measure = dsd.find(f"{STR}DataStructureComponents/{STR}MeasureList/{STR}PrimaryMeasure")
    assert measure.get("id") == "OBS_VALUE"
    [flow] = root.iter(f"{STR}Dataflow")
    assert flow.find(f"{STR}Structure/URN").text.endswith(
        "DataStructure=KTXH:KTXH_LAICHAU_2024(1.0)"
    )
    assert done.flow == "KTXH:KTXH_LAICHAU_2024(1.0)"
    # every component's concept is in the concept scheme
    concepts = {c.get("id") for c in root.iter(f"{STR}Concept")}
    assert {*DIMENSIONS, *ATTRIBUTES, "OBS_VALUE"} <= concepts
    # code lists: the catalog with its parents, the org tree with its parents
    lists = _codelists(root)
    assert len(lists["CL_INDICATOR"]) == len(dataset.catalog)
    assert lists["CL_INDICATOR"]["B02_016"] == "B02_015"
    assert lists["CL_ORGUNIT"]["doan-ket"] == "lai-chau"
    names = {c.get("id"): c.find(f"{COM}Name").text for c in root.iter(f"{STR}Code")}
    assert names["doan-ket"] == "phường Đoàn Kết"
    for codes in lists.values():
        for parent in codes.values():
            assert parent is None or parent in codes


def test_every_csv_row_uses_the_structure_codes(export, dataset: Dataset) -> None:  # type: ignore[no-untyped-def]
    done, rows, root = export
    lists = _codelists(root)
    column_list = {
        "INDICATOR": "CL_INDICATOR",
        "ORGUNIT": "CL_ORGUNIT",
        "MEASURE": "CL_MEASURE",
        "UNIT_MEASURE": "CL_UNIT",
        "CONFIDENCE": "CL_CONFIDENCE",
    }
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == done.rows == dataset.values.frame.height
    for i, row in enumerate(rows, start=2):
        assert row["DATAFLOW"] == done.flow, i
        for column, codelist in column_list.items():
            if column == "CONFIDENCE" and not row[column]:
                continue  # conditional: only values read from a report have one
            assert row[column] in lists[codelist], (i, column, row[column])
        assert row["TIME_PERIOD"].isdigit() and len(row["TIME_PERIOD"]) == 4
        if row["OBS_VALUE"]:
            float(row["OBS_VALUE"])
        else:
            assert row["PRINTED"] in ("-", '"'), (i, row)
    keys = {(r["INDICATOR"], r["ORGUNIT"], r["MEASURE"], r["TIME_PERIOD"]) for r in rows}
    assert len(keys) == len(rows)  # the dimensions identify every observation


def test_values_keep_their_unit_and_print(export) -> None:  # type: ignore[no-untyped-def]
    _, rows, _ = export
    row = next(
        r
        for r in rows
        if (r["INDICATOR"], r["ORGUNIT"], r["MEASURE"], r["TIME_PERIOD"])
        == ("B02_009", "lai-chau", "plan", "2024")
    )
    assert (row["OBS_VALUE"], row["PRINTED"], row["UNIT_MEASURE"]) == ("2731.1", "2.731,1", "HA")


def test_ids() -> None:
    assert sdmx_id("B02.009") == "B02_009"
    assert sdmx_id("lai-chau") == "lai-chau"
    assert unit_id("tỷ đồng") == "TY_DONG"
    assert unit_id("tạ/ha") == "TA_PER_HA"
    assert unit_id("%") == "PCT" and unit_id("‰") == "PERMILLE"
    assert unit_id("m²") == "M2"


def test_a_bad_agency_is_refused(tmp_path: Path, dataset: Dataset) -> None:
    with pytest.raises(ValueError, match="Mã cơ quan «Sở KH&ĐT» không hợp lệ"):
        write_sdmx(dataset, tmp_path, agency="Sở KH&ĐT")
    assert flow_id(dataset) == "KTXH_LAICHAU_2024"


@pytest.mark.skipif(
    not os.environ.get("KTXH_SDMX_SCHEMAS"),
    reason="KTXH_SDMX_SCHEMAS (the SDMX-ML 2.1 schemas, github.com/sdmx-twg/sdmx-ml-v2_1 "
    "schemas/) is not set: the message is not validated against the XSD",
)
def test_the_structure_message_is_valid_sdmx_ml(export) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    schemas = Path(os.environ["KTXH_SDMX_SCHEMAS"])
    schema = etree.XMLSchema(etree.parse(str(schemas / "SDMXMessage.xsd")))
    done, _, _ = export
    assert schema.validate(etree.parse(str(done.structure))), schema.error_log
