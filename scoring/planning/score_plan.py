"""The score plan: everything decided about the music for one video, editable as JSON and re-runnable."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from autoscore_video.common import jsonio
from autoscore_video.generation import MusicBrief
from autoscore_video.generation.musicgen.engine import MusicGenOptions
from autoscore_video.generation.tempo import beat_grid, check_tempo_map, mean_bpm
from autoscore_video.mixing import MixSettings

PLAN_VERSION = 1


@dataclass
class EngineChoice:
    name: str = "symbolic"
    fallback: str | None = None  # engine to use when this one cannot run (no weights, out of memory)
    musicgen: MusicGenOptions = field(default_factory=MusicGenOptions)  # model, device, sampling, candidates

    def options(self) -> dict:
        """What the engine reads from MusicBrief.engine_options."""
        return asdict(self.musicgen) if self.name == "musicgen" else {}


@dataclass
class ScorePlan:
    source: str
    duration: float
    engine: EngineChoice
    brief: MusicBrief
    mix: MixSettings
    rationale: list[str] = field(default_factory=list)
    version: int = PLAN_VERSION

    @property
    def bpm(self) -> float:
        """Mean tempo of the planned beat grid over the clip."""
        return self.section_bpm(0.0, self.duration)

    def section_bpm(self, start: float, end: float) -> float:
        """Mean tempo the tempo map gives [start, end) (its first tempo where fewer than two beats fall there)."""
        brief = self.brief
        grid = beat_grid(brief.tempo_map, end, brief.beats_per_bar)
        return mean_bpm(grid, start, end) or check_tempo_map(brief.tempo_map)[0].bpm

    @property
    def seed(self) -> int:
        return self.brief.seed


def load_plan(path: Path) -> ScorePlan:
    plan = jsonio.load(ScorePlan, path, what="plan")
    if plan.version != PLAN_VERSION:
        raise jsonio.InputError(f"plan {path}: version {plan.version} is not supported (expected {PLAN_VERSION})")
    plan.mix.validate()
    return plan
