"""Generation stage: a `MusicBrief` in, a `MusicTrack` (audio + beat grid + provenance) out."""
from generation.brief import BriefSection, MusicBrief, MusicTrack, TempoPoint
from generation.registry import engine_names, get_engine, register, render
from generation.symbolic import SymbolicEngine
from generation.symbolic.instruments import INSTRUMENTS

register("symbolic", SymbolicEngine)

__all__ = [
    "INSTRUMENTS", "BriefSection", "MusicBrief", "MusicTrack", "SymbolicEngine", "TempoPoint", "engine_names",
    "get_engine", "register", "render",
]
