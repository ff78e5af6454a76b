// Forecasting: history, held-out truth, one-step forecasts and the future with its interval.
"use strict";

let chart = null, models = {};
const colours = { history: "#222", truth: "#2a9d3a", one_step: "#e07b00", forecast: "#2f6fde" };

function lines(data) {
  const n = data.value.length, h = data.future.forecast.length;
  const cut = data.test_start ?? n;
  const at = Object.fromEntries(data.time.map((t, i) => [t, i]));
  const series = [
    { name: "history", colour: colours.history, points: data.value.slice(0, cut).map((v, i) => [i, v]) },
  ];
  if (data.test_start != null) {
    series.push({ name: "held-out truth", colour: colours.truth, points: data.value.slice(cut).map((v, i) => [cut + i, v]) });
    series.push({ name: "one step ahead", colour: colours.one_step, dash: [5, 4], points: data.one_step.time.map((t, i) => [at[t], data.one_step.value[i]]).filter(p => p[0] != null) });
  }
  series.push({ name: "forecast", colour: colours.forecast, points: data.future.forecast.map((v, i) => [n + i, v]) });
  const band = data.future.lower.map((low, i) => [n + i, low, data.future.upper[i]]);
  return { series, band, count: n + h, times: [...data.time, ...data.future.time] };
}

function drawChart(data) {
  chart = { data, ...lines(data) };
  const canvas = document.getElementById("chart"), c = canvas.getContext("2d");
  const values = chart.series.flatMap(s => s.points.map(p => p[1])).concat(chart.band.flatMap(b => [b[1], b[2]]));
  const low = Math.min(...values), high = Math.max(...values), pad = 40;
  chart.x = i => pad + (i / Math.max(1, chart.count - 1)) * (canvas.width - 2 * pad);
  chart.y = v => canvas.height - pad - ((v - low) / (high - low || 1)) * (canvas.height - 2 * pad);
  c.clearRect(0, 0, canvas.width, canvas.height);
  c.fillStyle = "rgba(47,111,222,0.18)";
  c.beginPath();
  chart.band.forEach(([i, lo], k) => (k ? c.lineTo(chart.x(i), chart.y(lo)) : c.moveTo(chart.x(i), chart.y(lo))));
  [...chart.band].reverse().forEach(([i, , up]) => c.lineTo(chart.x(i), chart.y(up)));
  c.fill();
  for (const s of chart.series) {
    c.strokeStyle = s.colour; c.lineWidth = 1.5; c.setLineDash(s.dash || []);
    c.beginPath();
    s.points.forEach(([i, v], k) => (k ? c.lineTo(chart.x(i), chart.y(v)) : c.moveTo(chart.x(i), chart.y(v))));
    c.stroke();
  }
  c.setLineDash([]); c.fillStyle = "#555"; c.font = "12px sans-serif";
  c.fillText(`${high.toFixed(1)}`, 2, pad); c.fillText(`${low.toFixed(1)}`, 2, canvas.height - pad);
  c.fillText(chart.times[0], pad, canvas.height - 12); c.fillText(chart.times[chart.times.length - 1], canvas.width - pad - 80, canvas.height - 12);
  chart.series.forEach((s, k) => { c.fillStyle = s.colour; c.fillText(s.name, pad + 10 + k * 130, 16); });
}

document.getElementById("chart").addEventListener("mousemove", event => {
  if (!chart) return;
  const canvas = event.target, box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * canvas.width / box.width;
  let best = null;
  for (const s of chart.series) for (const [i, v] of s.points) {
    const d = Math.abs(chart.x(i) - x);
    if (!best || d < best.d) best = { d, i, v, name: s.name };
  }
  if (best) document.getElementById("hover").textContent = `${chart.times[best.i]}: ${best.v.toFixed(3)} (${best.name})`;
});

function scores(m) {
  const rows = [["model " + m.model, m.rmse, m.mase], ...Object.entries(m.baselines).map(([name, b]) => [name, b.rmse, b.mase])];
  document.getElementById("scores").innerHTML = "<tr><th></th><th>RMSE</th><th>MASE</th></tr>" +
    rows.map(([n, r, s]) => `<tr><td>${n}</td><td>${r.toFixed(3)}</td><td>${s.toFixed(3)}</td></tr>`).join("");
}

async function show() {
  const weights = document.getElementById("model").value, horizon = Number(document.getElementById("horizon").value) || 12;
  scores(models[weights]);
  drawChart(await api(`/api/forecasting/series?weights=${encodeURIComponent(weights)}&horizon=${horizon}`));
}

(async () => {
  await buildNav("forecasting");
  const select = document.getElementById("model");
  for (const m of await api("/api/forecasting/models")) { models[m.weights] = m; select.appendChild(option(m.weights, `${m.weights} (${m.series})`)); }
  select.onchange = document.getElementById("horizon").onchange = () => show().catch(() => {});
  const upload = document.getElementById("upload");
  upload.onchange = async () => {
    if (!upload.files[0]) return;
    const data = await postForm("/api/forecasting/upload", { file: upload.files[0], weights: select.value, horizon: document.getElementById("horizon").value }).catch(() => null);
    if (data) drawChart(data);
  };
  show().catch(() => {});
})();
