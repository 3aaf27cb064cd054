"""The score plan: everything decided about the music for one video, editable as JSON and re-runnable."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common import jsonio
from generation import MusicBrief
from mixing import MixSettings

PLAN_VERSION = 1


@dataclass
class EngineChoice:
    name: str = "symbolic"
    fallback: str | None = None  # engine to use when this one cannot run (no weights, out of memory)
    model: str = "small"  # musicgen: small, medium, large, a hub id or a local checkpoint folder
    device: str = "auto"
    guidance: float = 3.0
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    candidates: int = 1

    def options(self) -> dict:
        """What the engine reads from MusicBrief.engine_options."""
        if self.name != "musicgen":
            return {}
        return {"model": self.model, "device": self.device, "guidance": self.guidance,
                "temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p,
                "candidates": self.candidates}


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
        return self.brief.tempo_map[0].bpm

    @property
    def seed(self) -> int:
        return self.brief.seed


def load_plan(path: Path) -> ScorePlan:
    plan = jsonio.load(ScorePlan, path, what="plan")
    if plan.version != PLAN_VERSION:
        raise jsonio.InputError(f"plan {path}: version {plan.version} is not supported (expected {PLAN_VERSION})")
    plan.mix.validate()
    return plan
