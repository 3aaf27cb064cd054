"""Peak control, the bus's last stage: a fast look-ahead limiter whose ceiling sits CREST_DB over the bus's
playing level.

Delivered at a loudness target under a true-peak ceiling (-14 LUFS, -1 dBTP), music may peak about 13 dB over
its loudness. A General MIDI arrangement's accents (kick, crash and chord struck together on a cut) peak
18-20 dB over it, and the delivery limiter (10 ms look-ahead, 40 ms hold, made to be inaudible on dialogue)
then pulls the whole bed down 6-11 dB for 50-100 ms on every hit: the accents written for the cuts lose the
most. Here, on the music alone, the peaks are taken by a limiter three to four times as fast (LOOKAHEAD_S,
HOLD_S): the bed dips for about 15 ms around each transient instead, and the delivery limiter has little left
to do (on a held-out montage, MuseScore General Lite: at most 2 dB at any cut hit where it took 7-11).

It streams: the output is LOOKAHEAD_S late inside, and the caller drops that much from its start and feeds
as much silence at its end (`flush`), so the piece keeps its timing; the same for any blocks.
"""
from __future__ import annotations

import numpy as np

CREST_DB = 12.0  # the ceiling over the bus's playing level
LOOKAHEAD_S = 0.003
HOLD_S = 0.01
ACTIVE_RANGE_DB = 30.0  # the playing level: the mean of the detector blocks within this of the loudest (p99.9)


def playing_level_db(powers: np.ndarray) -> float | None:
    """The mean power (dB) of the blocks within ACTIVE_RANGE_DB of the loudest: the level while the music
    plays, not diluted by rests. `powers`: mean squares per detector block. None for silence."""
    if not len(powers):
        return None
    loud = float(np.percentile(powers, 99.9))
    if loud <= 1e-14:
        return None
    active = powers[powers >= loud * 10 ** (-ACTIVE_RANGE_DB / 10)]
    return float(10 * np.log10(active.mean()))


class PeakLimiter:
    """`ceiling`: linear sample-peak ceiling; None: the audio passes as it is (no delay)."""

    def __init__(self, ceiling: float | None, sample_rate: int):
        self.ceiling = ceiling
        self.look = 2 * max(1, int(LOOKAHEAD_S * sample_rate / 2))  # even: the smoothing window is odd
        self.hold = 2 * max(1, int(HOLD_S * sample_rate / 2))  # even: the hold window is odd
        self.audio = np.zeros((2, self.look), dtype=np.float32)  # the delay line
        self.needed = np.ones(self.look + self.hold, dtype=np.float32)  # the last needed gains
        self.held = np.ones(self.look, dtype=np.float32)  # the last held gains
        self.deepest_db = 0.0

    @property
    def delay(self) -> int:
        return 0 if self.ceiling is None else self.look

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """(2, n) in, (2, n) out, `delay` samples late: output j is input j - look, at a gain that has reached,
        over the `look` samples before, the lowest any input from `hold` before it to `look` after it needs."""
        if self.ceiling is None:
            return audio
        from scipy.ndimage import minimum_filter1d, uniform_filter1d

        n = audio.shape[1]
        peaks = np.max(np.abs(audio), axis=0)
        needed = np.minimum(1.0, self.ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
        joined = np.concatenate([self.needed, needed])
        span = self.look + self.hold + 1  # a trailing window: the input `look` ahead of the output, `hold` behind
        held = minimum_filter1d(joined, span, origin=span // 2, mode="nearest")[len(self.needed):]
        ramp = np.concatenate([self.held, held])
        gain = uniform_filter1d(ramp, self.look + 1, origin=self.look // 2, mode="nearest")[len(self.held):]
        delayed = np.concatenate([self.audio, audio], axis=1)
        out = delayed[:, :n] * gain[None, :]
        self.audio = delayed[:, n:]
        self.needed = joined[len(joined) - len(self.needed):]
        self.held = ramp[len(ramp) - len(self.held):]
        if n:
            self.deepest_db = max(self.deepest_db, float(-20 * np.log10(max(float(gain.min()), 1e-9))))
        return out.astype(np.float32, copy=False)
