"""Speech regions (Silero VAD, analysis/vad.py) and the level of the audio track.

The audio arrives in blocks (`SpeechMeter.feed`) and only small per-window numbers are kept: VAD
probabilities every 32 ms and sums of squares every 10 ms, so memory does not grow with the samples.
"""
from __future__ import annotations

import math
from array import array

import numpy as np

from autoscore_video.analysis.features import SpeechFeatures, SpeechRegion, TimeSeries
from autoscore_video.analysis.settings import AnalysisSettings
from autoscore_video.analysis.vad import load_vad

LEVEL_BLOCK_S = 0.01  # resolution of the level sums (region levels start and end on these blocks)


class SpeechMeter:
    """Speech regions and levels of a mono float32 stream at settings.analysis_sample_rate."""

    def __init__(self, settings: AnalysisSettings, vad_backend: str | None = None):
        self.settings = settings
        self.rate = settings.analysis_sample_rate
        self._vad = load_vad(self.rate, vad_backend)
        self._window = self._vad.window
        self._hop = max(1, int(round(settings.energy_hop_s * self.rate)))
        self._block = math.gcd(self._hop, max(1, int(round(LEVEL_BLOCK_S * self.rate))))
        self._vad_pending = np.zeros(0, dtype=np.float32)
        self._level_pending = np.zeros(0, dtype=np.float32)
        self._probabilities = array("f")
        self._block_power = array("d")  # sum of squares of each level block
        self.samples = 0
        self.heard = False  # any non-zero sample

    def feed(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.size == 0:
            return
        self.samples += samples.size
        self.heard = self.heard or bool(np.any(samples))

        vad = np.concatenate((self._vad_pending, samples))
        whole = len(vad) // self._window * self._window
        for window in vad[:whole].reshape(-1, self._window):
            self._probabilities.append(self._vad.probability(window))
        self._vad_pending = vad[whole:]

        level = np.concatenate((self._level_pending, samples))
        whole = len(level) // self._block * self._block
        squares = np.square(level[:whole], dtype=np.float64).reshape(-1, self._block).sum(axis=1)
        self._block_power.extend(squares)
        self._level_pending = level[whole:]

    def finish(self, duration: float) -> SpeechFeatures:
        settings, rate, hop_s = self.settings, self.rate, self.settings.energy_hop_s
        if self.samples == 0:
            return SpeechFeatures(has_audio=False, regions=[], energy_db=TimeSeries(hop=hop_s), speech_ratio=0.0,
                                  speech_level_db=None, program_level_db=None)
        power = np.frombuffer(self._block_power, dtype=np.float64)
        if self._level_pending.size:  # the last, partial block
            power = np.append(power, np.square(self._level_pending, dtype=np.float64).sum())
        spans = speech_spans(np.frombuffer(self._probabilities, dtype=np.float32), self._window / rate, settings,
                             duration)
        regions = [SpeechRegion(start=round(a, 3), end=round(b, 3), level_db=round(self._level(power, a, b), 2))
                   for a, b in spans]
        speech_time = sum(b - a for a, b in spans)
        return SpeechFeatures(
            has_audio=True,
            regions=regions,
            energy_db=TimeSeries(hop=hop_s, values=[round(float(v), 2) for v in self._energy_db(power)]),
            speech_ratio=round(speech_time / duration, 4) if duration > 0 else 0.0,
            speech_level_db=round(float(np.mean([r.level_db for r in regions])), 2) if regions else None,
            program_level_db=round(self._level(power, 0.0, duration), 2),
        )

    def _energy_db(self, block_power: np.ndarray) -> np.ndarray:
        """RMS level per hop, over a window of two hops centred on it, in dBFS."""
        per_hop = self._hop // self._block
        count = 1 + self.samples // self._hop
        padded = np.zeros(count * per_hop)
        used = min(len(block_power), len(padded))
        padded[:used] = block_power[:used]
        hop_power = padded.reshape(count, per_hop).sum(axis=1)
        window_power = (hop_power + np.concatenate(([0.0], hop_power[:-1]))) / (2 * self._hop)
        return np.maximum(10.0 * np.log10(np.maximum(window_power, 1e-24)), self.settings.silence_floor_db)

    def _level(self, block_power: np.ndarray, start: float, end: float) -> float:
        """Mean level between two times (on level-block edges), in dBFS."""
        first = max(0, int(round(start * self.rate / self._block)))
        last = min(len(block_power), int(round(end * self.rate / self._block)))
        samples = min(last * self._block, self.samples) - first * self._block
        if last <= first or samples <= 0:
            return self.settings.silence_floor_db
        power = float(block_power[first:last].sum()) / samples
        return float(max(10.0 * np.log10(max(power, 1e-20)), self.settings.silence_floor_db))


def speech_spans(probabilities: np.ndarray, window_s: float, settings: AnalysisSettings,
                 duration: float) -> list[tuple[float, float]]:
    """Hysteresis on the VAD probabilities: open at vad_threshold, close after min_silence below release."""
    spans: list[tuple[float, float]] = []
    start = None
    quiet_since = None
    for i, p in enumerate(probabilities):
        t = i * window_s
        if start is None:
            if p >= settings.vad_threshold:
                start, quiet_since = t, None
            continue
        if p < settings.vad_release_threshold:
            quiet_since = t if quiet_since is None else quiet_since
            if t + window_s - quiet_since >= settings.min_silence_s:
                spans.append((start, quiet_since))
                start, quiet_since = None, None
        else:
            quiet_since = None
    if start is not None:
        spans.append((start, quiet_since if quiet_since is not None else len(probabilities) * window_s))

    padded = [(max(0.0, a - settings.speech_pad_s), min(duration, b + settings.speech_pad_s))
              for a, b in spans if b - a >= settings.min_speech_s]
    merged: list[tuple[float, float]] = []
    for a, b in padded:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged
