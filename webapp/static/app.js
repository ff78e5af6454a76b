// toolkit serve: what every page shares (navigation, calls to the API, errors shown on the page).
"use strict";

async function buildNav(here) {
  const header = document.querySelector("header");
  const pages = await api("/api/pages");
  header.innerHTML = '<strong><a href="/">toolkit</a></strong>' +
    pages.map(p => `<a href="/${p.path}" class="${p.path === here ? "here" : ""}">${p.title}</a>`).join("") +
    '<a href="/docs">API</a>';
  return pages;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.classList.toggle("shown", Boolean(message));
}

// fetch that answers parsed JSON, or shows the API's one-line error on the page and throws
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    showError(`the server did not answer: ${error.message}`);
    throw error;
  }
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) {
    showError(body.error || `${response.status} ${response.statusText}`);
    throw new Error(body.error);
  }
  showError("");
  return body;
}

function postJSON(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

function postForm(path, fields) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Blob) form.append(key, value, value.name || "drawing.png");
    else form.append(key, value);
  }
  return api(path, { method: "POST", body: form });
}

function bytes(base64) {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// an 8-bit array {shape: [C, H, W] or [H, W], data} drawn as tiles in one canvas
function tiles(array, scale = 2, columns = 0) {
  const shape = array.shape.length === 2 ? [1, ...array.shape] : array.shape;
  const [count, h, w] = shape;
  const cols = columns || Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const width = cols * (w + 1) - 1, height = rows * (h + 1) - 1;
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  canvas.className = "pixel";
  canvas.style.width = `${width * scale}px`;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const values = bytes(array.data);
  for (let k = 0; k < count; k++) {
    const x0 = (k % cols) * (w + 1), y0 = Math.floor(k / cols) * (h + 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = values[k * h * w + y * w + x];
        const at = ((y0 + y) * width + x0 + x) * 4;
        image.data[at] = image.data[at + 1] = image.data[at + 2] = v;
        image.data[at + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

// numbers as a small bar chart (dense layers)
function vectorBars(values, width = 256, height = 48) {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#111"; context.fillRect(0, 0, width, height);
  const high = Math.max(1e-9, ...values.map(Math.abs));
  const step = width / values.length;
  context.fillStyle = "#7fb0ff";
  values.forEach((v, i) => {
    const bar = (Math.abs(v) / high) * (height / 2);
    context.fillRect(i * step, v >= 0 ? height / 2 - bar : height / 2, Math.max(step - 0.5, 0.5), bar);
  });
  return canvas;
}

function probabilityBars(element, labels, probabilities) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  element.innerHTML = labels.map((label, i) =>
    `<span class="${i === best ? "top" : ""}">${label}</span>` +
    `<div><div class="bar" style="width:${(probabilities[i] * 100).toFixed(1)}%"></div></div>` +
    `<span class="${i === best ? "top" : ""}">${(probabilities[i] * 100).toFixed(1)}%</span>`).join("");
}

function option(value, text, selected = false) {
  const element = document.createElement("option");
  element.value = value; element.textContent = text; element.selected = selected;
  return element;
}
