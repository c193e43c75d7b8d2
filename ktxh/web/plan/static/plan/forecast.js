// The proposals for the empty "Ước TH cả năm" cells (issue 12): a column "Gợi ý ước TH"
// right after each estimate column of the round, with the proposed value (the method,
// the years it used and the range in its tooltip) and a «Nhận» button where the cell is
// empty and editable; «Nhận tất cả» above the table accepts every one shown. Nothing is
// written until a person presses one: POST /api/forecasts/accept writes the value as
// the cell's estimate, audited as a proposal this person accepted.
//
// This script runs BEFORE grid.js: the column is added while the page loads, so that the
// grid's keyboard, paste and column names see the table as it is shown (the new cells
// are not "td.cell": the grid skips them). The proposals come from GET /api/forecasts
// when the page opens and again after every save ("ktxh:saved"). No inline styles.
(function () {
  "use strict";
  const table = document.getElementById("grid");
  const cfgEl = document.getElementById("grid-config");
  if (!table || !cfgEl) return;
  const cfg = JSON.parse(cfgEl.textContent);
  if (!cfg.forecasts || !cfg.accept) return;
  const year = String(cfg.year);
  const rows = Array.from(table.querySelectorAll("tbody tr"));
  const headRow = table.querySelector("thead tr:last-child");
  const groupRow = table.querySelector("thead tr.groups");
  const statusBox = document.getElementById("grid-status");
  const num = new Intl.NumberFormat("vi-VN");

  // the columns that hold the estimate of the round
  const columns = new Set();
  rows.forEach((tr) => Array.from(tr.children).forEach((td, i) => {
    if (!td.classList.contains("cell")) return;
    const [, , y, measure] = td.dataset.key.split("|");
    if (measure === "estimate" && y === year) columns.add(i);
  }));
  if (!columns.size) return;

  const boxes = new Map(); // the estimate cell's key -> its proposal's cell
  Array.from(columns).sort((a, b) => b - a).forEach((i) => { // right to left: indexes hold
    const th = document.createElement("th");
    th.className = "num forecast-head";
    th.textContent = `Gợi ý ước TH ${year}`;
    th.title = "Số ước thực hiện cả năm ktxh gợi ý từ số 6 tháng và số liệu các năm trước; " +
      "chỉ ghi vào ô khi bấm «Nhận».";
    headRow.insertBefore(th, headRow.children[i + 1]);
    if (groupRow) { // widen the group header over the estimate column
      let at = 0;
      for (const g of Array.from(groupRow.children)) {
        const span = Number(g.getAttribute("colspan") || 1);
        if (i < at + span) { g.setAttribute("colspan", String(span + 1)); break; }
        at += span;
      }
    }
    rows.forEach((tr) => {
      if (tr.classList.contains("group")) {
        const wide = tr.querySelector("td[colspan]");
        if (wide) wide.setAttribute("colspan", String(Number(wide.getAttribute("colspan")) + 1));
        return;
      }
      const est = tr.children[i];
      const td = document.createElement("td");
      td.className = "forecast-cell";
      if (est && est.dataset.key) {
        td.dataset.for = est.dataset.key;
        boxes.set(est.dataset.key, td);
      }
      tr.insertBefore(td, tr.children[i + 1]);
    });
  });

  // "Nhận tất cả": above the table, shown when some proposal can be accepted
  const bar = document.createElement("div");
  bar.id = "forecast-bar";
  bar.className = "forecast-bar";
  bar.hidden = true;
  const barText = document.createElement("span");
  const all = document.createElement("button");
  all.type = "button";
  all.id = "forecast-accept-all";
  all.textContent = "Nhận tất cả gợi ý";
  bar.append(barText, " ", all);
  table.closest(".grid-layout").before(bar);

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function say(text, kind) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = "grid-status " + (kind || "");
  }

  function estimateCell(key) {
    return table.querySelector(`td.cell[data-key="${CSS.escape(key)}"]`);
  }

  function acceptable(s) {
    const est = estimateCell(`${s.indicator}|${s.orgunit}|${s.year}|estimate`);
    return est && est.classList.contains("edit") && est.textContent.trim() === "";
  }

  let shown = []; // the proposals that may be accepted now

  function show(found) {
    shown = [];
    boxes.forEach((td, key) => {
      td.textContent = "";
      const s = found.get(key);
      if (!s) return;
      const value = document.createElement("span");
      value.className = "forecast-value";
      value.textContent = s.display;
      value.title = [
        s.note,
        s.range ? `Khoảng: ${s.range}` : "",
        "Gợi ý của ktxh, chưa ghi vào ô: bấm «Nhận» để ghi.",
      ].filter(Boolean).join("\n");
      td.appendChild(value);
      if (!acceptable(s)) return;
      shown.push(s);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "forecast-accept";
      button.textContent = "Nhận";
      button.title = `Ghi ${s.display} vào ô ước thực hiện (nhật ký ghi là gợi ý được chấp nhận)`;
      button.addEventListener("click", () => accept([s]));
      td.append(" ", button);
    });
    bar.hidden = shown.length < 2;
    barText.textContent = `${num.format(shown.length)} ô ước thực hiện còn trống có gợi ý của ktxh.`;
  }

  async function refresh() {
    const found = new Map();
    const units = new Set(Array.from(boxes.keys()).map((k) => k.split("|")[1]));
    for (const unit of units) {
      try {
        const resp = await fetch(`${cfg.forecasts}&orgunit=${encodeURIComponent(unit)}`,
          { credentials: "same-origin" });
        if (!resp.ok) continue;
        const data = await resp.json();
        data.suggestions.forEach((s) => found.set(`${s.indicator}|${s.orgunit}|${s.year}|estimate`, s));
      } catch (err) { /* the proposals are a convenience: the grid works without them */ }
    }
    show(found);
  }

  async function accept(list) {
    const cells = list.map((s) => ({ indicator: s.indicator, orgunit: s.orgunit, year: s.year, value: s.value }));
    say(list.length > 1 ? `Đang ghi ${num.format(list.length)} gợi ý…` : "Đang ghi gợi ý…", "");
    let resp, body;
    try {
      resp = await fetch(cfg.accept, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ cells }),
        credentials: "same-origin",
      });
      body = await resp.json();
    } catch (err) {
      say("Không kết nối được máy chủ: chưa ghi. Hãy thử lại.", "err");
      return;
    }
    if (!resp.ok) {
      say(`Chưa ghi: ${body.detail}`, "err");
      refresh();
      return;
    }
    body.values.forEach((v) => {
      const td = estimateCell(`${v.indicator}|${v.orgunit}|${v.year}|${v.measure}`);
      if (!td) return;
      td.textContent = v.display;
      td.dataset.version = v.version;
      td.classList.add("saved");
      setTimeout(() => td.classList.remove("saved"), 1200);
    });
    say(`Đã ghi ${num.format(body.values.length)} ô ước thực hiện theo gợi ý (nhật ký ghi là gợi ý được chấp nhận).`, "ok");
    document.dispatchEvent(new CustomEvent("ktxh:saved")); // the proposals and the ratings again
  }

  all.addEventListener("click", () => { if (shown.length) accept(shown.slice()); });
  document.addEventListener("ktxh:saved", refresh);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
  else refresh();
})();
