"""Series reading, windowing, the baselines and the forecasting task on real series."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import toolkit
from toolkit import catalog, tasks
from toolkit.data.series import Scaler, SeriesError, detect_season, read_series, windows
from toolkit.metrics import forecast_scores
from toolkit.tasks.forecasting import ForecastingTask


def write(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_windows_by_hand():
    x, y = windows(np.arange(10), lookback=3, horizon=2)
    assert x.shape == (6, 3, 1) and y.shape == (6, 2)
    assert x[0, :, 0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4]
    assert x[-1, :, 0].tolist() == [5, 6, 7] and y[-1].tolist() == [8, 9]
    x, y = windows(np.arange(10), lookback=3, horizon=1, stride=3)
    assert y[:, 0].tolist() == [3, 6, 9]
    x, y = windows(np.arange(10), lookback=3, start=7)  # targets only in the tail, inputs reach back
    assert y[:, 0].tolist() == [7, 8, 9] and x[0, :, 0].tolist() == [4, 5, 6]


def test_windows_multivariate_and_too_short():
    values = np.stack([np.arange(20), np.arange(20) * 10], axis=1)
    x, y = windows(values, lookback=4, horizon=3, target_index=1)
    assert x.shape == (14, 4, 2) and y[0].tolist() == [40, 50, 60]
    with pytest.raises(SeriesError, match="too short for the window"):
        windows(np.arange(5), lookback=4, horizon=3)


def test_differencing_counts_against_the_length(data_dir):
    task = ForecastingTask(data="series/airline-passengers.csv", lookback=24, test_size=24, difference=[200])
    with pytest.raises(SeriesError, match="144 steps leave 106 for training, fewer than 200 lost to differencing"):
        task.bounds()


def test_gaps_are_reported_and_filled(tmp_path):
    text = "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-04,4\n2020-01-05,\n2020-01-06,6\n"
    series = read_series(write(tmp_path, text))
    assert series.report["missing_timestamps"] == 1 and series.report["nan_rows"] == 2
    assert series.frame["value"].tolist() == [1, 2, 3, 4, 5, 6]
    assert read_series(write(tmp_path, text), fill="ffill").frame["value"].tolist() == [1, 2, 2, 4, 4, 6]
    assert read_series(write(tmp_path, text), fill="drop").frame["value"].tolist() == [1, 2, 4, 6]
    with pytest.raises(SeriesError, match="choose how to fill them"):
        read_series(write(tmp_path, text), fill=None)


@pytest.mark.parametrize(
    "text, kwargs, message",
    [
        ("date,name\n2020-01-01,a\n2020-01-02,b\n2020-01-03,c\n", {}, "no numeric column"),
        ("date,v\nsoon,1\nlater,2\nnever,3\n", {}, "cannot be parsed as dates"),
        ("date,v\n2020-01-01,5\n2020-01-02,5\n2020-01-03,5\n", {}, "constant"),
        ("date,a,b\n2020-01-01,1,2\n2020-01-02,2,3\n2020-01-03,4,5\n", {}, "choose one as the target"),
        ("date,a\n2020-01-01,1\n2020-01-02,2\n2020-01-03,4\n", {"target": "z"}, "no column 'z'"),
    ],
)
def test_bad_series(tmp_path, text, kwargs, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the one-line error alone, no library warning before it
        with pytest.raises(SeriesError, match=message):
            read_series(write(tmp_path, text), **kwargs)


def test_real_series_are_read(data_dir):
    airline = read_series(data_dir / "series/airline-passengers.csv")
    assert len(airline.frame) == 144 and airline.freq == "MS" and airline.target == "Passengers"
    assert detect_season(airline.frame["Passengers"].to_numpy(), airline.freq) == 12
    temperatures = read_series(data_dir / "series/daily-min-temperatures.csv")
    assert temperatures.report["missing_timestamps"] == 2  # the two absent New Year's Eves
    assert detect_season(temperatures.frame["Temp"].to_numpy(), temperatures.freq) == 365
    co2 = read_series(data_dir / "series/co2_mm_mlo.csv", target="average")
    assert co2.frame.index[0] == pd.Timestamp("1958-03-01")
    pollution = read_series(data_dir / "series/pollution.csv", target="pm2.5", columns=["DEWP", "TEMP", "PRES"])
    assert pollution.report["nan_rows"] == 2067 and not pollution.frame.isna().any().any()


def test_scaling_uses_the_training_part_only(data_dir):
    task = ForecastingTask(data="series/airline-passengers.csv", lookback=12, test_size=24, val_size=12)
    scaler = task.scaler(data_dir)
    values = task.series(data_dir).values
    assert scaler.mean[0] == pytest.approx(values[:108].mean())
    assert scaler.mean[0] != pytest.approx(values.mean())


def test_differencing_is_undone_exactly():
    task = ForecastingTask(difference=(1, 12))
    z = np.random.default_rng(0).normal(size=60).cumsum()
    d = z.copy()
    for lag in (1, 12):
        d = d[lag:] - d[:-lag]
    assert np.allclose(task.integrate(list(z[:40]), d[40 - 13 : 50 - 13]), z[40:50])


def test_baselines_and_metrics_by_hand(tmp_path):
    months = pd.date_range("2000-01-01", periods=48, freq="MS")
    values = 100 + 10 * np.sin(np.arange(48) * 2 * np.pi / 12) + np.arange(48)
    pd.DataFrame({"month": months, "v": values}).to_csv(tmp_path / "s.csv", index=False)
    task = ForecastingTask(data=str(tmp_path / "s.csv"), lookback=12, horizon=2, test_size=12, val_size=6, season=12)
    forecasts = task.baselines(36, 48)
    truth = task.truth(36, 48)
    assert truth.shape == (11, 2)
    assert np.allclose(forecasts["naive"], values[35:46, None].repeat(2, 1))
    assert np.allclose(forecasts["seasonal naive (m=12)"][:, 0], values[24:35])
    m = forecast_scores(np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]]), scale=0.5)
    assert m == {"rmse": pytest.approx(np.sqrt(2.5)), "mae": 1.5, "mape": 50.0, "mase": 3.0}


FORECASTERS = sorted(k for k, v in catalog.load_catalog().items() if v["task"] == "forecasting")


def test_forecasters_are_shipped():
    assert {"airline", "temperatures", "sunspots"} <= {k.split(".")[1] for k in FORECASTERS}


@pytest.mark.parametrize("weights_id", FORECASTERS)
@pytest.mark.slow
def test_shipped_forecasters_beat_seasonal_naive(shipped_result, weights_id):
    scores = shipped_result(weights_id)["scores"]
    naive = [v["mase"] for k, v in scores.items() if k.startswith("seasonal naive") or k == "naive"]
    assert scores["model"]["mase"] < min(naive)


def test_airline_is_within_ten_percent_of_seasonal_arima(shipped_result):
    airline = [k for k in FORECASTERS if k.endswith(".airline")]
    best = None
    for weights_id in airline:
        assert tasks.task_for(weights_id).settings["test_size"] == 24
        scores = shipped_result(weights_id)["scores"]
        arima = next(v for k, v in scores.items() if k.startswith("seasonal ARIMA"))
        best = min(best or np.inf, scores["model"]["rmse"])
    assert best <= 1.10 * arima["rmse"], (best, arima["rmse"])


def test_forecast_command(data_dir, tmp_path):
    weights_id = FORECASTERS[0]
    csv = data_dir / catalog.entry(weights_id)["task_settings"]["data"]
    out, plot = tmp_path / "f.csv", tmp_path / "f.png"
    args = ["forecast", str(csv), "--weights", weights_id, "--horizon", "5", "-o", str(out), "--plot", str(plot)]
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert (
        len(frame) == 5 and (frame["lower"] <= frame["forecast"]).all() and (frame["forecast"] <= frame["upper"]).all()
    )
    last = read_series(csv).frame.index[-1]
    assert pd.Timestamp(frame["time"][0]) > last
    assert plot.stat().st_size > 10_000
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 1 and "--force" in result.output


def test_forecast_rejects_bad_csv(tmp_path):
    if not FORECASTERS:
        pytest.skip("no forecaster shipped")
    bad = write(tmp_path, "date,name\n2020-01-01,a\n2020-01-02,b\n")
    result = CliRunner().invoke(toolkit, ["forecast", str(bad), "--weights", FORECASTERS[0]])
    assert result.exit_code == 1 and "no numeric column" in result.output
    image = tmp_path / "digit.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = CliRunner().invoke(toolkit, ["forecast", str(image), "--weights", FORECASTERS[0]])
    assert result.exit_code == 1 and "cannot read it as CSV" in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_forecast_refuses_a_series_unlike_the_training_one(data_dir, tmp_path):
    daily = data_dir / "series" / "daily-min-temperatures.csv"
    result = CliRunner().invoke(toolkit, ["forecast", str(daily), "--weights", "lstm.airline"])
    assert result.exit_code == 1 and "steps are D apart, and the model was trained on steps of MS" in result.output
    months = pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%Y-%m")
    values = 100 + np.arange(60) % 12
    values[30] = 0  # lstm.airline forecasts logarithms
    monthly = write(tmp_path, "Month,Passengers\n" + "".join(f"{m},{v}\n" for m, v in zip(months, values)))
    result = CliRunner().invoke(toolkit, ["forecast", str(monthly), "--weights", "lstm.airline"])
    assert result.exit_code == 1 and "a log scale needs a series of positive values (--log-scale)" in result.output
    values[30] = 100  # five years are enough to go on from, though too few to train on
    monthly.write_text("Month,Passengers\n" + "".join(f"{m},{v}\n" for m, v in zip(months, values)))
    result = CliRunner().invoke(toolkit, ["forecast", str(monthly), "--weights", "lstm.airline"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2 + 12, result.output  # header, rule, rows
    monthly.write_text("Month,Passengers\n" + "".join(f"{m},{v}\n" for m, v in list(zip(months, values))[:30]))
    result = CliRunner().invoke(toolkit, ["forecast", str(monthly), "--weights", "lstm.airline"])
    assert result.exit_code == 1 and "too short: 30 steps, and the model reads 24 steps of differences" in result.output


def test_fit_and_evaluate_forecasting_end_to_end(data_dir, tmp_path):
    out = tmp_path / "run"
    args = ["fit", "--model", "mlp", "--task", "forecasting", "--data", "series/airline-passengers.csv"]
    args += ["--lookback", "12", "--horizon", "3", "--test-size", "24", "--epochs", "2", "--out", str(out)]
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["task_settings"]["season"] == 12
    result = CliRunner().invoke(
        toolkit, ["evaluate", "--model", "mlp", "--task", "forecasting", "--checkpoint", str(out / "best.weights.h5")]
    )
    assert result.exit_code == 0, result.output
    assert "seasonal naive (m=12)" in result.output and "seasonal ARIMA" in result.output
    series = data_dir / "series" / "airline-passengers.csv"
    result = CliRunner().invoke(toolkit, ["forecast", str(series), "--weights", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 12 and all(r["lower"] < r["forecast"] < r["upper"] for r in rows)  # an interval, measured


def test_scaler_round_trip():
    scaler = Scaler.fit(np.array([[1.0], [2.0], [3.0]]))
    assert np.allclose(scaler.inverse(scaler.transform(np.array([[5.0]]))), 5.0)


def test_repairs_are_reported_to_the_user(data_dir):
    result = CliRunner().invoke(toolkit, ["evaluate", "--weights", "gru.temperatures"])
    assert result.exit_code == 0, result.output
    assert "2 missing timestamps" in result.output and "filled by interpolate" in result.output


def test_repeated_timestamps_are_an_error_that_names_them(tmp_path):
    path = write(tmp_path, "date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n2020-01-03,9\n")
    with pytest.raises(SeriesError, match=r"1 timestamps appear more than once \(2020-01-03 00:00:00\)"):
        read_series(path)


def test_infinite_values_are_missing_values_filled_by_the_fill_rule(tmp_path):
    path = write(tmp_path, "date,v\n2020-01-01,1\n2020-01-02,inf\n2020-01-03,3\n2020-01-04,-inf\n2020-01-05,5\n")
    series = read_series(path)
    assert series.values[:, 0].tolist() == [1, 2, 3, 4, 5] and series.report["infinite_rows"] == 2
    with pytest.raises(SeriesError, match="2 rows with missing values"):
        read_series(path, fill=None)


def test_a_fit_whose_loss_is_not_finite_stops_unfinished_and_says_when(data_dir, tmp_path):
    run = tmp_path / "run"
    args = ["fit", "--model", "mlp", "--task", "forecasting", "--data", "series/airline-passengers.csv",
            "--optimizer", "sgd", "--lr", "1e10", "--epochs", "3", "--out", str(run)]  # fmt: skip
    result = CliRunner().invoke(toolkit, args)
    assert result.exit_code == 1
    assert "the training loss became inf in epoch 2" in result.output.splitlines()[-1]
    assert not (run / "metrics.json").exists() and not (run / "entry.json").exists()


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_another_delimiter_is_found(tmp_path, delimiter):
    rows = ["Month", "1949-01", "1949-02", "1949-03", "1949-04"]
    values = ["Passengers", "112", "118", "132", "129"]
    path = write(tmp_path, "\n".join(f"{a}{delimiter}{b}" for a, b in zip(rows, values)) + "\n")
    assert read_series(path).values[:, 0].tolist() == [112, 118, 132, 129]


def test_cells_that_are_not_numbers_are_named_with_their_lines(tmp_path):
    path = write(tmp_path, "Month,Passengers\n1949-01,112\n1949-02,118\n1949-03,?\n1949-04,x\n1949-05,125\n")
    with pytest.raises(SeriesError, match=r"the column 'Passengers' has 2 values that are not numbers \(line 4: '\?'"):
        read_series(path, target="Passengers")
