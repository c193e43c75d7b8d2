"""Write docs/inconsistencies.md: every cause `ktxh check` reports on the Lai Châu report,
with the verdict of a hand check against the seed, and the recall of the checks against
an independent list of the report's errors.

    .venv/bin/python scripts/inconsistencies_doc.py            # rewrite the file
    .venv/bin/python scripts/inconsistencies_doc.py --check    # exit 1 if it is stale

The verdicts and the list below were made by hand: each seed line read with its tabs,
each sum, ratio and rate recomputed (see the document's "How this was made"). The
script only puts them beside what the checks report, and refuses to write a document
where a reported cause has no verdict or a verdict has no cause.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ktxh.domain.checks import Cause, CheckContext, Finding, Severity, group_causes, run_checks
from ktxh.domain.dataset import Dataset
from ktxh.domain.numbers import format_number
from ktxh.io.datapackage import read_dataset, shipped_package

DOC = Path(__file__).resolve().parents[1] / "docs" / "inconsistencies.md"

SOURCE, OCR, UNLINKED, RULE = "source", "ocr", "unlinked", "rule"

# cause id -> (verdict, seed lines, what the seed prints, the hand check)
VERDICTS: dict[str, tuple[str, str, str, str]] = {
    "narrative_unlinked||||@26": (
        UNLINKED,
        "26, 40",
        "«tổng đàn gia súc đạt 16.474 con, đạt 87% kế hoạch; đàn gia cầm 68.808 con, đạt "
        "63% kế hoạch giao»; «thu tiền đất mới chỉ đạt 7% kế hoạch»",
        "No table carries livestock, poultry or land-use revenue: the five figures cannot be "
        "held against a table. Not an error; one notice for the narrative (it was five).",
    ),
    "permille_as_percent|B01.007|||": (
        SOURCE,
        "235, 105",
        "«Tỷ lệ tăng dân số tự nhiên ⇥ % ⇥ 10,5 ⇥ ⇥ 10,8 ⇥ 10,6»; text «10,6%/năm»",
        "Births 13,50‰ − deaths 3,0‰ = 10,5‰ (Biểu 9 lines 600-601): a rate per thousand, "
        "printed «%» in the unit cell and in the 2024 target of the text, while line 62 of the "
        "same text writes «10,8‰». The table's unit cell and the sentence: one cause.",
    ),
    "ratio_convention_mixed|B01.007|lai-chau|2023|printed_ratio_estimate_plan": (
        SOURCE,
        "235, 602",
        "Biểu 1: 10,5 · 10,8 · 10,6 · 97 · 102; Biểu 9: 10,5 · 10,8 · 10,6 · 103,2 · 98",
        "The same natural growth, the same cells, two percentages for each comparison: "
        "Biểu 1 prints old/new (10,5/10,8 = 97,2; 10,8/10,6 = 101,9), Biểu 9 new/old "
        "(10,8/10,5 = 102,9, within the rounding of 103,2; 10,6/10,8 = 98,1). Each agrees "
        "with its own form's convention (docs/comparisons.md); the report mixes them.",
    ),
    "bieu1_013_bieu7|B01.013|lai-chau|2023|plan": (
        SOURCE,
        "241, 521",
        "B1: 350 · 165 · 350 · 250 · 100 · 71; B7: 250 · 165 · 350 · 250 · wards "
        "30+30+30+30+35+35+60 · 140 · 71",
        "KH 2023 is 350 in Biểu 1, 250 in Biểu 7; each table agrees with itself "
        "(350/350 = 100; 350/250 = 140; the Biểu 7 wards make 250).",
    ),
    "bieu1_014_bieu7|B01.014|lai-chau|2023|h1": (
        SOURCE,
        "242, 523",
        "B1: 84,5 · 84,4 · 84,5 · 84,8; B7: 84,5 · 83,7 · 84,6 · 84,8",
        "TH 6 tháng 84,4 vs 83,7; Biểu 7's is its own counts (25.425/30.365 = 83,7, lines "
        "522/503).",
    ),
    "bieu1_023_bieu8|B01.023|lai-chau|2024|plan": (
        SOURCE,
        "251, 574",
        "B1: 85 · 85 · 85 · 85 · 100 · 100; B8: 85 · 85 · 85 · 100 · 100",
        "The 2024 rural clean-water target is 85 in Biểu 1 and 100 in Biểu 8 (all five "
        "cells of line 574 are there).",
    ),
    "units_sum|B02.009|lai-chau|2024|plan": (
        SOURCE,
        "271, 274, 275",
        "2.731,1; wards 82,8 + 157,0 + 149,7 + 118,3 + 54,4 + 814,3 + 1.324,6 = 2.701,1",
        "30 short. Gieo trồng − tăng vụ gives canh tác for the city (3.517,9 − 786,8 = "
        "2.731,1) and six wards, but Sùng Phài 1.612,4 − 257,8 = 1.354,6, not 1.324,6: the "
        "ward sum and the new identity gieo trồng = canh tác + tăng vụ point at that cell, "
        "and both want 1.354,6 (one cause, two findings).",
    ),
    "units_sum|B02.015|lai-chau|2024|plan": (
        SOURCE,
        "277, 278, 287, 290",
        "thóc San Thàng 837,9 (278) but lúa mùa 812,9 (290; 147 ha × 55,3 = 812,9); grain "
        "total San Thàng 2.665,0 (277 and 287) = 837,9 + 1.827,1",
        "San Thàng's rice is 25 t too high (thóc = lúa mùa + lúa chiêm xuân: 812,9 + «-»), "
        "and its grain total was built from it: the wards of lines 277, 278 and 287 are 25 "
        "over their totals, San Thàng's crops 25 under its grain. Five findings, one cause "
        "(lines 277 and 287 print the same row twice, which a declared rule makes one cell).",
    ),
    "units_sum|B02.040|lai-chau|2024|plan": (
        SOURCE,
        "298, 302, 305, 306",
        "Quyết Thắng xuân hè 166,1; 37,0 ha × 53,0 tạ/ha = 196,1 t",
        "With 196,1 the wards make 3.162,8 and the seasons 346,1; the ward sum, the seasons "
        "and area × yield all point at this cell and want 196,1 (a 9→6 slip).",
    ),
    "units_sum|B02.045|lai-chau|2024|plan": (
        SOURCE,
        "311, 320, 324",
        "3.248; wards 96 + 149 + 368 + 441 + 298 + 1.177 + 670 = 3.199",
        "Inherited from line 320: 3.248 = rau 2.863 + khoai lang 384,6, and rau's total is "
        "51 t above its wards. A consequence of the cause below, not joined to it: no single "
        "cell explains both (both totals are wrong).",
    ),
    "weighted_mean|B02.049|lai-chau|2024|plan": (
        SOURCE,
        "316, 319, 320",
        "city 100 tạ/ha; wards 80 · 90 · 110 · 90 · 102 · 105 · 93 on 11,0 · 16,5 · 30,0 · "
        "49,0 · 27,0 · 90,5 · 62,3 ha",
        "The wards' area-weighted yield is 2.812 t / 286,3 ha = 98,2; the city prints a round "
        "100, from which its production 286,3 × 100 ÷ 10 = 2.863 follows.",
    ),
    "units_sum|B02.050|lai-chau|2024|plan": (
        SOURCE,
        "320",
        "2.863; wards 88 + 149 + 330 + 441 + 275 + 950 + 579 = 2.812",
        "Each ward is its area × yield; the city is 286,3 × 100: 51 t apart.",
    ),
    "rate_range|B02.053|lai-chau|2024|plan": (
        SOURCE,
        "321, 323, 324",
        "city yield 147,9 in every column; wards 75 · 75 · 74 · 76 · 76 on 1 · 5 · 3 · 30 · "
        "12 ha; production 384,6",
        "147,9 = 384,6 t ÷ 26 ha (the tăng vụ area of line 322) instead of 51 ha: 384,6/51 = "
        "75,4. The city yield is outside its wards' 74-76, off their weighted mean 75,8, and "
        "51 × 147,9 ÷ 10 = 754,3 ≠ 384,6 in three columns: five findings, one cell.",
    ),
    "parts_sum|B02.057|lai-chau|2023|plan": (
        SOURCE,
        "327, 328-340",
        "130,5 vs lạc 31 + dâu tằm 17 + mía 12,5 + dong riềng 70 + sắn 30 = 160,5",
        "The printed 148 (193/130,5) confirms 130,5 as printed; the 30 missing ha equal the "
        "sắn plan. The other columns add up.",
    ),
    "narrative|B03.001|lai-chau|2023|h1": (
        SOURCE,
        "26, 349",
        "text «285,4 tỷ đồng, đạt 43% kế hoạch»; table TH 6 tháng 258,4, KH 597",
        "Digits swapped in the text: 258,4/597 = 43,3 %, the text's own «đạt 43%»; 285,4 "
        "would be 47,8 %.",
    ),
    "units_sum|B03.011|lai-chau|2024|plan": (
        OCR,
        "359",
        "6.987; after the total only - · 2.900 · 240 · 2.000 · 500 · 1.300 (= 6.940)",
        "Page 1 of Biểu 3 keeps 6 of its 9 ward/% cells: one ward cell lost (plausibly 47). "
        "The dataset marks the placement a guess: a notice, with the blank ward.",
    ),
    "units_sum|B03.013|lai-chau|2024|plan": (
        OCR,
        "361",
        "1.082; 240 · 225 · 112 · 100 · 185 · 140 (= 1.002)",
        "As line 359: one ward cell lost (plausibly 80).",
    ),
    "missing_unit|B03.014|sung-phai|2024|plan": (
        OCR,
        "362",
        "33; 9 · 9 · 2 · 4 · 3 · 3 (= 30)",
        "As line 359; the lost cell is probably 3 (within the rounding of «1000 bộ»).",
    ),
    "printed_ratio|B06.005|lai-chau|2023|printed_ratio_estimate_plan": (
        SOURCE,
        "459",
        "56 · 7 · 21 · 38 · 100",
        "21/56 = 37,5 → 38; the 100 repeats the row above (420/420).",
    ),
    "units_sum|B07.002|lai-chau|2024|plan": (
        OCR,
        "468",
        "7 · 7 · 7 · 7 · 1 · 1 · 1 · 1 · 1 · 1 · 100 · 100",
        "Six ward cells for seven units, each ward one unit: one «1» lost.",
    ),
    "printed_ratio|B07.006|lai-chau|2023|printed_ratio_estimate_plan": (
        SOURCE,
        "472",
        "1,81 · 1,83 · 1,68 · 1,57 · … · 108 · 107",
        "Both printed % are old/new (1,81/1,68 = 107,7; 1,68/1,57 = 107,0) under headers "
        "that say new/old (Ước TH/KH = 92,8; KH năm sau/Ước TH = 93,5), while every other "
        "lower-is-better row of Biểu 7 prints new/old (lines 470, 473, 474, 477, 534, 535).",
    ),
    "printed_ratio|B07.009|lai-chau|2023|printed_ratio_estimate_plan": (
        SOURCE,
        "475",
        "0,03 · 0,01 · 0,16 · 0,11 · 529 · 67",
        "A reduction of the poverty rate in points has no meaningful ratio (0,16/0,03 = 533 "
        "would read as a fivefold success); the form prints one. A notice.",
    ),
    "part_le_whole|B07.017|lai-chau|2023|plan": (
        SOURCE,
        "485, 486",
        "485 «Số xã có đường ô tô đến trung tâm xã» 2; 486 «Trong đó: Số xã, phường có đường "
        "ô tô đi được quanh năm» 7",
        "An «of which» item counting all 7 communes and wards under a 2-commune row, in "
        "every column: a layout contradiction. Four columns, one row: one cause.",
    ),
    "units_sum|B07.020|lai-chau|2024|plan": (
        SOURCE,
        "489",
        "6 · 6 · 6 · 6 · 1 1 1 1 1 1 1 · 100 · 100",
        "Seven ward cells of 1 (this page has an eighth column after Sùng Phài) against a "
        "total of 6.",
    ),
    "rate_parts|B07.026|lai-chau|2023|estimate": (
        SOURCE,
        "494, 495, 592",
        "rate 23,9 · 23,2 · 23,5 · 24,0; insured 11.349 · 10.934 · 11.074 · 11.100; "
        "population 47.469 · 47.084 · 47.469 · 48.324",
        "Plan and first half fit insured/population (23,9; 23,2); the estimate 23,5 does not "
        "(11.074/47.469 = 23,3; it fits the average population, 23,5); the 2024 24,0 fits "
        "neither (23,0 or 23,2). Newly declared basis of the rate.",
    ),
    "parts_sum|B07.029|lai-chau|2023|plan": (
        SOURCE,
        "501, 503, 504",
        "working age 30.654 · 30.372 · 30.649; able 30.610 · 30.365 · 30.600; unable 149 in "
        "each; wards e.g. Đoàn Kết 4.955 vs 4.874 + 28",
        "People of working age are able or unable to work: the two «Trong đó» rows should "
        "make the total, and they do in no column and no ward (105, 142, 100 over; wards "
        "−53 to +83). Newly declared complete set; ten findings, one row.",
    ),
    "part_le_whole|B07.031|tan-phong|2024|plan": (
        SOURCE,
        "501, 503",
        "Tân Phong working age 9.012; able to work 9.070",
        "Both rows add up to their totals, so the digits are as intended: the able exceed the "
        "working-age population.",
    ),
    "parts_sum|B07.033|lai-chau|2023|plan": (
        SOURCE,
        "505, 507, 508",
        "labour force 31.774 (plan, estimate); urban 25.162 + rural 6.642 = 31.804",
        "30 apart in KH and Ước TH; the first half (24.972 + 6.351 = 31.323) and 2024 "
        "(25.750 + 6.375 = 32.125) add up, and so does every ward. Newly declared set.",
    ),
    "rate_parts|B07.034|tan-phong|2024|plan": (
        SOURCE,
        "505, 506, 592",
        "ward rates 66,3 · 70,6 · 68,3 · 67,7 · 70,4 · 73,1",
        "Đoàn Kết (5.068/7.914 = 64,0) and the city (32.125/48.324 = 66,48) fit; six ward "
        "rates fit no visible base (Tân Phong 9.175/14.095 = 65,1; Sùng Phài 3.296/5.257 = "
        "62,7).",
    ),
    "lao_dong_lam_viec|B07.037|sung-phai|2024|plan": (
        SOURCE,
        "505, 509",
        "Sùng Phài labour force 3.296; employed 3.322",
        "The employed are part of the labour force; both rows add up to their totals. "
        "Newly declared ordered pair.",
    ),
    "structure_sum|B07.038|lai-chau|2023|estimate": (
        SOURCE,
        "510-516",
        "structure 100 · 100 · 86 · 86; estimate 20 + 22 + 44 = 86; 2024 19,2 + 22,0 + 44,3 = "
        "85,5; Sùng Phài 64,5 + 11,5 + 25,0 = 101,0",
        "A structure in % adds up to 100: the city's estimate and 2024 miss 14 points (and "
        "print 86 for the whole), Sùng Phài has 101. Newly declared structure.",
    ),
    "rate_parts|B07.048|doan-ket|2024|plan": (
        SOURCE,
        "501, 503, 522, 523",
        "ward rates 90,8 · 85,9 · 84,0 · 94,5 · 75,9 · 83,2 · 69,8",
        "The row and the city (26.280/31.000 = 84,8) use line 503, every ward rate divides by "
        "line 501 (Đoàn Kết 4.500/4.955 = 90,8; with 4.874 it would be 92,3).",
    ),
    "units_sum|B07.051|lai-chau|2024|plan": (
        OCR,
        "526",
        "495; 87 · 89 · 86 · 60 · 50 · 63 (= 435)",
        "Six ward cells for seven: one lost (plausibly 60).",
    ),
    "jump|B07.056|lai-chau|2023|estimate": (
        SOURCE,
        "534",
        "1,21 · 9 · 9 · 8,3 · 0,9 1,6 1,0 1,0 1,0 1,4 1,4",
        "TH 6 tháng and Ước TH print 9 % against a plan of 1,21 %: 9 and the 2024 8,3 are sums "
        "of ward rates, not rates.",
    ),
    "rate_range|B07.056|lai-chau|2024|plan": (
        SOURCE,
        "534",
        "2024 city 8,3; wards 0,9-1,6",
        "8,3 = 0,9 + 1,6 + 1,0 + 1,0 + 1,0 + 1,4 + 1,4: the sum of the ward rates; a city's "
        "rate lies between its wards'. Same root as the jump above, a different cell.",
    ),
    "jump|B07.057|lai-chau|2023|estimate": (
        SOURCE,
        "535",
        "0,84 · 6 · 6 · 5,8 · 0,6 0,5 1,0 0,8 0,9 1,0 1,0",
        "As line 534: 6 and 5,8 are sums of ward rates.",
    ),
    "rate_range|B07.057|lai-chau|2024|plan": (
        SOURCE,
        "535",
        "2024 city 5,8; wards 0,5-1,0",
        "5,8 = 0,6 + 0,5 + 1,0 + 0,8 + 0,9 + 1,0 + 1,0.",
    ),
    "h1_le_estimate|B07.071|lai-chau|2023|h1": (
        SOURCE,
        "553",
        "1 · 2 · 1 · 1 · 100 · 100",
        "Two operations in the first half, one for the whole year.",
    ),
    "rate_range|B08.006|lai-chau|2024|plan": (
        SOURCE,
        "568, 573, 574",
        "total 98,3; urban 100; rural 100 (2024)",
        "The city's clean-water rate cannot be 98,3 when urban and rural are both 100; it "
        "fits rural 85 (Biểu 1 line 251), the same cell as the Biểu 1 / Biểu 8 finding.",
    ),
    "parts_sum|B09.002|lai-chau|2023|estimate": (
        SOURCE,
        "592, 594, 595",
        "population 47.469; urban 36.990 + rural 9.760 = 46.750",
        "Urban + rural make the population in KH, TH 6 tháng and 2024 (37.709 + 9.760 = "
        "47.469; 38.388 + 9.936 = 48.324); the estimate's 36.990 (below the first half's "
        "37.403) is 719 short. Newly declared complete set.",
    ),
    "dan_so_trung_binh|B09.003|san-thang|2024|plan": (
        SOURCE,
        "592, 593",
        "San Thàng population 4.679, average 5.211; Sùng Phài 5.257, average 4.638",
        "Every other unit's average is 99 % of its population; San Thàng's and Sùng Phài's "
        "averages are swapped (5.211/5.257 = 99,1 %, 4.638/4.679 = 99,1 %). Newly declared "
        "ordered pair (a warning: a falling population could explain it).",
    ),
    "permille_as_percent|B09.010|||": (
        SOURCE,
        "600, 601, 602, 603",
        "«Tỷ suất sinh thô ⇥ %», «Tỷ suất chết thô ⇥ %», «Tỷ lệ tăng dân số tự nhiên ⇥ %», "
        "«Mức giảm tỷ lệ sinh ⇥ %»",
        "Four rates per thousand (635 births / 47.041 = 13,50 ‰) printed «%» in Biểu 9's "
        "unit column: the form's habit, one cause (it was four findings).",
    ),
    "rate_parts|B09.010|lai-chau|2024|plan": (
        SOURCE,
        "593, 598, 600, 601, 602",
        "2024: births 650, average population 47.899, birth rate 13,61, death rate 2,9, "
        "natural growth 10,6",
        "650/47.899 = 13,57, not 13,61 (= 13,81 − 0,20, the estimate minus the planned "
        "reduction); and 13,61 − 2,9 = 10,71, not 10,6 (a new identity). Both relations "
        "point at the birth rate and want about 13,5-13,6: one cause.",
    ),
    "printed_ratio|B09.013|lai-chau|2023|printed_ratio_estimate_plan": (
        SOURCE,
        "603",
        "0,10 · (2,95) · (1,73) · 0,20 · (1.730,0) · (12)",
        "A reduction that changes sign has no meaningful ratio; the form prints two. A notice.",
    ),
    "part_le_whole|B09.021|lai-chau|2023|plan": (
        SOURCE,
        "612-615",
        "cadres 8; «Tđo: + chuyên trách TP» 5, «+ chuyên trách xã, phường» 3, «+ cộng tác viên» 30",
        "5 + 3 = 8, so the 30 collaborators are not among the 8 cadres, yet are printed as a "
        "third «of which» item: a layout contradiction, four columns, one cause.",
    ),
    "units_sum|B10.009|lai-chau|2024|plan": (
        SOURCE,
        "632, 633",
        "7 · 7 · 7 · 1 · 1 1 1 1 1 1 1 · 100 · 100; rate 100",
        "The 2024 total prints 1 where the 7 wards print 1 each; the printed 100 (7/7) and the "
        "rate row's 100 % say 7. Ward count, printed %, jump and rate all point at this cell "
        "and want 7: four findings, one cause.",
    ),
    "permille_as_percent|B10.013|||": (
        SOURCE,
        "636, 637",
        "«Tỷ suất chết TE dưới 1 tuổi/1000 trẻ đẻ sống ⇥ %», «… dưới 5 tuổi/1000 … ⇥ %»",
        "Per 1000 live births by their own labels; «%» printed. One cause for Biểu 10.",
    ),
    "printed_ratio|B10.015|lai-chau|2024|printed_ratio_nextplan_estimate": (
        SOURCE,
        "638",
        "9,7 · 9,7 · 9,2 · … · 100 · 105",
        "9,7/9,2 = 105,4 is old/new under a new/old header (9,2/9,7 = 94,8); Biểu 10's other "
        "lower-is-better rows print new/old (lines 636, 637, 647, 648). Copied from Biểu 1, "
        "which compares such rows old/new.",
    ),
    "printed_ratio|B10.024|lai-chau|2024|printed_ratio_nextplan_estimate": (
        SOURCE,
        "650, 234",
        "50 · 50 · 50 · 60 · 100 · 104",
        "60/50 = 120, which Biểu 1 line 234 prints; 104 fits no reading.",
    ),
    "rate_parts|B10.027|lai-chau|2024|plan": (
        SOURCE,
        "652, 653, 592",
        "doctors 27; 6,1 per 10.000",
        "27/48.324 × 10.000 = 5,6; 6,1 would need 29-30 doctors.",
    ),
    "hoc_sinh_dtts|B11.009|sung-phai|2024|plan": (
        SOURCE,
        "673, 680",
        "Sùng Phài pupils 1.053; ethnic-minority pupils 1.301",
        "A subgroup cannot outnumber all pupils; both rows add up to their totals. Newly "
        "declared ordered pair.",
    ),
    "hoc_sinh_dtts_tieu_hoc|B11.011|sung-phai|2024|plan": (
        SOURCE,
        "678, 682",
        "Sùng Phài primary pupils 242; ethnic-minority primary pupils 495",
        "The primary level behind the row above (1.301 = 381 + 495 + 425; 1.053 = 385 + 242 "
        "+ 426): a separate pair, possibly the same slip.",
    ),
    "units_sum|B11.018|lai-chau|2024|plan": (
        SOURCE,
        "697",
        "7 · 7 · 7 · 7 · 1 1 1 1 1 · - · - · 100",
        "Complete row: San Thàng and Sùng Phài print «-» yet the total is 7.",
    ),
    "missing_unit|B11.021|quyet-tien|2024|plan": (
        OCR,
        "700, 698, 699",
        "97,6 · 99,4 · 94,2 · 95,7 · 100 · 98,9 · 100",
        "Six ward cells: Quyết Thắng 47/47 and Quyết Tiến 87/87 are both 100, one 100 printed.",
    ),
    "missing_unit|B11.023|quyet-tien|2024|plan": (
        OCR,
        "702",
        "96 · 100 · 91,5 · 93,8 · 100 · 97,1 · 100",
        "As line 700: one of two equal 100 lost.",
    ),
    "missing_unit|B11.025|quyet-tien|2024|plan": (
        OCR,
        "704",
        "98,3 · 98,4 · 95,9 · 96,8 · 100 · 100 · 100",
        "Three 100 for the four last wards (281/286 = 98,3 needs all four at 100).",
    ),
    "missing_unit|B11.027|quyet-tien|2024|plan": (
        OCR,
        "706",
        "100 · 100 × 6",
        "Six 100 for seven wards whose total is 100.",
    ),
    "printed_ratio|B11.034|lai-chau|2024|printed_ratio_nextplan_estimate": (
        SOURCE,
        "717, 712",
        "25 · 24 · 25 · 27 · … · 100 · 103; line 712, the same schools: … · 100 · 108",
        "27/25 = 108, as line 712 prints; 103 fits neither column (25/25 = 100). Its column "
        "is a guess in the dataset, but it fits no column: an error.",
    ),
    "printed_ratio|B11.041|lai-chau|2024|printed_ratio_nextplan_estimate": (
        SOURCE,
        "724",
        "3 · 0 · 1 · 6 · … · 33 · 60",
        "6/1 = 600 (a zero lost); 1/3 = 33 is right. Placed by guess, fits no column.",
    ),
    "parts_sum|B11.043|lai-chau|2023|plan": (
        SOURCE,
        "726-732",
        "483 · 488 · 483 · 482 · … · 100 · 99; parts 172 + 172 + 144 = 488",
        "KH and Ước print 483, the parts 488 (TH 6 tháng prints 488, 2024 adds up); the "
        "printed 99 is 482/488, the % taken on the parts. Three findings, one cell (483).",
    ),
    "ho_dang_ky_van_hoa|B12.017|quyet-thang|2024|plan": (
        SOURCE,
        "774, 591",
        "Quyết Thắng households registering 785; households (Biểu 9) 778",
        "More households register than the ward has; both rows add up to their totals. "
        "Newly declared ordered pair (a warning: two forms, two counts).",
    ),
    "rate_parts|B12.019|lai-chau|2023|plan": (
        SOURCE,
        "774-776, 243",
        "2023 96,28 (12.300/12.646 = 97,26); wards 94,6 · 96,3 · 97,7 · 97,4 · 99,5 · 98,7 · 98,7",
        "The rate fits its counts only in Đông Phong (2.365/2.422 = 97,6) and the city 2024; "
        "96,28 for 2023 is rather 2024's 12.450/12.930. Eight findings, one row.",
    ),
    "units_sum|B12.020|lai-chau|2024|plan": (
        OCR,
        "777",
        "163 · 163 · 163 · 163 · 94 · (5 empty) · 100 · 58",
        "58 = 94/163: the row cannot be read consistently (163 as the 2024 total and 58, or "
        "94 as the total and an extra 163). The dataset marks the 163 and the 94 as placed by "
        "guess, so the checks say they could not conclude (a notice); the source's "
        "inconsistency is in the recall list below as not found.",
    ),
    "units_sum|B12.021|lai-chau|2024|plan": (
        OCR,
        "778",
        "160 · (empty) · 160 · 160 · 92 · (5 empty) · 100 · 58",
        "As line 777: 58 = 92/160; placement a guess, a notice.",
    ),
    "units_sum|B12.034|lai-chau|2024|plan": (
        OCR,
        "795",
        "7 · 7 · 7 · 7 · 1 1 1 1 1 1 · 100 · 100",
        "Six «1» for seven wards; one lost.",
    ),
    "units_sum|B12.038|lai-chau|2024|plan": (
        OCR,
        "797-800",
        "7 · 7 · 7 · 7 · 1 1 1 1 1 1 · 100 · 100",
        "Six «1» for seven wards; line 797 − line 800 gives 1 for each, so one «1» was lost; "
        "the same cell breaks Sùng Phài's culture houses (13 + lost = 14). One cause.",
    ),
    "printed_ratio|B13.003|lai-chau|2024|printed_ratio_nextplan_estimate": (
        OCR,
        "825, 826",
        "1 · 1 · 1 · 100 · 100",
        "Three values for four columns: no 2024 target survives to check the printed 100; "
        "the same note on both rows, one cause.",
    ),
    "printed_ratio|B13.005|lai-chau|2024|printed_ratio_nextplan_estimate": (
        OCR,
        "827",
        "3 · 3 · 3 · 100 · 100",
        "As line 825.",
    ),
    "printed_ratio|B13.007|lai-chau|2024|printed_ratio_nextplan_estimate": (
        OCR,
        "829",
        "272 · 268 · 272 · 100 · 100",
        "As line 825.",
    ),
    "rate_parts|B13.009|lai-chau|2023|plan": (
        SOURCE,
        "833, 834, 592",
        "1.800 · 1.750 · 1.800 · 1.890 per 1000; subscribers 92.530 · 92.500 · 92.530 · 92.545",
        "92.530/47,469 thousand = 1.949; 92.545/48,324 = 1.915; H1 1.965: no column fits, and "
        "2024 rises 5 % while subscribers stay flat. Four columns, one row.",
    ),
    "printed_ratio|B13.020|lai-chau|2023|printed_ratio_estimate_plan": (
        OCR,
        "848",
        '" · 7 · 8 · 8 · 114',
        "The plan cell is a ditto mark with nothing above it: the 114 cannot be checked.",
    ),
    "printed_ratio|B13.021|lai-chau|2024|printed_ratio_nextplan_estimate": (
        OCR,
        "849",
        "1 · 1 · 1 · 100 · 100",
        "One value cell lost: no 2024 target survives.",
    ),
}

# findings of the run before issue 14 that are no longer reported, and why
GONE = {
    "printed_ratio": (
        "the % is new/old, what its column header says (DESIGN.md §3); the old rule "
        "expected old/new for lower-is-better rows"
    ),
    "jump|B04.031|lai-chau|2024|plan": (
        "42,3 tỷ = 10.000 × 1,9 × 2 tr + 4.300 × 1 tr: a value a declared rule derives from "
        "other rows, which holds (the visitors' jump is stated by the report)"
    ),
    "missing_unit": "the other units already make the total: the blank unit has none",
    "parts_sum|B07.038|sung-phai|2024|plan": "now the structure rule (101 %)",
}

# The report's errors demonstrated by hand, independently of the checks:
# (what, seed lines, how it was found, the finding that must report it, or "" if none)
RECALL: list[tuple[str, str, str, str]] = [
    (
        "Narrative 285,4 against the table's 258,4 (TH 6 tháng)",
        "26, 349",
        "narrative",
        "narrative|B03.001|lai-chau|2023|h1",
    ),
    ("Natural growth: unit «%» for ‰ (Biểu 1)", "235", "units", "permille_as_percent|B01.007|||"),
    (
        "Natural growth target «10,6%/năm» in the text",
        "105",
        "units",
        "permille_as_percent|B01.007|lai-chau|2024|plan",
    ),
    ("Crude birth rate: «%» for ‰", "600", "units", "permille_as_percent|B09.010|||"),
    ("Crude death rate: «%» for ‰", "601", "units", "permille_as_percent|B09.011|||"),
    ("Natural growth: «%» for ‰ (Biểu 9)", "602", "units", "permille_as_percent|B09.012|||"),
    ("Reduction of the birth rate: «%» for ‰", "603", "units", "permille_as_percent|B09.013|||"),
    ("Under-1 mortality per 1000: «%»", "636", "units", "permille_as_percent|B10.013|||"),
    ("Under-5 mortality per 1000: «%»", "637", "units", "permille_as_percent|B10.014|||"),
    (
        "KH 2023 trained workers 350 (Biểu 1) vs 250 (Biểu 7)",
        "241, 521",
        "forms",
        "bieu1_013_bieu7|B01.013|lai-chau|2023|plan",
    ),
    (
        "TH 6 tháng trained share 84,4 (Biểu 1) vs 83,7 (Biểu 7)",
        "242, 523",
        "forms",
        "bieu1_014_bieu7|B01.014|lai-chau|2023|h1",
    ),
    (
        "Rural clean water 2024: 85 (Biểu 1) vs 100 (Biểu 8), and Biểu 8's total 98,3 "
        "with both parts at 100",
        "251, 568, 574",
        "forms, parts",
        "bieu1_023_bieu8|B01.023|lai-chau|2024|plan",
    ),
    (
        "Natural growth compared 97/102 (Biểu 1) and 103,2/98 (Biểu 9)",
        "235, 602",
        "ratios, forms",
        "ratio_convention_mixed|B01.007|lai-chau|2023|printed_ratio_estimate_plan",
    ),
    (
        "Poverty rate %: old/new under new/old headers",
        "472",
        "ratios",
        "printed_ratio|B07.006|lai-chau|2023|printed_ratio_estimate_plan",
    ),
    (
        "Malnutrition 2024/estimate %: old/new under a new/old header",
        "638",
        "ratios",
        "printed_ratio|B10.015|lai-chau|2024|printed_ratio_nextplan_estimate",
    ),
    (
        "Sùng Phài canh tác 1.324,6 (gieo trồng − tăng vụ = 1.354,6)",
        "271, 274, 275",
        "wards, parts",
        "units_sum|B02.009|lai-chau|2024|plan",
    ),
    (
        "San Thàng thóc 837,9 against lúa mùa 812,9",
        "278, 290",
        "wards, parts",
        "units_sum|B02.016|lai-chau|2024|plan",
    ),
    (
        "San Thàng grain total 2.665,0 built with 837,9 (lines 277, 287)",
        "277, 287",
        "wards, parts",
        "units_sum|B02.015|lai-chau|2024|plan",
    ),
    (
        "Quyết Thắng maize xuân hè 166,1 (37 ha × 53 = 196,1)",
        "298, 302, 305, 306",
        "wards, parts, identities",
        "san_luong_ngo_xuan_he|B02.040|quyet-thang|2024|plan",
    ),
    (
        "Vegetables 2024: city 2.863 vs wards 2.812 (yield 100 vs 98,2), and the crops total "
        "3.248 vs 3.199",
        "311, 319, 320",
        "wards, rates",
        "units_sum|B02.050|lai-chau|2024|plan",
    ),
    (
        "Sweet potato yield 147,9 = 384,6/26 ha instead of /51 ha",
        "321-324",
        "identities, rates",
        "rate_range|B02.053|lai-chau|2024|plan",
    ),
    (
        "Short-term industrial crops plan 130,5 vs parts 160,5",
        "327-340",
        "parts",
        "parts_sum|B02.057|lai-chau|2023|plan",
    ),
    (
        "New cooperative members: 100 printed, 21/56 = 38",
        "459",
        "ratios",
        "printed_ratio|B06.005|lai-chau|2023|printed_ratio_estimate_plan",
    ),
    (
        "Communes with a market: total 6, seven wards of 1",
        "489",
        "wards",
        "units_sum|B07.020|lai-chau|2024|plan",
    ),
    (
        "Roads: «of which» 7 under a 2-commune row",
        "485, 486",
        "parts",
        "part_le_whole|B07.017|lai-chau|2023|plan",
    ),
    (
        "Tân Phong able to work 9.070 > working age 9.012",
        "501, 503",
        "parts",
        "part_le_whole|B07.031|tan-phong|2024|plan",
    ),
    (
        "Able + unable ≠ working-age population, every column",
        "501, 503, 504",
        "parts",
        "parts_sum|B07.029|lai-chau|2023|plan",
    ),
    (
        "Urban + rural labour 31.804 ≠ labour force 31.774 (KH, Ước)",
        "505, 507, 508",
        "parts",
        "parts_sum|B07.033|lai-chau|2023|plan",
    ),
    (
        "Labour-force rates of six wards fit no base",
        "505, 506, 592",
        "rates",
        "rate_parts|B07.034|tan-phong|2024|plan",
    ),
    (
        "Sùng Phài employed 3.322 > labour force 3.296",
        "505, 509",
        "pairs",
        "lao_dong_lam_viec|B07.037|sung-phai|2024|plan",
    ),
    (
        "Labour structure 86 % (estimate, 2024)",
        "510-516",
        "structures",
        "structure_sum|B07.038|lai-chau|2023|estimate",
    ),
    (
        "Sùng Phài labour structure 101 %",
        "510-516",
        "structures",
        "structure_sum|B07.038|sung-phai|2024|plan",
    ),
    (
        "Trained-labour rates of the wards on the wrong denominator",
        "501, 503, 522, 523",
        "rates",
        "rate_parts|B07.048|doan-ket|2024|plan",
    ),
    (
        "Urban unemployment 9 / 8,3: sums of ward rates",
        "534",
        "rates, jumps",
        "rate_range|B07.056|lai-chau|2024|plan",
    ),
    (
        "Female urban unemployment 6 / 5,8: sums of ward rates",
        "535",
        "rates, jumps",
        "rate_range|B07.057|lai-chau|2024|plan",
    ),
    (
        "Eye operations: first half 2 > year 1",
        "553",
        "flows",
        "h1_le_estimate|B07.071|lai-chau|2023|h1",
    ),
    (
        "Compulsory-insurance rate 24,0 in 2024 (23,0 from its counts)",
        "494, 495, 592",
        "rates",
        "rate_parts|B07.026|lai-chau|2024|plan",
    ),
    (
        "Birth rate 2024 13,61 vs 650/47.899 = 13,57",
        "593, 598, 600",
        "rates",
        "rate_parts|B09.010|lai-chau|2024|plan",
    ),
    (
        "Natural growth 2024 10,6 vs 13,61 − 2,9 = 10,71",
        "600-602",
        "identities",
        "tang_dan_so_tu_nhien|B09.012|lai-chau|2024|plan",
    ),
    (
        "Population collaborators (30) as «of which» of 8 cadres",
        "612-615",
        "parts",
        "part_le_whole|B09.021|lai-chau|2023|plan",
    ),
    (
        "Urban + rural population 46.750 ≠ 47.469 (estimate)",
        "592, 594, 595",
        "parts",
        "parts_sum|B09.002|lai-chau|2023|estimate",
    ),
    (
        "San Thàng / Sùng Phài average populations swapped (5.211 > 4.679)",
        "592, 593",
        "pairs",
        "dan_so_trung_binh|B09.003|san-thang|2024|plan",
    ),
    (
        "Health stations: 2024 total 1 for seven wards of 1",
        "632, 633",
        "wards",
        "units_sum|B10.009|lai-chau|2024|plan",
    ),
    (
        "E-health records: 104 printed, 60/50 = 120",
        "650",
        "ratios",
        "printed_ratio|B10.024|lai-chau|2024|printed_ratio_nextplan_estimate",
    ),
    (
        "Doctors per 10.000: 6,1 with 27 doctors (5,6)",
        "652, 653",
        "rates",
        "rate_parts|B10.027|lai-chau|2024|plan",
    ),
    (
        "Universal primary level 3: total 7, five wards",
        "697",
        "wards",
        "units_sum|B11.018|lai-chau|2024|plan",
    ),
    (
        "Standard schools: 103 printed, 27/25 = 108",
        "717",
        "ratios",
        "printed_ratio|B11.034|lai-chau|2024|printed_ratio_nextplan_estimate",
    ),
    (
        "Newly recognised schools: 60 printed, 6/1 = 600",
        "724",
        "ratios",
        "printed_ratio|B11.041|lai-chau|2024|printed_ratio_nextplan_estimate",
    ),
    (
        "Classrooms 483 vs parts 488 (KH, Ước); 99 = 482/488",
        "726-732",
        "parts, ratios",
        "parts_sum|B11.043|lai-chau|2023|plan",
    ),
    (
        "Sùng Phài ethnic-minority pupils 1.301 > pupils 1.053 (primary 495 > 242)",
        "673, 678, 680, 682",
        "pairs",
        "hoc_sinh_dtts|B11.009|sung-phai|2024|plan",
    ),
    (
        "Cultural-family rates fit their counts in no unit but one",
        "774-776",
        "rates",
        "rate_parts|B12.019|lai-chau|2023|plan",
    ),
    (
        "Quyết Thắng: 785 households register, 778 households",
        "591, 774",
        "pairs, forms",
        "ho_dang_ky_van_hoa|B12.017|quyet-thang|2024|plan",
    ),
    ("Institutions registering: 58 = 94/163; the row reads no way", "777", "ratios, wards", ""),
    ("Institutions recognised: 58 = 92/160", "778", "ratios, wards", ""),
    (
        "Phone subscribers per 1000 fit no column",
        "833, 834",
        "rates",
        "rate_parts|B13.009|lai-chau|2023|plan",
    ),
]

SEARCH = {
    "wards": "every row with ward columns re-added (2024), counts of units meeting a "
    "standard counted",
    "parts": "every sub-item set re-added in every column and unit, including sets the "
    "labels make complete (urban + rural, able + unable) and «of which» items against "
    "their parents",
    "pairs": "every pair where one row is a subset of another (employed ⊆ labour force, "
    "average ⊆ population, ethnic pupils ⊆ pupils, registering ⊆ households ...)",
    "ratios": "every printed comparison % recomputed as its header says, and the other way round",
    "rates": "every rate with its numerator and denominator on the forms recomputed, per "
    "column and unit; every city rate against the range of its units'",
    "identities": "production = area × yield, natural growth = births − deaths, rice = "
    "seasons, sown = cultivated + extra season, tourism revenue = visitors × days × spend",
    "structures": "every structure (Cơ cấu) summed",
    "forms": "every row Biểu 1 repeats from a sector table, cell by cell, and the printed %",
    "narrative": "every figure of the narrative and every «đạt X% kế hoạch» against its cell",
    "flows": "first half against the year's estimate for every flow",
    "jumps": "plan, estimate and next year's plan of every row side by side",
    "units": "every unit cell against the row's label and values (‰, %)",
}

FORM_TITLES_DONE = {8: "Biểu 8's line 574 is the Biểu 8 side of the Biểu 1 finding"}


def _findings(ds: Dataset) -> tuple[list[Finding], list[Cause], CheckContext]:
    ctx = CheckContext(
        ds.catalog, ds.tree, ds.values.frame, ds.reference_year, ds.top_orgunit, ds.claims
    )
    findings = run_checks(ctx, ds.rules)
    return findings, group_causes(findings, ctx), ctx


def _esc(text: str) -> str:
    return text.replace("|", "\\|")


def render(ds: Dataset, old: list[tuple[str, str]]) -> str:
    findings, causes, _ = _findings(ds)
    ids = {c.id for c in causes}
    missing = sorted(ids - set(VERDICTS))
    unused = sorted(set(VERDICTS) - ids)
    if missing or unused:
        raise SystemExit(f"causes without a verdict: {missing}; verdicts without a cause: {unused}")
    flat = {f.key: f for f in findings}
    by_cause = {c.id: c for c in causes}
    sev = Counter(c.severity for c in causes)
    fsev = Counter(f.severity for f in findings)
    old_sev = Counter(s for _, s in old)
    verdicts = Counter((VERDICTS[c.id][0], c.severity) for c in causes)

    def share(v: str, s: Severity) -> str:
        n = sum(1 for c in causes if c.severity is s)
        good = verdicts[(v, s)]
        return f"{good} of {n} ({format_number(good / n * 100, 0)} %)" if n else "-"

    found_rows = []
    for n, (what, lines, how, key) in enumerate(RECALL, 1):
        f = flat.get(key) if key else None
        found = f is not None and f.severity is not Severity.NOTICE
        found_rows.append((n, what, lines, how, key, found, f))
    found_n = sum(1 for r in found_rows if r[5])
    total_n = len(found_rows)
    recall = format_number(found_n / total_n * 100, 1)

    out = [
        "# Inconsistencies in the Lai Châu report, checked by hand",
        "",
        "_Generated by `scripts/inconsistencies_doc.py` from hand-written verdicts; "
        "`tests/test_docs.py` fails when a reported cause is missing here, and holds the "
        "recall figure below._",
        "",
        "Every cause that `ktxh check` reports on the seed report (UBND thành phố Lai Châu, "
        "report 2547/BC-UBND, `/work/shared/seed/000_bbda3b19e6cf7104.txt`), looked up in "
        "the seed and classed by hand; and the report's errors listed by hand, independently "
        "of the checks, with the share the checks find.",
        "",
        "## How this was made",
        "",
        "- Run: `.venv/bin/ktxh check --dataset ktxh/data/laichau-2024` and `--format json`, "
        "issue 14's working tree on commit `15529b6`.",
        "- Each cause's seed lines were read with their tabs, every sum, ratio and rate "
        "recomputed by hand; the verdicts are in the script, keyed by cause id (`rule|code|"
        "orgunit|year|measure` of the cause's first finding; pipes escaped in the tables).",
        "- Verdicts: `source` a mistake or contradiction of the printed report itself (where a "
        "single digit is the culprit an OCR misread cannot be ruled out without the PDF); "
        "`ocr` the reading lost or shifted a cell, the check could not be made (a notice); "
        "`unlinked` the narrative cites a figure no table carries; `rule` the check is wrong. "
        "None is `rule`; none is a transcription error of the dataset.",
        "",
        "## Before and after",
        "",
        "| | lỗi | cảnh báo | lưu ý | in all |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| findings before issue 14 (commit `15529b6`) | {old_sev['lỗi']} | "
        f"{old_sev['cảnh báo']} | {old_sev['lưu ý']} | {len(old)} |",
        f"| findings now (every detail, in the JSON) | {fsev[Severity.ERROR]} | "
        f"{fsev[Severity.WARNING]} | {fsev[Severity.NOTICE]} | {len(findings)} |",
        f"| **causes now** (what `ktxh check` lists) | **{sev[Severity.ERROR]}** | "
        f"**{sev[Severity.WARNING]}** | **{sev[Severity.NOTICE]}** | **{len(causes)}** |",
        "",
        "Precision, by the hand check of every cause:",
        "",
        f"- errors: {share(SOURCE, Severity.ERROR)} are true errors of the source;",
        f"- warnings: {share(SOURCE, Severity.WARNING)} are true errors of the source;",
        f"- notices: {sum(1 for c in causes if c.severity is Severity.NOTICE)} causes, "
        f"{verdicts[(OCR, Severity.NOTICE)]} about cells lost in reading the source, "
        f"{verdicts[(SOURCE, Severity.NOTICE)]} about a % printed where none means anything, "
        f"{verdicts[(UNLINKED, Severity.NOTICE)]} for the narrative's figures with no table row.",
        "",
        f"Recall, against the independent list below: **{found_n} of {total_n} errors found "
        f"({recall} %)** as an error or a warning; the {total_n - found_n} others are "
        "reported as notices (the checks could not conclude: the dataset marks the cells "
        "placed by guess).",
        "",
        "The severity rule (docs/checks.md): `lỗi` only where the numbers cannot all be "
        "right; `cảnh báo` where they are implausible but a reason can exist; `lưu ý` where "
        "a check could not be made.",
        "",
        "## What became of the findings of before",
        "",
        "The 144 findings of the run before issue 14, each with what it is now: the cause "
        "it is part of, or why it is no longer reported. Causes that merge findings are "
        "those of the same cell (the relations agree on the value one cell should hold), "
        "and those of the same row and rule.",
        "",
        "| before | severity | now |",
        "| --- | --- | --- |",
    ]
    for key, s in old:
        f = flat.get(key)
        if f is not None:
            c = by_cause[f.cause]
            now = f"`{_esc(c.id)}` ({c.severity.value})"
        else:
            reason = GONE.get(key) or GONE.get(key.split("|")[0])
            if reason is None:
                raise SystemExit(f"no fate written for {key}")
            now = f"no longer reported: {reason}"
        out.append(f"| `{_esc(key)}` | {s} | {now} |")
    out += [
        "",
        "## Recall: the report's errors, found by hand",
        "",
        "Made independently of what the checks report, by reading the seed and "
        "recomputing, in these passes:",
        "",
    ]
    out += [f"- **{k}**: {v};" for k, v in SEARCH.items()]
    out += [
        "",
        "Only what can be demonstrated from the printed cells is listed (not a suspicion "
        "such as the performances of line 762, whose 67 and 100 repeat line 767, nor a "
        "printed % that the rounding of its inputs explains). One line per error; an error "
        "seen in several relations (a wrong ward cell breaking its column and its row) is "
        "one line.",
        "",
        "| # | error | seed lines | found by | ktxh reports it as | found |",
        "| ---: | --- | --- | --- | --- | --- |",
    ]
    for n, what, lines, how, key, found, f in found_rows:
        shown = f"`{_esc(key)}`" if key else "—"
        if f is not None:
            shown += f" ({f.severity.value})"
        out.append(
            f"| {n} | {_esc(what)} | {lines} | {how} | {shown} | {'yes' if found else 'no'} |"
        )
    out += [
        "",
        f"**Recall: {found_n} of {total_n} ({recall} %).** Not found as an error or warning: "
        "lines 777 and 778, where the dataset marks the 2024 total and Đoàn Kết's cell as "
        "placed by guess; the checks report each row as a notice that they could not "
        "conclude (`units_sum|B12.020|lai-chau|2024|plan`, `units_sum|B12.021|lai-chau|2024|"
        "plan`), naming the 58 = 94/163.",
        "",
        "## Every cause, form by form",
        "",
    ]
    forms: dict[int, list[Cause]] = {}
    for c in causes:
        ind = ds.catalog.indicators.get(c.lead.indicator or "")
        forms.setdefault(ind.form if ind else 0, []).append(c)
    for n in [0, *sorted(ds.catalog.forms)]:
        items = forms.get(n, [])
        title = (
            "The narrative"
            if n == 0
            else f"{ds.catalog.forms[n].label}: {ds.catalog.forms[n].title}"
        )
        out += [f"### {title}", ""]
        if not items:
            out += [FORM_TITLES_DONE.get(n, "No cause is filed under this form.") + ".", ""]
            continue
        out += [
            "| cause | severity | findings | seed line(s) | the seed prints | verdict "
            "| hand check |",
            "| --- | --- | ---: | --- | --- | --- | --- |",
        ]
        for c in items:
            verdict, lines, prints, why = VERDICTS[c.id]
            out.append(
                f"| `{_esc(c.id)}` | {c.severity.value} | {len(c.findings)} | {lines} | "
                f"{_esc(prints)} | `{verdict}` | {_esc(why)} |"
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


OLD_KEYS = Path(__file__).resolve().parent / "inconsistencies_before.txt"


def old_findings() -> list[tuple[str, str]]:
    """The findings of the run before issue 14: ``key<TAB>severity`` per line."""
    rows = []
    for line in OLD_KEYS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, s = line.split("\t")
            rows.append((key, s))
    return rows


def main() -> int:
    text = render(read_dataset(shipped_package()), old_findings())
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run scripts/inconsistencies_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
