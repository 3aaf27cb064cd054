"""Scoring: features → ScorePlan (rules in scoring.rules), the pipeline, and the entry points.

The pipeline and report are imported on first use, so `autoscore analyze` does not pay for the
mixing and generation code it never runs. `plan` is bound here, after the `scoring.plan` module, so
that `scoring.plan` names the planning function as it always has.
"""
from importlib import import_module

import scoring.plan as _plan_module  # noqa: F401  (loaded first: the function below takes its name)
from scoring.plan import EngineChoice, ScorePlan, load_plan
from scoring.planner import Preferences, apply_overrides, plan

_LAZY = {"ScoreOptions": "scoring.pipeline", "make_plan": "scoring.pipeline", "score": "scoring.pipeline",
         "ScoreResult": "scoring.report"}

__all__ = ["EngineChoice", "Preferences", "ScoreOptions", "ScorePlan", "ScoreResult", "apply_overrides", "load_plan",
           "make_plan", "plan", "score"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")
