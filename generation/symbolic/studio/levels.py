"""How loud a part is while it plays: the level a mix engineer balances by, whatever bank the part came from.

K-weighted as BS.1770 weighs loudness (a high-pass and a +4 dB shelf above 1.5 kHz), the channels' powers
summed as BS.1770 sums them (so a part panned wide measures as loud as the same part in the middle), in 400 ms
blocks, and averaged over the blocks within 20 dB of the part's loudest: the part's level when it is
playing, not diluted by the bars it sits out. Measured at a quarter of the sample rate, which is ample
for a weighting that does not look above 6 kHz.
"""
from __future__ import annotations

import numpy as np

from autoscore_video.generation.symbolic.studio import eq

DECIMATE = 4
BLOCK_S = 0.4
ACTIVE_RANGE_DB = 20.0


def k_weighting(sample_rate: int) -> list[np.ndarray]:
    """BS.1770's weighting, as the sections of a filter: a high-pass and a +4 dB shelf above 1.5 kHz."""
    return [eq.highpass(38.0, sample_rate), eq.high_shelf(1500.0, 4.0, sample_rate)]


def playing_level_db(audio: np.ndarray, sample_rate: int) -> float | None:
    """`audio` (2, samples); None for silence."""
    meter = PlayingLevel(sample_rate)
    meter.feed(audio)
    return meter.level()


class PlayingLevel:
    """The playing level of a part that comes a block at a time: the same figure as `playing_level_db` over
    the blocks joined."""

    def __init__(self, sample_rate: int):
        rate = sample_rate // DECIMATE
        self.weighting = eq.Cascade(k_weighting(rate))
        self.block = max(1, int(BLOCK_S * rate))
        self.position = 0  # samples at the full rate fed so far
        self.powers: list[np.ndarray] = []  # of complete blocks
        self.partial = np.zeros(0)  # decimated squared samples of the block being filled

    def feed(self, audio: np.ndarray) -> None:
        """`audio` (2, samples): the next samples of the part."""
        skip = -self.position % DECIMATE
        self.position += audio.shape[1]
        channels = np.ascontiguousarray(audio[:, skip::DECIMATE])  # every fourth sample keeps a signal's power
        if channels.shape[1]:
            self._add((self.weighting(channels).astype(np.float64) ** 2).sum(axis=0))

    def rest(self, samples: int) -> None:
        """`samples` of silence, measured without being made when the weighting no longer rings."""
        if self.weighting.ringing:
            self.feed(np.zeros((2, samples), dtype=np.float32))
            return
        first = -self.position % DECIMATE
        self.position += samples
        count = len(range(first, samples, DECIMATE))
        missing = self.block - len(self.partial)
        if count < missing:
            self.partial = np.concatenate([self.partial, np.zeros(count)])
            return
        self._add(np.zeros(missing))
        count -= missing
        self.powers.append(np.zeros(count // self.block))
        self.partial = np.zeros(count % self.block)

    def _add(self, squares: np.ndarray) -> None:
        joined = np.concatenate([self.partial, squares]) if len(self.partial) else squares
        whole = len(joined) // self.block * self.block
        if whole:
            self.powers.append(joined[:whole].reshape(-1, self.block).mean(axis=1))
        self.partial = joined[whole:]

    def level(self) -> float | None:
        power = np.concatenate(self.powers) if self.powers else np.zeros(0)
        if not len(power):
            if not len(self.partial):
                return None
            power = np.array([self.partial.mean()])
        loudest = power.max()
        if loudest <= 1e-14:
            return None
        active = power[power >= loudest * 10 ** (-ACTIVE_RANGE_DB / 10)]
        return float(10 * np.log10(active.mean()))
