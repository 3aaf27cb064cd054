"""The `autoscore` command line. Results on stdout (`--json` for machines), logs and progress on stderr.

Exit codes: 0 ok, 1 failed, 2 usage.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

from autoscore_video.common import jsonio
from autoscore_video.common.errors import AutoscoreError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Score videos: analyse the picture, plan music that fits, render it and mix it under.")
stderr = Console(stderr=True)

VideoArg = typer.Argument(..., help="Video file to read.", show_default=False)
OutputOpt = typer.Option(None, "--output", "-o", help="Where to write the result.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
SubsOpt = typer.Option(None, "--subtitles", help="Subtitle file (.srt/.ass/.vtt) to use instead of a sidecar.")
NoSubsOpt = typer.Option(False, "--no-subtitles", help="Ignore sidecar and embedded subtitles.")
VerboseOpt = typer.Option(False, "--verbose", "-v", help="Log what each stage decides.")
BpmOpt = typer.Option(None, "--bpm", help="Tempo override (40..240).")
MoodOpt = typer.Option(None, "--mood", help="Mood override: joyful, uplifting, driving, calm, reflective, "
                                            "melancholic, tense.")
GenreOpt = typer.Option(None, "--genre", help="Genre override: ambient, cinematic, lofi, pop, electronic, rock, "
                                              "orchestral.")
PromptOpt = typer.Option(None, "--prompt", help="Prompt text override.")
SeedOpt = typer.Option(None, "--seed", help="Random seed (default: derived from the clip).")
EngineOpt = typer.Option(None, "--engine", help="Generation engine (default: symbolic).")
PresetOpt = typer.Option(None, "--preset", help="Loudness preset: default, youtube, tiktok, instagram (-14 LUFS), "
                                                "broadcast (-23 LUFS).")
LufsOpt = typer.Option(None, "--lufs", help="Integrated loudness target, overrides the preset.")
ReplaceOpt = typer.Option(None, "--replace-audio/--keep-audio", help="Drop the original audio (default: keep it).")
ModelOpt = typer.Option(None, "--model", help="musicgen checkpoint: small, medium, large, a hub id or a local folder.")
DeviceOpt = typer.Option(None, "--device", help="musicgen device: auto, cuda, mps or cpu.")
CandidatesOpt = typer.Option(None, "--candidates", help="musicgen: render N alternatives, keep all, use the one "
                                                        "whose beats fit the cuts best.")
VisibilityTimeoutOpt = typer.Option(6 * 3600, "--visibility-timeout",
                                    help="Seconds before an unacknowledged job is redelivered; keep it above the "
                                         "longest job.")
WebhookSecretOpt = typer.Option(None, "--webhook-secret", envvar="AUTOSCORE_WEBHOOK_SECRET",
                                help="HMAC-SHA256 key for the X-Autoscore-Signature header.")
FallbackOpt = typer.Option(None, "--fallback", help="Engine to use when the chosen one cannot run (e.g. symbolic), "
                                                    "or none.")


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, force=True,
                        handlers=[RichHandler(console=stderr, show_path=False, show_time=False)], format="%(message)s")
    import scenedetect  # noqa: F401  (configures its "pyscenedetect" logger on import: import it before quieting it)

    logging.getLogger("pyscenedetect").setLevel(logging.WARNING)


@contextmanager
def _errors_reported() -> Iterator[None]:
    """The one place errors become a message and an exit code (no traceback unless AUTOSCORE_DEBUG=1)."""
    try:
        yield
    except AutoscoreError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # anything unforeseen still gets one line, never a traceback
        if os.environ.get("AUTOSCORE_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set AUTOSCORE_DEBUG=1 for a traceback)", 1)


@contextmanager
def _needs_extras(message: str) -> Iterator[None]:
    """An import of an optional extra that fails becomes `message` and the missing module's name."""
    try:
        yield
    except ImportError as exc:
        raise AutoscoreError(f"{message} ({exc.name})") from None


