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
