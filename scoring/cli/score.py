"""`autoscore score`, `plan`, `analyze` and `evaluate`: one clip at a time."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from autoscore_video.common import jsonio
from autoscore_video.common.errors import AutoscoreError, UsageError
from autoscore_video.scoring.cli import show
from autoscore_video.scoring.cli.app import (
    JsonOpt,
    NoSubsOpt,
    OutputOpt,
    SubsOpt,
    VerboseOpt,
    VideoArg,
    app,
    emit,
    errors_reported,
    setup_logging,
    stderr,
    with_progress,
    write_json,
)
from autoscore_video.scoring.cli.flags import FROM_FLAGS, music_flags


@app.command()
@music_flags()
def score(
    video: Path = VideoArg,
    output: Optional[Path] = OutputOpt,
    plan_file: Optional[Path] = typer.Option(None, "--plan", help="Render this (edited) plan instead of planning."),
    regenerate: Optional[int] = typer.Option(None, "--regenerate", metavar="N", min=1,
                                             help="With --plan: make section N (from 1) again with a new seed, "
                                                  "keeping the music outside it as the earlier run made it."),
    subtitles: Optional[Path] = SubsOpt,
    no_subtitles: bool = NoSubsOpt,
    dry_run: bool = typer.Option(False, "--dry-run", help="Analyse and plan, print what would be written, write "
                                                          "nothing."),
    overwrite: bool = typer.Option(False, "--overwrite", "-y", help="Replace existing files autoscore did not "
                                                                     "write (its own earlier outputs always are)."),
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=FROM_FLAGS,
) -> None:
    """Score VIDEO: writes <clip>.scored.<ext>, .music.wav/.mp3/.mid, .plan.json, .report.json, .timeline.png."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.scoring.job.outputs import output_paths
        from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan
        from autoscore_video.scoring.job.pipeline import score as run_score

        if no_subtitles and subtitles is not None:
            raise UsageError("--subtitles and --no-subtitles exclude each other")
        options = ScoreOptions(output=output, plan_path=plan_file, subtitles=subtitles, use_sidecar=not no_subtitles,
                               prefs=prefs, overwrite=overwrite, regenerate=regenerate)
        if dry_run:
            from autoscore_video.common.media import check_readable_file

            check_readable_file(video)
            paths = output_paths(video, output)
            _, score_plan = with_progress(lambda update: make_plan(video, options, update))
            summary = {"dry_run": True, "would_write": [str(p) for p in paths.all()],
                       "plan": jsonio.to_jsonable(score_plan)}
            emit(summary, json_out, lambda: show.plan(score_plan, paths.all()))
            return
        result = with_progress(lambda update: run_score(video, options, update))
        emit(jsonio.to_jsonable(result), json_out, lambda: show.result(result))


@app.command("plan")
@music_flags()
def plan_command(
    video: Path = VideoArg,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Plan JSON to write (default: "
                                                                       "<clip>.plan.json)."),
    subtitles: Optional[Path] = SubsOpt,
    no_subtitles: bool = NoSubsOpt,
    json_out: bool = JsonOpt,
    verbose: bool = VerboseOpt,
    prefs=FROM_FLAGS,
) -> None:
    """Analyse VIDEO and write the score plan as JSON, to edit and render with `score --plan`."""
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.common.media import check_readable_file
        from autoscore_video.scoring.job.outputs import sidecar
        from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan

        check_readable_file(video)
        target = output or sidecar(video, "plan")
        if target.resolve() == video.resolve():
            raise AutoscoreError(f"{target}: output would overwrite the source video")
        options = ScoreOptions(subtitles=subtitles, use_sidecar=not no_subtitles,
                               prefs=prefs)
        _, score_plan = with_progress(lambda update: make_plan(video, options, update))
        write_json(target, score_plan)
        emit(jsonio.to_jsonable(score_plan), json_out, lambda: print(target))


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
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video import analysis
        features = with_progress(lambda update: analysis.analyze(video, subtitles=subtitles,
                                                                  use_sidecar=not no_subtitles, progress=update))
        if output is not None:
            write_json(output, features)
        emit(jsonio.to_jsonable(features), json_out, lambda: show.features(features))


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
    setup_logging(verbose)
    with errors_reported():
        from autoscore_video.common.staging import StagedOutputs
        from autoscore_video.generation.beats import COMPILE_S
        from autoscore_video.scoring.job.evaluate import EvaluationInputs
        from autoscore_video.scoring.job.evaluate import evaluate as run_evaluate
        from autoscore_video.scoring.job.outputs import evaluation_timeline
        from autoscore_video.scoring.job.timeline import draw_timeline

        def compiling() -> None:  # said only once the inputs are read: a bad one is one line, as always
            stderr.print(f"autoscore: the first evaluation on this machine: numba compiles librosa's beat tracker "
                         f"once (about {COMPILE_S} s); later runs reuse it", markup=False)

        png = None if no_timeline else (timeline or evaluation_timeline(video))
        if png is not None and png.resolve() in {p.resolve() for p in (video, music, plan_path) if p}:
            raise AutoscoreError(f"{png}: the timeline would overwrite an input")
        result, features, score_plan = with_progress(
            lambda update: run_evaluate(EvaluationInputs(video=video, music=music, plan=plan_path),
                                        before_compile=compiling))
        if png is not None:
            with StagedOutputs() as staged:
                draw_timeline(features, score_plan, result.beats, result.downbeats, staged.path_for(png),
                              title=f"{video.name}: {result.cuts} cuts, measured beats", speech=result.speech)
                staged.commit()
        emit(jsonio.to_jsonable(result), json_out, lambda: show.evaluation(result, png))