def _fail(message: str, code: int) -> None:
    stderr.print(f"autoscore: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _with_progress(work):
    """Run `work(update)`; on a terminal `update(stage, fraction)` drives a rich bar per stage on stderr."""
    if not sys.stderr.isatty():
        return work(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(TextColumn("{task.description:<11}"), BarColumn(), TimeElapsedColumn(), console=stderr,
                  transient=True) as bar:
        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        return work(update)


def _prefs(bpm, mood, genre, prompt, seed, engine, preset, lufs, replace_audio, model, device, candidates, fallback):
    """The user's flags, checked before any work starts: a value autoscore cannot use is a usage error."""
    from autoscore_video.common.errors import InputError, UsageError
    from autoscore_video.scoring.planning.planner import Preferences

    prefs = Preferences(bpm=bpm, mood=mood, genre=genre, prompt=prompt, seed=seed, engine=engine, preset=preset,
                        lufs=lufs, replace_audio=replace_audio, model=model, device=device, candidates=candidates,
                        fallback=fallback)
    try:
        return prefs.validate()
    except InputError as exc:
        raise UsageError(str(exc)) from exc


@app.command()
def score(
    video: Path = VideoArg,
    output: Optional[Path] = OutputOpt,
    plan_file: Optional[Path] = typer.Option(None, "--plan", help="Render this (edited) plan instead of planning."),
    engine: Optional[str] = EngineOpt,
    model: Optional[str] = ModelOpt,
    device: Optional[str] = DeviceOpt,
    candidates: Optional[int] = CandidatesOpt,
    fallback: Optional[str] = FallbackOpt,
    bpm: Optional[float] = BpmOpt,
    mood: Optional[str] = MoodOpt,
    genre: Optional[str] = GenreOpt,
    prompt: Optional[str] = PromptOpt,
    seed: Optional[int] = SeedOpt,
    preset: Optional[str] = PresetOpt,
    lufs: Optional[float] = LufsOpt,
    replace_audio: Optional[bool] = ReplaceOpt,
    subtitles: Optional[Path] = SubsOpt,
    no_subtitles: bool = NoSubsOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Analyse and plan, print what would be written, write "
                                                          "nothing."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Score VIDEO: writes <clip>.scored.<ext>, .music.wav/.mp3/.mid, .plan.json, .report.json, .timeline.png."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video.scoring.job.outputs import output_paths
        from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan
        from autoscore_video.scoring.job.pipeline import score as run_score

        if no_subtitles and subtitles is not None:
            raise UsageError("--subtitles and --no-subtitles exclude each other")
        options = ScoreOptions(output=output, plan_path=plan_file, subtitles=subtitles, use_sidecar=not no_subtitles,
                               prefs=_prefs(bpm, mood, genre, prompt, seed, engine, preset, lufs, replace_audio,
                                            model, device, candidates, fallback))
        if dry_run:
            from autoscore_video.common.media import check_readable_file

            check_readable_file(video)
            paths = output_paths(video, output)
            _, score_plan = _with_progress(lambda update: make_plan(video, options, update))
            summary = {"dry_run": True, "would_write": [str(p) for p in paths.all()],
                       "plan": jsonio.to_jsonable(score_plan)}
            _emit(summary, json_out, lambda: _print_plan(score_plan, paths.all()))
            return
        result = _with_progress(lambda update: run_score(video, options, update))
        _emit(jsonio.to_jsonable(result), json_out, lambda: _print_result(result))


@app.command()
def analyze(
    video: Path = VideoArg,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the features as JSON here."),
    subtitles: Optional[Path] = SubsOpt,
    no_subtitles: bool = NoSubsOpt,
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Print the features of VIDEO: cuts, saturation, speech, subtitles."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video import analysis
        features = _with_progress(lambda update: analysis.analyze(video, subtitles=subtitles,
                                                                  use_sidecar=not no_subtitles, progress=update))
        if output is not None:
            _write_json(output, features)
        _emit(jsonio.to_jsonable(features), json_out, lambda: _print_features(features))


@app.command()
def evaluate(
    video: Path = typer.Argument(..., help="A scored clip (its music stem and plan are read from beside it).",
                                 show_default=False),
    music: Optional[Path] = typer.Option(None, "--music", help="Music to measure (default: <clip>.music.wav beside "
                                                                "VIDEO, else VIDEO's own audio track)."),
    plan_path: Optional[Path] = typer.Option(None, "--plan", help="Plan the clip was scored from (default: "
                                                                  "<clip>.plan.json beside VIDEO)."),
    timeline: Optional[Path] = typer.Option(None, "--timeline", help="Timeline PNG to write (default: "
                                                                     "<clip>.evaluation.png beside VIDEO)."),
    no_timeline: bool = typer.Option(False, "--no-timeline", help="Do not draw the timeline."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Measure how the music of VIDEO fits it: cuts on beats, TBIoU, tempo, loudness, ducking, length."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video.common.staging import StagedOutputs
        from autoscore_video.scoring.job.evaluate import EvaluationInputs, sidecars
        from autoscore_video.scoring.job.evaluate import evaluate as run_evaluate
        from autoscore_video.scoring.job.timeline import draw_timeline

        png = None if no_timeline else (timeline or sidecars(video)[0].with_name(
            sidecars(video)[0].name.replace(".music.wav", ".evaluation.png")))
        if png is not None and png.resolve() in {p.resolve() for p in (video, music, plan_path) if p}:
            raise AutoscoreError(f"{png}: the timeline would overwrite an input")
        result, features, score_plan = _with_progress(
            lambda update: run_evaluate(EvaluationInputs(video=video, music=music, plan=plan_path)))
        if png is not None:
            with StagedOutputs() as staged:
                draw_timeline(features, score_plan, result.beats, result.downbeats, staged.path_for(png),
                              title=f"{video.name}: {result.cuts} cuts, measured beats", speech=result.speech)
                staged.commit()
        _emit(jsonio.to_jsonable(result), json_out, lambda: _print_evaluation(result, png))


@app.command("plan")
def plan_command(
    video: Path = VideoArg,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Plan JSON to write (default: "
                                                                       "<clip>.plan.json)."),
    engine: Optional[str] = EngineOpt,
    model: Optional[str] = ModelOpt,
    device: Optional[str] = DeviceOpt,
    candidates: Optional[int] = CandidatesOpt,
    fallback: Optional[str] = FallbackOpt,
    bpm: Optional[float] = BpmOpt,
    mood: Optional[str] = MoodOpt,
    genre: Optional[str] = GenreOpt,
    prompt: Optional[str] = PromptOpt,
    seed: Optional[int] = SeedOpt,
    preset: Optional[str] = PresetOpt,
    lufs: Optional[float] = LufsOpt,
    replace_audio: Optional[bool] = ReplaceOpt,
    subtitles: Optional[Path] = SubsOpt,
    no_subtitles: bool = NoSubsOpt,
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Analyse VIDEO and write the score plan as JSON, to edit and render with `score --plan`."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video.common.media import check_readable_file
        from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan

        check_readable_file(video)
        target = output or video.with_name(f"{video.stem}.plan.json")
        if target.resolve() == video.resolve():
            raise AutoscoreError(f"{target}: output would overwrite the source video")
        options = ScoreOptions(subtitles=subtitles, use_sidecar=not no_subtitles,
                               prefs=_prefs(bpm, mood, genre, prompt, seed, engine, preset, lufs, replace_audio,
                                            model, device, candidates, fallback))
        _, score_plan = _with_progress(lambda update: make_plan(video, options, update))
        _write_json(target, score_plan)
        _emit(jsonio.to_jsonable(score_plan), json_out, lambda: print(target))


@app.command()
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
    engine: Optional[str] = EngineOpt,
    model: Optional[str] = ModelOpt,
    device: Optional[str] = DeviceOpt,
    fallback: str = typer.Option("symbolic", "--fallback", help="Engine when the chosen one cannot run, or none."),
    preset: Optional[str] = PresetOpt,
    lufs: Optional[float] = LufsOpt,
    replace_audio: Optional[bool] = ReplaceOpt,
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Score every video that lands in INBOX, exactly once; sources are never modified."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.watch.watcher import Watcher, WatchSettings

        if readings < 1 or attempts < 1 or interruptions < 0 or hold < 0 or rescan <= 0:
            raise UsageError("--readings and --attempts must be at least 1, --interruptions and --hold at least 0, "
                             "--rescan above 0")
        prefs = _prefs(None, None, None, None, None, engine, preset, lufs, replace_audio, model, device, None,
                       fallback)
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
        _emit(jsonio.to_jsonable(summary), json_out,
              lambda: stderr.print(f"done {len(summary.done)}, failed {len(summary.failed)}, retrying "
                                   f"{len(summary.retrying)}, skipped {len(summary.skipped)}", markup=False))
        raise typer.Exit(summary.exit_code)


@app.command()
def hook(
    file: Path = typer.Argument(..., help="The exported video; scored once it is complete."),
    output: Optional[Path] = OutputOpt,
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for the file to be complete."),
    hold: float = typer.Option(1.0, "--hold", help="Seconds between size+mtime readings."),
    readings: int = typer.Option(3, "--readings", help="Equal readings before the file counts as complete."),
    engine: Optional[str] = EngineOpt,
    model: Optional[str] = ModelOpt,
    fallback: str = typer.Option("symbolic", "--fallback", help="Engine when the chosen one cannot run, or none."),
    preset: Optional[str] = PresetOpt,
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """For editors' export hooks: wait until FILE is complete, score it, print the scored video's path."""
    _setup_logging(verbose)
    with _errors_reported():
        from autoscore_video.scoring.hooks.install import wait_until_complete
        from autoscore_video.scoring.job.pipeline import ScoreOptions
        from autoscore_video.scoring.job.pipeline import score as run_score

        if readings < 1 or hold < 0 or timeout < 0:
            raise UsageError("--readings must be at least 1; --hold and --timeout at least 0")
        prefs = _prefs(None, None, None, None, None, engine, preset, None, None, model, None, None, fallback)
        wait_until_complete(file, hold, readings, timeout)
        result = run_score(file, ScoreOptions(output=output, prefs=prefs))
        _emit(jsonio.to_jsonable(result), json_out, lambda: print(result.outputs["video"]))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    data: Path = typer.Option(Path("autoscore-data"), "--data", help="Uploads, outputs and the job database."),
    token: list[str] = typer.Option([], "--token", help="Accepted bearer token (repeatable); also "
                                                        "AUTOSCORE_TOKENS=a,b."),
    allow_root: list[Path] = typer.Option([], "--allow-root", help="Folder whose files may be submitted by path "
                                                                   "(repeatable)."),
    max_upload_mb: float = typer.Option(2048, "--max-upload-mb"),
    upload_timeout: float = typer.Option(30.0, "--upload-timeout", help="Seconds an upload may send nothing "
                                                                       "before it is answered 408."),
    queue_limit: int = typer.Option(50, "--queue-limit", help="Queued+running jobs before 503."),
    workers: int = typer.Option(1, "--workers", help="Jobs run at once in this process."),
    db: Optional[str] = typer.Option(None, "--db", help="SQLAlchemy URL for job records (default SQLite in "
                                                        "--data)."),
    webhook_host: list[str] = typer.Option([], "--webhook-host", help="Host webhooks may be sent to "
                                                                      "(repeatable)."),
    webhook_secret: Optional[str] = WebhookSecretOpt,
    token_webhook: list[str] = typer.Option([], "--token-webhook", help="TOKEN=URL: webhook for every job of that "
                                                                        "token without its own (repeatable)."),
    broker: Optional[str] = typer.Option(None, "--broker", help="Celery broker URL (redis://...): jobs go to "
                                                                "`autoscore worker` processes."),
    visibility_timeout: int = VisibilityTimeoutOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    _setup_logging(verbose)
    with _errors_reported():
        with _needs_extras("serve needs the [serve] extra: pip install 'autoscore[serve]'"):
            import uvicorn

            from autoscore_video.scoring.service.api import ServerSettings, create_app
        tokens = set(token) | {t.strip() for t in os.environ.get("AUTOSCORE_TOKENS", "").split(",") if t.strip()}
        if not tokens:
            raise UsageError("give at least one --token (or AUTOSCORE_TOKENS): the API accepts no anonymous jobs")
        if queue_limit < 1 or workers < 1 or max_upload_mb <= 0 or upload_timeout <= 0:
            raise UsageError("--queue-limit and --workers must be at least 1, --max-upload-mb and "
                             "--upload-timeout above 0")
        if any("=" not in item for item in token_webhook):
            raise UsageError("--token-webhook takes TOKEN=URL")
        registered = dict(item.split("=", 1) for item in token_webhook)
        if set(registered) - tokens:
            raise UsageError("--token-webhook names a token that is not accepted (--token)")
        asgi, _ = create_app(ServerSettings(
            data_dir=data.resolve(), tokens=tokens, allowed_roots=[p.resolve() for p in allow_root],
            max_upload_bytes=int(max_upload_mb * 1024 * 1024), queue_limit=queue_limit, workers=workers,
            database_url=db, webhook_hosts=set(webhook_host), token_webhooks=registered,
            webhook_secret=webhook_secret, broker_url=broker,
            visibility_timeout_s=visibility_timeout, upload_idle_timeout_s=upload_timeout))
        uvicorn.run(asgi, host=host, port=port, log_level="info" if verbose else "warning")


@app.command()
def worker(
    broker: str = typer.Option(..., "--broker", help="Celery broker URL, the same as the API's."),
    data: Path = typer.Option(Path("autoscore-data"), "--data", help="Shared folder for outputs (as the API's)."),
    db: Optional[str] = typer.Option(None, "--db", help="The API's job database URL (default SQLite in --data)."),
    concurrency: int = typer.Option(1, "--concurrency", help="Worker processes (one job each at a time)."),
    gpus: Optional[str] = typer.Option(None, "--gpus", help="GPU ids, one per worker process (sets "
                                                            "CUDA_VISIBLE_DEVICES)."),
    preload_model: Optional[str] = typer.Option(None, "--preload-model", help="Load this MusicGen model in each "
                                                                              "process after fork."),
    device: str = typer.Option("auto", "--device"),
    visibility_timeout: int = VisibilityTimeoutOpt,
    webhook_secret: Optional[str] = WebhookSecretOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run jobs from the API's queue: a Celery worker, prefetch 1, late acks, redelivery if a process dies."""
    _setup_logging(verbose)
    with _errors_reported():
        with _needs_extras("worker needs the [dist] and [serve] extras: pip install 'autoscore[serve,dist]'"):
            from autoscore_video.scoring.service.api import ServerSettings
            from autoscore_video.scoring.service.distributed import run_worker
        if concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        if gpus:
            os.environ["AUTOSCORE_GPUS"] = gpus
        if preload_model:
            os.environ["AUTOSCORE_PRELOAD_MODEL"], os.environ["AUTOSCORE_DEVICE"] = preload_model, device
        data = data.resolve()
        settings = ServerSettings(data_dir=data, tokens=set(), database_url=db or f"sqlite:///{data / 'jobs.sqlite'}",
                                  broker_url=broker, visibility_timeout_s=visibility_timeout,
                                  webhook_secret=webhook_secret)
        run_worker(settings, concurrency, "INFO" if verbose else "WARNING")


hooks_app = typer.Typer(help="Ready scripts for editors: DaVinci Resolve, OBS, Compressor/Automator.",
                        no_args_is_help=True)
app.add_typer(hooks_app, name="hooks")


@hooks_app.command("install")
def hooks_install(
    application: str = typer.Argument(..., help="resolve (Python), resolve-lua, or obs."),
    folder: Optional[Path] = typer.Option(None, "--folder", help="Install here instead of the application's "
                                                                 "own scripts folder."),
) -> None:
    """Copy a hook script into the folder the application reads scripts from, and say what to do next."""
    with _errors_reported():
        from autoscore_video.scoring.hooks.install import NEXT_STEP, install

        target = install(application, folder)
        stderr.print(f"installed {target}\nnext: {NEXT_STEP[application]}", markup=False)
        print(target)


models_app = typer.Typer(help="MusicGen checkpoints: what is known, what is here, what it needs.",
                         invoke_without_command=True, no_args_is_help=False)
app.add_typer(models_app, name="models")


@models_app.callback()
def models_list(ctx: typer.Context, json_out: bool = JsonOpt) -> None:
    """List the MusicGen checkpoints, whether each is in the Hugging Face cache, its size and VRAM need."""
    if ctx.invoked_subcommand is not None:
        return
    with _errors_reported():
        from autoscore_video.generation.musicgen.catalog import CATALOG, cache_dir, cached_snapshot, folder_size_gb

        rows = []
        for info in CATALOG.values():
            snapshot = cached_snapshot(info.repo_id)
            rows.append({"name": info.name, "repo_id": info.repo_id, "present": snapshot is not None,
                         "path": str(snapshot) if snapshot else None,
                         "size_gb": folder_size_gb(snapshot) if snapshot else None,
                         "params_m": info.total_params_m, "vram_gb": info.vram_gb,
                         "supported": not info.melody})
        if json_out:
            _emit({"cache": cache_dir(), "models": rows}, True, None)
            return
        table = Table(title=f"MusicGen checkpoints (cache: {cache_dir()})")
        for column in ("name", "hub id", "here", "size on disk", "parameters", "VRAM (fp16)"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["name"], row["repo_id"], "yes" if row["present"] else "no",
                          f"{row['size_gb']} GB" if row["size_gb"] is not None else "-",
                          f"{row['params_m']} M", f"~{row['vram_gb']} GB" + ("" if row["supported"] else " (not yet)"))
        Console().print(table)


@models_app.command("pull")
def models_pull(name: str = typer.Argument(..., help="small, medium, large, melody or a hub id.")) -> None:
    """Download a checkpoint into the Hugging Face cache (needs a machine that reaches the hub)."""
    with _errors_reported():
        from autoscore_video.common.errors import ModelError
        from autoscore_video.generation.musicgen.catalog import hub_offline, resolve

        source, _, local = resolve(name)
        if local:
            raise UsageError(f"{name} is a local folder already; nothing to pull")
        if hub_offline():
            raise ModelError("HF_HUB_OFFLINE is set: unset it on a machine that reaches the hub to pull")
        try:
            from huggingface_hub import snapshot_download
        except ImportError as exc:
            raise ModelError("pulling needs huggingface_hub: pip install 'autoscore[musicgen]'") from exc
        try:
            folder = snapshot_download(source)
        except Exception as exc:  # network and hub errors come in many types; all mean "not pulled"
            raise ModelError(f"cannot download {source}: {type(exc).__name__}: {exc}") from exc
        print(folder)


def _write_json(path: Path, value) -> None:
    from autoscore_video.common.staging import StagedOutputs

    with StagedOutputs() as staged:
        staged.path_for(path).write_text(jsonio.dumps(value), encoding="utf-8")
        staged.commit()


def _emit(data, as_json: bool, human) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        human()


def _print_result(result) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    mix = result.mix
    table.add_row("loudness", f"{mix.integrated_lufs:.1f} LUFS (target {mix.target_lufs:.0f}), "
                              f"true peak {mix.true_peak_db:.1f} dBTP")
    table.add_row("ducking", "no speech" if mix.duck_depth_db is None else f"{mix.duck_depth_db:.1f} dB under speech")
    table.add_row("tempo", f"{result.rendered_bpm:.1f} BPM ({result.engine['name']}, seed {result.engine['seed']})")
    a = result.alignment
    table.add_row("cuts", f"{a.cuts_on_beat}/{a.cuts} on a beat (±{a.tolerance_ms:.0f} ms)")
    table.add_row("time", ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()))
    stderr.print(table)
    for note in result.notes:
        stderr.print(f"note: {note}", markup=False)
    print(result.outputs["video"])


def _print_evaluation(e, png: Path | None) -> None:
    def share(x):
        return "n/a" if x is None else f"{x:.0%}"

    table = Table(title=Path(e.video).name, show_header=False, box=None)
    table.add_row("cuts", f"{e.cuts}")
    table.add_row("cut-hit rate", f"{share(e.cut_hit_rate)} on a beat, {share(e.cut_downbeat_rate)} on a downbeat "
                                  f"(±{e.hit_tolerance_ms:.0f} ms)")
    table.add_row("TBIoU", "n/a" if e.tbiou is None else f"{e.tbiou:.3f} (window {e.tbiou_window_s:.1f} s)")
    for t in e.tempo:
        planned = "" if t.planned_bpm is None else f", planned {t.planned_bpm:.1f}, error {t.error:.1%}"
        table.add_row("tempo", f"{t.start:.1f}-{t.end:.1f} s: measured {t.measured_bpm:.1f} BPM{planned}")
    table.add_row("loudness", "no audio" if e.integrated_lufs is None else
                  f"{e.integrated_lufs:.1f} LUFS, true peak {e.true_peak_db:.1f} dBTP")
    table.add_row("music under speech", "n/a" if e.music_under_speech_lu is None else
                  f"{e.music_under_speech_lu:.1f} LU lower")
    if e.duration_error_s is not None or e.music_duration_error_s is not None:
        table.add_row("duration error", f"clip {_ms(e.duration_error_s)}, music {_ms(e.music_duration_error_s)}")
    Console(stderr=False).print(table)
    for note in e.notes:
        stderr.print(f"note: {note}", markup=False)
    if png is not None:
        stderr.print(f"timeline: {png}", markup=False)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def _print_plan(score_plan, paths) -> None:
    b = score_plan.brief
    stderr.print(f"plan: {score_plan.bpm:.0f} BPM, {b.key} {b.mode}, {b.genre}, energy {b.energy:.2f}, "
                 f"seed {b.seed}, {len(b.sections)} section(s)", markup=False)
    stderr.print(f"prompt: {b.prompt}", markup=False)
    for line in score_plan.rationale:
        stderr.print(f"  because {line}", markup=False)
    stderr.print("would write:", markup=False)
    for p in paths:
        print(p)


def _print_features(f) -> None:
    table = Table(title=Path(f.info.path).name, show_header=False, box=None)
    table.add_row("video", f"{f.info.width}x{f.info.height} {f.info.video_codec}, {f.info.fps:.3f} fps, "
                           f"{f.info.duration:.3f} s")
    table.add_row("cuts", f"{f.cuts.count} ({f.cuts.mean_rate_per_minute:.1f}/min): "
                          + ", ".join(f"{t:.2f}" for t in f.cuts.times[:12]) + (" …" if f.cuts.count > 12 else ""))
    table.add_row("saturation", f"mean {f.saturation.mean:.2f}, p90 {f.saturation.p90:.2f}")
    if f.speech.has_audio:
        table.add_row("speech", f"{len(f.speech.regions)} regions, {f.speech.speech_ratio:.0%} of the clip")
    else:
        table.add_row("speech", "no audio track")
    subs = f.subtitles
    table.add_row("subtitles", "none" if subs.source is None else
                  f"{len(subs.cues)} cues from {subs.source}, {'/'.join(subs.languages)}, sentiment "
                  f"{subs.mean_sentiment if subs.mean_sentiment is not None else 'n/a'}")
    Console().print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
