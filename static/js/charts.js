/* Draws every <canvas data-chart="ID"> from the JSON in <script id="ID"> (json_script).
   One script for the overview, explorer and carbon pages: they differ only in the data
   attributes (measure, label, kind), so a file per page would repeat this one.
   Without JavaScript (or without Chart.js) the canvas stays empty and the table beside it
   holds the same numbers. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;

  var moneyFormats = {};
  // Money is in the organization's reporting currency (the canvas's data-currency).
  function moneyFormat(currency) {
    if (!moneyFormats[currency]) {
      try {
        moneyFormats[currency] = new Intl.NumberFormat("en-US", { style: "currency", currency: currency, maximumFractionDigits: 6 });
      } catch (error) {
        moneyFormats[currency] = { format: function (value) { return value.toFixed(2) + " " + currency; } };
      }
    }
    return moneyFormats[currency];
  }
  var plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
  var styles = getComputedStyle(document.documentElement);
  var accent = styles.getPropertyValue("--accent").trim() || "#2456d3";
  var border = styles.getPropertyValue("--border").trim() || "#d9dde3";

  function format(measure, value, currency) {
    if (measure === "cost") return moneyFormat(currency || "USD").format(value);
    if (measure === "co2e_grams") return plain.format(value) + " g";
    if (measure === "energy_wh") return plain.format(value) + " Wh";
    return plain.format(value);
  }

  // Stacked charts (usage.selectors.stacks): one dataset a model or provider, "Other"
  // last. A fixed palette, picked to stay apart for the common colour-vision deficiencies
  // (Okabe-Ito); "Other" is grey so it never reads as one more series.
  var palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"];
  var otherColour = "#9aa1ab";
  document.querySelectorAll("canvas[data-stacked-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.stackedChart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var currency = canvas.dataset.currency;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (dataset, index) {
          var colour = dataset.label === "Other" && index === data.datasets.length - 1
            ? otherColour : palette[index % palette.length];
          return { label: dataset.label, data: dataset.cost, unpriced: dataset.unpriced, backgroundColor: colour, borderColor: colour };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: {
            mode: "index",
            callbacks: {
              label: function (item) {
                var text = item.dataset.label + ": " + format("cost", item.parsed.y, currency);
                var unpriced = item.dataset.unpriced[item.dataIndex];
                return unpriced ? text + " (+" + unpriced + " unpriced)" : text;
              },
            },
          },
        },
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
          y: { stacked: true, beginAtZero: true, grid: { color: border }, ticks: { callback: function (v) { return format("cost", v, currency); } } },
        },
      },
    });
  });

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var points = JSON.parse(source.textContent);
    var measure = canvas.dataset.measure;
    var currency = canvas.dataset.currency;
    new window.Chart(canvas, {
      type: canvas.dataset.kind || "bar",
      data: {
        labels: points.map(function (p) { return p.label; }),
        datasets: [{
          label: canvas.dataset.label,
          data: points.map(function (p) { return p[measure]; }),
          backgroundColor: accent,
          borderColor: accent,
          pointRadius: points.length > 60 ? 0 : 2,
          tension: 0.2,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var text = format(measure, item.parsed.y, currency);
                var unpriced = points[item.dataIndex].unpriced;
                return measure === "cost" && unpriced ? text + " (+" + unpriced + " unpriced)" : text;
              },
            },
          },
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
          y: { beginAtZero: true, grid: { color: border }, ticks: { callback: function (v) { return format(measure, v, currency); } } },
        },
      },
    });
  });
})();
