"""The job function every entry point runs: analyse → plan → render → mix, outputs staged then renamed."""
from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autoscore_video import analysis, generation, mixing
from autoscore_video.common import jsonio
from autoscore_video.common.errors import InputError
from autoscore_video.common.leftovers import sweep_partials, temporary_work_dir
from autoscore_video.common.media import AudioStream, MediaInfo, check_readable_file, probe
from autoscore_video.common.staging import StagedOutputs
from autoscore_video.generation.auto import CHOSEN
from autoscore_video.mixing.mux import check_copyable
from autoscore_video.scoring.job.outputs import OutputPaths, output_paths, unowned_outputs
from autoscore_video.scoring.job.regenerated import earlier_levels, kept_outside
from autoscore_video.scoring.job.report import Marks, ScoreResult, alignment
from autoscore_video.scoring.job.timeline import draw_timeline
from autoscore_video.scoring.planning import Preferences, apply_overrides, plan
from autoscore_video.scoring.planning.regenerate import check_section, regenerate_section
from autoscore_video.scoring.planning.score_plan import ScorePlan, load_plan

NON_COMMERCIAL = "NOT FOR COMMERCIAL USE"  # in the report's notes and the MP3's comment, where the licence says so

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


@dataclass
class ScoreOptions:
    output: Path | None = None
    plan_path: Path | None = None
    prefs: Preferences = field(default_factory=Preferences)
    subtitles: Path | None = None
    use_sidecar: bool = True
    # Where the outputs will be published when the caller moves them after the run (the watch folder stages
    # them first): the report names them there.
    publish_dir: Path | None = None
    overwrite: bool = False  # replace existing files autoscore did not write (`--overwrite`)
    # make this section of the plan (counted from 1) again and keep the music outside it (`--regenerate N`):
    # needs `plan_path`, the plan of the run whose outputs are replaced
    regenerate: int | None = None
    analysis_settings: analysis.AnalysisSettings = field(default_factory=analysis.AnalysisSettings)


def make_plan(video: Path, options: ScoreOptions, progress: Progress | None = None,
              timings: dict[str, float] | None = None, *,
              info: MediaInfo | None = None) -> tuple[analysis.VideoFeatures, ScorePlan]:
    """Analyse `video` (`info`: its probe, where the caller has one) and decide its music (or load the plan
    given), with the user's flags on top."""
    report = progress or (lambda stage, fraction: None)
    timings = timings if timings is not None else {}
    if options.regenerate is not None and options.plan_path is None:
        raise InputError("--regenerate needs --plan: the plan of the run whose section it makes again")
    loaded = load_plan(options.plan_path) if options.plan_path else None
    if loaded is not None and options.regenerate is not None:
        check_section(loaded, options.regenerate)  # before any work

    started = time.perf_counter()
    features = analysis.analyze(video, options.analysis_settings, subtitles=options.subtitles,
                                use_sidecar=options.use_sidecar, progress=lambda s, f: report("analysis", f),
                                info=info, audio_track=options.prefs.audio_track)
    timings["analysis"] = time.perf_counter() - started

    started = time.perf_counter()
    if loaded is None:
        score_plan = plan(features, options.prefs)
    else:
        score_plan = _fit_plan_to_video(apply_overrides(loaded, options.prefs), features)
        if options.regenerate is not None:
            score_plan = regenerate_section(score_plan, options.regenerate)
    timings["planning"] = time.perf_counter() - started
    report("planning", 1.0)
    return features, score_plan


