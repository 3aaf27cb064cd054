"""Mixing stage: fit music to the picture, duck it under speech, normalise loudness and mux.

Names are imported on first use: the settings are light, the mixdown pulls in SciPy's signal module.
"""
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from autoscore_video.mixing.mixdown import MixOutputs, MixReport, StemTags, mix_and_mux
    from autoscore_video.mixing.mux import supported_suffix
    from autoscore_video.mixing.settings import LOUDNESS_PRESETS, MixSettings, settings_for_preset

_EXPORTS = {
    "MixOutputs": ".mixdown", "MixReport": ".mixdown", "StemTags": ".mixdown",
    "mix_and_mux": ".mixdown", "supported_suffix": ".mux", "LOUDNESS_PRESETS": ".settings",
    "MixSettings": ".settings", "settings_for_preset": ".settings",
}

__all__ = ["LOUDNESS_PRESETS", "MixOutputs", "MixReport", "MixSettings", "StemTags", "mix_and_mux",
           "settings_for_preset", "supported_suffix"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
