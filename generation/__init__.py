"""Generation stage: a `MusicBrief` in, a `MusicTrack` (audio + beat grid + provenance) out.

Engines register by name and are imported only when they run, so importing this stage costs
neither the SoundFont synthesiser nor torch.
"""
from autoscore_video.generation.brief import BriefSection, MusicBrief, MusicTrack, TempoPoint
from autoscore_video.generation.registry import (
    check_engine,
    engine_names,
    get_engine,
    register,
    render,
    render_with_fallback,
)


def _symbolic():
    from autoscore_video.generation.symbolic import SymbolicEngine

    return SymbolicEngine()


def _musicgen():
    from autoscore_video.generation.musicgen import MusicGenEngine

    return MusicGenEngine()


register("symbolic", _symbolic)
register("musicgen", _musicgen)

__all__ = ["BriefSection", "MusicBrief", "MusicTrack", "TempoPoint", "check_engine", "engine_names", "get_engine",
           "register", "render", "render_with_fallback"]