def score(video: Path, options: ScoreOptions | None = None, progress: Progress | None = None) -> ScoreResult:
    """Score `video`; write the scored video, stems, plan, report and timeline. Nothing partial is left."""
    options = options or ScoreOptions()
    report = progress or (lambda stage, fraction: None)
    video = Path(video)
    check_readable_file(video)
    paths = output_paths(video, options.output)
    if not options.overwrite:
        check_not_unowned(paths, options.plan_path)
    info = probe(video)
    check_copyable(info.video_codec, paths.video)
    timings: dict[str, float] = {}
    total_started = time.perf_counter()
    pinned = earlier_levels(paths.report) if options.regenerate is not None else None

    sweep_partials(paths.video.parent)  # what a run killed outright left beside these outputs
    with temporary_work_dir() as work, StagedOutputs(scratch=Path(work)) as staged:
        work_dir = Path(work)
        temp = {name: staged.path_for(final) for name, final in paths.named().items()}
        features, score_plan = make_plan(video, options, progress, timings, info=info)

        started = time.perf_counter()
        report("generation", 0.0)
        choice = score_plan.engine
        track = generation.render_with_fallback(
            score_plan.brief, work_dir / "music", engine=choice.name, options=choice.options,
            fallback=choice.fallback.name if choice.fallback else None,
            fallback_options=choice.fallback.options if choice.fallback else None,
            progress=lambda f: report("generation", f))
        candidate_outputs = _stage_candidates(track.candidates, paths, staged)
        timings["generation"] = time.perf_counter() - started
        spec = generation.engine_spec(track.engine)  # the engine that rendered: the fallback, where it took over
        licence, commercial = track.licence or spec.licence, spec.commercial

        started = time.perf_counter()
        regions = [(r.start, r.end) for r in features.speech.regions]
        mix_report = mixing.mix_and_mux(
            video, Path(track.audio_path), duration=features.duration, downbeats=track.downbeats,
            speech_regions=regions, has_original_audio=features.info.has_audio,
            outputs=mixing.MixOutputs(video=temp["video"], stem_wav=temp["music_wav"], stem_mp3=temp["music_mp3"],
                                      work_dir=work_dir),
            tags=mixing.StemTags(title=f"{video.stem} score", artist=f"autoscore {track.engine} engine",
                                 comment=f"engine={track.engine}; seed={track.seed}; prompt={track.prompt}; "
                                         f"licence={licence}" + ("" if commercial else f"; {NON_COMMERCIAL}")),
            settings=score_plan.mix, beats=track.beats,
            align_to_cuts=features.cuts.times if track.grid == "measured" else None,
            source=features.info, keep_tracks=_kept_streams(features.info, score_plan.mix),
            final_hit=track.final_hit if track.grid == "planned" else None,
            cut_hits=list(score_plan.brief.cuts_to_hit), levels=pinned,
            progress=lambda f: report("mixing", f),
        )
        timings["mixing"] = time.perf_counter() - started
        report("mixing", 1.0)
        regenerated = None
        if options.regenerate is not None:
            regenerated = kept_outside(score_plan, options.regenerate, paths.music_wav, temp["music_wav"],
                                       paths.report if pinned is not None else None)

        started = time.perf_counter()
        output_duration = probe(temp["video"]).duration
        notes = [line for line in score_plan.rationale if CHOSEN in line]  # how --engine auto chose
        notes += list(features.audio_track.notes if features.audio_track else []) + list(track.notes)
        if not commercial:
            notes.insert(0, f"{NON_COMMERCIAL}: the {track.engine} engine's licence is {licence}")
        if abs(output_duration - features.duration) > 1.0 / features.info.fps:
            notes.append(f"output duration {output_duration:.3f} s differs from the source's "
                         f"{features.duration:.3f} s by more than a frame")
        if track.midi_path:
            shutil.copyfile(track.midi_path, temp["midi"])
        beats, downbeats = _final_beats(track, mix_report)
        draw_timeline(features, score_plan, beats, downbeats, temp["timeline"])
        temp["plan"].write_text(jsonio.dumps(score_plan), encoding="utf-8")
        timings["outputs"] = time.perf_counter() - started
        timings["total"] = time.perf_counter() - total_started

        published = paths.moved_to(options.publish_dir) if options.publish_dir else paths
        written = {name: str(final) for name, final in published.named().items()
                   if name != "midi" or track.midi_path}
        written.update({name: str(published.video.with_name(Path(path).name))
                        for name, path in candidate_outputs.items()})
        result = ScoreResult(
            source=str(video), outputs=written,
            engine={"name": track.engine, "model_id": track.model_id, "seed": track.seed, "prompt": track.prompt,
                    "final_hit": None if track.final_hit is None else round(track.final_hit, 3),
                    "licence": licence, "commercial_use": commercial},
            duration=features.duration, output_duration=round(output_duration, 6),
            planned_bpm=score_plan.bpm, rendered_bpm=track.bpm, mix=mix_report,
            alignment=alignment(features.cuts.times, beats, downbeats),
            timings={k: round(v, 3) for k, v in timings.items()},
            notes=notes + mix_report.notes,
            audio_track=features.audio_track,
            regenerated=regenerated,
            marks=Marks(fps=features.info.fps, cuts=[round(t, 4) for t in features.cuts.times],
                        downbeats=[round(t, 4) for t in downbeats],
                        sections=[{"start": s.start, "end": s.end, "mood": s.mood, "bpm": s.bpm}
                                  for s in score_plan.brief.sections]),
        )
        temp["report"].write_text(jsonio.dumps(result), encoding="utf-8")
        if not track.midi_path:
            staged.forget(temp["midi"])
        staged.commit()
        report("outputs", 1.0)
    return result


