"""`toolkit forecast` on a 200 MB CSV: its time and peak memory against the targets (60 s, 4 GB).

    python benchmarks/forecast_big.py [--rows 7600000] [--work runs/forecast-big]

Writes a CSV of `--rows` hourly readings (about 200 MB at the default) whose values are the real
daily minimum temperatures of `$TOOLKIT_DATA/series`, repeated; trains a GRU on its last windows
for one epoch (`toolkit fit --task forecasting --limit`), which also measures the prediction
interval on the validation part; then times `toolkit forecast` on the whole file in a process of
its own and prints its wall time and peak resident memory beside the targets, as ratios.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pandas as pd

TARGET_SECONDS, TARGET_BYTES = 60.0, 4 * 2**30


def write_big_csv(path, rows, data_dir):
    """`rows` hourly values, the real daily minimum temperatures over and over (with a daily cycle)."""
    real = pd.read_csv(pathlib.Path(data_dir) / "series" / "daily-min-temperatures.csv").iloc[:, 1].to_numpy(float)
    hours = np.arange(rows)
    values = real[(hours // 24) % len(real)] + 3 * np.sin(2 * np.pi * (hours % 24) / 24)
    times = pd.date_range("1990-01-01", periods=rows, freq="h")
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S"), "temperature": values.round(4)})
    frame.to_csv(path, index=False)


def run(command, environment):
    """Run `command`; (seconds, peak resident bytes of that process), or exit with its output."""
    import tempfile

    with tempfile.TemporaryFile() as log:
        began = time.perf_counter()
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # this process's own resources
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            log.seek(0)
            sys.exit(f"{' '.join(command)} failed:\n{log.read().decode()[-3000:]}")
    return seconds, usage.ru_maxrss * 1024  # kilobytes on Linux


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=7_600_000)
    parser.add_argument("--work", default="runs/forecast-big")
    args = parser.parse_args(argv)
    data_dir = os.environ.get("TOOLKIT_DATA") or sys.exit("set TOOLKIT_DATA to the data directory")
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"hourly-{args.rows}.csv"
    if not csv.exists():
        write_big_csv(csv, args.rows, data_dir)
    print(f"{csv}: {args.rows:,} rows, {csv.stat().st_size / 2**20:.0f} MB", flush=True)
    root = pathlib.Path(__file__).resolve().parent.parent
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(root)}
    toolkit = [sys.executable, "-m", "cli.main"]
    model = work / f"gru-{args.rows}"
    if not (model / "metrics.json").exists():
        fit = [*toolkit, "fit", "--task", "forecasting", "--model", "gru", "--data", str(csv.resolve()),
               "--epochs", "1", "--limit", "20000", "--lookback", "48", "--out", str(model), "--force"]  # fmt: skip
        seconds, peak = run(fit, environment)
        print(f"toolkit fit (one epoch on 20,000 windows, the interval over the validation part): {seconds:.1f} s,"
              f" {peak / 2**30:.2f} GB")  # fmt: skip
    output = work / "forecast.csv"
    output.unlink(missing_ok=True)
    forecast = [*toolkit, "forecast", str(csv), "--weights", str(model), "--horizon", "48", "-o", str(output)]
    seconds, peak = run(forecast, environment)
    assert len(pd.read_csv(output)) == 48
    print(f"toolkit forecast: {seconds:.1f} s ({seconds / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:.0f} s target)")
    print(f"peak memory: {peak / 2**30:.2f} GB ({peak / TARGET_BYTES:.2f} of the 4 GB target)")


if __name__ == "__main__":
    main()
