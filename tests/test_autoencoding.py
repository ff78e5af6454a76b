"""Autoencoders and the VAE: builders, the autoencoding task on real MNIST, the CLI, and the
few-labels digits runs."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli.main import toolkit
from toolkit import hub
from toolkit.layers import kl_divergence
from toolkit.tasks.autoencoding import AutoencodingTask, binarize, pixel_nll
from toolkit.tasks.digits import DigitsTask, few_labels


@pytest.mark.parametrize("name", ["autoencoder", "conv_autoencoder", "vae"])
def test_an_autoencoder_redraws_its_input_through_a_code(name):
    model = hub.build_model(name, latent_dim=2)
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    pictures = np.asarray(model(images))
    assert pictures.shape == images.shape and 0 <= pictures.min() and pictures.max() <= 1
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    codes = encoder(images)
    assert (codes[0] if name == "vae" else codes).shape == (3, 2)
    assert decoder.input_shape == (None, 2)
    assert AutoencodingTask.is_variational(model) == (name == "vae")


def test_published_sizes():
    """The deep autoencoder of Hinton & Salakhutdinov and the VAE of Burda et al., counted by hand."""
    dense = lambda sizes: sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))  # noqa: E731
    assert hub.build_model("autoencoder").count_params() == dense([784, 1000, 500, 250, 30]) + dense([30, 250, 500, 1000, 784])
    encoder = dense([784, 200, 200]) + 2 * (200 + 1) * 50
    assert hub.build_model("vae").count_params() == encoder + dense([50, 200, 200, 784]) == 425_284


def test_the_vae_draws_its_code_only_in_training_and_adds_its_kl_term():
    model = hub.build_model("vae", seed=3)
    images = binarize(np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32), 0)
    assert np.array_equal(np.asarray(model(images)), np.asarray(model(images)))  # the mean code
    assert not np.array_equal(np.asarray(model(images, training=True)), np.asarray(model(images, training=True)))
    mean, log_var = (np.asarray(a, "float64") for a in model.get_layer("encoder")(images))
    expected = (-0.5 * (1 + log_var - mean**2 - np.exp(log_var)).sum(-1)).mean()
    assert float(model.losses[0]) == pytest.approx(expected, rel=1e-5)


def test_kl_divergence_and_pixel_nll_have_their_closed_forms():
    assert float(kl_divergence(np.zeros((1, 5), "float32"), np.zeros((1, 5), "float32"))[0]) == 0
    # KL(N(1, e) || N(0, 1)) per dimension: (e + 1 - 1 - 1) / 2
    assert float(kl_divergence(np.ones((1, 1), "float32"), np.ones((1, 1), "float32"))[0]) == pytest.approx((np.e - 1) / 2)
    images = np.array([[[[1.0], [0.0]]]], "float32")
    probabilities = np.array([[[[0.8], [0.3]]]], "float32")
    assert float(pixel_nll(images, probabilities)[0]) == pytest.approx(-np.log(0.8) - np.log(0.7), rel=1e-6)


def test_binarizing_is_seeded_and_keeps_the_ink(data_dir):
    grey = DigitsTask().load("test", data_dir, limit=500)[0]
    assert np.array_equal(binarize(grey, 0), binarize(grey, 0)) and not np.array_equal(binarize(grey, 0), binarize(grey, 1))
    assert set(np.unique(binarize(grey, 0))) == {0.0, 1.0}
    assert binarize(grey, 0).mean() == pytest.approx(grey.mean(), abs=0.002)


def test_the_training_batches_are_binarized_and_noised_inputs_keep_clean_targets(data_dir):
    task = AutoencodingTask(noise=0.3)
    model = hub.build_model("conv_autoencoder")
    train, validation = task.datasets(model, batch_size=64, seed=0, data_dir=data_dir, limit=256)
    (inputs, targets), (again, _) = next(iter(train)), next(iter(task.datasets(model, batch_size=64, seed=0, data_dir=data_dir, limit=256)[0]))
    assert set(np.unique(targets.numpy())) == {0.0, 1.0}
    assert 0.25 < float(np.std(inputs.numpy() - targets.numpy())) < 0.35
    assert np.array_equal(inputs.numpy(), again.numpy())  # the same seed, the same batches
    val_inputs, val_targets = next(iter(validation))
    assert np.array_equal(val_inputs.numpy(), val_targets.numpy())


def test_few_labels_are_stratified_seeded_and_in_order(data_dir):
    labels = DigitsTask().load("train", data_dir)[1]
    rows = few_labels(labels, 10, seed=0)
    assert len(rows) == 100 and np.all(np.diff(rows) > 0)
    assert np.bincount(labels[rows], minlength=10).tolist() == [10] * 10
    assert np.array_equal(rows, few_labels(labels, 10, seed=0)) and not np.array_equal(rows, few_labels(labels, 10, seed=1))
    with pytest.raises(ValueError, match="class 0 has"):
        few_labels(labels[:20], 5, seed=0)
    images, chosen = DigitsTask(labels_per_class=10, labels_seed=0).load("train", data_dir)
    assert images.shape == (100, 28, 28, 1) and np.array_equal(chosen, labels[rows])
    assert len(DigitsTask(labels_per_class=10).load("validation", data_dir)[1]) == 5_000


@pytest.fixture(scope="module")
def short_vae(tmp_path_factory, data_dir):
    """A VAE trained for two epochs on 3,000 real digits, through `toolkit fit`."""
    out = tmp_path_factory.mktemp("vae") / "run"
    args = ["fit", "--task", "autoencoding", "--model", "vae", "--epochs", "2", "--limit", "3000", "--out", str(out)]
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0, result.output
    return out


def test_a_short_vae_run_learns_and_its_importance_weighted_nll_is_below_its_elbo(short_vae, data_dir):
    task, model = AutoencodingTask(), hub.load_pretrained(str(short_vae))
    result = task.evaluate(model, data_dir=data_dir, limit=300, importance_samples=20)
    assert result["images"] == 300 and result["dataset"] == "binarized_mnist"
    assert result["nll"] < result["negative_elbo"] < 543.5  # 543.5 nats: every pixel a coin flip
    samples = result["prior_samples"]  # judged as the GANs' are
    assert samples["samples"] == 300 and samples["fid"] > 0 and 1 <= samples["inception_score"] <= 10
    assert sum(samples["coverage"].values()) == pytest.approx(1)
    again = task.summary(task.evaluate(model, data_dir=data_dir, limit=300, importance_samples=20))
    first = task.summary(result)
    assert again.pop("prior_samples")["fid"] == pytest.approx(first.pop("prior_samples")["fid"], rel=1e-6)  # seeded
    assert again == pytest.approx(first, rel=1e-6)
    assert first["error"] == result["nll"]


def test_predict_writes_the_reconstruction_and_sample_draws_from_the_prior(short_vae, tmp_path):
    digit = Image.new("L", (40, 40))
    digit.paste(255, (18, 6, 23, 34))  # a drawn "1"
    digit.save(tmp_path / "one.png")
    result = CliRunner().invoke(toolkit, ["predict", str(tmp_path / "one.png"), "--weights", str(short_vae),
                                          "-o", str(tmp_path / "again.png"), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "again.png").size == (28, 28)
    result = CliRunner().invoke(toolkit, ["sample", "--weights", str(short_vae), "-n", "8", "-o", str(tmp_path / "grid.png")])
    assert result.exit_code == 0, result.output
    before = (tmp_path / "grid.png").read_bytes()
    result = CliRunner().invoke(toolkit, ["sample", "--weights", str(short_vae), "-n", "8", "-o", str(tmp_path / "grid.png")])
    assert result.exit_code == 1 and "exists" in result.output and (tmp_path / "grid.png").read_bytes() == before
    result = CliRunner().invoke(toolkit, ["sample", "--weights", str(short_vae), "--digit", "3", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and "prior" in result.output
    result = CliRunner().invoke(toolkit, ["predict", str(tmp_path / "one.png"), "--weights", str(short_vae), "--overlay",
                                          str(tmp_path / "o.png")])  # fmt: skip
    assert result.exit_code == 2 and "--overlay" in result.output
    result = CliRunner().invoke(toolkit, ["evaluate", "--weights", str(short_vae), "--runtime", "onnx", "--limit", "10"])
    assert result.exit_code == 1 and "on Keras" in result.output and "Traceback" not in result.output


def test_a_plain_autoencoder_has_no_prior_to_sample(tmp_path, data_dir):
    out = tmp_path / "ae"
    args = ["fit", "--task", "autoencoding", "--model", "autoencoder", "--arg", "latent_dim=2", "--epochs", "1",
            "--limit", "500", "--out", str(out)]  # fmt: skip
    assert CliRunner().invoke(toolkit, args).exit_code == 0
    result = CliRunner().invoke(toolkit, ["sample", "--weights", str(out), "-o", str(tmp_path / "grid.png")])
    assert result.exit_code == 1 and "not variational" in result.output and not (tmp_path / "grid.png").exists()
    result = CliRunner().invoke(toolkit, ["fit", "--task", "autoencoding", "--model", "lenet5", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "not an autoencoder" in result.output


def test_nt_xent_is_the_cross_entropy_of_finding_each_views_partner():
    from toolkit.tasks.selfsupervised import nt_xent

    z = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")
    unit = z / np.linalg.norm(z, axis=1, keepdims=True)
    logits = unit @ unit.T / 0.5
    np.fill_diagonal(logits, -np.inf)
    partners = (np.arange(6) + 3) % 6
    expected = -(logits[np.arange(6), partners] - np.log(np.exp(logits).sum(1)))
    assert np.asarray(nt_xent(0.5)(np.zeros(6), z)) == pytest.approx(expected, rel=1e-5)
    pairs = np.concatenate([unit[:3], unit[:3]])  # each view equal to its partner: a low loss
    assert float(np.mean(nt_xent(0.1)(np.zeros(6), pairs))) < float(np.mean(nt_xent(0.1)(np.zeros(6), z)))


def test_the_selfsupervised_batches_are_two_distortions_of_the_same_digits(data_dir):
    from toolkit.tasks.selfsupervised import SelfSupervisedTask

    task = SelfSupervisedTask()
    train, validation = task.datasets(hub.build_model("simclr"), batch_size=32, seed=0, data_dir=data_dir, limit=320)
    views, _ = next(iter(train))
    assert views.shape == (64, 28, 28, 1)
    first, second = views.numpy()[:32], views.numpy()[32:]
    assert not np.array_equal(first, second)
    similar = np.corrcoef(first.reshape(32, -1), second.reshape(32, -1))[:32, 32:]
    assert np.diag(similar).mean() > similar[~np.eye(32, dtype=bool)].mean() + 0.1  # each view's partner is its digit
    again = [v.numpy() for v, _ in validation]
    assert all(np.array_equal(a, v.numpy()) for a, (v, _) in zip(again, validation))  # validation repeats


@pytest.fixture(scope="module")
def short_simclr(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("simclr") / "run"
    args = ["fit", "--task", "selfsupervised", "--model", "simclr", "--augment", "elastic", "--epochs", "1",
            "--limit", "512", "--batch-size", "128", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0, result.output
    return out


def test_a_selfsupervised_encoder_starts_a_few_label_digit_run(short_simclr, tmp_path, data_dir):
    from toolkit.tasks.digits import DigitsTask

    task = DigitsTask(start_weights=str(short_simclr), freeze_base=True)
    model = task.build("digitnet")
    encoder = hub.load_pretrained(str(short_simclr)).get_layer("backbone")
    assert np.array_equal(model.get_layer("conv2_1").get_weights()[0], encoder.get_layer("conv2_1").get_weights()[0])
    assert not model.get_layer("conv2_1").trainable and model.get_layer("predictions").trainable
    out = tmp_path / "probe"
    args = ["fit", "--task", "digits", "--model", "digitnet", "--weights", str(short_simclr), "--labels-per-class", "2",
            "--freeze-base", "--epochs", "1", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0, result.output
    after = hub.load_pretrained(str(out)).get_layer("conv2_1").get_weights()[0]
    assert np.array_equal(after, encoder.get_layer("conv2_1").get_weights()[0])  # frozen: untouched by training
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet5", "--weights", str(short_simclr), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "does not fit lenet5" in result.output
    result = CliRunner().invoke(toolkit, ["fit", "--model", "lenet5", "--freeze-base", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "self-supervised encoder" in result.output


@pytest.mark.slow
def test_the_encoders_nearest_neighbour_error_is_measured_on_real_digits(short_simclr, data_dir):
    from toolkit.tasks.selfsupervised import SelfSupervisedTask

    result = SelfSupervisedTask().evaluate(hub.load_pretrained(str(short_simclr)), data_dir=data_dir, limit=500)
    assert result["images"] == 500 and result["mistakes"] == round(result["error"] * 500)
    assert result["error"] < 0.5  # chance is 0.9: the encoder learned something from 512 unlabelled digits
