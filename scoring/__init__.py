"""Scoring: features → ScorePlan, the job that runs the pipeline, and the front doors that start it.

Layers, each importing only those below it:
- `planning`: pure functions from VideoFeatures and the user's Preferences to a ScorePlan;
- `job`: the pipeline (analyse → plan → render → mix), its outputs, report, timeline and evaluation;
- front doors: `cli`, `watch` (a watched folder), `hooks` (editors' export hooks), `service` (HTTP API,
  Celery workers).

Every name here is imported on first use, so `autoscore analyze` does not pay for the mixing and generation
code it never runs, and the command line sets its signal handlers before any of it loads.
"""
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name is imported on first use
    from autoscore_video.scoring.job.pipeline import ScoreOptions, make_plan, score
    from autoscore_video.scoring.job.report import ScoreResult
    from autoscore_video.scoring.planning import EngineChoice, Preferences, ScorePlan, apply_overrides, load_plan, plan

_LAZY = {"ScoreOptions": ".job.pipeline", "make_plan": ".job.pipeline", "score": ".job.pipeline",
         "ScoreResult": ".job.report", "EngineChoice": ".planning", "Preferences": ".planning",
         "ScorePlan": ".planning", "apply_overrides": ".planning", "load_plan": ".planning", "plan": ".planning"}

__all__ = ["EngineChoice", "Preferences", "ScoreOptions", "ScorePlan", "ScoreResult", "apply_overrides", "load_plan",
           "make_plan", "plan", "score"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
