"""The acestep engine's registration: its options, its flags, what it is for and its weights' licence."""
from __future__ import annotations

from autoscore_video.generation.acestep.catalog import CATALOG, LICENCE
from autoscore_video.generation.acestep.options import AceStepOptions
from autoscore_video.generation.registry import EngineFlag, EngineSpec


def _load():
    from autoscore_video.generation.acestep.engine import AceStepEngine

    return AceStepEngine()


ENGINE = EngineSpec(
    name="acestep", load=_load, options=AceStepOptions,
    flags=(EngineFlag("model", str, "xl-turbo (default), a hub id or a local pipeline folder."),
           EngineFlag("device", str, "auto, cuda, mps or cpu."),
           EngineFlag("candidates", int, "render N alternatives in batches, keep all, use the best fit."),
           EngineFlag("mode", str, "cover (default: re-voices the symbolic render, keeping its timing) or "
                                   "text2music."),
           EngineFlag("cover_strength", float, "0..1, how closely a cover keeps its source (default 0.6).")),
    summary="ACE-Step 1.5 (diffusers) on a GPU: 48 kHz stereo re-voicing the symbolic render, or from the plan's "
            "words, bpm and key.",
    licence=LICENCE,
    checkpoints=tuple((checkpoint.name, checkpoint.repo_id) for checkpoint in CATALOG.values()),
)
