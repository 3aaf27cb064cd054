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
from autoscore_video.scoring.cli.flags import FROM_FLAGS, music_flags


@app.command()
@music_flags(fallback="symbolic")
def watch(
    inbox: Path = typer.Argument(..., help="Folder to watch for videos."),
    out: Path = typer.Option(..., "--out", help="Folder for the scored videos and their sidecars."),
    failed: Optional[Path] = typer.Option(None, "--failed", help="Where failing sources go (default OUT/failed)."),
    once: bool = typer.Option(False, "--once", help="Score what is there now, then exit (cron, tests)."),
    from_encoder: bool = typer.Option(False, "--from-encoder", help="An encoder (Media Encoder, Compressor) writes "
                                      "into INBOX: 4 equal readings 5 s apart, and failing sources copied, not "
                                      "moved; --hold, --readings and --copy-failed still override."),
    hold: Optional[float] = typer.Option(None, "--hold", help="Seconds between size+mtime readings (2; 5 with "
                                                              "--from-encoder)."),
    readings: Optional[int] = typer.Option(None, "--readings", help="Equal readings before a file counts as "
                                                                    "complete (2; 4 with --from-encoder)."),
    rescan: float = typer.Option(10.0, "--rescan", help="Seconds between full rescans (a backstop for events)."),
    attempts: int = typer.Option(3, "--attempts", help="Failed tries per file before it is moved to --failed."),
    interruptions: int = typer.Option(10, "--interruptions", help="Watcher deaths during one file before it is "
                                                                  "moved to --failed."),
    copy_failed: Optional[bool] = typer.Option(None, "--copy-failed/--move-failed", help="Copy failing sources "
                                               "to --failed instead of moving them (on with --from-encoder)."),
    quiet: Optional[float] = typer.Option(None, "--quiet", help="Seconds a file must be left unmodified before "
                                          "a failure counts against it (60; 120 with --from-encoder): a file "
                                          "still being written is never moved to --failed."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=FROM_FLAGS,
) -> None:
    """Score every video that lands in INBOX, exactly once; sources are never modified."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.watch.watcher import READINESS_PRESETS, Watcher, WatchSettings

        preset = READINESS_PRESETS["encoder" if from_encoder else "default"]
        hold = preset["hold_s"] if hold is None else hold
        readings = preset["stable_readings"] if readings is None else readings
        copy_failed = preset["copy_failed"] if copy_failed is None else copy_failed
        quiet = preset["quiet_s"] if quiet is None else quiet
        if readings < 1 or attempts < 1 or interruptions < 0 or hold < 0 or rescan <= 0 or quiet < 0:
            raise UsageError("--readings and --attempts must be at least 1, --interruptions, --hold and --quiet at "
                             "least 0, --rescan above 0")
        watcher = Watcher(WatchSettings(inbox=inbox, out=out, failed=failed, hold_s=hold, stable_readings=readings,
                                        rescan_s=rescan, max_attempts=attempts, max_interruptions=interruptions,
                                        copy_failed=copy_failed, quiet_s=quiet,
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
    files: Optional[list[Path]] = typer.Argument(None, help="The exported videos; each scored once it is complete, "
                                                            "one after another."),
    output: Optional[Path] = OutputOpt,
    new_in: Optional[Path] = typer.Option(None, "--new-in", help="Also every video written into this folder since "
                                                                 "--since (a render of individual clips)."),
    since: Optional[float] = typer.Option(None, "--since", help="With --new-in: when the render started, in "
                                                                "seconds since the epoch."),
    remuxed_as: Optional[str] = typer.Option(None, "--remuxed-as", help="The recorder remuxes each file into this "
                                             "container (OBS: mp4): that copy is scored once it appears."),
    remux_wait: float = typer.Option(30.0, "--remux-wait", help="Seconds to wait for the remuxed copy to appear "
                                                                "before the recording itself is scored."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for each file to be complete."),
    hold: float = typer.Option(1.0, "--hold", help="Seconds between size+mtime readings."),
    readings: int = typer.Option(3, "--readings", help="Equal readings before the file counts as complete."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=FROM_FLAGS,
) -> None:
    """For editors' export hooks: wait until each FILE is complete, score it, print the scored video's path.
    With several files, one failing does not stop the others; the exit code is 1 if any failed, and --json
    prints a list of reports."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.common.errors import AutoscoreError
        from autoscore_video.common.files import wait_until_complete
        from autoscore_video.scoring.hooks.exports import export_files, remuxed
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.job.pipeline import score as run_score

        if readings < 1 or hold < 0 or timeout < 0 or remux_wait < 0:
            raise UsageError("--readings must be at least 1; --hold, --timeout and --remux-wait at least 0")
        chosen = export_files(files or [], new_in, since)
        if output is not None and len(chosen) > 1:
            raise UsageError(f"-o names one output, and there are {len(chosen)} files to score")
        reports, failed = [], 0
        for file in chosen:
            try:
                if remuxed_as:
                    file = remuxed(file, remuxed_as, remux_wait)
                wait_until_complete(file, hold, readings, timeout)
                result = run_score(file, ScoreOptions(output=output, prefs=prefs))
            except AutoscoreError as exc:
                if len(chosen) == 1:
                    raise
                failed += 1
                stderr.print(f"autoscore: error: {exc}", markup=False, highlight=False, soft_wrap=True)
                continue
            reports.append(jsonio.to_jsonable(result))
            if not json_out:
                print(result.outputs["video"], flush=True)
        if json_out:
            emit(reports[0] if len(chosen) == 1 else reports, True, None)
        if failed:
            raise typer.Exit(1)
