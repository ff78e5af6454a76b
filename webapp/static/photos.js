// Photos: the top five classes of an uploaded photo, and the crop the network saw.
"use strict";

async function predict(file) {
  const answer = await postForm("/api/photos/predict", { file, weights: document.getElementById("model").value });
  document.getElementById("answer").hidden = false;
  document.getElementById("crop").src = answer.crop;
  document.getElementById("note").textContent = answer.note;
  probabilityBars(document.getElementById("top"), answer.top.map(t => t.label), answer.top.map(t => t.probability));
}

(async () => {
  await buildNav("photos");
  const select = document.getElementById("model");
  for (const m of await api("/api/photos/models")) select.appendChild(option(m.weights, `${m.weights} (${m.classes} classes)`));
  const upload = document.getElementById("upload");
  upload.onchange = () => upload.files[0] && predict(upload.files[0]).catch(() => {});
  select.onchange = upload.onchange;
})();