def _kept_streams(info: MediaInfo, mix: mixing.MixSettings) -> tuple[AudioStream, ...]:
    """The source's audio tracks besides the mix's own, carried into the output (none where the original audio
    is replaced by the music)."""
    if mix.replace_audio:
        return ()
    return tuple(s for s in info.audio_streams if s.index != info.audio_stream)


def check_not_unowned(paths: OutputPaths, plan_path: Path | None) -> None:
    """InputError, before any work, where an output would replace a file autoscore did not write."""
    foreign = unowned_outputs(paths, given_plan=plan_path)
    if foreign:
        others = f" (and {len(foreign) - 1} more of the outputs)" if len(foreign) > 1 else ""
        raise InputError(f"{foreign[0]}: exists and was not written by autoscore{others}; "
                         f"use --overwrite (-y) to replace it")


def _final_beats(track: generation.MusicTrack, mix_report: mixing.MixReport) -> tuple[list[float], list[float]]:
    """The beats as they sit in the mix: moved by the warp where mixing bent the music onto the cuts."""
    if mix_report.warp is not None:
        return mix_report.warp.beats, mix_report.warp.downbeats
    return track.beats, track.downbeats


def _stage_candidates(candidates: list[str], paths: OutputPaths, staged: StagedOutputs) -> dict[str, str]:
    """Every alternative an engine rendered, kept beside the outputs for the user to choose from."""
    if len(candidates) < 2:
        return {}
    written = {}
    for path in map(Path, candidates):
        number = path.stem.rsplit("cand", 1)[-1]
        final = paths.candidate(number)
        shutil.copyfile(path, staged.path_for(final))
        written[f"candidate_{number}"] = str(final)
    return written


def _fit_plan_to_video(score_plan: ScorePlan, features: analysis.VideoFeatures) -> ScorePlan:
    """A plan made for another cut of the clip is stretched to this clip's exact duration."""
    duration = features.duration
    brief = score_plan.brief
    if abs(brief.target_duration - duration) > 1.0 / features.info.fps:
        log.warning("plan was made for %.3f s; fitting it to this video's %.3f s", brief.target_duration, duration)
        scale = duration / brief.target_duration if brief.target_duration > 0 else 1.0
        for section in brief.sections:
            section.start *= scale
            section.end *= scale
    if not brief.sections:
        raise InputError("the plan has no sections")
    brief.sections[-1].end = duration
    brief.target_duration = duration
    score_plan.duration = duration
    score_plan.source = features.info.path
    return score_plan
