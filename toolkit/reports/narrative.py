"""reports/README.md: the history of the networks, told by the measured tables and figures.

The fixed text is the template `README.template.md` beside this module; the sentences that depend
on the numbers (rankings, gaps to the papers, fairness warnings) are computed here.
"""

import math
import pathlib
import re
import string

import numpy as np
import pandas as pd


def _markdown(frame, columns=None, percent=(), digits=3):
    """A Markdown table of `columns`, errors in `percent` as percentages, blanks for missing values."""
    frame = frame[list(columns)] if columns else frame

    def show(value, column):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return ""
        if column in percent:
            return f"{value:.2%}"
        if isinstance(value, float):
            return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
        if isinstance(value, int) and not isinstance(value, bool) and column != "year":
            return f"{value:,}"
        return str(value)

    shown = pd.DataFrame({column: [show(v, column) for v in frame[column].tolist()] for column in frame.columns})
    return shown.to_markdown(index=False) if len(shown) else "(none yet)"


def _plain_vs_residual_text(curves):
    """What the plain-vs-residual curves show, in words computed from them.

    Two runs had the same budget when they got the same number of epochs and the same weight decay.
    """
    final = {name: (1 - h["accuracy"][-1], 1 - h["val_accuracy"][-1], len(h["accuracy"])) for name, h in curves.items()}
    decay = {name: h.get("weight_decay") for name, h in curves.items()}
    lines = [f"- `{name}`: training error {train:.1%}, validation error {val:.1%} after {epochs} epochs"
             for name, (train, val, epochs) in sorted(final.items())]  # fmt: skip
    for kind, shallow, deep, paper in (
        ("plain", "plain20", "plain56", "higher"),
        ("residual", "resnet20", "resnet56", "lower"),
    ):
        if {shallow, deep} <= set(final):
            measured = "higher" if final[deep][0] > final[shallow][0] else "lower"
            lines.append(
                f"- The deeper {kind} net has {measured} training error than the shallower one"
                + (", as in the paper's Figure 6." if measured == paper else ", unlike the paper's Figure 6.")
            )
    for depth in (20, 56):
        plain, residual = f"plain{depth}", f"resnet{depth}"
        if {plain, residual} <= set(final) and (final[plain][2], decay[plain]) == (final[residual][2], decay[residual]):
            (p_train, p_val, epochs), (r_train, r_val, _) = final[plain], final[residual]
            lines.append(
                f"- Same depth, same budget ({epochs} epochs each): the shortcuts take training error from"
                f" {p_train:.1%} (`{plain}`) to {r_train:.1%} (`{residual}`) and validation error from {p_val:.1%}"
                f" to {r_val:.1%}."
            )
    if {"plain20", "plain56", "resnet20", "resnet56"} <= set(final):
        epochs = {name: e for name, (_, _, e) in final.items()}
        for what, values in (("number of epochs", epochs), ("weight decay", decay)):
            if len(set(values.values())) > 1:
                lines.append(
                    f"- Caution: these runs did not get the same {what} ("
                    + ", ".join(f"{n} {v:g}" for n, v in sorted(values.items()))
                    + "), so the comparison is not yet a fair one."
                )
    return "\n".join(lines)


