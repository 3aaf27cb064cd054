"""Mixing stage: fit music to the picture, duck it under speech, normalise loudness and mux."""
from mixing.mixdown import MixOutputs, MixReport, StemTags, mix_and_mux
from mixing.mux import supported_suffix
from mixing.settings import LOUDNESS_PRESETS, MixSettings, settings_for_preset

__all__ = [
    "LOUDNESS_PRESETS", "MixOutputs", "MixReport", "MixSettings", "StemTags", "mix_and_mux", "settings_for_preset",
    "supported_suffix",
]
