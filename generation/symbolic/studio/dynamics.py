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
    gain = GainPlan.from_powers(detector_powers(audio), settings, sample_rate)
    return audio * gain.at(0, audio.shape[1]), gain.largest_reduction_db


def detector_powers(audio: np.ndarray) -> np.ndarray:
    """The louder channel's mean square in each whole DETECTOR_BLOCK of `audio` (2, samples), float32. A bus read a
    block at a time (blocks of a multiple of DETECTOR_BLOCK, but the last) gives its powers block by block."""
    blocks = audio.shape[1] // DETECTOR_BLOCK
    squares = audio[:, :blocks * DETECTOR_BLOCK].astype(np.float32, copy=False) ** 2
    return np.max(squares.reshape(2, blocks, DETECTOR_BLOCK).mean(axis=2), axis=0)


PLAYING_BLOCK_S = 0.4
PLAYING_RANGE_DB = 20.0


def playing_level_db(powers: np.ndarray, sample_rate: int) -> float | None:
    """The bus's level while it plays, from the detector's powers: the mean square of its 400 ms blocks within
    PLAYING_RANGE_DB of the loudest, in dB (as levels.py measures a part, unweighted). None for silence."""
    per_block = max(1, int(PLAYING_BLOCK_S * sample_rate / DETECTOR_BLOCK))
    whole = len(powers) // per_block * per_block
    blocks = powers[:whole].reshape(-1, per_block).mean(axis=1) if whole else powers[None, :].mean(axis=1)
    if not len(blocks) or blocks.max() <= 1e-14:
        return None
    active = blocks[blocks >= blocks.max() * 10 ** (-PLAYING_RANGE_DB / 10)]
    return float(10 * np.log10(active.mean()))


STRETCH = 2 ** 16  # detector blocks filtered together: the whole bus's curves are held in float32 only


class GainPlan:
    """The compressor's gain over the whole bus, worked out from the detector's powers: applied by sample range."""

    def __init__(self, smoothed_db: np.ndarray):
        self.smoothed_db = smoothed_db  # gain reduction at each detector block's centre, float32
        self.gains = (10 ** (-smoothed_db / 20)).astype(np.float32)  # the gain there, between them linear

    @classmethod
    def from_powers(cls, power: np.ndarray, settings: Compressor, sample_rate: int) -> GainPlan:
        from scipy.signal import lfilter

        if len(power) < 2:
            return cls(np.zeros(0, dtype=np.float32))
        rate = sample_rate / DETECTOR_BLOCK
        a = np.exp(-1.0 / (settings.attack_s * rate))
        level_db = np.empty(len(power), dtype=np.float32)
        state = np.zeros(1)
        for at in range(0, len(power), STRETCH):
            smoothed, state = lfilter([1 - a], [1, -a], power[at:at + STRETCH].astype(np.float64), zi=state)
            level_db[at:at + STRETCH] = 10 * np.log10(smoothed + 1e-12)
        threshold = float(np.percentile(level_db, 99)) + settings.threshold_db
        knee = settings.knee_db / 2
        slope = 1 - 1 / settings.ratio
        r = np.exp(-1.0 / (settings.release_s * rate))
        state = np.zeros(1)
        for at in range(0, len(power), STRETCH):
            over = level_db[at:at + STRETCH].astype(np.float64) - threshold
            reduction = np.where(over <= -knee, 0.0,
                                 np.where(over >= knee, slope * over, slope * (over + knee) ** 2 / (4 * knee)))
            level_db[at:at + STRETCH], state = lfilter([1 - r], [1, -r], reduction, zi=state)
        return cls(level_db)  # now the smoothed reduction

    @property
    def largest_reduction_db(self) -> float:
        return float(np.max(self.smoothed_db)) if len(self.smoothed_db) else 0.0

    def at(self, start: int, stop: int) -> np.ndarray:
        """The gain over samples [start, stop), float32."""
        if not len(self.smoothed_db):
            return np.ones(stop - start, dtype=np.float32)
        first = max(0, start // DETECTOR_BLOCK - 1)
        last = min(len(self.gains), stop // DETECTOR_BLOCK + 2)
        centres = (np.arange(first, last) + 0.5) * DETECTOR_BLOCK
        return np.interp(np.arange(start, stop), centres, self.gains[first:last]).astype(np.float32)
