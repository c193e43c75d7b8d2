// The grid's "Đánh giá" column: each row's result rated against its target in force
// (Vượt / Đạt / Không đạt / Chưa đánh giá), the target as written and where it comes
// from in the badge's title, and a flag where two targets in force differ. Fetched
// from /api/ratings when the page opens and again after every save (grid.js sends
// "ktxh:saved"). No inline styles (the Content-Security-Policy refuses them).
(function () {
  "use strict";
  const table = document.getElementById("grid");
  const cfgEl = document.getElementById("grid-config");
  if (!table || !cfgEl) return;
  const cfg = JSON.parse(cfgEl.textContent);
  if (!cfg.ratings) return;
  const MEASURE = { h1: "6 tháng", estimate: "Ước TH", actual: "TH cả năm" };

  // the column: before "Kiểm tra số liệu" (the last one)
  const head = table.querySelector("thead tr:last-child");
  const th = document.createElement("th");
  th.textContent = "Đánh giá";
  th.id = "rating-head";
  head.insertBefore(th, head.lastElementChild);
  // the city's view has a row of column groups above: it gets an empty cell too
  const groupRow = table.querySelector("thead tr.groups");
  if (groupRow) groupRow.insertBefore(document.createElement("th"), groupRow.lastElementChild);
  const boxes = new Map();
  table.querySelectorAll("tbody tr").forEach((tr) => {
    const td = document.createElement("td");
    td.className = "rating-cell";
    tr.insertBefore(td, tr.lastElementChild);
    if (!tr.classList.contains("group")) boxes.set(tr.dataset.indicator, td);
  });

  function badge(measure, a, row) {
    const span = document.createElement("span");
    span.className = `rating r-${a.rating}`;
    span.dataset.measure = measure;
    span.textContent = measure === "estimate" ? a.label : `${MEASURE[measure]}: ${a.label}`;
    const lines = [];
    if (row.target) {
      const from = row.document ? `theo ${row.document.label}` : "nhập trên biểu";
      lines.push(`Chỉ tiêu ${row.target.text} (${row.target.describe}), ${from}`);
    }
    lines.push(`${MEASURE[measure]}: ${a.label}${a.reason ? " (" + a.reason + ")" : ""}`);
    span.title = lines.join("\n");
    return span;
  }

  function show(data) {
    data.rows.forEach((row) => {
      const td = boxes.get(row.indicator);
      if (!td) return;
      td.textContent = "";
      const r = row.ratings;
      // the year's rating (the actual once there is one), and the first half where rated
      const main = r.actual.rating !== "not_rated" ? "actual" : "estimate";
      td.appendChild(badge(main, r[main], row));
      if (r.h1.rating !== "not_rated") td.appendChild(badge("h1", r.h1, row));
      if (row.conflicts.length) {
        const flag = document.createElement("span");
        flag.className = "conflict-flag";
        flag.textContent = "⚠";
        flag.title = row.conflicts.map((c) => c.message).join("\n");
        td.appendChild(flag);
      }
      td.dataset.rating = r[main].rating;
    });
  }

  async function refresh() {
    try {
      const resp = await fetch(cfg.ratings, { credentials: "same-origin" });
      if (!resp.ok) return;
      show(await resp.json());
    } catch (err) { /* the ratings are a convenience: the grid works without them */ }
  }

  document.addEventListener("ktxh:saved", refresh);
  refresh();
})();
