"""Scoring: features → ScorePlan (rules in scoring.rules), the pipeline, and the entry points."""
from scoring.pipeline import ScoreOptions, make_plan, score
from scoring.plan import EngineChoice, ScorePlan, load_plan
from scoring.planner import Preferences, apply_overrides, plan
from scoring.report import ScoreResult

__all__ = ["EngineChoice", "Preferences", "ScoreOptions", "ScorePlan", "ScoreResult", "apply_overrides",
           "load_plan", "make_plan", "plan", "score"]
