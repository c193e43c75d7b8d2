"""SDMX exchange: the values as SDMX-CSV, with their data structure definition (SDMX-ML).

A statistics office takes data as SDMX (Statistical Data and Metadata
eXchange, ISO 17369). ktxh writes, for a plan:

* ``<FLOW>-structure.xml``: an SDMX-ML 2.1 structure message with the code
  lists (indicators with their parents, org units with theirs, measures,
  units, confidence), the concept scheme, the data structure definition (DSD)
  and the dataflow;
* ``<FLOW>.csv``: the values as SDMX-CSV 1.0 (the CSV format of SDMX 2.1): the
  first column ``DATAFLOW`` names the dataflow (``KTXH:KTXH_LAICHAU_2024(1.0)``),
  then the dimensions, the observation value and the attributes.

Dimensions: ``INDICATOR`` (the catalog code with "_" for "." since SDMX ids
have no dots: ``B02_009``), ``ORGUNIT`` (the org unit's code), ``MEASURE``
(``plan``, ``h1``, ``estimate``, ``actual``, the printed comparisons) and
``TIME_PERIOD`` (the year). Attributes: ``UNIT_MEASURE`` (coded, per
indicator), ``PRINTED`` (the text as the source printed it) and ``CONFIDENCE``
(high, medium, low, for values read from a report). ``OBS_VALUE`` uses "." as
decimal point; it is empty where the source printed "-" (explicitly none).
docs/export.md describes it for the people who receive it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ktxh.domain.catalog import MEASURE_LABELS, MEASURES
from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import plain_number

SDMX_VERSION = "2.1"
CSV_VERSION = "1.0"
AGENCY = "KTXH"
VERSION = "1.0"
NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
DIMENSIONS = ("INDICATOR", "ORGUNIT", "MEASURE", "TIME_PERIOD")
ATTRIBUTES = ("UNIT_MEASURE", "PRINTED", "CONFIDENCE")
CSV_COLUMNS = ("DATAFLOW", *DIMENSIONS, "OBS_VALUE", *ATTRIBUTES)
CONFIDENCE = {"high": ("cao", "high"), "medium": ("trung bình", "medium"), "low": ("thấp", "low")}
MEASURE_EN = {
    "plan": "Plan (target)",
    "h1": "First-half actual",
    "estimate": "Full-year estimate",
    "actual": "Full-year actual",
    "printed_ratio_estimate_plan": "Estimate / plan, % as printed",
    "printed_ratio_nextplan_estimate": "Next year's plan / estimate, % as printed",
}
CONCEPTS = {
    "INDICATOR": ("Chỉ tiêu", "Indicator"),
    "ORGUNIT": ("Đơn vị hành chính", "Administrative unit"),
    "MEASURE": ("Số đo (kế hoạch, thực hiện, ước)", "Measure (plan, actual, estimate)"),
    "TIME_PERIOD": ("Năm", "Time period (year)"),
    "OBS_VALUE": ("Giá trị", "Observation value"),
    "UNIT_MEASURE": ("Đơn vị tính", "Unit of measure"),
    "PRINTED": ("Giá trị như in trên báo cáo", "Value as printed in the source"),
    "CONFIDENCE": ("Độ tin cậy khi đọc từ báo cáo", "Confidence of the reading"),
}
_ID = re.compile(r"^[A-Za-z0-9_@$-]+$")

for prefix in ("mes", "str", "com"):
    ET.register_namespace(prefix, NS[prefix])


def sdmx_id(text: str) -> str:
    """An SDMX identifier (letters, digits, "_", "@", "$", "-") for a ktxh code:
    "B02.009" -> "B02_009"."""
    s = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^A-Za-z0-9_@$-]", "_", s)
    return s or "_"


def unit_id(unit: str) -> str:
    """A unit's code: "tỷ đồng" -> "TY_DONG", "%" -> "PCT", "tạ/ha" -> "TA_PER_HA",
    "m²" -> "M2" (:func:`unit_ids` makes them unique within a plan)."""
    if not unit:
        return "NONE"
    s = unit.replace("%", " PCT ").replace("‰", " PERMILLE ").replace("/", " PER ")
    s = s.translate(str.maketrans("²³¹⁰", "2310"))
    return re.sub(r"_+", "_", sdmx_id(s.strip()).upper()).strip("_") or "NONE"


def unit_ids(ds: Dataset) -> dict[str, str]:
    """Every unit of the plan -> its code, unique ("M", "M_2" if two units fold alike)."""
    names = sorted({i.unit for i in ds.catalog if i.unit} | set(ds.catalog.units))
    out: dict[str, str] = {"": "NONE"}
    used = {"NONE"}
    for name in names:
        code = base = unit_id(name)
        k = 2
        while code in used:
            code = f"{base}_{k}"
            k += 1
        used.add(code)
        out[name] = code
    return out


def flow_id(ds: Dataset) -> str:
    """ "KTXH_LAICHAU_2024" for the plan "laichau-2024"."""
    return "KTXH_" + sdmx_id(ds.name).upper().replace("-", "_")


@dataclass(frozen=True, slots=True)
class SdmxExport:
    csv: Path
    structure: Path
    rows: int
    flow: str  # "KTXH:KTXH_LAICHAU_2024(1.0)"


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def _name(parent: ET.Element, text: str, lang: str = "vi") -> None:
    el = ET.SubElement(parent, _q("com", "Name"))
    el.set(_q("xml", "lang"), lang)
    el.text = text


def _urn(kind: str, agency: str, ident: str) -> str:
    packages = {
        "Codelist": "codelist.Codelist",
        "ConceptScheme": "conceptscheme.ConceptScheme",
        "DataStructure": "datastructure.DataStructure",
        "Dataflow": "datastructure.Dataflow",
    }
    return f"urn:sdmx:org.sdmx.infomodel.{packages[kind]}={agency}:{ident}({VERSION})"


def _concept_urn(agency: str, concept: str) -> str:
    return (
        f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={agency}:CS_KTXH({VERSION}).{concept}"
    )


def _ref(parent: ET.Element, tag: str, urn: str) -> None:
    el = ET.SubElement(parent, _q("str", tag))
    ET.SubElement(el, "URN").text = urn


def _codelist(
    parent: ET.Element,
    agency: str,
    ident: str,
    names: tuple[str, str],
    codes: list[tuple[str, str, str | None]],
) -> None:
    cl = ET.SubElement(
        parent,
        _q("str", "Codelist"),
        {
            "id": ident,
            "agencyID": agency,
            "version": VERSION,
            "urn": _urn("Codelist", agency, ident),
        },
    )
    _name(cl, names[0], "vi")
    _name(cl, names[1], "en")
    for code, name, up in codes:
        el = ET.SubElement(cl, _q("str", "Code"), {"id": code})
        _name(el, name, "vi")
        if up is not None:
            p = ET.SubElement(el, _q("str", "Parent"))
            ET.SubElement(p, "Ref", {"id": up})


def code_lists(ds: Dataset) -> dict[str, list[tuple[str, str, str | None]]]:
    """The codes of each code list: (id, Vietnamese name, parent id)."""
    cat = ds.catalog
    units = unit_ids(ds)
    return {
        "CL_INDICATOR": [
            (sdmx_id(i.code), i.label, sdmx_id(i.parent) if i.parent else None) for i in cat
        ],
        "CL_ORGUNIT": [
            (sdmx_id(u.code), u.full_name, sdmx_id(u.parent) if u.parent else None) for u in ds.tree
        ],
        "CL_MEASURE": [(m, MEASURE_LABELS[m], None) for m in MEASURES],
        "CL_UNIT": [(code, name or "không có đơn vị", None) for name, code in units.items()],
        "CL_CONFIDENCE": [(k, v[0], None) for k, v in CONFIDENCE.items()],
    }


def structure_xml(ds: Dataset, *, agency: str = AGENCY, prepared: datetime | None = None) -> bytes:
    """The SDMX-ML 2.1 structure message: code lists, concepts, DSD, dataflow."""
    flow = flow_id(ds)
    root = ET.Element(_q("mes", "Structure"))
    header = ET.SubElement(root, _q("mes", "Header"))
    ET.SubElement(header, _q("mes", "ID")).text = f"{flow}_STRUCTURE"
    ET.SubElement(header, _q("mes", "Test")).text = "false"
    when = prepared or datetime.now(UTC)
    ET.SubElement(header, _q("mes", "Prepared")).text = when.strftime("%Y-%m-%dT%H:%M:%S")
    ET.SubElement(header, _q("mes", "Sender"), {"id": agency})
    structures = ET.SubElement(root, _q("mes", "Structures"))

    flows = ET.SubElement(structures, _q("str", "Dataflows"))
    df = ET.SubElement(
        flows,
        _q("str", "Dataflow"),
        {"id": flow, "agencyID": agency, "version": VERSION, "urn": _urn("Dataflow", agency, flow)},
    )
    _name(df, f"Số liệu kế hoạch phát triển kinh tế - xã hội: {ds.title}", "vi")
    _name(df, f"Socio-economic development plan data: {ds.name}", "en")
    _ref(df, "Structure", _urn("DataStructure", agency, flow))

    codelists = ET.SubElement(structures, _q("str", "Codelists"))
    titles = {
        "CL_INDICATOR": ("Chỉ tiêu", "Indicators"),
        "CL_ORGUNIT": ("Đơn vị hành chính", "Administrative units"),
        "CL_MEASURE": ("Số đo", "Measures"),
        "CL_UNIT": ("Đơn vị tính", "Units of measure"),
        "CL_CONFIDENCE": ("Độ tin cậy", "Confidence"),
    }
    for ident, codes in code_lists(ds).items():
        _codelist(codelists, agency, ident, titles[ident], codes)

    concepts = ET.SubElement(structures, _q("str", "Concepts"))
    cs = ET.SubElement(
        concepts,
        _q("str", "ConceptScheme"),
        {
            "id": "CS_KTXH",
            "agencyID": agency,
            "version": VERSION,
            "urn": _urn("ConceptScheme", agency, "CS_KTXH"),
        },
    )
    _name(cs, "Khái niệm của ktxh", "vi")
    _name(cs, "ktxh concepts", "en")
    for concept, (vi, en) in CONCEPTS.items():
        c = ET.SubElement(
            cs, _q("str", "Concept"), {"id": concept, "urn": _concept_urn(agency, concept)}
        )
        _name(c, vi, "vi")
        _name(c, en, "en")

    dsds = ET.SubElement(structures, _q("str", "DataStructures"))
    dsd = ET.SubElement(
        dsds,
        _q("str", "DataStructure"),
        {
            "id": flow,
            "agencyID": agency,
            "version": VERSION,
            "urn": _urn("DataStructure", agency, flow),
        },
    )
    _name(dsd, f"Cấu trúc số liệu kế hoạch KT-XH: {ds.title}", "vi")
    _name(dsd, "Socio-economic development plan data structure", "en")
    comps = ET.SubElement(dsd, _q("str", "DataStructureComponents"))
    dims = ET.SubElement(comps, _q("str", "DimensionList"), {"id": "DimensionDescriptor"})
    enumerations = {"INDICATOR": "CL_INDICATOR", "ORGUNIT": "CL_ORGUNIT", "MEASURE": "CL_MEASURE"}
    for pos, dim in enumerate(DIMENSIONS, start=1):
        tag = "TimeDimension" if dim == "TIME_PERIOD" else "Dimension"
        d = ET.SubElement(dims, _q("str", tag), {"id": dim, "position": str(pos)})
        _ref(d, "ConceptIdentity", _concept_urn(agency, dim))
        rep = ET.SubElement(d, _q("str", "LocalRepresentation"))
        if dim == "TIME_PERIOD":
            ET.SubElement(rep, _q("str", "TextFormat"), {"textType": "ObservationalTimePeriod"})
        else:
            _ref(rep, "Enumeration", _urn("Codelist", agency, enumerations[dim]))
    attrs = ET.SubElement(comps, _q("str", "AttributeList"), {"id": "AttributeDescriptor"})
    for attr in ATTRIBUTES:
        status = "Mandatory" if attr == "UNIT_MEASURE" else "Conditional"
        a = ET.SubElement(attrs, _q("str", "Attribute"), {"id": attr, "assignmentStatus": status})
        _ref(a, "ConceptIdentity", _concept_urn(agency, attr))
        rep = ET.SubElement(a, _q("str", "LocalRepresentation"))
        if attr == "PRINTED":
            ET.SubElement(rep, _q("str", "TextFormat"), {"textType": "String"})
        else:
            cl = "CL_UNIT" if attr == "UNIT_MEASURE" else "CL_CONFIDENCE"
            _ref(rep, "Enumeration", _urn("Codelist", agency, cl))
        rel = ET.SubElement(a, _q("str", "AttributeRelationship"))
        if attr == "UNIT_MEASURE":
            d = ET.SubElement(rel, _q("str", "Dimension"))
            ET.SubElement(d, "Ref", {"id": "INDICATOR"})
        else:
            m = ET.SubElement(rel, _q("str", "PrimaryMeasure"))
            ET.SubElement(m, "Ref", {"id": "OBS_VALUE"})
    measures = ET.SubElement(comps, _q("str", "MeasureList"), {"id": "MeasureDescriptor"})
    pm = ET.SubElement(measures, _q("str", "PrimaryMeasure"), {"id": "OBS_VALUE"})
    _ref(pm, "ConceptIdentity", _concept_urn(agency, "OBS_VALUE"))
    rep = ET.SubElement(pm, _q("str", "LocalRepresentation"))
    ET.SubElement(rep, _q("str", "TextFormat"), {"textType": "Double"})

    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def sdmx_rows(ds: Dataset, *, agency: str = AGENCY) -> list[dict[str, str]]:
    """The values as SDMX-CSV rows (column -> text), in the catalog's order."""
    flow = f"{agency}:{flow_id(ds)}({VERSION})"
    cat = ds.catalog
    order = {code: i for i, code in enumerate(cat.indicators)}
    units = {u.code: i for i, u in enumerate(ds.tree)}
    measures = {m: i for i, m in enumerate(MEASURES)}
    unit_code = unit_ids(ds)
    frame = ds.values.frame.select(
        "indicator", "orgunit", "year", "measure", "value", "printed", "confidence"
    )
    rows = sorted(
        frame.iter_rows(),
        key=lambda r: (order.get(r[0], 1 << 30), units.get(r[1], 1 << 30), r[2], measures[r[3]]),
    )
    out = []
    for code, org, year, measure, value, printed, confidence in rows:
        ind = cat.indicators.get(code)
        out.append(
            {
                "DATAFLOW": flow,
                "INDICATOR": sdmx_id(code),
                "ORGUNIT": sdmx_id(org),
                "MEASURE": measure,
                "TIME_PERIOD": str(year),
                "OBS_VALUE": "" if value is None else plain_number(value),
                "UNIT_MEASURE": unit_code.get(ind.unit if ind else "", "NONE"),
                "PRINTED": printed or "",
                "CONFIDENCE": confidence if confidence in CONFIDENCE else "",
            }
        )
    return out


def csv_text(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_sdmx(
    ds: Dataset, out_dir: Path, *, agency: str = AGENCY, prepared: datetime | None = None
) -> SdmxExport:
    """Write ``<FLOW>.csv`` and ``<FLOW>-structure.xml`` into ``out_dir`` (made if needed)."""
    if not _ID.match(agency):
        raise ValueError(
            f"Mã cơ quan «{agency}» không hợp lệ cho SDMX: chỉ dùng chữ không dấu, chữ số, "
            "dấu gạch dưới «_», gạch ngang «-», «@», «$»"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    flow = flow_id(ds)
    rows = sdmx_rows(ds, agency=agency)
    csv_path = out_dir / f"{flow}.csv"
    xml_path = out_dir / f"{flow}-structure.xml"
    csv_path.write_text(csv_text(rows), encoding="utf-8")
    xml_path.write_bytes(structure_xml(ds, agency=agency, prepared=prepared))
    return SdmxExport(csv_path, xml_path, len(rows), f"{agency}:{flow}({VERSION})")
