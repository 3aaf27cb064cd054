"""Scoring: features → ScorePlan, the job that runs the pipeline, and the front doors that start it.

Layers, each importing only those below it:
- `planning`: pure functions from VideoFeatures and the user's Preferences to a ScorePlan;
- `job`: the pipeline (analyse → plan → render → mix), its outputs, report, timeline and evaluation;
- front doors: `cli`, `watch` (a watched folder), `hooks` (editors' export hooks), `service` (HTTP API,
  Celery workers).

The job and its results are imported on first use, so `autoscore analyze` does not pay for the mixing
and generation code it never runs.
"""
from importlib import import_module

from autoscore_video.scoring.planning import EngineChoice, Preferences, ScorePlan, apply_overrides, load_plan, plan

_LAZY = {"ScoreOptions": ".job.pipeline", "make_plan": ".job.pipeline", "score": ".job.pipeline",
         "ScoreResult": ".job.report"}

__all__ = ["EngineChoice", "Preferences", "ScoreOptions", "ScorePlan", "ScoreResult", "apply_overrides", "load_plan",
           "make_plan", "plan", "score"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
