"""The text task: corpora, vocabulary and n-gram baselines, the four language models, a short
training run on a small text, `toolkit evaluate` and `toolkit generate`."""

import math

import numpy as np
import pytest
from click.testing import CliRunner

import toolkit
from cli.main import toolkit as cli
from toolkit.data.text import TextError, decode, encode, ngram_baselines, read_text, split, vocabulary

VERSE = "Uma noite destas, vindo da cidade para o Engenho Novo, encontrei no trem da Central um rapaz.\n"


def test_reading_a_corpus_and_its_errors(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("ação".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("")
    for name, message in (("missing.txt", "no such text file"), ("latin1.txt", r"not UTF-8 text \(byte 1"),
                          ("empty.txt", "empty file")):  # fmt: skip
        with pytest.raises(TextError, match=message):
            read_text(tmp_path / name)


def test_the_vocabulary_encodes_and_names_an_unknown_character():
    vocab = vocabulary(VERSE)
    assert vocab == "".join(sorted(set(VERSE))) and decode(encode(VERSE, vocab), vocab) == VERSE
    with pytest.raises(TextError, match=r"'ç' \(U\+00E7\) is not in the model's vocabulary of 26 characters"):
        encode("caça", vocab)
    train, validation = split(np.arange(1000))
    assert len(validation) == 100 and validation[0] == 900


def test_ngram_baselines_on_a_text_with_a_period_of_three():
    tokens = encode("abc" * 400, "abc")
    train, validation = split(tokens)
    baselines = ngram_baselines(train, validation, 3)
    assert baselines["unigram"] == pytest.approx(math.log(3), rel=1e-3)  # each letter a third of the time
    assert baselines["bigram"] < 0.25 and baselines["trigram"] < baselines["bigram"]  # the next letter is certain


def test_the_n_gram_baselines_of_the_two_corpora(data_dir):
    for name, trigram in (("dom_casmurro", 2.021), ("tinyshakespeare", 2.111)):
        text = read_text(data_dir / "text" / f"{name}.txt")
        train, validation = split(encode(text, vocabulary(text)))
        baselines = ngram_baselines(train, validation, len(vocabulary(text)))
        assert baselines["trigram"] == pytest.approx(trigram, abs=1e-3)
        assert baselines["trigram"] < baselines["bigram"] < baselines["unigram"]


@pytest.mark.parametrize("name", ["char_rnn", "char_lstm", "char_gru", "gpt"])
def test_each_language_model_gives_next_character_logits_at_every_position(name):
    model = toolkit.build_model(name, vocab_size=30)
    tokens = np.random.default_rng(0).integers(0, 30, (2, 17)).astype("int32")
    assert model(tokens).shape == (2, 17, 30)
    changed = tokens.copy()
    changed[:, -1] = (changed[:, -1] + 1) % 30
    before, after = np.asarray(model(tokens)), np.asarray(model(changed))
    np.testing.assert_allclose(before[:, :-1], after[:, :-1], atol=1e-5)  # nothing sees the future


def test_parameter_counts_follow_the_formulas():
    v, e, u = 30, 16, 32
    lstm = toolkit.build_model("char_lstm", vocab_size=v, embedding_dim=e, units=u, num_layers=1)
    assert lstm.count_params() == v * e + 4 * (u * (e + u) + u) + u * v + v
    d, block, layers = 32, 16, 2
    gpt = toolkit.build_model("gpt", vocab_size=v, block_size=block, n_layer=layers, n_head=4, n_embd=d)
    block_params = 4 * (d * d + d) + 2 * 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d)
    assert gpt.count_params() == v * d + v + block * d + layers * block_params + 2 * d  # the output reuses the embedding
    with pytest.raises(ValueError, match="n_embd must be a multiple of n_head"):
        toolkit.build_model("gpt", n_embd=30, n_head=4)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A GRU trained for three epochs on a small repetitive text, through `toolkit fit`."""
    folder = tmp_path_factory.mktemp("text")
    (folder / "verse.txt").write_text(VERSE * 60)
    out = folder / "run"
    args = ["fit", "--task", "text", "--model", "char_gru", "--data", str(folder / "verse.txt"), "--seq-len", "32",
            "--epochs", "3", "--batch-size", "8", "--arg", "units=64", "--seed", "0", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_a_short_run_beats_the_unigram_and_evaluate_prints_the_baselines(short_run):
    result = CliRunner().invoke(cli, ["evaluate", "--weights", str(short_run)])
    assert result.exit_code == 0, result.output
    assert "trigram baseline" in result.output and "bits" in result.output
    from toolkit import tasks

    task = tasks.task_for(str(short_run))
    measured = task.evaluate(toolkit.load_pretrained(str(short_run)))
    assert measured["split"] == "validation" and measured["characters"] > 0
    assert measured["bits_per_char"] == pytest.approx(measured["nats_per_char"] / math.log(2))
    assert measured["nats_per_char"] < measured["baselines"]["unigram"]["nats_per_char"]
    assert task.settings["vocabulary"] == vocabulary(VERSE)  # the vocabulary travels with the run


def test_generate_is_seeded_and_refuses_unknown_characters(short_run):
    def generate(*args):
        return CliRunner().invoke(cli, ["generate", "--weights", str(short_run), *args])

    first, again = generate("--prompt", "Uma ", "-n", "40", "--seed", "1"), generate("--prompt", "Uma ", "-n", "40", "--seed", "1")
    assert first.exit_code == 0 and first.output == again.output and first.output.startswith("Uma ")
    assert len(first.output.rstrip("\n")) >= 44
    other = generate("--prompt", "Uma ", "-n", "40", "--seed", "2", "--temperature", "1.5")
    assert other.output != first.output
    streamed = generate("--prompt", "Uma ", "-n", "40", "--seed", "1", "--stream")
    assert streamed.output == first.output
    bad = generate("--prompt", "Xícara", "-n", "5")
    assert bad.exit_code == 1 and "'X' (U+0058) is not in the model's vocabulary" in bad.output
    assert "Traceback" not in bad.output
    wrong = CliRunner().invoke(cli, ["generate", "--weights", "digits.best"])
    assert wrong.exit_code == 1 and "not a language model" in wrong.output


def _random_weights(model, seed=0):
    """Perturb every weight (biases and norms too), so that a wrong formula cannot agree by chance."""
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("name", ["char_rnn", "char_lstm", "char_gru", "gpt"])
def test_the_step_decoder_gives_the_full_windows_logits(name):
    from toolkit.models.language import decoder

    model = _random_weights(toolkit.build_model(name, vocab_size=11, **({"block_size": 16} if name == "gpt" else {"units": 24})))
    tokens = np.random.default_rng(1).integers(0, 11, 16)
    full = np.asarray(model(tokens[None].astype("int32")))[0]
    steps = decoder(model, 16)
    stepped = [steps.prime(tokens[:5])] + [steps.step(int(t)) for t in tokens[5:]]
    np.testing.assert_allclose(np.array(stepped), full[4:], atol=1e-4)


def test_a_full_gpt_window_restarts_its_cache_from_its_last_three_quarters():
    from toolkit.models.language import decoder

    model = _random_weights(toolkit.build_model("gpt", vocab_size=11, block_size=8, n_embd=16, n_head=2, n_layer=1))
    tokens = [int(t) for t in np.random.default_rng(2).integers(0, 11, 9)]
    steps = decoder(model, 8)
    steps.prime(tokens[:8])
    after = steps.step(tokens[8])  # a ninth character: the model reads the last six
    np.testing.assert_allclose(after, np.asarray(model(np.array([tokens[3:]], "int32")))[0, -1], atol=1e-4)


def test_attention_maps_are_causal_and_each_row_sums_to_one():
    from toolkit.models.language import attention_maps

    model = _random_weights(toolkit.build_model("gpt", vocab_size=11, block_size=16, n_layer=2, n_head=4, n_embd=32))
    maps = attention_maps(model, list(range(10)))
    assert maps.shape == (2, 4, 10, 10)
    np.testing.assert_allclose(maps.sum(-1), 1, atol=1e-5)
    assert np.all(np.triu(maps, k=1) == 0) and np.all(np.diagonal(maps, axis1=-2, axis2=-1) > 0)
    with pytest.raises(ValueError, match="has no attention"):
        attention_maps(toolkit.build_model("char_gru", vocab_size=11), [1, 2])


def test_the_gradient_fades_in_the_recurrent_net_and_context_lowers_the_loss(short_run):
    from toolkit import tasks

    task, model = tasks.task_for(str(short_run)), toolkit.load_pretrained(str(short_run))
    reach = task.gradient_reach(model, windows=8)
    assert reach.shape == (32,) and np.all(reach > 0)
    assert reach[-1] < reach[0] / 10  # a GRU's gradient 32 characters back is a small part of the last one's
    by_context = task.loss_by_context(model, lengths=(2, 8, 32))
    assert list(by_context) == [2, 8, 32] and by_context[32] < by_context[8] < by_context[2]  # a repeated verse
    assert by_context[32] == pytest.approx(task.evaluate(model)["nats_per_char"], rel=1e-6)
    with pytest.raises(ValueError, match="reads at most 32 characters"):
        task.loss_by_context(model, lengths=(64,))


def test_generate_draws_the_attention_of_a_gpt(tmp_path):
    folder = tmp_path / "gpt"
    (tmp_path / "verse.txt").write_text(VERSE * 20)
    args = ["fit", "--task", "text", "--model", "gpt", "--data", str(tmp_path / "verse.txt"), "--seq-len", "32", "--epochs", "1",
            "--batch-size", "8", "--arg", "n_layer=1", "--arg", "n_embd=32", "--out", str(folder)]  # fmt: skip
    assert CliRunner().invoke(cli, args).exit_code == 0
    picture = tmp_path / "attention.png"
    drawn = CliRunner().invoke(cli, ["generate", "--weights", str(folder), "--prompt", "Uma", "-n", "40", "--attention", str(picture)])
    assert drawn.exit_code == 0, drawn.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = CliRunner().invoke(cli, ["generate", "--weights", str(folder), "-n", "5", "--attention", str(picture)])
    assert again.exit_code == 1 and "--force" in again.output
    wrong = CliRunner().invoke(cli, ["generate", "--weights", str(folder), "-n", "5", "--attention", str(tmp_path / "a.txt")])
    assert wrong.exit_code == 2 and "not a PNG file name" in wrong.output


def test_attention_is_refused_for_a_recurrent_model(short_run, tmp_path):
    result = CliRunner().invoke(cli, ["generate", "--weights", str(short_run), "-n", "5", "--attention", str(tmp_path / "a.png")])
    assert result.exit_code == 1 and "--attention is for a GPT" in result.output
    assert not (tmp_path / "a.png").exists()
