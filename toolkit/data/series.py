"""Time series from CSV files, and the windowing that turns a series into samples.

The lecture's windowing strategy: each sample is `lookback` consecutive steps of the inputs,
its target the next `horizon` steps of the target column. Splits are chronological, never
shuffled across time, and scaling is fitted on the training part only.
"""

import csv
import dataclasses
import warnings

import numpy as np

from toolkit._lazy import pd  # pandas on first use: `toolkit fit --help` stays quick
from toolkit.errors import InputError

FILLS = ("interpolate", "ffill", "drop")
TIME_NAMES = ("date", "time", "datetime", "timestamp", "month", "day", "period", "ds")


class SeriesError(InputError):
    """A CSV that cannot be made into a usable series."""


@dataclasses.dataclass
class Series:
    """A regular time series: `frame` indexed by time, `target` its forecast column."""

    frame: "pd.DataFrame"
    target: str
    freq: str
    report: dict

    @property
    def values(self):
        return self.frame.to_numpy(dtype="float64")

    @property
    def target_index(self):
        return list(self.frame.columns).index(self.target)


def _names(columns):
    """Column names for a one-line message: as they are, or quoted where they hold line breaks."""
    return ", ".join(str(c) if str(c).isprintable() else repr(str(c)) for c in columns)


def _to_datetime(values):
    # pandas warns when no single format fits and it parses value by value; the values it cannot
    # parse become NaT, which read_series reports as a one-line error of its own
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
        return pd.to_datetime(values, errors="coerce")


def _parse_time(frame, time_col):
    if time_col:
        if time_col not in frame.columns:
            raise SeriesError(f"no column {time_col!r}; the columns are {_names(frame.columns)}")
        return _to_datetime(frame[time_col]), [time_col]
    lower = {str(c).lower(): c for c in frame.columns}
    if {"year", "month"} <= set(lower):  # year, month[, day[, hour]] columns
        parts = {k: frame[lower[k]] for k in ("year", "month", "day", "hour") if k in lower}
        parts.setdefault("day", 1)
        used = [lower[k] for k in ("year", "month", "day", "hour") if k in lower]
        return pd.to_datetime(pd.DataFrame(parts), errors="coerce"), used
    candidates = [c for c in frame.columns if str(c).lower() in TIME_NAMES]
    if not candidates and not pd.api.types.is_numeric_dtype(frame.dtypes.iloc[0]):
        candidates = [frame.columns[0]]
    if len(candidates) != 1:
        raise SeriesError(
            "cannot tell which column holds the time; name the time column"
            f" (the columns are {_names(frame.columns)})",
            setting="time_col",
        )
    return _to_datetime(frame[candidates[0]]), candidates


def read_csv(path, **options):
    """`pandas.read_csv` with the delimiter found in the file's start (comma, semicolon, tab or bar),
    and a `SeriesError` naming the file for a file that is not CSV text."""
    try:
        with open(path, newline="", errors="replace") as f:
            sample = f.read(1 << 16)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:  # one column, or nothing the sniffer can tell
            delimiter = ","
        return pd.read_csv(path, **{"sep": delimiter, **options})
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise SeriesError(f"{path}: cannot read it as CSV ({str(error).splitlines()[0]})") from None


def _not_numbers(frame, column):
    """The rows (numbered from 1, after the header) and cells of `column` that are not numbers."""
    cells = frame[column]
    bad = cells.notna() & pd.to_numeric(cells, errors="coerce").isna()
    return [(i + 2, cells.iloc[i]) for i in bad.to_numpy().nonzero()[0]]


