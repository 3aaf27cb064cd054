"""The `autoscore` command line's shared parts: the typer app, its common arguments, and the one place errors
become a message and an exit code. Results go to stdout (`--json` for machines), logs and progress to stderr.

Exit codes: 0 ok, 1 failed, 2 usage (a bad option or value, a named file not there), 3 partial batch (watch),
130 Ctrl-C, 128 + N signal N (SIGTERM: 143).
"""
from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import typer
from rich.console import Console

from autoscore_video.common import jsonio
from autoscore_video.common.errors import AutoscoreError
from autoscore_video.scoring.cli.stopping import stopped_message

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Score videos: analyse the picture, plan music that fits, render it and mix it under.")
stderr = Console(stderr=True)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        print(f"autoscore {version('autoscore-video')}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Score videos: analyse the picture, plan music that fits, render it and mix it under."""

def command_line():
    """The click command typer builds from `app`, with one fix to its help: typer 0.29 shows a flag as
    taking a value (`--json <bool>`, `--help <bool>`); a flag's value column is left empty. (typer carries
    its own copy of click, so the walk goes by attributes, not by click's classes.)"""
    import typer.main

    root = typer.main.get_command(app)

    def walk(command, context) -> None:
        for param in command.get_params(context):
            if getattr(param, "is_flag", False):
                param.metavar = ""
        for name in getattr(command, "list_commands", lambda _: [])(context):
            child = command.get_command(context, name)
            walk(child, child.context_class(child, parent=context, info_name=name))

    walk(root, root.context_class(root, info_name="autoscore", **root.context_settings))  # -h with --help
    return root


VideoArg = typer.Argument(..., help="Video file to read.", show_default=False)
OutputOpt = typer.Option(None, "--output", "-o", help="Where to write the result.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
SubsOpt = typer.Option(None, "--subtitles", help="Subtitle file (.srt/.ass/.vtt) to use instead of a sidecar.")
NoSubsOpt = typer.Option(False, "--no-subtitles", help="Ignore sidecar and embedded subtitles.")
VerboseOpt = typer.Option(False, "--verbose", "-v", help="Log what each stage decides.")
VisibilityTimeoutOpt = typer.Option(6 * 3600, "--visibility-timeout",
                                    help="Seconds before an unacknowledged job is redelivered; keep it above the "
                                         "longest job.")
HeartbeatTimeoutOpt = typer.Option(60.0, "--heartbeat-timeout",
                                   help="Seconds a running job's runner may go unheard (it beats every sixth of "
                                        "this) before the job is queued again; the same for serve and workers.")
WebhookSecretOpt = typer.Option(None, "--webhook-secret", envvar="AUTOSCORE_WEBHOOK_SECRET",
                                help="Key for the webhooks' Standard Webhooks signature (a whsec_ secret, or any "
                                     "text) and the old X-Autoscore-Signature header.")


def setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, force=True,
                        handlers=[RichHandler(console=stderr, show_path=False, show_time=False)], format="%(message)s")
    import scenedetect  # noqa: F401  (configures its "pyscenedetect" logger on import: import it before quieting it)

    logging.getLogger("pyscenedetect").setLevel(logging.WARNING)


@contextmanager
def errors_reported() -> Iterator[None]:
    """The one place errors become a message and an exit code (no traceback unless AUTOSCORE_DEBUG=1)."""
    try:
        yield
    except AutoscoreError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as `Terminated`
        fail(*stopped_message(exc))
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # anything unforeseen still gets one line, never a traceback
        if os.environ.get("AUTOSCORE_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set AUTOSCORE_DEBUG=1 for a traceback)", 1)


@contextmanager
def needs_extras(message: str) -> Iterator[None]:
    """An import of an optional extra that fails becomes `message` and the missing module's name."""
    try:
        yield
    except ImportError as exc:
        raise AutoscoreError(f"{message} ({exc.name})") from None


def fail(message: str, code: int) -> None:
    stderr.print(f"autoscore: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def with_progress(work):
    """Run `work(update)`; on a terminal `update(stage, fraction)` drives a rich bar per stage on stderr."""
    if not sys.stderr.isatty():
        return work(None)
    from rich.progress import (
        BarColumn,
        Progress,
        TaskID,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description:<11}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  TextColumn("eta"), TimeRemainingColumn(), console=stderr, transient=True) as bar:
        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        return work(update)


def write_json(path: Path, value) -> None:
    from autoscore_video.common.staging import StagedOutputs

    with StagedOutputs() as staged:
        staged.path_for(path).write_text(jsonio.dumps(value), encoding="utf-8")
        staged.commit()


def emit(data, as_json: bool, human) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        human()
