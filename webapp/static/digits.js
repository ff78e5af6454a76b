// Digits, live: draw, and every layer of the selected model answers.
"use strict";

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const strokes = [];          // each stroke: a list of [x, y]; undo drops the last
let background = null;       // an uploaded or clicked image, drawn under the strokes
let drawing = false, inFlight = false, pending = false;
window.lastTimings = null;   // {server_ms, roundtrip_ms, render_ms} of the last answer (benchmarks read it)
window.digitsIdle = () => !drawing && !inFlight && !pending;  // every stroke answered (tests wait for it)

function redraw() {
  ink.fillStyle = "#000"; ink.fillRect(0, 0, pad.width, pad.height);
  if (background) ink.drawImage(background, 0, 0, pad.width, pad.height);
  ink.strokeStyle = "#fff"; ink.lineWidth = 20; ink.lineCap = ink.lineJoin = "round";
  for (const stroke of strokes) {
    ink.beginPath();
    stroke.forEach(([x, y], i) => (i ? ink.lineTo(x, y) : ink.moveTo(x, y)));
    if (stroke.length === 1) ink.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
    ink.stroke();
  }
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", event => {
  drawing = true; pad.setPointerCapture(event.pointerId);
  strokes.push([point(event)]); redraw();
});
pad.addEventListener("pointermove", event => {
  if (!drawing) return;
  strokes[strokes.length - 1].push(point(event)); redraw();
  if (!inFlight) predict();   // during the stroke, as often as the answers keep up
});
for (const name of ["pointerup", "pointercancel"]) {
  pad.addEventListener(name, () => { if (drawing) { drawing = false; predict(); } });
}
document.getElementById("clear").onclick = () => { strokes.length = 0; background = null; redraw(); clearAnswers(); };
document.getElementById("undo").onclick = () => { strokes.pop(); redraw(); strokes.length || background ? predict() : clearAnswers(); };

function clearAnswers() { document.getElementById("answers").innerHTML = ""; }

function selectedModels() {
  const models = [document.getElementById("model").value];
  if (document.getElementById("compare").checked) models.push(document.getElementById("model2").value);
  return models;
}

async function predict(file = null) {
  if (!file && !strokes.length && !background) return;
  if (inFlight) { pending = true; return; }
  inFlight = true;
  try {
    const blob = file || await new Promise(resolve => pad.toBlob(resolve, "image/png"));
    const sent = performance.now();
    const answers = await Promise.all(selectedModels().map(weights => postForm("/api/digits/predict", { file: blob, weights })));
    const received = performance.now();
    render(answers);
    const done = performance.now();
    window.lastTimings = { server_ms: Math.max(...answers.map(a => a.server_ms)), roundtrip_ms: received - sent, render_ms: done - received };
    document.getElementById("timing").textContent =
      `server ${window.lastTimings.server_ms.toFixed(0)} ms · round trip ${(received - sent).toFixed(0)} ms · drawn in ${(done - received).toFixed(0)} ms`;
  } catch (error) {
    // the message is on the page already
  } finally {
    inFlight = false;
    if (pending) { pending = false; predict(); }
  }
}

function render(answers) {
  const holder = document.getElementById("answers");
  holder.innerHTML = "";
  for (const answer of answers) {
    const column = document.createElement("div");
    column.className = "panel answer";
    column.dataset.weights = answer.weights;
    column.innerHTML = `<div class="muted">${answer.weights}</div><div class="big label">${answer.label}</div><div class="bars"></div>
      <h2>What the network sees</h2><div class="input"></div><div class="muted">${answer.input.note}</div>
      <h2>Every layer</h2><div class="layers"></div>`;
    probabilityBars(column.querySelector(".bars"), [...Array(10).keys()].map(String), answer.probabilities);
    column.querySelector(".input").appendChild(tiles(answer.input, 4));
    const layers = column.querySelector(".layers");
    if (answer.filters) layers.appendChild(figure(`first layer's filters (${answer.filters.layer})`, tiles(answer.filters, 3)));
    for (const layer of answer.layers) {
      const picture = layer.kind === "maps" ? tiles(layer, layer.shape[1] > 20 ? 1.5 : 3) : vectorBars(layer.values);
      const size = layer.kind === "maps" ? `${layer.shape[0]} maps of ${layer.shape[1]}x${layer.shape[2]}` : `${layer.values.length} numbers`;
      layers.appendChild(figure(`${layer.name} (${layer.type}): ${size}`, picture, layer.name));
    }
    holder.appendChild(column);
  }
}

function figure(caption, picture, name = "") {
  const element = document.createElement("figure");
  element.className = "layer"; element.dataset.layer = name; element.style.margin = "0";
  element.appendChild(picture);
  const text = document.createElement("figcaption"); text.textContent = caption;
  element.appendChild(text);
  return element;
}

// an image file (uploaded, or a test digit clicked) answers at once, and lies under new strokes
// once the browser has drawn it (a file it cannot draw still goes to the server, which says why)
function loadBackground(source, file) {
  strokes.length = 0; background = null; redraw();
  predict(file);
  const image = new Image();
  image.onload = () => { background = image; redraw(); };
  image.src = source;
}

document.getElementById("upload").addEventListener("change", event => {
  const file = event.target.files[0];
  if (file) loadBackground(URL.createObjectURL(file), file);
});

document.getElementById("mistakes").onclick = async () => {
  const weights = document.getElementById("model").value;
  document.getElementById("mistakes-note").textContent = "evaluating on the 10,000 test digits…";
  const result = await api(`/api/digits/mistakes?weights=${encodeURIComponent(weights)}&limit=60`);
  document.getElementById("mistakes-note").textContent =
    `${weights}: ${result.mistakes} mistakes in ${result.images.toLocaleString()} test digits; the first ${result.shown.length}, click one to see it live`;
  const gallery = document.getElementById("gallery");
  gallery.innerHTML = "";
  for (const m of result.shown) {
    const item = document.createElement("figure");
    item.innerHTML = `<img src="${m.image}" alt="test digit ${m.index}"><figcaption>${m.label} → ${m.answer}</figcaption>`;
    item.onclick = async () => loadBackground(m.image, await (await fetch(m.image)).blob());
    gallery.appendChild(item);
  }
};

async function start() {
  await buildNav("digits");
  const models = await api("/api/digits/models");
  for (const [id, second] of [["model", 1], ["model2", 0]]) {
    const select = document.getElementById(id);
    models.forEach((m, i) => select.appendChild(option(m.weights,
      `${m.weights} (${m.model}${m.test_error != null ? `, ${(m.test_error * 100).toFixed(2)}% error` : ""})`, i === (second ? 0 : 1))));
    select.onchange = () => predict();
  }
  document.getElementById("compare").onchange = () => predict();
  redraw();
}
start();
