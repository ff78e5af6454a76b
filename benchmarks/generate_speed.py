"""`toolkit generate`'s characters per second: the step decoder (a GPT's key-value cache, a
char-RNN's carried state) against the model run on the whole window for each new character.

    python benchmarks/generate_speed.py [--weights gpt.dom_casmurro,char_lstm.dom_casmurro] [-n 500]

The reference runs the model compiled (`predict_on_batch`) on a window of one fixed shape. Each way draws the same number of characters after the same prompt (temperature 0.8, seed 0),
after one warm-up; prints characters per second and the ratio (target: at least 3).
"""

import argparse
import time

import numpy as np
from scipy.special import softmax


def step_decoder(task, model, prompt, count, temperature=0.8, seed=0):
    return task.generate(model, prompt, count, temperature=temperature, seed=seed)


def whole_window(task, model, prompt, count, temperature=0.8, seed=0):
    """The reference: each character runs the model, compiled, on the last `seq_len` characters
    (padded on the right to one fixed shape; what follows a position does not change its logits)."""
    from toolkit.data.text import decode, encode

    random = np.random.default_rng(seed)
    tokens = list(encode(prompt, task.vocab))
    window = np.zeros((1, task.settings["seq_len"]), "int32")
    for _ in range(count):
        last = tokens[-task.settings["seq_len"] :]
        window[0, : len(last)] = last
        logits = np.asarray(model.predict_on_batch(window))[0, len(last) - 1].astype("float64") / temperature
        tokens.append(int(random.choice(len(logits), p=softmax(logits))))
    return decode(tokens, task.vocab)[len(prompt) :]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="gpt.dom_casmurro,char_lstm.dom_casmurro")
    parser.add_argument("-n", "--count", type=int, default=500)
    args = parser.parse_args()

    from toolkit import hub, tasks

    print(f"{'weights':28} {'step decoder':>14} {'whole window':>14} {'ratio':>7}")
    for weights_id in args.weights.split(","):
        task, model = tasks.task_for(weights_id), hub.load_pretrained(weights_id)
        speeds = []
        for draw in (step_decoder, whole_window):
            draw(task, model, "\n", 5)
            start = time.perf_counter()
            draw(task, model, "\n", args.count)
            speeds.append(args.count / (time.perf_counter() - start))
        print(f"{weights_id:28} {speeds[0]:>10,.0f} c/s {speeds[1]:>10,.0f} c/s {speeds[0] / speeds[1]:>7.1f}")


if __name__ == "__main__":
    main()
