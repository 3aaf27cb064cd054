"""Helpers every stage may use: the error hierarchy, ffmpeg/PyAV media access, staged outputs.

This package holds no stage logic; stages import it, never each other.
"""
from autoscore_video.common.errors import AutoscoreError, InputError, ModelError, ResourceError, UsageError

__all__ = ["AutoscoreError", "InputError", "ModelError", "ResourceError", "UsageError"]
