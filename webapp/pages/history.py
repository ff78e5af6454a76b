"""History: the reports' tables (every shipped weight's error beside the published ones, the
lecture's CNN table) and their figures, computed by `toolkit.reports` as `toolkit report` does."""

import io

from fastapi import APIRouter
from fastapi.responses import Response

from webapp.common import ApiError, cached

PAGE = {"path": "history", "title": "History", "summary": "the measured tables and figures of the reports"}
router = APIRouter(prefix="/api/history", tags=["history"])


def _records(frame):
    return [{k: (None if v != v else v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


@router.get("/tables")
def tables():
    """The errors table (every catalog entry beside its architecture's published errors) and
    the lecture's CNN table with the measurements beside it."""
    from toolkit.reports import errors_report, history_report

    return cached("history-tables", lambda: {"errors": _records(errors_report()), "history": _records(history_report())})


@router.get("/params")
def params():
    """Every registered model's parameters and multiply-adds beside the published figures (each
    model is built once per process to be measured: the first call takes a minute)."""
    from toolkit.reports import params_report

    return cached("history-params", lambda: _records(params_report()))


def _figures():
    from toolkit import plots
    from toolkit.reports import history_report, label_efficiency_report, plain_and_residual_curves

    return {
        "activations": plots.activation_functions,
        "error_vs_year": lambda path: plots.error_vs_year(history_report(), path),
        "error_vs_parameters": lambda path: plots.error_vs_parameters(history_report(), path),
        "plain_vs_residual": lambda path: plots.plain_vs_residual(plain_and_residual_curves(), path),
        "label_efficiency": lambda path: plots.label_efficiency(label_efficiency_report(), path),
    }


FIGURES = ("activations", "error_vs_year", "error_vs_parameters", "plain_vs_residual", "label_efficiency")


@router.get("/figures")
def figures():
    """The names of the figures."""
    return list(FIGURES)


@router.get("/figure/{name}.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def figure(name: str):
    """One of the reports' figures as PNG, drawn from the measured tables."""
    if name not in FIGURES:
        raise ApiError(f"no figure {name!r}; choose one of {', '.join(FIGURES)}", 404)

    def draw():
        buffer = io.BytesIO()
        _figures()[name](buffer)
        return buffer.getvalue()

    return Response(cached(("figure", name), draw), media_type="image/png")
