// Generation: a grid from a seed, the walk between two seeds, a requested digit, a learned code.
"use strict";

let models = {}, frames = [];

function request() {
  const m = models[document.getElementById("model").value];
  const digit = document.getElementById("digit").value, code = document.getElementById("code").value;
  return {
    weights: m.weights, seed: Number(document.getElementById("seed").value) || 0,
    digit: m.conditional && digit !== "" ? Number(digit) : null, code: m.codes && code !== "" ? Number(code) : null,
  };
}

let drawing = 0;  // the latest draw; an older one's late answers are dropped

async function draw() {
  const mine = ++drawing;
  const m = models[document.getElementById("model").value];
  document.getElementById("digit-box").hidden = !m.conditional;
  document.getElementById("code-box").hidden = !m.codes;
  const code = document.getElementById("code");
  if (code.options.length - 1 !== m.codes) {
    code.length = 1;
    for (let c = 0; c < m.codes; c++) code.appendChild(option(c, c));
  }
  const r = request();
  const grid = await postJSON("/api/generation/sample", { ...r, n: 64 });
  if (mine !== drawing) return;
  document.getElementById("grid").src = grid.grid;
  document.getElementById("walk").hidden = !m.interpolates;
  if (m.interpolates) {
    document.getElementById("a").textContent = r.seed; document.getElementById("b").textContent = r.seed + 1;
    const walk = await postJSON("/api/generation/interpolate", { weights: r.weights, seeds: [r.seed, r.seed + 1], steps: 11, digit: r.digit, code: r.code });
    if (mine !== drawing) return;
    frames = walk.frames;
    document.getElementById("slider").max = frames.length - 1;
    document.getElementById("walk").dataset.shown = `${r.weights} ${r.digit ?? ""} ${r.code ?? ""}`;
    showFrame();
  }
}

function showFrame() { document.getElementById("frame").src = frames[Number(document.getElementById("slider").value)]; }

(async () => {
  await buildNav("generation");
  const select = document.getElementById("model");
  for (const m of await api("/api/generation/models")) { models[m.weights] = m; select.appendChild(option(m.weights, m.weights)); }
  const digit = document.getElementById("digit");
  for (let d = 0; d < 10; d++) digit.appendChild(option(d, d));
  for (const id of ["model", "digit", "code", "seed"]) document.getElementById(id).onchange = () => draw().catch(() => {});
  document.getElementById("draw").onclick = () => draw().catch(() => {});
  document.getElementById("slider").oninput = showFrame;
  draw().catch(() => {});
})();
