"""`autoscore evaluate`: how well the music of a scored clip fits its picture, measured on the rendered audio.

Nothing here reads the plan's beat grid: beats come from librosa's beat tracker run on the music (per
planned section, with the section's tempo as the start_bpm hint), cuts from the video itself. The plan,
where one is beside the clip, only says what was intended (section spans and tempi) so the error can
be stated.

Measures:
- cut-hit rate: share of hard cuts with a tracked beat within ±70 ms (common.beat_hits; and with a downbeat);
  and with accents: a tracked beat or an accent (an onset among the music's strongest, ACCENT_PERCENTILE of
  its onsets' strength and up) within ±70 ms, as the composer hits cuts no steady beat can reach;
- TBIoU at 0.5 s: cuts and beats matched one to one when within half the window of each other,
  matched / (cuts + beats − matched), the intersection over union of the two event sets (our reading
  of the VeM paper's transition-beat IoU);
- tempo error per section against the plan, forgiving a tracker locked at double or half tempo;
- integrated loudness and true peak of the final mix; music-under-speech depth in LU (the music stem's
  loudness outside speech minus inside); duration error of the scored clip and of the music stem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from autoscore_video import analysis
from autoscore_video.common.audio import load_audio, resample
from autoscore_video.common.beat_hits import HIT_TOLERANCE_S, distances_to_nearest
from autoscore_video.common.errors import InputError
from autoscore_video.common.media import Placement, check_readable_file, read_audio
from autoscore_video.generation.beats import beat_tracker_compiled, measure_beats
from autoscore_video.mixing.loudness import integrated_lufs, true_peak_db
from autoscore_video.scoring.job.outputs import sidecar
from autoscore_video.scoring.job.report import alignment
from autoscore_video.scoring.planning.score_plan import ScorePlan, load_plan

TBIOU_WINDOW_S = 0.5
TRACK_RATE = 22050  # beat tracking rate: 11.6 ms frames at hop 256
MARGIN_S = 0.5  # audio either side of a section given to the tracker, so its edges are tracked too
MIX_RATE = 48000
AUDIBLE_DB = 30.0  # beats count where the music is within this of its loudest (a closing fade keeps its beats)
ACCENT_PERCENTILE = 75.0  # an onset at least this strong, among all the music's onsets, is an accent


@dataclass
class SectionTempoCheck:
    start: float
    end: float
    planned_bpm: float | None
    measured_bpm: float
    error: float | None  # relative, after ×2/×½ folding


@dataclass
class Evaluation:
    video: str
    music: str
    music_source: str  # "stem" (the music alone) or "mix" (the clip's audio track: beats of everything)
    plan: str | None
    duration_s: float
    duration_error_s: float | None  # scored clip vs the source it was made from (plan duration)
    music_duration_error_s: float | None  # music stem vs the scored clip
    cuts: int
    cut_hit_rate: float | None
    cut_accent_rate: float | None  # a beat or an accent within the tolerance
    cut_downbeat_rate: float | None
    mean_cut_offset_ms: float | None
    tbiou: float | None
    tempo: list[SectionTempoCheck]
    max_tempo_error: float | None
    integrated_lufs: float | None
    true_peak_db: float | None
    music_under_speech_lu: float | None
    speech_source: str
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    cut_times: list[float] = field(default_factory=list)
    speech: list[tuple[float, float]] = field(default_factory=list)
    hit_tolerance_ms: float = HIT_TOLERANCE_S * 1000
    tbiou_window_s: float = TBIOU_WINDOW_S
    notes: list[str] = field(default_factory=list)


@dataclass
class EvaluationInputs:
    video: Path
    music: Path | None = None
    plan: Path | None = None


def evaluate(inputs: EvaluationInputs, *, before_compile: Callable[[], None] | None = None
             ) -> tuple[Evaluation, analysis.VideoFeatures, ScorePlan | None]:
    """`before_compile`: called once every input has been read, where numba has yet to compile librosa's beat
    tracker (the first evaluation on a machine: about COMPILE_S)."""
    video = inputs.video
    check_readable_file(video)
    music_path, plan_path = _resolve(inputs)
    score_plan = load_plan(plan_path) if plan_path else None
    features = analysis.analyze(video, use_sidecar=False)
    if not features.info.has_audio and music_path is None:
        raise InputError(f"{video}: has no audio track and no music stem was found; give --music FILE")
    notes: list[str] = []
    duration = features.duration

    if music_path is not None:
        music = load_audio(music_path, sample_rate=MIX_RATE, what="the music")
        music_source = "stem"
    else:
        music = read_audio(video, sample_rate=MIX_RATE, channels=2, what=f"decoding the audio of {video}",
                           placement=Placement.of(features.info))
        music_source = "mix"
        notes.append("no music stem beside the clip: beats measured on the mixed audio track")
    mono = music.mean(axis=1)[: int(round(duration * MIX_RATE))]

    spans = _sections(score_plan, duration)
    if before_compile is not None and not beat_tracker_compiled():
        before_compile()
    beats, downbeats, tempo = track_sections(mono, MIX_RATE, spans)
    cuts = features.cuts.times
    hit_rate, downbeat_rate, offset = cut_hits(cuts, beats, downbeats)
    accent_rate = None
    if cuts:
        marked = distances_to_nearest(cuts, beats) <= HIT_TOLERANCE_S + 1e-9
        marked |= distances_to_nearest(cuts, accents(mono, MIX_RATE)) <= HIT_TOLERANCE_S + 1e-9
        accent_rate = round(float(np.mean(marked)), 4)

    mix_lufs = peak = None
    if features.info.has_audio:
        mix = music if music_source == "mix" else read_audio(video, sample_rate=MIX_RATE, channels=2,
                                                               what=f"decoding the audio of {video}",
                                                               placement=Placement.of(features.info))
        loudness = integrated_lufs(mix, MIX_RATE)
        mix_lufs = round(loudness, 2) if np.isfinite(loudness) else None
        peak = round(true_peak_db(mix), 2)

    speech_regions, speech_source = _speech(score_plan, features, notes)
    depth = None
    if music_source == "stem":
        depth = music_under_speech_lu(music[: len(mono)], MIX_RATE, speech_regions)

    errors = [t.error for t in tempo if t.error is not None]
    evaluation = Evaluation(
        video=str(video), music=str(music_path or video), music_source=music_source,
        plan=str(plan_path) if plan_path else None, duration_s=round(duration, 6),
        duration_error_s=round(abs(duration - score_plan.duration), 6) if score_plan else None,
        music_duration_error_s=(round(abs(len(music) / MIX_RATE - duration), 6) if music_source == "stem" else None),
        cuts=len(cuts), cut_hit_rate=hit_rate, cut_accent_rate=accent_rate, cut_downbeat_rate=downbeat_rate,
        mean_cut_offset_ms=offset,
        tbiou=tbiou(cuts, beats, TBIOU_WINDOW_S) if cuts else None,
        tempo=tempo, max_tempo_error=round(max(errors), 4) if errors else None,
        integrated_lufs=mix_lufs, true_peak_db=peak, music_under_speech_lu=depth, speech_source=speech_source,
        beats=[round(b, 4) for b in beats], downbeats=[round(b, 4) for b in downbeats], cut_times=list(cuts),
        speech=speech_regions, notes=notes,
    )
    return evaluation, features, score_plan


def _resolve(inputs: EvaluationInputs) -> tuple[Path | None, Path | None]:
    music_side, plan_side = sidecar(inputs.video, "music_wav"), sidecar(inputs.video, "plan")
    music = inputs.music or (music_side if music_side.is_file() else None)
    plan = inputs.plan or (plan_side if plan_side.is_file() else None)
    for path in (music, plan):
        if path is not None:
            check_readable_file(path)
    return music, plan


def _sections(score_plan: ScorePlan | None, duration: float) -> list[tuple[float, float, float | None]]:
    if score_plan is None or not score_plan.brief.sections:
        return [(0.0, duration, None)]
    return [(s.start, min(s.end, duration), score_plan.section_bpm(s.start, min(s.end, duration)))
            for s in score_plan.brief.sections if s.start < duration]


def track_sections(mono: np.ndarray, rate: int, spans: list[tuple[float, float, float | None]]
                   ) -> tuple[list[float], list[float], list[SectionTempoCheck]]:
    """Beats and downbeats tracked section by section (each with its planned tempo as the hint)."""
    audio = resample(mono, rate, TRACK_RATE)
    beats: list[float] = []
    downbeats: list[float] = []
    checks = []
    for index, (start, end, planned) in enumerate(spans):
        lo = max(0.0, start - MARGIN_S)
        hi = end + MARGIN_S
        piece = audio[int(lo * TRACK_RATE):int(hi * TRACK_RATE)]
        if len(piece) < TRACK_RATE:
            continue
        bpm, found, down = measure_beats(piece, TRACK_RATE, planned or 120.0, audible_within_db=AUDIBLE_DB)
        # a beat on the boundary belongs to the section it starts
        keep_to = end - HIT_TOLERANCE_S / 2 if index < len(spans) - 1 else end
        keep_from = start - HIT_TOLERANCE_S / 2 if index > 0 else 0.0
        beats += [lo + b for b in found if keep_from <= lo + b < keep_to]
        downbeats += [lo + b for b in down if keep_from <= lo + b < keep_to]
        checks.append(SectionTempoCheck(start=round(start, 3), end=round(end, 3), planned_bpm=planned,
                                        measured_bpm=round(bpm, 2),
                                        error=None if planned is None else round(tempo_error(bpm, planned), 4)))
    return beats, downbeats, checks


def accents(mono: np.ndarray, rate: int) -> list[float]:
    """Times of the music's strongest onsets: those at ACCENT_PERCENTILE of all its onsets' strength and up."""
    import librosa

    audio = resample(mono, rate, TRACK_RATE)
    strength = librosa.onset.onset_strength(y=audio, sr=TRACK_RATE, hop_length=256)
    peaks = librosa.onset.onset_detect(onset_envelope=strength, sr=TRACK_RATE, hop_length=256, units="frames")
    if not len(peaks):
        return []
    strong = peaks[strength[peaks] >= np.percentile(strength[peaks], ACCENT_PERCENTILE)]
    return librosa.frames_to_time(strong, sr=TRACK_RATE, hop_length=256).tolist()


def tempo_error(measured: float, planned: float) -> float:
    return min(abs(measured * factor - planned) / planned for factor in (1.0, 2.0, 0.5))


def cut_hits(cuts: list[float], beats: list[float], downbeats: list[float]
             ) -> tuple[float | None, float | None, float | None]:
    """(share of cuts on a beat, share on a downbeat, mean distance to the nearest beat in ms)."""
    if not cuts:
        return None, None, None
    found = alignment(cuts, beats, downbeats)
    return (round(found.cuts_on_beat / found.cuts, 4), round(found.cuts_on_downbeat / found.cuts, 4),
            found.mean_offset_ms)


def tbiou(cuts: list[float], beats: list[float], window_s: float) -> float:
    """Cuts and beats matched one to one (nearest first) within window/2; matched / union."""
    if not cuts and not beats:
        return 1.0
    beat_arr = np.asarray(beats)
    pairs = []
    for i, c in enumerate(cuts):
        lo, hi = np.searchsorted(beat_arr, [c - window_s / 2, c + window_s / 2], side="left")
        pairs += [(abs(c - beat_arr[j]), i, j) for j in range(lo, min(hi + 1, len(beat_arr)))
                  if abs(c - beat_arr[j]) <= window_s / 2 + 1e-9]
    pairs.sort()
    used_cuts, used_beats = set(), set()
    for _, i, j in pairs:
        if i not in used_cuts and j not in used_beats:
            used_cuts.add(i)
            used_beats.add(j)
    matched = len(used_cuts)
    return round(matched / (len(cuts) + len(beats) - matched), 4)


def music_under_speech_lu(music: np.ndarray, rate: int, regions: list[tuple[float, float]]) -> float | None:
    """The music's integrated loudness outside speech minus inside it (positive: ducked)."""
    if not regions:
        return None
    inside = np.zeros(len(music), dtype=bool)
    for start, end in regions:
        inside[int(start * rate):int(end * rate)] = True
    if not inside.any() or inside.all():
        return None
    loud_in = integrated_lufs(music[inside], rate)
    loud_out = integrated_lufs(music[~inside], rate)
    if not (np.isfinite(loud_in) and np.isfinite(loud_out)):
        return None
    return round(loud_out - loud_in, 2)


def _speech(score_plan: ScorePlan | None, features: analysis.VideoFeatures, notes: list[str]
            ) -> tuple[list[tuple[float, float]], str]:
    """Speech regions from the source clip where it is still there (the mix has music over the words)."""
    source = Path(score_plan.source) if score_plan else None
    if source is not None and source.is_file() and source.resolve() != Path(features.info.path).resolve():
        try:
            speech = analysis.analyze_audio_speech(source)
            return [(r.start, r.end) for r in speech.regions], f"source:{source}"
        except InputError as exc:
            notes.append(f"source {source} unreadable ({exc}); speech found in the scored clip's mix")
    return [(r.start, r.end) for r in features.speech.regions], "mix"
