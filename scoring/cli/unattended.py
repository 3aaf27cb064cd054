"""`autoscore watch` and `autoscore hook`: scoring files as they arrive, with nobody at the terminal."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from autoscore_video.common import jsonio
from autoscore_video.common.errors import UsageError
from autoscore_video.scoring.cli.app import (
    JsonOpt,
    OutputOpt,
    VerboseOpt,
    app,
    emit,
    errors_reported,
    setup_logging,
    stderr,
)
from autoscore_video.scoring.cli.flags import music_flags


@app.command()
@music_flags(fallback="symbolic")
def watch(
    inbox: Path = typer.Argument(..., help="Folder to watch for videos."),
    out: Path = typer.Option(..., "--out", help="Folder for the scored videos and their sidecars."),
    failed: Optional[Path] = typer.Option(None, "--failed", help="Where failing sources go (default OUT/failed)."),
    once: bool = typer.Option(False, "--once", help="Score what is there now, then exit (cron, tests)."),
    hold: float = typer.Option(2.0, "--hold", help="Seconds between size+mtime readings."),
    readings: int = typer.Option(2, "--readings", help="Equal readings before a file counts as complete."),
    rescan: float = typer.Option(10.0, "--rescan", help="Seconds between full rescans (a backstop for events)."),
    attempts: int = typer.Option(3, "--attempts", help="Failed tries per file before it is moved to --failed."),
    interruptions: int = typer.Option(10, "--interruptions", help="Watcher deaths during one file before it is "
                                                                  "moved to --failed."),
    copy_failed: bool = typer.Option(False, "--copy-failed", help="Copy failing sources instead of moving them."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=None,
) -> None:
    """Score every video that lands in INBOX, exactly once; sources are never modified."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.watch.watcher import Watcher, WatchSettings

        if readings < 1 or attempts < 1 or interruptions < 0 or hold < 0 or rescan <= 0:
            raise UsageError("--readings and --attempts must be at least 1, --interruptions and --hold at least 0, "
                             "--rescan above 0")
        watcher = Watcher(WatchSettings(inbox=inbox, out=out, failed=failed, hold_s=hold, stable_readings=readings,
                                        rescan_s=rescan, max_attempts=attempts, max_interruptions=interruptions,
                                        copy_failed=copy_failed,
                                        options=ScoreOptions(prefs=prefs)))
        watcher.install_signal_handlers()
        if not once:
            stderr.print(f"watching {watcher.settings.inbox} -> {watcher.settings.out} (Ctrl-C to stop)",
                         markup=False)
            watcher.run_forever()
            return
        summary = watcher.run_once()
        emit(jsonio.to_jsonable(summary), json_out,
              lambda: stderr.print(f"done {len(summary.done)}, failed {len(summary.failed)}, retrying "
                                   f"{len(summary.retrying)}, skipped {len(summary.skipped)}", markup=False))
        raise typer.Exit(summary.exit_code)


@app.command()
@music_flags(fallback="symbolic")
def hook(
    file: Path = typer.Argument(..., help="The exported video; scored once it is complete."),
    output: Optional[Path] = OutputOpt,
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for the file to be complete."),
    hold: float = typer.Option(1.0, "--hold", help="Seconds between size+mtime readings."),
    readings: int = typer.Option(3, "--readings", help="Equal readings before the file counts as complete."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=None,
) -> None:
    """For editors' export hooks: wait until FILE is complete, score it, print the scored video's path."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.common.files import wait_until_complete
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.job.pipeline import score as run_score

        if readings < 1 or hold < 0 or timeout < 0:
            raise UsageError("--readings must be at least 1; --hold and --timeout at least 0")
        wait_until_complete(file, hold, readings, timeout)
        result = run_score(file, ScoreOptions(output=output, prefs=prefs))
        emit(jsonio.to_jsonable(result), json_out, lambda: print(result.outputs["video"]))
