"""The score plan: everything decided about the music for one video, editable as JSON and re-runnable."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoscore_video.common import jsonio
from autoscore_video.common.errors import InputError
from autoscore_video.generation import MusicBrief, TempoPoint, engine_spec
from autoscore_video.generation.tempo import beat_grid, check_tempo_map, mean_bpm
from autoscore_video.mixing import MixSettings

log = logging.getLogger(__name__)

# 2: the engine's options live only in `engine` (version 1 plans also copied them into brief.engine_options).
# 3: `engine` is {name, options, fallback: {name, options} or null}; version 2 kept a field per engine.
PLAN_VERSION = 3


@dataclass
class EngineRun:
    """An engine and its options."""

    name: str = "symbolic"
    options: Any = None  # the engine's options (its registered type); JSON: an object of their fields; None: defaults

    def __post_init__(self) -> None:
        self.options = engine_spec(self.name).options_of(self.options, what=f"engine {self.name}'s options")


@dataclass
class EngineChoice(EngineRun):
    """The engine, its options and the engine to fall back on when it cannot run (no weights, out of memory): the
    one place a plan holds them. The pipeline hands the options to the engine as they are, so a hand edit here
    is what renders."""

    fallback: EngineRun | None = None


@dataclass
class ScorePlan:
    source: str
    duration: float
    engine: EngineChoice
    brief: MusicBrief
    mix: MixSettings
    rationale: list[str] = field(default_factory=list)
    version: int = PLAN_VERSION
    # The tempo map as autoscore last wrote it, hashed: on loading, it tells an edited tempo map (which then
    # wins) from an edited section bpm (which then rewrites the map). Empty: a plan from before it was kept.
    tempo_map_digest: str = ""

    def __post_init__(self) -> None:
        if not self.tempo_map_digest:
            self.stamp_tempo_map()

    def stamp_tempo_map(self) -> None:
        """Record the tempo map as it is now (after anything that changed it)."""
        self.tempo_map_digest = tempo_map_digest(self.brief.tempo_map)

    @property
    def bpm(self) -> float:
        """Mean tempo of the planned beat grid over the clip."""
        return self.section_bpm(0.0, self.duration)

    def section_bpm(self, start: float, end: float) -> float:
        """Mean tempo the tempo map gives [start, end) (its first tempo where fewer than two beats fall there)."""
        brief = self.brief
        return _played_bpm(beat_grid(brief.tempo_map, end, brief.beats_per_bar), brief.tempo_map, start, end)

    @property
    def seed(self) -> int:
        return self.brief.seed


def load_plan(path: Path) -> ScorePlan:
    """A plan from JSON, checked once on the way in: unknown or mistyped fields and out-of-range values are one
    InputError line. Version 1 and 2 plans load too (as version 3 holds what they held)."""
    data = jsonio.read_json(path)
    if isinstance(data, dict) and data.get("version") == 1:
        brief = data.get("brief")
        if isinstance(brief, dict):
            brief.pop("engine_options", None)
        data["version"] = 2
    if isinstance(data, dict) and data.get("version") == 2:
        if isinstance(data.get("engine"), dict):
            data["engine"] = _engine_from_version_2(data["engine"])
        data["version"] = PLAN_VERSION
    if isinstance(data, dict) and data.get("version") != PLAN_VERSION:
        raise InputError(f"plan {path}: version {json.dumps(data.get('version'))} is not supported "
                         f"(expected {PLAN_VERSION})")
    written_digest = data.get("tempo_map_digest", "") if isinstance(data, dict) else ""
    plan = jsonio.from_dict(ScorePlan, data, what=f"plan {path}")
    check_plan_values(plan, what=f"plan {path}")
    map_edited = written_digest != tempo_map_digest(plan.brief.tempo_map)
    for note in section_tempos_from_map(plan) if map_edited else honour_section_tempos(plan):
        log.warning("plan %s: %s", path, note)
        plan.rationale.append(note)
    plan.stamp_tempo_map()
    return plan


def _engine_from_version_2(engine: dict) -> dict:
    """{name, fallback, musicgen: {...}, symbolic: {...}} as {name, options, fallback: {name, options}}."""
    name, fallback = engine.get("name", "symbolic"), engine.get("fallback")
    unknown = set(engine) - {"name", "fallback", "musicgen", "symbolic"}
    if unknown:
        raise InputError(f"engine: unknown field {sorted(unknown)[0]!r} in a version 2 plan")
    return {"name": name, "options": engine.get(name) if isinstance(name, str) else None,
            "fallback": {"name": fallback, "options": engine.get(fallback)} if isinstance(fallback, str) else None}


def _played_bpm(grid, tempo_map: list[TempoPoint], start: float, end: float) -> float:
    """The mean tempo `grid` (the tempo map's beats) plays over [start, end), the map's first tempo where fewer
    than two beats fall there."""
    return mean_bpm(grid, start, end) or check_tempo_map(tempo_map)[0].bpm


def tempo_map_digest(tempo_map: list[TempoPoint]) -> str:
    import hashlib

    text = ";".join(f"{float(p.time)!r},{float(p.bpm)!r},{bool(p.bar)}" for p in tempo_map)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


MAX_PLAN_S = 24 * 3600.0  # a day of video
MAX_MARKS = 100_000  # tempo points, cuts, speech regions: a day of them at one a second is 86,400
LEAD_S = 60.0  # how far before 0 (a pickup) or past the end a tempo point may sit


def check_plan_values(plan: ScorePlan, *, what: str) -> None:
    """The values a hand-edited plan could make unbounded (a tempo point a billion seconds away, a billion
    beats to a bar, a hundred thousand sections): refused, naming the field, before anything is allocated
    from them."""
    brief = plan.brief

    def refuse(field: str, message: str) -> None:
        raise InputError(f"{what}: {field}: {message}")

    for name, seconds in (("duration", plan.duration), ("brief.target_duration", brief.target_duration)):
        if not 0.0 < seconds <= MAX_PLAN_S:
            refuse(name, f"{seconds} s is outside 0..{MAX_PLAN_S:.0f}")
    end = brief.target_duration
    if not 1 <= brief.beats_per_bar <= 16:
        refuse("brief.beats_per_bar", f"{brief.beats_per_bar} is outside 1..16")
    if not 1 <= len(brief.sections) <= max(1, int(end)):
        refuse("brief.sections", f"{len(brief.sections)} sections for {end:.0f} s (1 to one a second)")
    for name, count in (("brief.tempo_map", len(brief.tempo_map)), ("brief.cuts_to_hit", len(brief.cuts_to_hit)),
                        ("brief.speech", len(brief.speech))):
        if count > MAX_MARKS:
            refuse(name, f"{count} entries (at most {MAX_MARKS})")
    for i, point in enumerate(brief.tempo_map):
        if not -LEAD_S <= point.time <= end + LEAD_S:
            refuse(f"brief.tempo_map.{i}.time", f"{point.time} s is outside {-LEAD_S:.0f}..{end + LEAD_S:.0f}")
    previous = 0.0
    for i, section in enumerate(brief.sections):
        if not (previous - 1e-6 <= section.start < section.end <= end + 1.0):
            refuse(f"brief.sections.{i}", f"{section.start}..{section.end} s is not after the section before it "
                                          f"and inside 0..{end:.0f}")
        previous = section.end
    for i, cut in enumerate(brief.cuts_to_hit):
        if not 0.0 <= cut <= end:
            refuse(f"brief.cuts_to_hit.{i}", f"{cut} s is outside 0..{end:.0f}")
    for i, (start, stop) in enumerate(brief.speech):
        if not 0.0 <= start <= stop <= end + 1.0:
            refuse(f"brief.speech.{i}", f"{start}..{stop} s is not a span inside 0..{end:.0f}")
    _check_musical_values(plan, refuse)


def _check_musical_values(plan: ScorePlan, refuse) -> None:
    """Every musical choice a plan names is one the engines can play, checked by the check that owns it (the rules
    for genre, mood, seed and tempo; music theory for keys and modes; the symbolic engine's instruments), so an
    edit is played as written or refused here, naming the field, never played as something else."""
    from autoscore_video.generation.symbolic.instruments import lookup
    from autoscore_video.generation.symbolic.theory import scale, tonic_pitch_class
    from autoscore_video.scoring.planning import rules

    brief = plan.brief
    fallback = plan.engine.fallback
    symbolic = "symbolic" in (plan.engine.name, fallback.name if fallback else None)
    checks = [("brief.genre", rules.check_genre, brief.genre), ("brief.key", tonic_pitch_class, brief.key),
              ("brief.mode", scale, brief.mode), ("brief.seed", rules.check_seed, brief.seed)]
    for i, section in enumerate(brief.sections):
        where = f"brief.sections.{i}"
        checks += [(f"{where}.bpm", rules.check_bpm, section.bpm), (f"{where}.key", tonic_pitch_class, section.key),
                   (f"{where}.mode", scale, section.mode), (f"{where}.mood", rules.check_mood, section.mood),
                   (f"{where}.energy", _unit, section.energy), (f"{where}.density", _unit, section.density)]
        if section.seed is not None:
            checks.append((f"{where}.seed", rules.check_seed, section.seed))
        if symbolic:
            checks += [(f"{where}.instrumentation.{j}", lookup, name) for j, name in enumerate(section.instrumentation)]
    for field_name, check, value in checks:
        try:
            check(value)
        except InputError as exc:
            refuse(field_name, str(exc))


def _unit(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{value} is outside 0..1")
    return value


TEMPO_EDIT_BPM = 0.5  # a section's bpm this far from what the tempo map plays there was edited by hand


def section_tempos_from_map(plan: ScorePlan) -> list[str]:
    """A tempo map edited by hand (or a plan from before edits were told apart) is played as written: each
    section's bpm is set to what the map plays there, so the plan written beside the output says what was
    rendered. Returns a line for each section changed."""
    brief = plan.brief
    grid = beat_grid(brief.tempo_map, plan.duration, brief.beats_per_bar)
    notes = []
    for i, section in enumerate(brief.sections):
        played = _played_bpm(grid, brief.tempo_map, section.start, section.end)
        if abs(section.bpm - played) > TEMPO_EDIT_BPM:
            notes.append(f"brief.tempo_map was edited: brief.sections.{i}.bpm is now {played:g}, what it plays "
                         f"over {section.start:.1f}-{section.end:.1f} s (was {section.bpm:g})")
            section.bpm = played
    return notes


def honour_section_tempos(plan: ScorePlan) -> list[str]:
    """A section whose `bpm` was edited away from what the (unedited) tempo map plays there is played at that
    bpm: the tempo map is rewritten over the section (a bar starts with it, and the tempo that followed it comes
    back after it), so the plan written beside the output says what was rendered. Returns a line for each
    section changed."""
    brief = plan.brief
    notes = []
    grid = beat_grid(brief.tempo_map, plan.duration, brief.beats_per_bar)
    for i, section in enumerate(brief.sections):
        played = _played_bpm(grid, brief.tempo_map, section.start, section.end)
        if abs(section.bpm - played) <= TEMPO_EDIT_BPM:
            continue
        points = check_tempo_map(brief.tempo_map)
        after = [p for p in points if p.time <= section.end + 1e-6][-1]
        kept = [p for p in points if not (section.start - 1e-6 <= p.time < section.end - 1e-6 or
                                          (i == 0 and p.time < section.end - 1e-6))]
        kept.append(TempoPoint(time=section.start, bpm=section.bpm, bar=True))
        ends_inside = section.end < brief.target_duration - 1e-6
        if ends_inside and not any(abs(p.time - section.end) <= 1e-6 for p in kept):
            kept.append(TempoPoint(time=section.end, bpm=after.bpm, bar=True))
        brief.tempo_map = sorted(kept, key=lambda p: p.time)
        grid = beat_grid(brief.tempo_map, plan.duration, brief.beats_per_bar)
        notes.append(f"brief.sections.{i}.bpm {section.bpm:g} differs from the {played:.1f} BPM its tempo map "
                     f"played: {section.start:.1f}-{section.end:.1f} s now plays at {section.bpm:g} BPM "
                     f"(cuts there may leave the beat)")
    return notes
