"""The MusicGen checkpoints autoscore knows, how to find them, and what they cost."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autoscore_video.common import hub


@dataclass(frozen=True)
class ModelInfo:
    name: str
    repo_id: str
    total_params_m: int  # decoder + T5-base text encoder + EnCodec, counted from the architecture
    melody: bool = False
    smaller: str | None = None  # the next model down when this one does not fit

    @property
    def weights_gb_fp16(self) -> float:
        """GPU memory for the weights in half precision (2 bytes a parameter)."""
        return round(self.total_params_m * 2 / 1024, 1)

    @property
    def vram_gb(self) -> float:
        """Weights plus about 1 GiB of KV cache and activations for one 30 s clip with guidance."""
        return round(self.weights_gb_fp16 + 1.0, 1)


CATALOG = {m.name: m for m in (
    ModelInfo("small", "facebook/musicgen-small", 588),
    ModelInfo("medium", "facebook/musicgen-medium", 2006, smaller="small"),
    ModelInfo("large", "facebook/musicgen-large", 3424, smaller="medium"),
    ModelInfo("melody", "facebook/musicgen-melody", 2006, melody=True, smaller="small"),
)}


def resolve(model: str) -> tuple[str, ModelInfo | None, bool]:
    """(what to pass to from_pretrained, catalogue entry if any, is a local folder)."""
    source, name, local = hub.resolve_model(model, {info.name: info.repo_id for info in CATALOG.values()})
    return source, CATALOG[name] if name else None, local


def cached_snapshot(repo_id: str) -> Path | None:
    """The folder of a checkpoint already in the Hugging Face cache (HF_HOME / HF_HUB_CACHE honoured)."""
    return hub.cached_snapshot(repo_id, "config.json")


def folder_size_gb(folder: Path) -> float:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).resolve().stat().st_size
            except OSError:
                pass
    return round(total / 1024 ** 3, 2)
