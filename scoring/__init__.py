"""Scoring: features → ScorePlan (rules in scoring.rules), the pipeline, and the entry points.

Names are imported on first use, so `autoscore analyze` does not pay for the mixing and generation
stages it never runs.
"""
from importlib import import_module

_EXPORTS = {
    "ScoreOptions": "scoring.pipeline", "make_plan": "scoring.pipeline", "score": "scoring.pipeline",
    "EngineChoice": "scoring.plan", "ScorePlan": "scoring.plan", "load_plan": "scoring.plan",
    "Preferences": "scoring.planner", "apply_overrides": "scoring.planner", "plan": "scoring.planner",
    "ScoreResult": "scoring.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")