def _cifar_ranking_text(cifar):
    """Where the measured CIFAR-10 errors break the historical order (plain nets left out), and
    whether the training budget, the computation per image or the test set's sampling error explains it.

    The same epochs are not the same computation: a newer net that does at most half the older one's
    multiply-adds per image got less of it.

    The sampling error is that of a two-proportion test: a gap under two standard errors of the
    difference of two error rates, each measured on its test images, is not significant.
    """
    named = cifar.drop(columns=["model"], errors="ignore")  # the ImageNet model; the CIFAR-10 one replaces it
    named = named.rename(columns={"CIFAR-10 model": "model", "CIFAR-10 test error": "error",
                                  "CIFAR-10 test images": "images", "CIFAR-10 MACs": "macs"})  # fmt: skip
    rows = [r for r in named.to_dict("records") if not r["model"].startswith("plain")]
    lines = []
    for later in rows:
        for earlier in rows:
            if earlier["year"] < later["year"] and earlier["error"] < later["error"]:
                reasons = ["it trained for fewer epochs"] if later["epochs"] < earlier["epochs"] else []
                if later.get("weight decay", 0) < earlier.get("weight decay", 0):
                    reasons.append("it was trained with less weight decay")
                if later.get("macs") and 2 * later["macs"] <= earlier["macs"]:
                    reasons.append(f"it does {later['macs'] / earlier['macs']:.0%} of the older net's multiply-adds per"
                                   f" image ({later['macs'] / 1e6:.0f} M against {earlier['macs'] / 1e6:.0f} M), so the"
                                   " same epochs gave it less computation")  # fmt: skip
                gap = later["error"] - earlier["error"]
                noise = 2 * sum(r["error"] * (1 - r["error"]) / r["images"] for r in (later, earlier)) ** 0.5
                if gap < noise:
                    reasons.append(f"its gap of {100 * gap:.2f} points is under two standard errors"
                                   f" ({100 * noise:.2f} points), so not significant")  # fmt: skip
                unexplained = (
                    "explained neither by the budget, the computation per image nor the test set's sampling error"
                )
                reason = " and ".join(reasons) or unexplained
                lines.append(
                    f"- `{later['model']}` ({later['year']}, {later['error']:.2%} after {later['epochs']} epochs) is"
                    f" worse than the older `{earlier['model']}` ({earlier['year']}, {earlier['error']:.2%} after"
                    f" {earlier['epochs']} epochs): {reason}."
                )
    if not lines:
        return "Every family ranks as the history suggests: each newer network has a lower test error."
    return "Out of the historical order:\n\n" + "\n".join(lines)


def _published_gap_text(cifar, longer=None):
    """How far each measured CIFAR-10 error is from its paper's, beside the two runs' epochs.

    `longer` maps a model to the `(id, catalog entry)` pairs of its runs beyond the shared budget
    (`arch.cifar10_<tag>`), whose errors are set beside the others.
    """
    published = cifar.dropna(subset=["CIFAR-10 published test error", "CIFAR-10 test error"])
    lines = []
    for r in published.to_dict("records"):
        line = (f"- `{r['CIFAR-10 model']}`: {r['CIFAR-10 test error']:.2%} after {r['epochs']} epochs, against the"
                f" paper's {r['CIFAR-10 published test error']:.2%} after about {r['CIFAR-10 published epochs']:.0f}"
                f" ({r['epochs'] / r['CIFAR-10 published epochs']:.0%} of its epochs)")  # fmt: skip
        for weights_id, item in (longer or {}).get(r["CIFAR-10 model"], []):
            line += "; " + _longer_run_text(weights_id, item)
        lines.append(line + ".")
    return "Against the published errors, measured on the original images:\n\n" + "\n".join(lines) if lines else ""


def _longer_run_text(weights_id, item):
    """A run beyond the shared budget: the same recipe for longer, or a second run of shipped weights."""
    (metrics,) = item["metrics"].values()
    recipe = item["recipe"]
    if not recipe.get("starts_from"):
        return f"the same recipe run for {recipe['epochs']} epochs (`{weights_id}`) reaches {metrics['error']:.2%}"
    start = re.search(r"--(?:start-)?weights (\S+)", recipe["command"])
    more = recipe["epochs"] - sum(earlier.get("epochs", 0) for earlier in recipe["starts_from"])
    settings = recipe["hyperparameters"]
    soup = f"; {settings['soup']}" if "soup" in settings else ""
    return (f"`{weights_id}`, {more} more epochs from {f'`{start[1]}`' if start else 'earlier weights'}"
            f" ({settings['augment']}; {settings['training_images']:,} training images{soup}),"
            f" reaches {metrics['error']:.2%}")  # fmt: skip


