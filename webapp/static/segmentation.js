// Segmentation: the U-Net mask over the micrograph, with an opacity slider.
"use strict";

let last = null;

function loadImage(source) {
  return new Promise(resolve => { const image = new Image(); image.onload = () => resolve(image); image.src = source; });
}

async function show() {
  if (!last) return;
  const [image, mask] = await Promise.all([loadImage(last.image), loadImage(last.mask)]);
  const view = document.getElementById("view");
  view.width = image.width; view.height = image.height;
  const context = view.getContext("2d");
  context.globalAlpha = 1; context.drawImage(image, 0, 0);
  const tint = document.createElement("canvas");
  tint.width = mask.width; tint.height = mask.height;
  const t = tint.getContext("2d");
  t.drawImage(mask, 0, 0);
  const pixels = t.getImageData(0, 0, tint.width, tint.height);
  for (let i = 0; i < pixels.data.length; i += 4) {
    const on = pixels.data[i] > 127;
    pixels.data[i] = 255; pixels.data[i + 1] = 40; pixels.data[i + 2] = 40; pixels.data[i + 3] = on ? 255 : 0;
  }
  t.putImageData(pixels, 0, 0);
  context.globalAlpha = Number(document.getElementById("opacity").value);
  context.drawImage(tint, 0, 0);
  context.globalAlpha = 1;
}

async function segment(file) {
  last = await postForm("/api/segmentation/predict", { file, weights: document.getElementById("model").value });
  document.getElementById("answer").hidden = false;
  document.getElementById("numbers").textContent =
    `${last.width}x${last.height} pixels · foreground ${(last.foreground_fraction * 100).toFixed(1)}% · ${last.objects} objects · ${last.server_ms.toFixed(0)} ms`;
  await show();
}

(async () => {
  await buildNav("segmentation");
  const select = document.getElementById("model");
  for (const m of await api("/api/segmentation/models")) select.appendChild(option(m.weights, m.weights));
  const upload = document.getElementById("upload");
  upload.onchange = () => upload.files[0] && segment(upload.files[0]).catch(() => {});
  document.getElementById("opacity").oninput = show;
  const examples = document.getElementById("examples");
  for (const example of await api("/api/segmentation/examples")) {
    const item = document.createElement("figure");
    item.innerHTML = `<img src="${example.image}" alt="${example.name}" style="width:96px;height:96px"><figcaption>${example.name}</figcaption>`;
    item.onclick = async () => segment(await (await fetch(example.image)).blob()).catch(() => {});
    examples.appendChild(item);
  }
})();
