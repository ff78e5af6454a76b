"""Reports: tables, figures and reports/README.md, regenerated from the registry and the catalog.

`toolkit report all -o reports/` writes every one of them; the tests compare them with the code.
"""

from toolkit.reports.figures import plain_and_residual_curves, task_figures
from toolkit.reports.narrative import reports_readme
from toolkit.reports.readme import readme_models_table, readme_weights_table, update_readme  # noqa: F401
from toolkit.reports.tables import (
    autoencoding_report,
    errors_report,
    forecasting_report,
    generation_report,
    history_report,
    label_efficiency_report,
    params_report,
    segmentation_report,
    sequence_measures,
    text_report,
    write_table,
)

# -- every report at once ----------------------------------------------------------------------------------
TABLES = {
    "params": params_report,
    "errors": errors_report,
    "history": history_report,
    "segmentation": segmentation_report,
    "generation": generation_report,
    "forecasting": forecasting_report,
    "autoencoding": autoencoding_report,
    "label_efficiency": label_efficiency_report,
    "text": text_report,
}


FIXED_FIGURES = ("error_vs_parameters.png", "error_vs_year.png", "plain_vs_residual.png", "activations.png",
                 "label_efficiency.png", "gradient_reach.png")
MEASURED_TABLES = ("context_length",)  # computed by running shipped models on data


def all_files(out_dir):
    """Every file `write_all` writes into `out_dir`, so a caller can check them before any work."""
    import pathlib

    out = pathlib.Path(out_dir)
    tables = [out / f"{name}.{suffix}" for name in (*TABLES, *MEASURED_TABLES) for suffix in ("csv", "md")]
    figures = [out / "figures" / name for name in (*FIXED_FIGURES, *task_figures(None))]
    return [*tables, *figures, out / "README.md"]


def write_all(out_dir, data_dir=None, replace=False):
    """Regenerate every table (.csv and .md), every figure and the README of `out_dir` (over
    existing files only with `replace`); returns the paths."""
    import pathlib

    from toolkit import plots
    from toolkit.files import write_text, written

    out = pathlib.Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    paths = []
    frames = {name: build() for name, build in TABLES.items()}
    frames["context_length"], reach = sequence_measures(data_dir)
    for name in (*TABLES, *MEASURED_TABLES):
        for suffix in ("csv", "md"):
            with written(out / f"{name}.{suffix}", replace=replace) as temporary:
                write_table(frames[name], temporary)
            paths.append(out / f"{name}.{suffix}")
    curves = plain_and_residual_curves()
    figures = dict(zip(FIXED_FIGURES, (
        lambda p: plots.error_vs_parameters(frames["history"], p),
        lambda p: plots.error_vs_year(frames["history"], p),
        lambda p: plots.plain_vs_residual(curves, p),
        plots.activation_functions,
        lambda p: plots.label_efficiency(frames["label_efficiency"], p),
        lambda p: plots.gradient_reach(reach, p),
    )))  # fmt: skip
    figures |= task_figures(data_dir)
    for filename, draw in figures.items():
        with written(out / "figures" / filename, replace=replace) as temporary:
            draw(temporary)
        paths.append(out / "figures" / filename)
    write_text(out / "README.md", reports_readme(frames, curves, sorted(figures), reach), replace=replace)
    paths.append(out / "README.md")
    return paths
