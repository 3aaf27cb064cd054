"""The acestep engine's options: what a plan's `engine.options` holds, valid by construction; the flags
`--model`, `--device`, `--candidates`, `--mode` and `--cover-strength` set them (spec.py)."""
from __future__ import annotations

from dataclasses import dataclass

from autoscore_video.common.errors import InputError
from autoscore_video.generation.devices import is_device

MODES = ("cover", "text2music")
MAX_CANDIDATES = 16


@dataclass
class AceStepOptions:
    model: str = "xl-turbo"  # a catalogue name (catalog.py), a hub id, or a folder written by save_pretrained
    device: str = "auto"
    # cover: the symbolic engine renders the plan (cuts, accents, form, speech rests, ending) and the model
    # re-voices that audio, keeping its timing; text2music: the model writes from the plan's words, bpm and key
    mode: str = "cover"
    cover_strength: float = 0.6  # of the cover's own conditioning against text alone: 1 keeps most of the source
    steps: int = 8  # the turbo checkpoints are distilled for 8
    shift: float = 3.0
    guidance: float = 7.0  # base and sft checkpoints only: turbo ones have guidance distilled in
    candidates: int = 1
    max_batch: int = 4
    offload: str = "auto"  # auto: move parts to the CPU between uses where the GPU is short of memory; on; off

    def __post_init__(self) -> None:
        if not is_device(self.device):
            raise InputError(f"unknown device {self.device!r} (auto, cuda, mps or cpu)")
        if self.mode not in MODES:
            raise InputError(f"unknown acestep mode {self.mode!r} ({' or '.join(MODES)})")
        if not 0.0 <= self.cover_strength <= 1.0:
            raise InputError(f"--cover-strength {self.cover_strength} is outside 0..1")
        if not 1 <= self.steps <= 200 or self.shift <= 0 or self.guidance < 1.0:
            raise InputError("steps must be in 1..200, shift positive and guidance at least 1")
        if not 1 <= self.candidates <= MAX_CANDIDATES or self.max_batch < 1:
            raise InputError(f"candidates must be in 1..{MAX_CANDIDATES} and max_batch at least 1")
        if self.offload not in ("auto", "on", "off"):
            raise InputError(f"unknown offload {self.offload!r} (auto, on or off)")
