"""Planning: VideoFeatures and the user's Preferences → ScorePlan. Pure functions, no files, no media.

`rules` maps features to musical choices, `sections` splits the clip where its character changes,
`tempo_map` fits each section's tempo to its cuts, `planner` puts them together into a `ScorePlan`.
"""
from autoscore_video.scoring.planning.planner import apply_overrides, plan
from autoscore_video.scoring.planning.preferences import Preferences
from autoscore_video.scoring.planning.score_plan import EngineChoice, EngineRun, ScorePlan, load_plan

__all__ = ["EngineChoice", "EngineRun", "Preferences", "ScorePlan", "apply_overrides", "load_plan", "plan"]