def reports_readme(frames, curves, figures, reach):
    """reports/README.md: the template filled with the measured tables, figures and the sentences
    computed from them."""
    from toolkit import catalog

    history, errors = frames["history"], frames["errors"]
    digits = errors[errors["task"] == "digits"]
    cifar = history.dropna(subset=["CIFAR-10 test error"])
    imagenet_columns = ["year", "network", "developers", "ILSVRC place", "ILSVRC top-5 error (challenge entry)",
                        "top-5 error (single model, published)", "lecture's parameters", "published parameters", "model", "input",
                        "parameters", "MACs"]  # fmt: skip
    cifar_columns = ["year", "network", "CIFAR-10 model", "CIFAR-10 parameters", "CIFAR-10 MACs", "CIFAR-10 test error",
                     "CIFAR-10 training error", "CIFAR-10 published test error", "epochs", "weight decay",
                     "training seconds per epoch", "training machine", "inference images/s (CPU)"]  # fmt: skip
    entries = catalog.load_catalog()

    def pictures(prefix):
        return "\n".join(f"![{f}](figures/{f})" for f in figures if f.startswith(prefix))

    infogan_note = "\n\nInfoGAN's grid has one column per learned code (code 0 first, left to right)."
    template = string.Template((pathlib.Path(__file__).parent / "README.template.md").read_text())
    text = template.substitute(
        digits_table=_markdown(digits, ["weights", "model", "error", "parameters", "epochs"], PERCENT),
        imagenet_table=_markdown(history.dropna(subset=["model"]), imagenet_columns, PERCENT),
        cifar_table=_markdown(cifar, cifar_columns, PERCENT),
        cifar_notes=_cifar_notes(history, cifar, entries),
        plain_vs_residual=_plain_vs_residual_text(curves),
        segmentation_table=_markdown(frames["segmentation"], percent=()),
        overlays=pictures("overlay-"),
        averaged=", ".join(f"`{k}`" for k, v in entries.items() if v.get("build", {}).get("ema")) or "none",
        generation_table=_markdown(frames["generation"]),
        samples=pictures("samples-") + (infogan_note if any(f.startswith("samples-infogan") for f in figures) else ""),
        autoencoding_table=_markdown(frames["autoencoding"]),
        label_efficiency_table=_markdown(frames["label_efficiency"], percent=("test error",)),
        reconstructions="\n".join(pictures(prefix) for prefix in ("reconstructions-", "prior-samples-", "latent-")),
        generative_text=_generative_text(frames["generation"], entries),
        text_table=_markdown(frames["text"]),
        text_samples=_text_samples(entries),
        reach_text=_reach_text(reach),
        context_text=_context_text(frames["context_length"]),
        context_table=_markdown(frames["context_length"]),
        chatgpt_text=_chatgpt_text(entries),
        attention_text=_attention_text([f for f in figures if f.startswith("attention-")]),
        attention=pictures("attention-"),
        forecasting_table=_markdown(frames["forecasting"]),
        forecasts=pictures("forecast-"),
    )
    return re.sub(r"\n{3,}", "\n\n", text)  # a part that is empty leaves no gap


def _generative_text(generation, entries):
    """The "discriminative against generative" paragraph, naming the shipped models of each kind."""

    def named(ids):
        return ", ".join(f"`{i}`" for i in ids) or "none yet"

    discriminative = {v["arch"]: None for v in entries.values() if v["task"] in ("digits", "folder", "imagenet", "segmentation")}
    gans = [i for i, v in entries.items() if v["task"] == "generation"]
    vaes = [i for i, v in entries.items() if v["arch"] == "vae"]
    text = (
        "**Discriminative against generative.** A discriminative model learns p(label | image): the digit and "
        f"image classifiers and the segmenters (the shipped {named(discriminative)}) "
        "answer a question about a given input and cannot draw one. A generative model learns the images "
        f"themselves. The GANs ({named(gans)}) learn to draw digits but give no probability of a given one; "
        f"the VAE ({named(vaes)}) draws digits and also bounds the likelihood of each (the autoencoders' table gives it in nats). "
        "SimCLR is neither: it learns features without labels, and the labels come after."
    )
    rows = generation[generation["evaluated on"].str.contains("prior", na=False)]
    gan_rows = generation[generation["weights"].isin(gans)]
    if len(rows) and len(gan_rows):
        best = gan_rows.loc[gan_rows["FID"].idxmin()]
        vae_fid = rows["FID"].iloc[0]
        text += (f" Judged by the same classifier, the VAE's prior samples reach an FID of {vae_fid:.2f}, "
                 f"against {best['FID']:.2f} for the best GAN (`{best['weights']}`)")  # fmt: skip
        text += (": a likelihood spreads ink over every stroke a digit might have, where a GAN commits to one."
                 if vae_fid > best["FID"] else ".")  # fmt: skip
    return text


