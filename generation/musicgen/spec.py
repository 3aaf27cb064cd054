"""The musicgen engine's registration: its options, its flags (`--model`, `--device`, `--candidates`), what it
is for and its weights' licence."""
from __future__ import annotations

from autoscore_video.generation.musicgen.catalog import CATALOG
from autoscore_video.generation.musicgen.options import MusicGenOptions
from autoscore_video.generation.registry import EngineFlag, EngineSpec


def _load():
    from autoscore_video.generation.musicgen.engine import MusicGenEngine

    return MusicGenEngine()


ENGINE = EngineSpec(
    name="musicgen", load=_load, options=MusicGenOptions,
    flags=(EngineFlag("model", str, "checkpoint: small, medium, large, a hub id or a local folder."),
           EngineFlag("device", str, "auto, cuda, mps or cpu."),
           EngineFlag("candidates", int, "render N alternatives, keep all, use the one whose beats fit the cuts "
                                         "best.")),
    summary="Meta's MusicGen (transformers) on a GPU: audio from a prompt per section, fitted to the cuts after.",
    licence="CC-BY-NC-4.0 (Meta's weights): what it makes may not be used commercially",
    commercial=False,
    checkpoints=tuple((info.name, info.repo_id) for info in CATALOG.values()),
)
