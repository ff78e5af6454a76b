"""Forecasting: a shipped forecaster on its series (history, held-out truth, its one-step
forecasts there, and the future with a 95 % interval) beside its baselines' scores; or on a
CSV of one's own, as `toolkit forecast` does."""

import os
import pathlib
import tempfile

import numpy as np
from fastapi import APIRouter, File, Form, UploadFile

from webapp.common import MAX_READ, ApiError, check_size, check_weights, fast_model, shipped, task_of

PAGE = {"path": "forecasting", "title": "Forecasting", "summary": "RNN, LSTM and GRU forecasts with intervals"}
router = APIRouter(prefix="/api/forecasting", tags=["forecasting"])


@router.get("/models")
def models():
    """The shipped forecasters with their held-out scores and their baselines'."""
    rows = []
    for w, item in sorted(shipped("forecasting").items()):
        (split, m), *_ = item["metrics"].items()
        rows.append({"weights": w, "model": item["arch"], "series": item["task_settings"].get("data"),
                     "evaluated_on": split, "rmse": m["rmse"], "mase": m["mase"], "baselines": m["baselines"],
                     "description": item.get("description", "")})  # fmt: skip
    return rows


def _times(index):
    return [str(t)[:16].replace(" 00:00", "") for t in index]


def _chart(task, model, horizon, held_out=True):
    """The numbers of the chart: history, held-out truth with the one-step forecasts, future."""
    series = task.series()
    y = series.frame[series.target]
    times, values, lower, upper = task.future(model, horizon)
    chart = {"target": series.target, "time": _times(y.index), "value": np.asarray(y, float).round(4).tolist(),
             "future": {"time": _times(times), "forecast": np.round(values, 4).tolist(),
                        "lower": np.round(lower, 4).tolist(), "upper": np.round(upper, 4).tolist()}}  # fmt: skip
    if held_out:
        _, test_start, end = task.bounds()
        rolling = task.rolling_forecasts(model, test_start, end)
        origins = y.index[task.first_origin(test_start) : end - task.settings["horizon"] + 1]
        chart |= {"test_start": int(test_start),
                  "one_step": {"time": _times(origins), "value": np.round(rolling[:, 0], 4).tolist()}}  # fmt: skip
    return chart


def _check_horizon(horizon):
    if not 1 <= horizon <= 1000:
        raise ApiError(f"horizon must be between 1 and 1000. Received: horizon={horizon}")


@router.get("/series")
def series(weights: str, horizon: int = 12):
    """The chart of `weights` on the series it was trained on."""
    check_weights(weights, "forecasting")
    _check_horizon(horizon)
    task = task_of(weights)
    return {"weights": weights, **_chart(task, fast_model(weights), horizon)}


@router.post("/upload")
async def upload(file: UploadFile = File(...), weights: str = Form(...), horizon: int = Form(12)):
    """The forecast of `weights` after the end of an uploaded CSV series, with its interval."""
    from toolkit import catalog
    from toolkit.data.series import read_csv
    from toolkit.tasks import get_task

    check_weights(weights, "forecasting")
    _check_horizon(horizon)
    data = await file.read(MAX_READ)
    check_size(data, file.filename)
    item = catalog.entry(weights)
    with tempfile.TemporaryDirectory(prefix="toolkit-serve-") as folder:
        path = pathlib.Path(folder) / "series.csv"
        path.write_bytes(data)
        try:
            columns = read_csv(path, nrows=1).columns
            settings = dict(item["task_settings"], data=os.fspath(path))
            for key in ("target", "time_col"):
                settings[key] = settings[key] if settings[key] in columns else None
            chart = _chart(get_task("forecasting", **settings), fast_model(weights), horizon, held_out=False)
        except (ValueError, OSError, KeyError, UnicodeDecodeError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            message = message.replace(str(path), file.filename)
            raise ApiError(message if message.startswith(file.filename) else f"{file.filename}: {message}") from None
    return {"weights": weights, "file": file.filename, **chart}