def _text_samples(entries):
    """400 characters of each shipped language model after a newline (temperature 0.8, seed 0)."""
    from toolkit import hub, tasks

    blocks = []
    for weights_id, item in entries.items():
        if item["task"] == "text" and not item.get("url"):
            text = tasks.task_for(weights_id).generate(hub.load_pretrained(weights_id), "\n", 400, temperature=0.8, seed=0)
            blocks.append(f"`{weights_id}`:\n\n```text\n{text.strip()}\n```")
    return "\n\n".join(blocks)


def _reach_text(reach, fall=1000):
    """Where each model's gradient falls below 1/`fall` of its value at the last character read."""
    if not reach:
        return ""
    parts, keeps = [], []
    for name, norms in reach.items():
        below = np.flatnonzero(norms < norms[0] / fall)
        if len(below):
            parts.append(f"after {below[0] + 1} characters for `{name}`")
        else:
            keeps.append(f"`{name}`")
    far = len(next(iter(reach.values())))
    text = (f"At the far end of the window, {far} characters back, what reaches the input is this part of the gradient "
            "at the last character read: " + ", ".join(f"{norms[-1] / norms[0]:.0e} for `{name}`" for name, norms in reach.items())
            + ". ")  # fmt: skip
    text += f"It falls below 1/{fall:,} of its value at the last character read " + ", ".join(parts) + "." if parts else ""
    if keeps:
        text += (f" It never does within the window for {' and '.join(keeps)}: attention reaches every character of the "
                 "window in one step, where a recurrent net passes the gradient back through one state after another, "
                 "and the information fades along the way (the lecture's \"a informação é atenuada\").")  # fmt: skip
    return text.strip()


def _context_text(context):
    """How much each model's loss falls from 8 characters of context to the most it reads."""
    if context.empty:
        return ""
    columns = [c for c in context.columns if c.endswith("characters (nats)")]
    first, last = columns[0], columns[-1]
    gains = ", ".join(f"{row[first] - row[last]:.3f} nats for `{row['weights']}`" for _, row in context.iterrows())
    return f"From windows of {first.split()[0]} characters to windows of {last.split()[0]}, the loss falls by {gains}."


