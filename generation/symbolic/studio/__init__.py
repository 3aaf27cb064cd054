"""The console the symbolic engine's stems go through before ducking and loudness: per part a channel strip
(EQ, level, stereo placement, reverb send), a shared room, and gentle bus compression. Settings per genre are
data (presets.py); the processing is scipy and numpy."""
from autoscore_video.generation.symbolic.studio.console import Console
from autoscore_video.generation.symbolic.studio.presets import PRODUCTIONS

__all__ = ["PRODUCTIONS", "Console"]
