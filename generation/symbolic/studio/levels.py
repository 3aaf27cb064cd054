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


def playing_level_db(audio: np.ndarray, sample_rate: int) -> float | None:
    """`audio` (2, samples); None for silence."""
    usable = audio.shape[1] // DECIMATE * DECIMATE
    if usable == 0:
        return None
    rate = sample_rate // DECIMATE
    channels = np.ascontiguousarray(audio[:, :usable:DECIMATE])  # every fourth sample keeps a signal's power
    weighted = eq.apply([eq.highpass(38.0, rate), eq.high_shelf(1500.0, 4.0, rate)], channels).astype(np.float64)
    block = max(1, int(BLOCK_S * rate))
    count = weighted.shape[1] // block
    if count == 0:
        power = np.array([np.mean(weighted ** 2, axis=1).sum()])
    else:
        power = np.mean(weighted[:, :count * block].reshape(2, count, block) ** 2, axis=2).sum(axis=0)
    loudest = power.max()
    if loudest <= 1e-14:
        return None
    active = power[power >= loudest * 10 ** (-ACTIVE_RANGE_DB / 10)]
    return float(10 * np.log10(active.mean()))
