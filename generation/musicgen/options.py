"""The musicgen engine's options: what a plan's `engine.options` holds, valid by construction; the flags
`--model`, `--device` and `--candidates` set them (spec.py)."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.common.errors import InputError
from autoscore_video.generation.devices import is_device

MAX_CANDIDATES = 32


@dataclass
class MusicGenOptions:
    model: str = "small"
    device: str = "auto"
    guidance: float = 3.0
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    candidates: int = 1
    max_batch: int = 8
    window_s: float = 30.0
    overlap_s: float = 10.0
    crossfade_s: float = 0.5
    decoder: str = "auto"  # "fast" (generation/musicgen/fast.py), "plain" (transformers generate), "auto": fast on CUDA

    def __post_init__(self) -> None:
        """Options that exist are valid ones: checked here, once, whether they came from flags or a plan."""
        if not is_device(self.device):
            raise InputError(f"unknown device {self.device!r} (auto, cuda, mps or cpu)")
        if not 1 <= self.candidates <= MAX_CANDIDATES or self.max_batch < 1:
            raise InputError(f"candidates must be in 1..{MAX_CANDIDATES} and max_batch at least 1")
        if not 0 < self.overlap_s < self.window_s:
            raise InputError("the window overlap must be positive and shorter than the window")
        if self.guidance < 1.0 or self.temperature <= 0 or self.top_k < 0 or not 0 <= self.top_p <= 1:
            raise InputError("guidance must be >= 1, temperature > 0, top_k >= 0 and top_p in 0..1")
        if self.decoder not in ("auto", "fast", "plain"):
            raise InputError(f"unknown musicgen decoder {self.decoder!r} (auto, fast or plain)")