def _chatgpt_text(entries):
    """What changes from the char-RNN to the GPT, and how the shipped GPT compares with GPT-2 and GPT-3."""
    gpts = {k: v for k, v in entries.items() if v["arch"] == "gpt" and v["task"] == "text"}
    if not gpts:
        return ""

    def characters_read(item):
        return item["recipe"]["hyperparameters"]["training_characters"] * item["recipe"]["epochs"]

    name, item = max(gpts.items(), key=lambda kv: characters_read(kv[1]))
    (metrics,) = item["metrics"].values()
    read, epochs = item["recipe"]["hyperparameters"]["training_characters"], item["recipe"]["epochs"]
    text = (
        "From the char-RNN to the GPT, the way of reading changes. A recurrent net reads a window one character at a "
        "time and carries all it keeps in one state vector (the gradient figure above shows how little of the start "
        "survives); a GPT attends to every character of its window at once, each head of each layer choosing what "
        "to weigh (the map below). The objective does not change: every model here learns to predict the next "
        "character of a text, with no labels but the text itself. That self-supervised objective is the one GPT-2, "
        "GPT-3 and ChatGPT were pretrained on (ChatGPT was then fine-tuned with human feedback to follow "
        f"instructions). The scale does change. `{name}` has {item['params']:,} parameters: GPT-2 small (124 M, "
        f"Radford et al. 2019) has {124e6 / item['params']:,.0f} times as many and GPT-3 (175 B, Brown et al. 2020) "
        f"{175e9 / item['params']:,.0f} times. It read {read:,} characters {epochs} times ({read * epochs / 1e6:,.0f} M "
        "characters in all); GPT-2 read 40 GB of web pages (WebText) and GPT-3 300 billion tokens. It predicts the "
        f"next character at {metrics['bits_per_char']:.3f} bits, against {metrics['baselines']['trigram']['bits_per_char']:.3f} "
        "for the trigram counts."
    )
    pairs = [(g, lstm) for g in gpts if (lstm := g.replace("gpt.", "char_lstm.", 1)) in entries]
    if pairs:
        bits = {k: next(iter(entries[k]["metrics"].values()))["bits_per_char"] for pair in pairs for k in pair}
        text += " Against the LSTM of about its size trained on the same budget, the GPT predicts at " + "; ".join(
            f"{bits[g]:.3f} bits against {bits[lstm]:.3f} on {entries[g]['task_settings']['data'].split('/')[-1]}"
            for g, lstm in pairs) + "."  # fmt: skip
        if any(bits[lstm] < bits[g] for g, lstm in pairs):
            text += (" Attention does not win by itself at this size. What it brings (every position of a window "
                     "trained at once, every character of it one step away) is what let GPT-2 and GPT-3 grow to "
                     "sizes no recurrent net was trained at.")  # fmt: skip
    return text


def _attention_text(figures):
    from toolkit.reports.figures import ATTENTION_CHARACTERS

    if not figures:
        return ""
    names = " and ".join(f"`{f.removeprefix('attention-').removesuffix('.png')}`" for f in figures)
    return (f"The last layer's attention of {names} over the first {ATTENTION_CHARACTERS} characters of its sample above, a panel per "
            "head: row i is the character just read, column j a character before it, and brighter is more weight "
            "(each row sums to 1). `toolkit generate --attention map.png` draws it for any text.")  # fmt: skip


PERCENT = ("ILSVRC top-5 error (challenge entry)", "top-5 error (single model, published)", "CIFAR-10 test error",
           "CIFAR-10 training error", "CIFAR-10 published test error", "error")  # fmt: skip


def _cifar_notes(history, cifar, entries):
    """The sentences under the CIFAR-10 table: the ranking, the gaps to the papers, and what makes
    the comparison not yet fair, each a paragraph."""
    missing = history[history["CIFAR-10 model"].notna() & history["CIFAR-10 test error"].isna()]
    epochs = sorted(set(cifar["epochs"].dropna().astype(int)))
    decays = sorted(set(cifar["weight decay"].dropna()))
    longer = {}
    for weights_id, item in sorted(entries.items(), key=lambda pair: len(pair[1]["recipe"].get("starts_from", []))):
        if weights_id.startswith(f"{item['arch']}.cifar10_"):
            longer.setdefault(item["arch"], []).append((weights_id, item))
    notes = [_cifar_ranking_text(cifar), _published_gap_text(cifar, longer)]
    if len(epochs) > 1:
        notes.append(f"Not yet a fair comparison: the runs got different numbers of epochs ({', '.join(map(str, epochs))})"
                     "; the table says how many each got and on which machine.")  # fmt: skip
    if len(decays) > 1:
        notes.append(f"Not yet a fair comparison: the runs had different weight decays ({', '.join(map('{:g}'.format, decays))})"
                     "; the table says which each had.")  # fmt: skip
    if len(missing):
        notes.append("Not trained yet: " + ", ".join(f"`{m}`" for m in missing["CIFAR-10 model"]) + ".")
    return "\n\n".join(note for note in notes if note)
