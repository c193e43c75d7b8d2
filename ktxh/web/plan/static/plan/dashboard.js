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

  const trendEl = document.getElementById("trend-chart");
  const trendSel = document.getElementById("trend-indicator");
  if (trendEl && data.trend.length) {
    const chart = echarts.init(trendEl, null, opts);
    fill(trendSel, data.trend);
    const draw = () => {
      const t = data.trend[Number(trendSel.value)];
      const series = Object.entries(t.series)
        .filter(([, vs]) => vs.some((v) => v !== null))
        .map(([m, vs]) => ({ name: data.measures[m], type: "line", data: vs, connectNulls: true,
                             label: { show: true, formatter: (p) => fmt.format(p.value) } }));
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: (v) => (v == null ? "-" : fmt.format(v)) },
        legend: { top: 0 },
        grid: { left: 70, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.years.map(String) },
        yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
        series,
      }, true);
    };
    trendSel.addEventListener("change", draw);
    draw();
  } else if (trendEl) {
    trendEl.textContent = "Chưa có số liệu của nhiều năm để vẽ diễn biến.";
  }
})();
