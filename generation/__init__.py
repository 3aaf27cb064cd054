"""Generation stage: a `MusicBrief` in, a `MusicTrack` (audio + beat grid + provenance) out.

Engines register by name (registry.py) and are loaded only when they run, so importing this stage costs
neither the SoundFont synthesiser nor torch.
"""
from autoscore_video.generation.acestep.spec import ENGINE as ACESTEP
from autoscore_video.generation.brief import BriefSection, MusicBrief, MusicTrack, TempoPoint
from autoscore_video.generation.musicgen.spec import ENGINE as MUSICGEN
from autoscore_video.generation.registry import (
    EngineFlag,
    EngineSpec,
    check_engine,
    engine_flags,
    engine_names,
    engine_spec,
    engine_specs,
    get_engine,
    register,
    register_plugins,
    render,
    render_with_fallback,
)
from autoscore_video.generation.symbolic.spec import ENGINE as SYMBOLIC

# The engines: one registration each (its spec lives in its own folder), then other packages' (entry points).
register(SYMBOLIC)
register(MUSICGEN)
register(ACESTEP)
register_plugins()

__all__ = ["BriefSection", "EngineFlag", "EngineSpec", "MusicBrief", "MusicTrack", "TempoPoint", "check_engine",
           "engine_flags", "engine_names", "engine_spec", "engine_specs", "get_engine", "register", "render",
           "render_with_fallback"]
