"""Mixing stage: fit music to the picture, duck it under speech, normalise loudness and mux.

Names are imported on first use: the settings are light, the mixdown pulls in SciPy's signal module.
"""
from importlib import import_module

_EXPORTS = {
    "MixOutputs": "mixing.mixdown", "MixReport": "mixing.mixdown", "StemTags": "mixing.mixdown",
    "mix_and_mux": "mixing.mixdown", "supported_suffix": "mixing.mux", "LOUDNESS_PRESETS": "mixing.settings",
    "MixSettings": "mixing.settings", "settings_for_preset": "mixing.settings",
}

__all__ = ["LOUDNESS_PRESETS", "MixOutputs", "MixReport", "MixSettings", "StemTags", "mix_and_mux",
           "settings_for_preset", "supported_suffix"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mixing' has no attribute {name!r}")
