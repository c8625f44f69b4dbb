/* Draws the passport's charts with plotly.js (served by remelt itself) from the data the page
   embeds with json_script. No inline scripts: every number is also in the page's tables, so
   the page reads the same without JavaScript. */
(function () {
  "use strict";

  var FONT = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 13, color: "#1d2327" };
  var CONFIG = { displayModeBar: false, responsive: true };
  var drawn = [];

  function embedded(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function formatKg(value) {
    return value.toLocaleString("en-GB", { maximumFractionDigits: value < 10 ? 2 : 1 });
  }

  function drawStages(target, chart) {
    var traces = chart.series.map(function (series) {
      return {
        type: "bar",
        orientation: "h",
        name: series.name,
        y: chart.categories,
        x: series.values,
        marker: { color: series.colour, line: { color: "#ffffff", width: 1 } },
        hovertemplate: "%{fullData.name}: %{x:,.3f} " + chart.unit + "<extra></extra>"
      };
    });
    var annotations = chart.categories.map(function (category, index) {
      return {
        x: chart.totals[index], y: category, xanchor: "left", showarrow: false, xshift: 6,
        text: "<b>" + formatKg(chart.totals[index]) + "</b> " + chart.unit +
          (index === 0 ? " · " + chart.saving_text : ""),
        font: { size: 13 }
      };
    });
    var layout = {
      barmode: "stack",
      font: FONT,
      height: 280,
      margin: { l: 190, r: 200, t: 10, b: 30 },
      xaxis: { ticksuffix: " kg", gridcolor: "#e6eaed", zeroline: false, rangemode: "tozero" },
      yaxis: { autorange: "reversed", automargin: true },
      legend: { orientation: "h", y: -0.18, yanchor: "top", x: 0, traceorder: "normal" },
      annotations: annotations,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)"
    };
    return Plotly.newPlot(target, traces, layout, CONFIG);
  }

  function translucent(hex, alpha) {
    var value = parseInt(hex.slice(1), 16);
    return "rgba(" + (value >> 16) + "," + ((value >> 8) & 255) + "," + (value & 255) + "," + alpha + ")";
  }

  // Columns by distance from the product (scrap on the left, the product on the right); in a
  // column, nodes are stacked by the metal they give, largest first, with room between them.
  function positions(flow) {
    var last = Math.max(flow.columns - 1, 1);
    var columns = {};
    flow.nodes.forEach(function (node, index) {
      (columns[node.column] = columns[node.column] || []).push(index);
    });
    var x = [], y = [];
    Object.keys(columns).forEach(function (column) {
      var members = columns[column].sort(function (a, b) { return flow.nodes[b].value - flow.nodes[a].value; });
      var total = members.reduce(function (sum, index) { return sum + flow.nodes[index].value; }, 0) || 1;
      var gap = Math.min(0.06, 0.3 / members.length), room = 1 - gap * (members.length - 1), offset = 0;
      members.forEach(function (index) {
        var height = Math.max(flow.nodes[index].value / total * room, 0.02);
        x[index] = 0.001 + 0.998 * Number(column) / last;
        y[index] = Math.min(Math.max(offset + height / 2, 0.001), 0.999);
        offset += height + gap;
      });
    });
    return { x: x, y: y };
  }

  function tallest(flow) {
    var counts = {};
    flow.nodes.forEach(function (node) { counts[node.column] = (counts[node.column] || 0) + 1; });
    return Math.max.apply(null, Object.keys(counts).map(function (column) { return counts[column]; }));
  }

  function drawFlow(target, flow) {
    var at = positions(flow);
    var trace = {
      type: "sankey",
      arrangement: "snap",
      valueformat: ",.3f",
      valuesuffix: " " + flow.unit,
      node: {
        // plotly writes the last column's label to the left of its node, where it would run
        // into the labels of the column before: the product is named above the diagram instead.
        label: flow.nodes.map(function (node) { return node.column === flow.columns - 1 ? "" : node.label; }),
        color: flow.nodes.map(function (node) { return node.colour; }),
        customdata: flow.nodes.map(function (node) { return "<b>" + node.label + "</b><br>" + node.hover; }),
        x: at.x,
        y: at.y,
        hovertemplate: "%{customdata}<br>%{value} of this product's metal<extra></extra>",
        pad: 18,
        thickness: 18,
        line: { color: "#ffffff", width: 1 }
      },
      link: {
        source: flow.links.map(function (link) { return link.source; }),
        target: flow.links.map(function (link) { return link.target; }),
        value: flow.links.map(function (link) { return link.value; }),
        color: flow.links.map(function (link) { return translucent(link.colour, 0.28); }),
        customdata: flow.links.map(function (link) {
          return flow.nodes[link.source].label + " → " + flow.nodes[link.target].label;
        }),
        hovertemplate: "%{customdata}<br>%{value}<extra></extra>"
      }
    };
    var layout = {
      font: FONT,
      height: Math.min(900, Math.max(360, 30 * tallest(flow) + 60)),
      margin: { l: 10, r: 10, t: 30, b: 30 },
      paper_bgcolor: "rgba(0,0,0,0)",
      annotations: flow.nodes.filter(function (node) { return node.column === flow.columns - 1; }).map(
        function (node) {
          return {
            x: 1, y: 1, xref: "paper", yref: "paper", xanchor: "right", yanchor: "bottom", yshift: 4,
            showarrow: false, text: "<b>" + node.label + "</b>", font: { size: 14 }
          };
        }
      )
    };
    return Plotly.newPlot(target, [trace], layout, CONFIG);
  }

  function draw(id, dataId, painter) {
    var target = document.getElementById(id);
    var data = embedded(dataId);
    if (!target || !data || typeof Plotly === "undefined") {
      return;
    }
    painter(target, data).then(function (plot) {
      plot.classList.add("is-drawn");
      drawn.push(plot);
    });
  }

  draw("stage-chart", "stage-chart-data", drawStages);
  draw("flow-chart", "flow-data", drawFlow);

  // Charts are drawn at the screen's width; fit them to the paper when printing.
  function fit() {
    drawn.forEach(function (plot) { Plotly.Plots.resize(plot); });
  }
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
})();
