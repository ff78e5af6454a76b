// History: the reports' tables and figures, computed by the toolkit.
"use strict";

function table(rows, columns) {
  const cell = v => (v === null ? "" : typeof v === "number" ? (Number.isInteger(v) ? v.toLocaleString("en") : v.toPrecision(4)) : v);
  return `<table><tr>${columns.map(c => `<th>${c}</th>`).join("")}</tr>` +
    rows.map(r => `<tr>${columns.map(c => `<td>${cell(r[c])}</td>`).join("")}</tr>`).join("") + "</table>";
}

(async () => {
  await buildNav("history");
  const figures = document.getElementById("figures");
  for (const name of await api("/api/history/figures")) {
    figures.insertAdjacentHTML("beforeend", `<figure class="panel" style="margin:0"><img src="/api/history/figure/${name}.png" alt="${name}" style="max-width:560px"><figcaption class="muted">${name.replaceAll("_", " ")}</figcaption></figure>`);
  }
  const tables = await api("/api/history/tables");
  document.getElementById("history").innerHTML = table(tables.history,
    ["year", "network", "developers", "ILSVRC top-5 error (challenge entry)", "lecture's parameters", "published parameters", "model", "parameters", "CIFAR-10 test error"]);
  document.getElementById("errors").innerHTML = table(tables.errors, Object.keys(tables.errors[0] || {}));
  document.getElementById("params").textContent = "measuring every model…";
  const params = await api("/api/history/params");
  document.getElementById("params").innerHTML = table(params, Object.keys(params[0] || {}));
})();
