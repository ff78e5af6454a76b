// Text: a language model continues the prompt; the characters appear as the server writes them.
"use strict";

let models = {};

async function write() {
  const out = document.getElementById("out");
  const prompt = document.getElementById("prompt").value;
  const body = {
    weights: document.getElementById("model").value, prompt, n: Number(document.getElementById("n").value),
    temperature: Number(document.getElementById("temperature").value), seed: Number(document.getElementById("seed").value),
  };
  const response = await fetch("/api/text/generate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) {
    const error = await response.json().catch(() => ({ error: response.statusText }));
    showError(error.error);
    return;
  }
  showError("");
  out.textContent = prompt;
  out.dataset.done = "";
  const reader = response.body.getReader(), decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out.textContent += decoder.decode(value, { stream: true });
  }
  out.dataset.done = "yes";
}

function about() {
  const m = models[document.getElementById("model").value];
  if (m) document.getElementById("about").textContent =
    `${m.model}, ${m.params.toLocaleString("en")} parameters: ${m.bits_per_char.toFixed(3)} bits per character on ${m.corpus}'s last 10 % (trigram: ${m.trigram_bits_per_char.toFixed(3)})`;
}

(async () => {
  await buildNav("text");
  const select = document.getElementById("model");
  for (const m of await api("/api/text/models")) { models[m.weights] = m; select.appendChild(option(m.weights, m.weights)); }
  select.onchange = about;
  about();
  document.getElementById("write").onclick = () => write().catch(error => showError(error.message));
})();
