// The data-entry grid: a spreadsheet-like table (no library).
// Arrow keys, Tab / Shift+Tab and Enter / Shift+Enter move; typing starts editing
// (F2 or a double click edits the current text); Escape cancels; Delete clears;
// pasting a block copied from Excel or LibreOffice fills the cells from the
// selected one. Every change is saved at once (one request per edit or paste,
// all or nothing), then the check findings of the form are fetched again. A paste
// reports every cell it could not fill (read-only, past the last row or column):
// the cells stay marked and the report stays under the status until the next change.
(function () {
  "use strict";
  const table = document.getElementById("grid");
  if (!table) return;
  const cfg = JSON.parse(document.getElementById("grid-config").textContent);
  const statusBox = document.getElementById("grid-status");
  const panelCell = document.getElementById("panel-cell");
  const panelFindings = document.getElementById("panel-findings");
  const panelHistory = document.getElementById("panel-history");

  const rows = Array.from(table.querySelectorAll("tbody tr")).filter((tr) => tr.querySelector("td.cell"));
  const matrix = rows.map((tr) => Array.from(tr.querySelectorAll("td.cell")));
  const byKey = new Map();
  matrix.forEach((cells) => cells.forEach((td) => byKey.set(td.dataset.key, td)));
  let cur = null; // [row, col]
  let editor = null; // {td, input, before}
  let queue = Promise.resolve();
  let findingsByCell = new Map();
  let findingsByRow = new Map();

  const SEV = { "lỗi": "err", "cảnh báo": "warn", "lưu ý": "note" };
  const num = new Intl.NumberFormat("vi-VN"); // 3.640, as people read counts
  // the last header row names each column (the city's view has a row of groups above it)
  const headings = Array.from(table.querySelectorAll("thead tr:last-child th")).map((th) => th.textContent.trim());
  let notice = null; // what the last paste could not fill: {text, cells}, until the next change
  const MEASURE = { plan: "Kế hoạch", h1: "TH 6 tháng", estimate: "Ước TH cả năm", actual: "TH cả năm" };

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "grid-status " + (kind || "");
    if (notice) {
      const extra = document.createElement("div");
      extra.id = "paste-skipped";
      extra.className = "warn";
      extra.textContent = notice.text;
      statusBox.appendChild(extra);
    }
  }

  function clearNotice() {
    if (!notice) return;
    notice.cells.forEach((td) => { td.classList.remove("skipped"); td.removeAttribute("title"); });
    notice = null;
  }

  function columnOf(td) {
    const cells = Array.from(td.closest("tr").children);
    return headings[cells.indexOf(td)] || "";
  }

  function parts(td) {
    const [indicator, orgunit, year, measure] = td.dataset.key.split("|");
    return { indicator, orgunit, year: Number(year), measure };
  }

  function rowName(td) {
    return td.closest("tr").querySelector("td.name").textContent.trim();
  }

  function select(r, c, scroll = true) {
    r = Math.max(0, Math.min(matrix.length - 1, r));
    c = Math.max(0, Math.min(matrix[r].length - 1, c));
    if (cur) matrix[cur[0]][cur[1]].classList.remove("sel");
    cur = [r, c];
    const td = matrix[r][c];
    td.classList.add("sel");
    td.setAttribute("tabindex", "0");
    td.focus({ preventScroll: !scroll });
    if (scroll) td.scrollIntoView({ block: "nearest", inline: "nearest" });
    showPanel(td);
  }

  function current() {
    return cur ? matrix[cur[0]][cur[1]] : null;
  }

  // --- editing ---------------------------------------------------------------------------

  function startEdit(initial) {
    const td = current();
    if (!td || editor) return;
    if (!td.classList.contains("edit")) {
      say("Ô này không sửa được (dòng tiêu đề, biểu đã khóa, hoặc ngoài phạm vi của tài khoản).", "warn");
      return;
    }
    clearNotice();
    const before = td.textContent;
    const input = document.createElement("input");
    input.type = "text";
    input.className = "cell-input";
    input.value = initial !== undefined ? initial : before;
    input.setAttribute("aria-label", rowName(td));
    td.textContent = "";
    td.appendChild(input);
    td.classList.add("editing");
    editor = { td, input, before };
    input.focus();
    const end = input.value.length;
    input.setSelectionRange(end, end);
  }

  function stopEdit(commit) {
    if (!editor) return;
    const { td, input, before } = editor;
    const text = input.value.trim();
    editor = null;
    td.classList.remove("editing");
    td.textContent = commit ? text : before;
    if (commit && text !== before) save([{ td, text, before }]);
    td.focus();
  }

  function move(dr, dc) {
    if (!cur) return select(0, 0);
    let [r, c] = cur;
    c += dc;
    if (c >= matrix[r].length) { c = 0; r += 1; }
    if (c < 0) { r -= 1; c = r >= 0 ? matrix[Math.max(r, 0)].length - 1 : 0; }
    select(r + dr, c);
  }

  table.addEventListener("mousedown", (e) => {
    const td = e.target.closest("td.cell");
    if (!td || (editor && editor.td === td)) return;
    if (editor) stopEdit(true);
    const r = matrix.findIndex((cells) => cells.includes(td));
    select(r, matrix[r].indexOf(td), false);
    e.preventDefault();
  });
  table.addEventListener("dblclick", (e) => {
    if (e.target.closest("td.cell")) startEdit();
  });

  document.addEventListener("keydown", (e) => {
    if (!cur) return;
    if (editor) {
      if (e.key === "Enter") { e.preventDefault(); stopEdit(true); move(e.shiftKey ? -1 : 1, 0); }
      else if (e.key === "Tab") { e.preventDefault(); stopEdit(true); move(0, e.shiftKey ? -1 : 1); }
      else if (e.key === "Escape") { e.preventDefault(); stopEdit(false); }
      else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
        e.preventDefault(); stopEdit(true); move(e.key === "ArrowUp" ? -1 : 1, 0);
      }
      return;
    }
    if (e.target.closest && e.target.closest("form, .panel")) return;
    const keys = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (keys[e.key]) { e.preventDefault(); const [dr, dc] = keys[e.key]; select(cur[0] + dr, cur[1] + dc); }
    else if (e.key === "Tab") { e.preventDefault(); move(0, e.shiftKey ? -1 : 1); }
    else if (e.key === "Enter") { e.preventDefault(); move(e.shiftKey ? -1 : 1, 0); }
    else if (e.key === "F2") { e.preventDefault(); startEdit(); }
    else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      const td = current();
      if (td.classList.contains("edit") && td.textContent.trim() !== "") {
        clearNotice();
        const before = td.textContent; td.textContent = ""; save([{ td, text: "", before }]);
      }
    } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault(); startEdit(e.key);
    }
  });

  // --- paste -----------------------------------------------------------------------------

  function parseBlock(text) {
    // Tab-separated rows as Excel and LibreOffice put them on the clipboard
    const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    return lines.map((l) => l.split("\t").map((s) => s.trim()));
  }

  document.addEventListener("paste", (e) => {
    if (!cur) return;
    const text = (e.clipboardData || window.clipboardData).getData("text/plain");
    if (!text) return;
    if (editor && !/[\t\n]/.test(text.replace(/\n$/, ""))) return; // a plain paste into the input
    e.preventDefault();
    if (editor) stopEdit(false);
    clearNotice();
    const block = parseBlock(text);
    const edits = [];
    const readOnly = []; // cells of the table that cannot be changed
    let pastRows = 0; // pasted values below the last row
    let pastColumns = 0; // pasted values right of the last column
    block.forEach((line, i) => {
      const r = cur[0] + i;
      if (r >= matrix.length) { pastRows += line.length; return; }
      line.forEach((cellText, j) => {
        const c = cur[1] + j;
        if (c >= matrix[r].length) { pastColumns += 1; return; }
        const td = matrix[r][c];
        if (!td.classList.contains("edit")) { readOnly.push(td); return; }
        if (td.textContent.trim() === cellText) return;
        edits.push({ td, text: cellText, before: td.textContent });
      });
    });
    const skipped = readOnly.length + pastRows + pastColumns;
    if (skipped) {
      const reasons = [];
      if (readOnly.length) {
        const named = readOnly.slice(0, 8).map((td) => `«${rowName(td)}», cột ${columnOf(td)}`);
        const more = readOnly.length > 8 ? `; và ${num.format(readOnly.length - 8)} ô khác` : "";
        reasons.push(`${num.format(readOnly.length)} ô không sửa được (chỉ có số liệu cấp thành phố, biểu đã khóa, hoặc ngoài phạm vi của tài khoản): ${named.join("; ")}${more}`);
      }
      if (pastRows) reasons.push(`${num.format(pastRows)} ô nằm dưới dòng cuối của biểu`);
      if (pastColumns) reasons.push(`${num.format(pastColumns)} ô nằm bên phải cột cuối của biểu`);
      readOnly.forEach((td) => { td.classList.add("skipped"); td.title = "Không dán được vào ô này"; });
      notice = { text: `Bỏ qua ${num.format(skipped)} ô của vùng dán, chưa ghi: ${reasons.join("; ")}.`, cells: readOnly };
    }
    edits.forEach((x) => { x.td.textContent = x.text; });
    if (edits.length) save(edits);
    else say("Không có ô nào thay đổi.", skipped ? "warn" : "");
  });

  // --- saving ----------------------------------------------------------------------------

  function save(edits) {
    edits.forEach((x) => x.td.classList.add("saving"));
    queue = queue.then(() => send(edits)).catch(() => {});
  }

  async function send(edits) {
    const writes = edits.map((x) => ({ ...parts(x.td), version: Number(x.td.dataset.version), text: x.text }));
    say(edits.length > 1 ? `Đang lưu ${num.format(edits.length)} ô…` : "Đang lưu…", "");
    let resp, body;
    try {
      resp = await fetch(cfg.save, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ writes }),
        credentials: "same-origin",
      });
      body = await resp.json();
    } catch (err) {
      edits.forEach((x) => { x.td.classList.remove("saving"); x.td.textContent = x.before; });
      say("Không kết nối được máy chủ: chưa lưu. Hãy thử lại.", "err");
      return;
    }
    edits.forEach((x) => x.td.classList.remove("saving", "conflict", "invalid"));
    if (resp.ok) {
      body.values.forEach((v) => {
        const td = byKey.get(`${v.indicator}|${v.orgunit}|${v.year}|${v.measure}`);
        if (!td) return;
        td.textContent = v.display;
        td.dataset.version = v.version;
        td.classList.add("saved");
        setTimeout(() => td.classList.remove("saved"), 1200);
      });
      say(edits.length > 1 ? `Đã lưu ${num.format(edits.length)} ô.` : "Đã lưu.", "ok");
      if (cur) showPanel(current());
      refreshFindings();
      document.dispatchEvent(new CustomEvent("ktxh:saved")); // targets.js rates again
      return;
    }
    // refused: nothing was written
    edits.forEach((x) => { x.td.textContent = x.before; });
    const problems = body.problems || [];
    problems.forEach((p) => {
      const td = byKey.get(`${p.indicator}|${p.orgunit}|${p.year}|${p.measure}`);
      if (!td) return;
      if (p.reason === "conflict") {
        td.classList.add("conflict");
        if (p.current) { td.textContent = p.current.display; td.dataset.version = p.current.version; }
        else { td.textContent = ""; td.dataset.version = 0; }
      } else {
        td.classList.add("invalid");
        const x = edits.find((e) => e.td === td);
        if (x && p.reason === "invalid") { td.textContent = x.text; }
      }
      td.title = p.message;
    });
    const first = problems.length ? problems[0].message : body.detail;
    const lead = resp.status === 409 ? "Xung đột: " : "Chưa lưu: ";
    say(lead + first + (problems.length > 1 ? ` (và ${num.format(problems.length - 1)} ô khác)` : ""), "err");
    if (resp.status === 409) refreshFindings(); // someone else's values are now shown
  }

  // --- findings --------------------------------------------------------------------------

  function marked(td) { // a cell whose title says why it was refused or skipped
    return ["conflict", "invalid", "skipped"].some((c) => td.classList.contains(c));
  }

  async function refreshFindings() {
    let data;
    try {
      const resp = await fetch(cfg.checks, { credentials: "same-origin" });
      if (!resp.ok) return;
      data = await resp.json();
    } catch (err) {
      return;
    }
    findingsByCell = new Map();
    findingsByRow = new Map();
    data.findings.forEach((f) => {
      if (f.cell) {
        if (!findingsByCell.has(f.cell)) findingsByCell.set(f.cell, []);
        findingsByCell.get(f.cell).push(f);
      }
      if (!findingsByRow.has(f.indicator)) findingsByRow.set(f.indicator, []);
      findingsByRow.get(f.indicator).push(f);
    });
    table.querySelectorAll("td.cell").forEach((td) => {
      td.classList.remove("f-err", "f-warn", "f-note");
      const fs = findingsByCell.get(td.dataset.key);
      if (fs) {
        const worst = ["lỗi", "cảnh báo", "lưu ý"].find((s) => fs.some((f) => f.severity === s));
        td.classList.add("f-" + SEV[worst]);
        if (!marked(td)) td.title = fs.map((f) => `[${f.severity}] ${f.message}`).join("\n");
      } else if (!marked(td)) {
        td.removeAttribute("title");
      }
    });
    table.querySelectorAll("tbody tr").forEach((tr) => {
      const box = tr.querySelector("td.findings");
      if (!box) return;
      box.textContent = "";
      (findingsByRow.get(tr.dataset.indicator) || []).forEach((f) => {
        const div = document.createElement("div");
        div.className = "finding " + SEV[f.severity];
        div.textContent = `${f.severity}: ${f.message}`;
        box.appendChild(div);
      });
    });
    if (cur) showFindings(current());
  }

  // --- side panel ------------------------------------------------------------------------

  function showFindings(td) {
    panelFindings.textContent = "";
    (findingsByCell.get(td.dataset.key) || []).forEach((f) => {
      const div = document.createElement("div");
      div.className = "finding " + SEV[f.severity];
      div.textContent = `${f.severity}: ${f.message}`;
      panelFindings.appendChild(div);
    });
  }

  let historyTimer = null;
  function showPanel(td) {
    if (td.classList.contains("derived")) {
      // a comparison, a total of the units or a year's final figure: computed, no history
      panelCell.textContent = `${rowName(td)} · ${columnOf(td)} · tính từ các ô khác, không sửa được`;
      showFindings(td);
      panelHistory.textContent = "";
      return;
    }
    const p = parts(td);
    panelCell.textContent = `${rowName(td)} · ${MEASURE[p.measure] || p.measure} ${p.year}` +
      (td.classList.contains("edit") ? "" : " · không sửa được");
    showFindings(td);
    clearTimeout(historyTimer);
    historyTimer = setTimeout(() => loadHistory(td), 250);
  }

  async function loadHistory(td) {
    const p = parts(td);
    const q = new URLSearchParams({ indicator: p.indicator, orgunit: p.orgunit, year: p.year, measure: p.measure });
    try {
      const resp = await fetch(`${cfg.history}?${q}`, { credentials: "same-origin" });
      if (!resp.ok) return;
      const data = await resp.json();
      if (current() !== td) return;
      panelHistory.textContent = "";
      if (!data.changes.length) { panelHistory.textContent = "Ô chưa có số liệu."; return; }
      const ul = document.createElement("ul");
      data.changes.forEach((c) => {
        const li = document.createElement("li");
        const when = new Date(c.at).toLocaleString("vi-VN");
        li.textContent = `${when} · ${c.user || "hệ thống"} · ${c.old_printed || "—"} → ${c.new_printed || "(trống)"} · ${c.source_label}`;
        ul.appendChild(li);
      });
      panelHistory.appendChild(ul);
    } catch (err) { /* the panel is a convenience */ }
  }

  if (matrix.length) select(0, 0, false);
  refreshFindings();
})();
