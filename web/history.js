// claude-gauge's history page: fetches /history.json (same `days` as the page's own query) and
// draws three uPlot charts. The charts and the data stay on `window.gaugeHistory` so a test can
// compare what is drawn with what the daemon served.
"use strict";

(function () {
  const PALETTE = ["#ff5a1f", "#49b6ff", "#37e07a", "#ffb020", "#c77dff", "#ff2d2d", "#e9edf2"];
  const WINDOW_COLORS = { "5h": "#ff5a1f", "7d": "#49b6ff" };
  const AXIS = { stroke: "#6b737d", grid: { stroke: "#24282e" }, ticks: { stroke: "#24282e" } };

  // 12000 -> "12k", 3400000 -> "3.4M".
  function compact(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + "M";
    if (a >= 1e3) return +(v / 1e3).toFixed(1) + "k";
    return String(v);
  }

  function width(el) {
    return Math.max(320, el.clientWidth || 900);
  }

  // Dashed vertical lines at each reset, in its window's colour.
  function resetMarks(resets) {
    return {
      hooks: {
        draw: [
          (u) => {
            let drawn = 0;
            const ctx = u.ctx;
            ctx.save();
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1;
            for (const reset of resets) {
              const x = u.valToPos(reset.at_secs, "x", true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.strokeStyle = WINDOW_COLORS[reset.window] || "#e9edf2";
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              drawn += 1;
            }
            ctx.restore();
            u.resetsDrawn = drawn;
          },
        ],
      },
    };
  }

  // The two windows on one time axis: each sample's time, null where the other window has one.
  function officialData(official) {
    const times = [...new Set([...official["5h"].t, ...official["7d"].t])].sort((a, b) => a - b);
    const column = (w) => {
      const at = new Map(official[w].t.map((t, i) => [t, official[w].used_pct[i]]));
      return times.map((t) => (at.has(t) ? at.get(t) : null));
    };
    return [times, column("5h"), column("7d")];
  }

  function officialChart(el, data, since, now) {
    const opts = {
      width: width(el), height: 260,
      scales: { x: { time: true, range: [since, now] }, y: { range: [0, 100] } },
      axes: [AXIS, Object.assign({ values: (u, ticks) => ticks.map((v) => v + "%") }, AXIS)],
      series: [
        {},
        { label: "5 h", stroke: WINDOW_COLORS["5h"], width: 2, spanGaps: true },
        { label: "7 d", stroke: WINDOW_COLORS["7d"], width: 2, spanGaps: true },
      ],
      plugins: [resetMarks(data.official.resets)],
    };
    return new uPlot(opts, officialData(data.official), el);
  }

  function modelChart(el, t, series, key, opts) {
    const columns = [t, ...series.map((s) => s[key])];
    return new uPlot(
      Object.assign(
        {
          width: width(el), height: 240,
          axes: [AXIS, AXIS],
          series: [{}, ...series.map((s, i) => Object.assign({
            label: s.model, stroke: PALETTE[i % PALETTE.length], width: 2,
          }, opts.series || {}))],
          scales: { x: { time: true } },
        },
        opts.chart || {},
      ),
      columns,
      el,
    );
  }

  // One row per machine (a hub's breakdown), most tokens first, as /history.json orders them.
  function machineTable(table, machines, days) {
    const body = table.tBodies[0];
    for (const m of machines) {
      const row = body.insertRow();
      row.dataset.host = m.host;
      for (const text of [m.host, String(m.requests), compact(m.tokens), "$" + m.cost_usd.toFixed(2)]) {
        row.insertCell().textContent = text;
      }
    }
    document.getElementById("machines-note").textContent = "(last " + days + " d)";
  }

  async function main() {
    const params = new URLSearchParams(location.search);
    const days = params.get("days") || "7";
    const answer = await fetch("history.json?days=" + encodeURIComponent(days));
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error || "history.json answered " + answer.status);
    document.getElementById("official-note").textContent = "(last " + data.days + " d)";
    const charts = {
      official: officialChart(document.getElementById("chart-official"), data, data.since_secs, data.now_secs),
      tokens: modelChart(document.getElementById("chart-tokens"), data.tokens_per_hour.t,
        data.tokens_per_hour.series, "tokens", {
          series: { paths: uPlot.paths.stepped({ align: 1 }) },
          chart: { axes: [AXIS, Object.assign({ size: 56, values: (u, ticks) => ticks.map(compact) }, AXIS)] },
        }),
      cost: modelChart(document.getElementById("chart-cost"), data.cost_per_day.t,
        data.cost_per_day.series, "cost_usd", {
          // Days apart by weeks are not joined by a line: one dot per model and day.
          series: { paths: () => null, points: { show: true, size: 9 } },
          chart: { axes: [AXIS, Object.assign({ size: 56, values: (u, ticks) => ticks.map((v) => "$" + v) }, AXIS)] },
        }),
    };
    machineTable(document.getElementById("machines"), data.machines || [], data.days);
    window.gaugeHistory = { data, charts };
    document.body.dataset.state = "ready";
  }

  main().catch((err) => {
    const box = document.getElementById("error");
    box.textContent = String(err.message || err);
    box.hidden = false;
    document.body.dataset.state = "error";
  });
})();
