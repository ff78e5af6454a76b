"""The Click group `toolkit`. TensorFlow is imported only inside commands that need it.

Exit codes: 0 ok, 1 failure with a one-line error (a traceback only with --debug), 2 usage error.
"""

import contextlib
import importlib
import importlib.abc
import importlib.util
import logging
import os
import sys

import click

# command name -> module under cli/commands holding a function of the same name
COMMANDS = {
    "convert": "convert",
    "models": "models",
    "summary": "summary",
    "gates": "gates",
    "demo": "demo",
    "report": "report",
    "fit": "fit",
    "evaluate": "evaluate",
    "predict": "predict",
    "weights": "weights",
    "forecast": "forecast",
    "sample": "sample",
    "generate": "generate",
    "export": "export",
    "serve": "serve",
}


class LazyGroup(click.Group):
    """Loads a command's module only when that command runs (or its help is shown)."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"cli.commands.{COMMANDS[name]}")
        return getattr(module, name.replace("-", "_") + "_command")

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:  # the CLI boundary: domain errors become one line
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from cli.output import error_line

            raise click.ClickException(error_line(error)) from None


@contextlib.contextmanager
def stderr_silenced():
    """Send file descriptor 2 (C++ code's stderr too, not only Python's) to /dev/null for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Imports the `tensorflow` package itself with stderr silenced.

    Its C++ core logs a oneDNN notice through absl before it reads TF_CPP_MIN_LOG_LEVEL, so every
    command that needs TensorFlow would start with four lines of noise, before any one-line error.
    A Python exception raised by the import still reaches the user; `--debug` shows everything.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run_module = spec.loader.exec_module

            def exec_module(module):
                with stderr_silenced():
                    run_module(module)

            spec.loader.exec_module = exec_module
        return spec


class EchoHandler(logging.Handler):
    """The library's log lines (skipped files, transferred layers, filled gaps) on stderr, where the
    CLI's progress goes; warnings start with "warning:"."""

    def emit(self, record):
        prefix = "warning: " if record.levelno >= logging.WARNING else ""
        click.echo(prefix + record.getMessage(), err=True)


def show_library_logs():
    logger = logging.getLogger("toolkit")
    if not any(isinstance(handler, EchoHandler) for handler in logger.handlers):
        logger.addHandler(EchoHandler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="toolkit")
@click.pass_context
def toolkit(ctx, debug):
    """The landmark neural networks of deep learning's history: build, fit, predict, compare."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    show_library_logs()
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        if "tensorflow" not in sys.modules and not any(isinstance(f, QuietTensorFlowImport) for f in sys.meta_path):
            sys.meta_path.insert(0, QuietTensorFlowImport())


def main():
    toolkit(prog_name="toolkit")


if __name__ == "__main__":
    sys.exit(main())