def read_series(path, time_col=None, target=None, fill="interpolate", columns=None):
    """Read a CSV into a regular `Series`, reporting what had to be repaired.

    Args:
        path: the CSV file.
        time_col: the time column (guessed when unambiguous; year/month/day/hour columns work).
        target: the column to forecast (guessed when there is one numeric column).
        fill: how missing timestamps and NaN values are handled: "interpolate" (linear in
            time), "ffill" (last value carried forward), "drop" (rows removed; the series is
            then only as regular as what is left), or None to refuse a series with gaps.
        columns: extra numeric input columns (multivariate), default only the target.

    Raises:
        SeriesError: for an unreadable file, no numeric column, unparseable dates, an
            ambiguous target, gaps without a fill, or a constant series.
    """
    frame = read_csv(path)
    if frame.empty:
        raise SeriesError(f"{path}: no rows")
    times, used = _parse_time(frame, time_col)
    bad_times = int(times.isna().sum())
    if bad_times > len(frame) // 2:
        raise SeriesError(f"{path}: {bad_times} of {len(frame)} timestamps cannot be parsed as dates")
    if target is not None and target in frame.columns and not pd.api.types.is_numeric_dtype(frame[target]):
        bad = _not_numbers(frame, target)
        shown = ", ".join(f"line {line}: {value!r}" for line, value in bad[:3]) + (" ..." if len(bad) > 3 else "")
        raise SeriesError(f"{path}: the column {target!r} has {len(bad)} values that are not numbers ({shown})")
    numeric = [c for c in frame.columns if c not in used and pd.api.types.is_numeric_dtype(frame[c]) and c != "No"]
    if not numeric:
        columns = _names(frame.columns)
        raise SeriesError(f"{path}: no numeric column to forecast among {len(frame.columns)} ({columns})")
    if target is None:
        if len(numeric) > 1:
            raise SeriesError(
                f"{path}: several numeric columns ({_names(numeric)}); choose one as the target",
                setting="target",
            )
        target = numeric[0]
    if target not in frame.columns:
        raise SeriesError(f"{path}: no column {target!r}; the numeric columns are {_names(numeric)}")
    keep = [target] + [c for c in (columns or []) if c != target]
    for c in keep:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            raise SeriesError(f"{path}: column {c!r} is not numeric")
    data = frame[keep].astype("float64")
    data.index = times
    data = data[data.index.notna()].sort_index()
    repeated = data.index[data.index.duplicated()].unique()
    if len(repeated):
        shown = ", ".join(str(t) for t in repeated[:3]) + (f" and {len(repeated) - 3} more" if len(repeated) > 3 else "")
        raise SeriesError(f"{path}: {len(repeated)} timestamps appear more than once ({shown}); keep one row for each")
    infinite = np.isinf(data.to_numpy()).any(axis=1)
    if infinite.any():  # infinities are values nobody measured: missing, and filled like the others
        data[np.isinf(data)] = np.nan
    if len(data) < 3:
        raise SeriesError(f"{path}: too short ({len(data)} rows)")
    with warnings.catch_warnings():  # pandas is changing what infer_freq returns; we want the string
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(data.index[:50]) or pd.infer_freq(data.index)
    freq = getattr(freq, "freqstr", freq)
    if freq is None:
        step = pd.Series(data.index).diff().median()
        freq = pd.tseries.frequencies.to_offset(step).freqstr
    full = pd.date_range(data.index[0], data.index[-1], freq=freq)
    missing_times = int(len(full.difference(data.index)))
    data = data.reindex(full) if fill != "drop" else data
    nans = int(data.isna().any(axis=1).sum())
    report = {
        "rows": len(frame),
        "infinite_rows": int(infinite.sum()),
        "unparseable_times": bad_times,
        "missing_timestamps": missing_times,
        "nan_rows": nans,
        "fill": fill,
    }
    if nans:
        if fill is None:
            raise SeriesError(
                f"{path}: {missing_times} missing timestamps and {nans} rows with missing values;"
                " choose how to fill them: interpolate, ffill or drop",
                setting="fill",
            )
        if fill == "interpolate":
            data = data.interpolate(method="time", limit_direction="both")
        elif fill == "ffill":
            data = data.ffill().bfill()
        elif fill == "drop":
            data = data.dropna()
        else:
            raise SeriesError(f"fill must be one of {', '.join(FILLS)}. Received: fill={fill!r}")
    if data[target].std() == 0:
        raise SeriesError(f"{path}: the column {target!r} is constant; there is nothing to forecast")
    return Series(frame=data, target=target, freq=freq, report=report)


def windows(values, lookback, horizon=1, stride=1, target_index=0, start=0, end=None):
    """Windowed samples of a (T, features) array.

    Returns X (N, lookback, features) and Y (N, horizon): each Y row is the `horizon` target
    values that follow its window. Only windows whose targets start in [start, end) are
    made, so a split's targets stay in that split while its inputs may reach back before it.

    Raises:
        SeriesError: when the series is too short for one window.
    """
    values = np.asarray(values, dtype="float32")
    if values.ndim == 1:
        values = values[:, None]
    end = len(values) if end is None else end
    first = max(start, lookback)
    origins = np.arange(first, end - horizon + 1, stride)
    if len(origins) == 0:
        raise SeriesError(
            f"too short for the window: {end - start} steps cannot give a lookback of {lookback} and a horizon of {horizon}"
        )
    x = np.stack([values[t - lookback : t] for t in origins])
    y = np.stack([values[t : t + horizon, target_index] for t in origins])
    return x, y


@dataclasses.dataclass
class Scaler:
    """Standardisation with the mean and spread of the training part only."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values):
        values = np.asarray(values, "float64")
        std = values.std(axis=0)
        return cls(values.mean(axis=0), np.where(std == 0, 1.0, std))

    def transform(self, values):
        return (np.asarray(values, "float64") - self.mean) / self.std

    def inverse(self, values, column=0):
        return np.asarray(values) * self.std[column] + self.mean[column]

    def as_dict(self):
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d):
        return cls(np.array(d["mean"]), np.array(d["std"]))


def detect_season(values, freq):
    """The season in steps: the frequency's natural periods, whichever correlates best."""
    candidates = {
        "M": (12,),
        "MS": (12,),
        "ME": (12,),
        "D": (365, 7),
        "H": (24, 168),
        "h": (24, 168),
        "W": (52,),
        "Q": (4,),
    }
    key = str(freq).split("-")[0]
    options = [m for m in candidates.get(key, ()) if m < len(values) // 3]
    if not options:
        return 1
    x = np.asarray(values, "float64")
    x = x - np.polyval(np.polyfit(np.arange(len(x)), x, 1), np.arange(len(x)))

    def acf(lag):
        return np.corrcoef(x[:-lag], x[lag:])[0, 1]

    for season in sorted(options, reverse=True):  # the longest period that is really there
        if acf(season) > 0.3:
            return season
    return 1
