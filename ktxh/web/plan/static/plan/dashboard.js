// Dashboard charts (ECharts, served by the application: they work offline).
(function () {
  "use strict";
  // progress bars: their widths come as data attributes (no inline styles under the CSP)
  document.querySelectorAll(".progress span[data-width]").forEach((bar) => {
    bar.style.width = `${Number(bar.dataset.width) || 0}px`;
  });
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const fmt = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
  // SVG, and tooltips drawn in it ("richText"): ECharts' HTML tooltips are built with
  // inline styles, which the Content-Security-Policy refuses
  const opts = { locale: "VI", renderer: "svg" };

  function fill(select, items) {
    items.forEach((it, i) => {
      const o = document.createElement("option");
      o.value = i; o.textContent = it.label;
      select.appendChild(o);
    });
  }

  const wardEl = document.getElementById("ward-chart");
  const wardSel = document.getElementById("ward-indicator");
  if (wardEl && data.wards.length) {
    const chart = echarts.init(wardEl, null, opts);
    fill(wardSel, data.wards);
    const draw = () => {
      const w = data.wards[Number(wardSel.value)];
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v == null ? "-" : fmt.format(v)) },
        grid: { left: 70, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: data.units, axisLabel: { rotate: 30 } },
        yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
        series: [{ type: "bar", data: w.values, itemStyle: { color: "#2f6fb0" },
                   label: { show: true, position: "top", formatter: (p) => fmt.format(p.value) } }],
      }, true);
    };
    wardSel.addEventListener("change", draw);
    draw();
  } else if (wardEl) {
    wardEl.textContent = "Chưa có số liệu theo xã, phường.";
  }

  // an indicator of the city or of a unit across the years (issue 12): the first one comes
  // with the page, the others from /api/trends
  const trendEl = document.getElementById("trend-chart");
  const trendSel = document.getElementById("trend-indicator");
  const unitSel = document.getElementById("trend-unit");
  const trendBody = document.querySelector("#trend-table tbody");
  const trends = data.trends;
  if (trendEl && trends && trends.indicators.length) {
    const chart = echarts.init(trendEl, null, opts);
    const groups = new Map();
    trends.indicators.forEach((it) => {
      if (!groups.has(it.form)) {
        const g = document.createElement("optgroup");
        g.label = it.form;
        groups.set(it.form, g);
        trendSel.appendChild(g);
      }
      const o = document.createElement("option");
      o.value = it.code; o.textContent = it.label;
      groups.get(it.form).appendChild(o);
    });
    trends.units.forEach((u) => {
      const o = document.createElement("option");
      o.value = u.code; o.textContent = u.name;
      unitSel.appendChild(o);
    });

    const td = (text, cls, title) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (cls) cell.className = cls;
      if (title) cell.title = title;
      return cell;
    };
    const value = (v, decimals) => (v == null ? "" : new Intl.NumberFormat("vi-VN", {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(v));
    const change = (c) => (c.shown ? td(c.shown, "num") : td(c.reason ? "không so sánh được" : "", "num muted", c.reason));

    const draw = (t) => {
      trendBody.textContent = "";
      if (!t.points.length) {
        chart.clear();
        const row = document.createElement("tr");
        const cell = td(`Chưa có số liệu của ${t.name} cho ${t.orgunit_name}.`, "muted");
        cell.colSpan = 6;
        row.appendChild(cell);
        trendBody.appendChild(row);
        return;
      }
      const years = t.points.map((p) => String(p.year));
      const line = (name, key) => ({ name, type: "line", connectNulls: true, data: t.points.map((p) => p[key]),
        label: { show: true, formatter: (p) => (p.value == null ? "" : fmt.format(p.value)) } });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v == null ? "-" : fmt.format(v)) },
        legend: { top: 0 },
        grid: { left: 70, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: years },
        yAxis: { type: "value", name: t.unit, axisLabel: { formatter: (v) => fmt.format(v) } },
        series: [line("Kế hoạch", "plan"), line("TH 6 tháng", "h1"), line("TH cả năm (ước TH khi chưa có)", "full")],
      }, true);
      t.points.forEach((p) => {
        const row = document.createElement("tr");
        const full = p.full == null ? "" : value(p.full, t.decimals) + (p.full_measure === "estimate" ? " (ước)" : "");
        row.append(
          td(String(p.year) + (p.mapped ? " *" : ""), "", p.mapped ? "Số liệu tính từ các đơn vị trước khi sắp xếp" + (p.reasons.length ? ": " + p.reasons.join("; ") : "") : p.reasons.join("; ")),
          td(value(p.plan, t.decimals), "num"),
          td(value(p.h1, t.decimals), "num"),
          change(p.h1_change),
          td(full, "num"),
          change(p.full_change),
        );
        trendBody.appendChild(row);
      });
    };

    const load = async () => {
      const q = new URLSearchParams({ indicator: trendSel.value, orgunit: unitSel.value });
      try {
        const resp = await fetch(`${trends.url}?${q}`, { credentials: "same-origin" });
        const body = await resp.json();
        if (!resp.ok) { chart.clear(); trendBody.textContent = ""; trendEl.title = body.detail || ""; return; }
        draw(body);
      } catch (err) { /* the chart is a convenience */ }
    };
    trendSel.addEventListener("change", load);
    unitSel.addEventListener("change", load);
    if (trends.first) {
      trendSel.value = trends.first.indicator;
      unitSel.value = trends.first.orgunit;
      draw(trends.first);
    } else {
      load();
    }
  } else if (trendEl) {
    trendEl.textContent = "Chưa có chỉ tiêu nào để vẽ diễn biến.";
  }
})();
