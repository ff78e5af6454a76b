"""The forecasting task: recurrent nets and a windowed MLP on a CSV time series, with baselines.

Protocol: the series is split in time -- training, then `val_size` steps of validation (best
epoch, prediction intervals), then the held-out `test_size` steps. Every model and baseline is
scored the same way on the tail: from each origin t in the tail, forecast the next `horizon`
steps from the history before t (rolling origin; one-step-ahead when horizon is 1).
Metrics: RMSE, MAE, MAPE (over non-zero values) and MASE (scaled by the in-sample MAE of the
seasonal naive forecast, Hyndman & Koehler 2006).
"""

import dataclasses
import inspect
import logging
import pathlib

import numpy as np

from toolkit import hub
from toolkit.data.paths import locate, not_found
from toolkit.data.series import Scaler, SeriesError, detect_season, read_series, windows
from toolkit.metrics import forecast_scores
from toolkit.tasks.task import Task, option

log = logging.getLogger(__name__)


class ForecastingTask(Task):
    name = "forecasting"
    labels = None
    loss, metrics = "mse", ("mae",)
    preprocessing = (
        "target (optionally log) standardised with the training part's mean and spread; windows of lookback steps"
    )

    def __init__(self, data=None, time_col=None, target=None, fill="interpolate", lookback=24, horizon=1,
                 test_size=None, val_size=None, season=None, log_scale=False, difference=(), columns=None, scaler=None,
                 residual_std=None, freq=None):  # fmt: skip
        self.settings = {
            "data": data, "time_col": time_col, "target": target, "fill": fill, "lookback": lookback,
            "horizon": horizon, "test_size": test_size, "val_size": val_size, "season": season,
            "log_scale": log_scale, "difference": list(difference or ()), "columns": columns or [], "scaler": scaler,
            "residual_std": residual_std, "freq": freq,
        }  # fmt: skip
        self._series = None

    @dataclasses.dataclass
    class Options:
        data: str = option(None, "a CSV series: a path, or a path in the data directory (series/airline-passengers.csv)")
        target: str = option(None, "the column to forecast (guessed when there is one numeric column)")
        time_col: str = option(None, "the time column (guessed when unambiguous)")
        fill: str = option("interpolate", "how missing timestamps and values are filled",
                           choices=("interpolate", "ffill", "drop"))  # fmt: skip
        lookback: int = option(24, "steps of history in each window", minimum=1)
        horizon: int = option(1, "steps forecast from each window", minimum=1)
        test_size: int = option(None, "steps held out at the end (default: the last 20 %)", minimum=1)
        val_size: int = option(None, "validation steps before the test part", minimum=1)
        season: int = option(None, "season length in steps (default: detected)", minimum=1)
        log_scale: bool = option(False, "model the logarithm of a positive series")
        difference: tuple = option((), "model differences at this lag (once per lag: 1 and 12)", minimum=1, repeat=int)

    @classmethod
    def settings_for(cls, model_name, options, data_dir=None, seed=0):
        from toolkit.data.paths import portable

        options.data = portable(options.data, data_dir)
        settings = {field.name: getattr(options, field.name) for field in dataclasses.fields(options)}
        return settings, model_name, {}

    # -- data ------------------------------------------------------------------------------------
    def data_path(self, data_dir=None):
        data = self.settings["data"]
        if not data:
            raise SeriesError("the forecasting task needs a CSV series as its data", setting="data")
        path = locate(data, data_dir)
        if not path.exists():
            raise not_found(data, data_dir, kind="CSV", error=SeriesError)
        return path

    def series(self, data_dir=None):
        if self._series is None:
            s = self.settings
            self._series = read_series(self.data_path(data_dir), s["time_col"], s["target"], s["fill"], s["columns"])
            if s["freq"] and s["freq"] != self._series.freq:
                raise SeriesError(
                    f"{s['data']}: its steps are {self._series.freq} apart, and the model was trained on steps of"
                    f" {s['freq']} (pandas frequencies)"
                )
            s["freq"] = self._series.freq
            report = self._series.report
            if report["missing_timestamps"] or report["nan_rows"] or report["unparseable_times"]:
                log.warning(
                    "%d missing timestamps, %d rows with missing values (%d of them infinite) and %d unparseable"
                    " times; filled by %s", report["missing_timestamps"], report["nan_rows"], report["infinite_rows"],
                    report["unparseable_times"], report["fill"],
                )  # fmt: skip
            n = len(self._series.frame)
            s["test_size"] = s["test_size"] or max(1, n // 5)
            s["val_size"] = s["val_size"] or max(1, min(s["test_size"], n // 10))
            s["season"] = s["season"] or detect_season(
                self._series.frame[self._series.target].to_numpy(), self._series.freq
            )
            s["target"] = self._series.target
        return self._series

    def bounds(self, data_dir=None):
        """(validation start, test start, end) as indices into the series.

        Raises:
            SeriesError: when the training part is shorter than one window.
        """
        s = self.settings
        n = len(self.series(data_dir).frame)
        if n - s["test_size"] - s["val_size"] < self.offset + s["lookback"] + s["horizon"]:
            lost = f"{self.offset} lost to differencing + " if self.offset else ""
            raise SeriesError(
                f"too short for the window: {n} steps leave {n - s['test_size'] - s['val_size']} for training,"
                f" fewer than {lost}lookback {s['lookback']} + horizon {s['horizon']}"
            )
        test_start = n - s["test_size"]
        return test_start - s["val_size"], test_start, n

    def log(self, z):
        """`z` on the log scale when the settings ask for it (`--log-scale`)."""
        if not self.settings["log_scale"]:
            return z
        if (z <= 0).any():
            raise SeriesError("a log scale needs a series of positive values", setting="log_scale")
        return np.log(z)

    @property
    def offset(self):
        """Steps lost at the start to differencing."""
        return sum(self.settings["difference"])

    def transformed(self, data_dir=None):
        """The series after the optional log and differences (T - offset, features)."""
        z = self.log(self.series(data_dir).values)
        for lag in self.settings["difference"]:
            z = z[lag:] - z[:-lag]
        return z

    def scaler(self, data_dir=None):
        if self.settings["scaler"] is None:
            val_start, _, _ = self.bounds(data_dir)
            self.settings["scaler"] = Scaler.fit(self.transformed(data_dir)[: val_start - self.offset]).as_dict()
        return Scaler.from_dict(self.settings["scaler"])

    def scaled(self, data_dir=None):
        return self.scaler(data_dir).transform(self.transformed(data_dir)).astype("float32")

    def first_origin(self, start):
        return max(start, self.settings["lookback"] + self.offset)

    def integrate(self, history, deltas):
        """Undo the differences: the next values of the (log) target after `history`, given predicted deltas."""
        poly = {0: 1.0}
        for lag in self.settings["difference"]:
            new = dict(poly)
            for j, c in poly.items():
                new[j + lag] = new.get(j + lag, 0.0) - c
            poly = new
        values = list(history)
        for delta in deltas:
            values.append(delta - sum(c * values[-j] for j, c in poly.items() if j > 0))
        return values[len(history) :]

    # -- the model ---------------------------------------------------------------------------------
    def build_args(self, model_name, data_dir=None):
        if "forecasting" not in hub.model_info(model_name).tasks:
            raise ValueError(f"{model_name} cannot forecast; choose one of {', '.join(hub.list_models(task='forecasting'))}")
        features = len(self.series(data_dir).frame.columns)
        shape = [self.settings["lookback"], features]
        takes = inspect.signature(hub.get_model(model_name)).parameters
        if "num_outputs" in takes:  # a recurrent net's head
            return {"input_shape": shape, "num_outputs": self.settings["horizon"]}
        dense = {"hidden_units": [64], "activation": "relu"}  # an MLP's defaults, where the builder has them
        return {"input_shape": shape, "num_classes": self.settings["horizon"], "classifier_activation": "linear",
                **{k: v for k, v in dense.items() if k in takes}}  # fmt: skip

    def datasets(self, model, *, batch_size, seed, augment="none", data_dir=None, limit=None):
        import tensorflow as tf

        values = self.scaled(data_dir)
        val_start, test_start, _ = self.bounds(data_dir)
        s, target = self.settings, self.series(data_dir).target_index
        o = self.offset
        x, y = windows(values, s["lookback"], s["horizon"], target_index=target, end=val_start - o)
        vx, vy = windows(
            values, s["lookback"], s["horizon"], target_index=target, start=val_start - o, end=test_start - o
        )
        if limit:
            x, y = x[-limit:], y[-limit:]
        train = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch_size)
        val = tf.data.Dataset.from_tensor_slices((vx, vy)).batch(256)
        return train.prefetch(tf.data.AUTOTUNE), val

    # -- answers -------------------------------------------------------------------------------------
    def rolling_forecasts(self, model, start, end, data_dir=None):
        """`model`'s forecasts (origins, horizon) in the series' units from each origin in [start, end - horizon]."""
        from toolkit.models._common import predict_batch

        s, o = self.settings, self.offset
        values = self.scaled(data_dir)
        target = self.series(data_dir).target_index
        x, _ = windows(values, s["lookback"], s["horizon"], target_index=target, start=start - o, end=end - o)
        deltas = self.scaler(data_dir).inverse(predict_batch(model, x), target)
        z = self.log(self.series(data_dir).values[:, target])
        origins = range(self.first_origin(start), end - s["horizon"] + 1)
        # integrating needs only the last `o` values before each origin: linear in the series' length
        forecasts = np.array([self.integrate(z[t - o : t] if o else [], row) for t, row in zip(origins, deltas)])
        return np.exp(forecasts) if s["log_scale"] else forecasts

    def truth(self, start, end, data_dir=None):
        series = self.series(data_dir)
        y = series.frame[series.target].to_numpy()
        h = self.settings["horizon"]
        return np.stack([y[t : t + h] for t in range(self.first_origin(start), end - h + 1)])

    def baselines(self, start, end, data_dir=None):
        """Naive, seasonal naive and (with statsmodels) seasonal ARIMA forecasts on the same origins."""
        series = self.series(data_dir)
        y = series.frame[series.target].to_numpy()
        h, m = self.settings["horizon"], self.settings["season"]
        origins = range(self.first_origin(start), end - h + 1)
        out = {"naive": np.stack([np.repeat(y[t - 1], h) for t in origins])}
        if m > 1:
            out[f"seasonal naive (m={m})"] = np.stack(
                [[y[t + k - m * ((k // m) + 1)] for k in range(h)] for t in origins]
            )
        arima = self._sarima(y, start, origins, h, m)
        if arima is not None:
            out[arima[0]] = arima[1]
        return out

    def _sarima(self, y, fit_end, origins, h, m):
        try:
            from statsmodels.tsa.statespace.sarimax import SARIMAX
        except ImportError:
            return None
        if m > 52:
            return None  # a seasonal ARIMA with so long a season is impractical
        log = bool((y > 0).all())
        z = np.log(y) if log else y.astype("float64")
        history = z[max(0, fit_end - 3000) : fit_end]
        order, seasonal = (0, 1, 1), ((0, 1, 1, m) if m > 1 else (0, 0, 0, 0))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = SARIMAX(history, order=order, seasonal_order=seasonal).fit(disp=False)
            offset = max(0, fit_end - 3000)
            forecasts = np.stack([fitted.apply(z[offset:t]).forecast(h) for t in origins])
        name = f"seasonal ARIMA{order}{seasonal[:3]}_{m}" + (" on log" if log else "")
        return name, np.exp(forecasts) if log else forecasts

    def mase_scale(self, data_dir=None):
        series = self.series(data_dir)
        y = series.frame[series.target].to_numpy()
        val_start, _, _ = self.bounds(data_dir)
        m = self.settings["season"] if self.settings["season"] < val_start // 2 else 1
        return float(np.mean(np.abs(y[m:val_start] - y[: val_start - m])))

    def evaluate(self, model, data_dir=None, split="test", limit=None, progress=None):
        """RMSE, MAE, MAPE and MASE of the model and of every baseline on the held-out tail."""
        val_start, test_start, end = self.bounds(data_dir)
        start = test_start if split == "test" else val_start
        stop = end if split == "test" else test_start

        truth = self.truth(start, stop, data_dir)
        scale = self.mase_scale(data_dir)
        rows = {"model": forecast_scores(self.rolling_forecasts(model, start, stop, data_dir), truth, scale)}
        for name, forecast in self.baselines(start, stop, data_dir).items():
            rows[name] = forecast_scores(forecast, truth, scale)
        return {
            "dataset": pathlib.Path(self.settings["data"]).stem,
            "split": split,
            "steps": stop - start,
            "origins": len(truth),
            "horizon": self.settings["horizon"],
            "season": self.settings["season"],
            "scores": rows,
        }

    def summary(self, result):
        model = result["scores"]["model"]
        best_baseline = {k: v for k, v in result["scores"].items() if k != "model"}
        return {
            "steps": result["steps"],
            **model,
            "error": model["mase"],
            "baselines": best_baseline,
        }

    def describe(self, name, result, data_dir=None):
        line = f"{name}: {result['origins']} forecasts of {result['horizon']} steps over the last {result['steps']} steps"
        rows = [{"forecaster": k, **{m: round(v, 4) for m, v in scores.items()}} for k, scores in result["scores"].items()]
        return line, rows

    def example_inputs(self, network, data_dir=None, count=8):
        s = self.settings
        target = self.series(data_dir).target_index
        x, _ = windows(self.scaled(data_dir), s["lookback"], s["horizon"], target_index=target)
        return [x[-count:]]

    def input_note(self, network):
        return (f"the last {self.settings['lookback']} steps of the series, transformed and scaled as the task's"
                " settings record (log, differences, then standardised); the outputs are the next steps in those units")

    def calibrate(self, model, data_dir=None):
        """Keep the spread of the validation errors, for prediction intervals."""
        self.settings["residual_std"] = self.residual_std(model, data_dir)

    def predict(self, model, steps, data_dir=None):
        """(timestamps, forecast, lower, upper) for `steps` values after the end of the series."""
        return self.future(model, steps, data_dir)

    def residual_std(self, model, data_dir=None):
        """Spread of the validation errors per forecast step (for prediction intervals)."""
        val_start, test_start, _ = self.bounds(data_dir)

        errors = self.rolling_forecasts(model, val_start, test_start, data_dir) - self.truth(
            val_start, test_start, data_dir
        )
        return errors.std(axis=0).tolist()

    def future(self, model, steps, data_dir=None):
        """Forecast `steps` values after the end of the series, recursively beyond the model's horizon.

        Returns (timestamps, forecast, lower, upper) with a 95 % interval from the validation
        residuals (their spread grows with the square root of the recursions).
        """
        import pandas as pd

        from toolkit.models._common import predict_batch

        s = self.settings
        series = self.series(data_dir)
        if len(series.frame.columns) > 1 and steps > s["horizon"]:
            raise SeriesError(f"a multivariate model forecasts at most its horizon of {s['horizon']} steps")
        target = series.target_index
        if len(series.frame) < s["lookback"] + self.offset:
            raise SeriesError(
                f"too short: {len(series.frame)} steps, and the model reads {s['lookback']} steps"
                + (f" of differences that need {self.offset} more" if self.offset else "")
            )
        z = list(self.log(series.values[-(s["lookback"] + self.offset) :, target]))  # all that the windows read
        scaler = self.scaler(data_dir)
        made = []
        while len(made) < steps:
            extended = np.array(z + made)
            transformed = extended
            for lag in s["difference"]:
                transformed = transformed[lag:] - transformed[:-lag]
            window = (transformed[-s["lookback"] :] - scaler.mean[target]) / scaler.std[target]
            if len(series.frame.columns) > 1:
                window = self.scaled(data_dir)[-s["lookback"] :]
            else:
                window = window[:, None]
            deltas = scaler.inverse(predict_batch(model, window[None].astype("float32"))[0], target)
            made += self.integrate(list(extended), deltas)
        made = np.array(made[:steps])
        forecast = np.exp(made) if s["log_scale"] else made
        spread = np.asarray(s["residual_std"] or [0.0] * s["horizon"])
        k = np.arange(steps)
        std = spread[np.minimum(k, len(spread) - 1)] * np.sqrt(1 + k // s["horizon"])
        times = pd.date_range(series.frame.index[-1], periods=steps + 1, freq=series.freq)[1:]
        return times, forecast, forecast - 1.96 * std, forecast + 1.96 * std
