"""Bus compression: a feed-forward compressor with a soft knee, its gain smoothed so it glues, not pumps."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Compressor:
    threshold_db: float  # relative to the bus's own peak level
    ratio: float
    knee_db: float = 6.0
    attack_s: float = 0.02  # the level detector's time constant
    release_s: float = 0.25  # the gain's time constant


DETECTOR_BLOCK = 64  # samples per level reading: the gain moves far slower than this


def compress(audio: np.ndarray, settings: Compressor, sample_rate: int) -> tuple[np.ndarray, float]:
    """(the compressed bus, its largest gain reduction in dB). `audio`: (2, samples). The level is the louder
    channel's mean square over the attack time, read every DETECTOR_BLOCK samples. The threshold is set from
    the bus's 99th-percentile level, so the same setting compresses a quiet and a loud arrangement alike."""
    from scipy.signal import lfilter

    blocks = audio.shape[1] // DETECTOR_BLOCK
    if blocks < 2:
        return audio, 0.0
    power = np.max((audio[:, :blocks * DETECTOR_BLOCK] ** 2).reshape(2, blocks, DETECTOR_BLOCK).mean(axis=2), axis=0)
    rate = sample_rate / DETECTOR_BLOCK
    a = np.exp(-1.0 / (settings.attack_s * rate))
    level_db = 10 * np.log10(lfilter([1 - a], [1, -a], power.astype(np.float64)) + 1e-12)
    reference = float(np.percentile(level_db, 99))
    over = level_db - (reference + settings.threshold_db)
    knee = settings.knee_db / 2
    slope = 1 - 1 / settings.ratio
    reduction = np.where(over <= -knee, 0.0,
                         np.where(over >= knee, slope * over, slope * (over + knee) ** 2 / (4 * knee)))
    r = np.exp(-1.0 / (settings.release_s * rate))
    smoothed = lfilter([1 - r], [1, -r], reduction)
    centres = (np.arange(blocks) + 0.5) * DETECTOR_BLOCK
    gain = 10 ** (-np.interp(np.arange(audio.shape[1]), centres, smoothed) / 20)
    return audio * gain.astype(np.float32), float(np.max(smoothed))
