// The bulletin's chart of on-time rates per unit (各单位按时办结率), drawn by ECharts from the same data the
// DOCX's picture is drawn from (GET /api/v1/bulletins/<id>/chart). Lagging units are red. Without ECharts
// or JavaScript the per-unit table above says the same.
(function () {
  "use strict";
  var box = document.getElementById("bulletin-chart");
  if (!box || typeof window.echarts === "undefined") {
    if (box) { box.hidden = true; }
    return;
  }
  fetch(box.getAttribute("data-chart-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("chart " + response.status); }
      return response.json();
    })
    .then(function (chart) {
      var bars = chart.bars || [];
      box.style.height = Math.max(220, 36 * bars.length + 80) + "px";
      var drawn = window.echarts.init(box, null, { renderer: "canvas" });
      drawn.setOption({
        animation: false,
        aria: { enabled: true, label: { description: chart.title + "：" + bars.map(function (b) {
          return b.unit_name + " " + b.label + (b.lagging ? "（滞后）" : "");
        }).join("；") } },
        grid: { left: 8, right: 64, top: 8, bottom: 24, containLabel: true },
        xAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
        yAxis: { type: "category", inverse: true, data: bars.map(function (b) { return b.unit_name; }) },
        series: [{
          type: "bar", barMaxWidth: 24,
          data: bars.map(function (b) {
            return { value: b.value, itemStyle: { color: b.lagging ? "#b42318" : "#1f5fa8" } };
          }),
          label: { show: true, position: "right", formatter: function (p) { return bars[p.dataIndex].label; } }
        }]
      });
      window.addEventListener("resize", function () { drawn.resize(); });
    })
    .catch(function () { box.hidden = true; });
}());
