// The dashboard (数据大屏): draws the figures computed by reports/dashboard.py with ECharts; a click on any
// bar, slice or point opens the records behind that figure (the link sent with each value).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var palette = ["#C8102E", "#E8A317", "#F05A28", "#8C1D40", "#D4AF37", "#5B8FF9", "#5AD8A6", "#9270CA", "#A0A0A0"];
  var text = { color: "#F5E6C8" };
  var charts = [];

  function make(name, option, links) {
    var node = document.getElementById("chart-" + name);
    var chart = echarts.init(node);
    option.title = { text: node.dataset.title, left: "center", top: 0, textStyle: { color: "#FFD98E", fontSize: 14 } };
    option.color = palette;
    option.textStyle = text;
    option.tooltip = option.tooltip || { trigger: "item" };
    chart.setOption(option);
    chart.on("click", function (params) {
      var list = links(params);
      if (list && list[params.dataIndex]) {
        window.location.href = list[params.dataIndex];
      }
    });
    charts.push(chart);
  }

  function bar(name, horizontal) {
    var series = data.charts[name];
    var category = { type: "category", data: series.labels, axisLabel: { color: "#F5E6C8", interval: 0, fontSize: 11 } };
    var value = { type: "value", axisLabel: { color: "#F5E6C8" }, splitLine: { lineStyle: { color: "#5a1a1a" } } };
    make(name, {
      grid: { left: horizontal ? 150 : 40, right: 20, top: 36, bottom: horizontal ? 20 : 50 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      tooltip: { trigger: "axis" },
      series: [{ type: "bar", data: series.values, label: { show: true, position: horizontal ? "right" : "top", color: "#FFF" } }],
    }, function () { return series.links; });
  }

  function pie(name) {
    var series = data.charts[name];
    var items = series.labels.map(function (label, i) { return { name: label, value: series.values[i] }; });
    make(name, {
      legend: { bottom: 0, textStyle: text, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "52%"], data: items,
                 label: { color: "#FFF", formatter: "{b}\n{c}" } }],
    }, function () { return series.links; });
  }

  bar("age");
  pie("education");
  pie("sex");
  bar("occupation", true);
  pie("org_kind");
  bar("admission");
  var trend = data.trend;
  make("trend", {
    grid: { left: 60, right: 50, top: 40, bottom: 30 },
    legend: { top: 20, textStyle: text, data: ["党员总数", "发展党员"] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: trend.years, axisLabel: { color: "#F5E6C8" } },
    yAxis: [
      { type: "value", axisLabel: { color: "#F5E6C8" }, splitLine: { lineStyle: { color: "#5a1a1a" } } },
      { type: "value", axisLabel: { color: "#F5E6C8" }, splitLine: { show: false } },
    ],
    series: [
      { name: "党员总数", type: "line", data: trend.members, smooth: true },
      { name: "发展党员", type: "bar", yAxisIndex: 1, data: trend.admitted },
    ],
  }, function (params) { return params.seriesIndex === 0 ? trend.member_links : trend.admitted_links; });

  // Panels of other apps (e.g. the compliance colours of organizational life): a pie whose slices keep
  // their own colours and open their own lists; a panel without values is only its list of links. A panel
  // too slow to count with the page ("later") is fetched by itself once the page is shown.
  function drawPanel(panel) {
    var items = panel.items.map(function (item) {
      return { name: item.label, value: item.value, itemStyle: { color: item.colour } };
    });
    make("panel-" + panel.key, {
      legend: { bottom: 0, textStyle: text },
      series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "50%"], data: items,
                 label: { color: "#FFF", formatter: "{b}\n{c}" } }],
    }, function () { return panel.items.map(function (item) { return item.url; }); });
  }

  function showLater(panel) {
    var waiting = document.getElementById("waiting-panel-" + panel.key);
    fetch(panel.later_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (full) {
        if (full.note) { waiting.querySelector("p").textContent = full.note; return; }
        waiting.classList.add("d-none");
        document.getElementById("chart-panel-" + full.key).classList.remove("d-none");
        drawPanel(full);
        var links = document.querySelectorAll("#links-panel-" + full.key + " a");
        full.items.forEach(function (item, i) {
          if (links[i]) { links[i].textContent = item.label + " " + item.value.toLocaleString("zh-CN"); }
        });
      })
      .catch(function () { waiting.querySelector("p").textContent = "统计未能完成,请点击各颜色查看。"; });
  }

  (data.panels || []).forEach(function (panel) {
    if (panel.later_url) { showLater(panel); return; }
    if (document.getElementById("chart-panel-" + panel.key)) { drawPanel(panel); }
  });

  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  var board = document.getElementById("dashboard");
  document.getElementById("fullscreen-button").addEventListener("click", function () {
    if (board.requestFullscreen) { board.requestFullscreen(); }
  });
  document.addEventListener("fullscreenchange", function () {
    setTimeout(function () { charts.forEach(function (chart) { chart.resize(); }); }, 50);
  });
})();
