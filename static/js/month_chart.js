/* Draws every <canvas data-month-chart="ID"> from the JSON in <script id="ID">
   (usage.selectors.month_charts): the month's days, and lines whose kind says how they
   look, so a budget or a projection reads the same whoever drew it. A LOW line is drawn
   with the HIGH line right after it as one shaded band.
   Without JavaScript (or without Chart.js) the canvas stays empty and the figures and the
   table beside it hold the same numbers. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;

  var styles = getComputedStyle(document.documentElement);
  function color(name, fallback) { return styles.getPropertyValue(name).trim() || fallback; }
  var accent = color("--accent", "#2456d3");
  var danger = color("--danger", "#b42318");
  var border = color("--border", "#d9dde3");
  var band = color("--accent-soft", "#e8eefc");

  var looks = {
    actual: { borderColor: accent, backgroundColor: accent, borderWidth: 2, pointRadius: 0 },
    limit: { borderColor: danger, backgroundColor: danger, borderWidth: 2, borderDash: [6, 4], pointRadius: 0 },
    estimate: { borderColor: accent, backgroundColor: accent, borderWidth: 2, borderDash: [3, 3], pointRadius: 0 },
    low: { borderColor: band, backgroundColor: band, borderWidth: 1, pointRadius: 0, fill: false },
    high: { borderColor: band, backgroundColor: band, borderWidth: 1, pointRadius: 0, fill: "-1" },
  };

  document.querySelectorAll("canvas[data-month-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.monthChart);
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var money;
    try {
      money = new Intl.NumberFormat("en-US", { style: "currency", currency: chart.currency, maximumFractionDigits: 2 });
    } catch (error) {
      money = { format: function (value) { return value.toFixed(2) + " " + chart.currency; } };
    }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels.map(function (day) { return day.slice(8); }),
        datasets: chart.lines.map(function (line) {
          return Object.assign({ label: line.label, data: line.values, spanGaps: false, tension: 0 }, looks[line.kind] || looks.actual);
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? chart.labels[items[0].dataIndex] : ""; },
              label: function (item) { return item.dataset.label + ": " + money.format(item.parsed.y); },
            },
          },
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, grid: { color: border }, ticks: { callback: function (value) { return money.format(value); } } },
        },
      },
    });
  });
})();
