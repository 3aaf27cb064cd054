"""autoscore: scores videos. Reads the picture, plans music that fits, generates it and mixes it under.

The pipeline's four stages are sub-packages (`analysis`, `generation`, `mixing`, and `scoring`, which plans,
runs the job and holds the front doors); `common` is what they share. The names most callers need:

    from autoscore_video import score, ScoreOptions, Preferences
    result = score("clip.mp4", ScoreOptions(prefs=Preferences(genre="lofi")))
"""
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name is imported on first use
    from autoscore_video.analysis import VideoFeatures, analyze
    from autoscore_video.common.errors import AutoscoreError, InputError, ModelError
    from autoscore_video.scoring import (
        Preferences,
        ScoreOptions,
        ScorePlan,
        ScoreResult,
        load_plan,
        make_plan,
        plan,
        score,
    )

__version__ = "0.1.0"

_EXPORTS = {
    "AutoscoreError": ".common.errors", "InputError": ".common.errors", "ModelError": ".common.errors",
    "analyze": ".analysis", "VideoFeatures": ".analysis",
    "Preferences": ".scoring", "ScoreOptions": ".scoring", "ScorePlan": ".scoring", "ScoreResult": ".scoring",
    "make_plan": ".scoring", "plan": ".scoring", "load_plan": ".scoring", "score": ".scoring",
}
__all__ = ["AutoscoreError", "InputError", "ModelError", "Preferences", "ScoreOptions", "ScorePlan", "ScoreResult",
           "VideoFeatures", "analyze", "load_plan", "make_plan", "plan", "score"]


def __getattr__(name: str):
    """Names are imported on first use, so `import autoscore_video` costs nothing a caller does not use."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
