"""The symbolic engine's registration: its options, its flag (`--soundfont`), what it is for and the licence
of what it makes."""
from __future__ import annotations

from autoscore_video.generation.registry import EngineFlag, EngineSpec
from autoscore_video.generation.symbolic.options import SymbolicOptions


def _load():
    from autoscore_video.generation.symbolic import SymbolicEngine

    return SymbolicEngine()


ENGINE = EngineSpec(
    name="symbolic", load=_load, options=SymbolicOptions,
    flags=(EngineFlag("soundfont", str, "the General MIDI bank (.sf2/.sf3) to play (default: $AUTOSCORE_SOUNDFONT, "
                                        "a pulled bank, then the system's).",
                      server_only="the server plays the bank AUTOSCORE_SOUNDFONT names, or the one it finds"),),
    summary="Composed here and played on a General MIDI bank, on any CPU, nothing downloaded; on the planned grid.",
    licence="the music is composed by autoscore (yours to use); the bank's own licence covers its samples "
            "(`autoscore models` names it)",
)
