"""The drum bus's peak control: a fast look-ahead limiter on the kit's strips summed, its ceiling a set distance
over the music's playing level.

Delivered at a loudness target under a true-peak ceiling (-14 LUFS, -1 dBTP), music may peak about 13 dB over
its loudness. A General MIDI kit's hits peak far higher over their own level (a snare 20-27 dB, a crash up to
25), and on the accents written for the cuts (kick, snare and crash struck together) the bus peaked 18-23 dB
over its level: the delivery limiter (10 ms look-ahead, 40 ms hold, made to be inaudible on dialogue) then
pulled the whole bed down 6-11 dB for 50-100 ms at every hit. Here the kit alone is limited, three to four
times as fast (LOOKAHEAD_S, HOLD_S), as a mix engineer clips a drum bus: the first milliseconds of a hit are
rounded off, its body and the bed are left alone.

It streams: its output is `delay` samples late, the same for any blocks.
"""
from __future__ import annotations

import numpy as np

LOOKAHEAD_S = 0.002
HOLD_S = 0.008


class PeakLimiter:
    """`ceiling`: the linear sample-peak ceiling; None: the audio passes as it is, `delay` samples late all
    the same (so a caller aligns it with other audio the same way whether it limits or not)."""

    def __init__(self, ceiling: float | None, sample_rate: int):
        self.ceiling = ceiling
        self.look = 2 * max(1, int(LOOKAHEAD_S * sample_rate / 2))  # even: the smoothing window is odd
        self.hold = 2 * max(1, int(HOLD_S * sample_rate / 2))  # even: the hold window is odd
        self.audio = np.zeros((2, self.look), dtype=np.float32)  # the delay line
        self.needed = np.ones(self.look + self.hold, dtype=np.float32)  # the last gains the input needed
        self.held = np.ones(self.look, dtype=np.float32)  # the last held gains
        self.deepest_db = 0.0  # the most it has taken off

    @property
    def delay(self) -> int:
        return self.look

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """(2, n) in, (2, n) out, `delay` samples late: output j is input j - look, at a gain that has come
        down, over the `look` samples before, to the lowest any input from `hold` before it to `look` after it
        needs, and goes back up as fast once it has passed."""
        delayed = np.concatenate([self.audio, audio], axis=1)
        n = audio.shape[1]
        self.audio = delayed[:, n:]
        if self.ceiling is None:
            return delayed[:, :n]
        from scipy.ndimage import minimum_filter1d, uniform_filter1d

        peaks = np.max(np.abs(audio), axis=0)
        needed = np.minimum(1.0, self.ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
        joined = np.concatenate([self.needed, needed])
        span = self.look + self.hold + 1  # a trailing window: the input `look` ahead of the output, `hold` behind
        held = minimum_filter1d(joined, span, origin=span // 2, mode="nearest")[len(self.needed):]
        ramp = np.concatenate([self.held, held])
        gain = uniform_filter1d(ramp, self.look + 1, origin=self.look // 2, mode="nearest")[len(self.held):]
        self.needed = joined[len(joined) - len(self.needed):]
        self.held = ramp[len(ramp) - len(self.held):]
        if n:
            self.deepest_db = max(self.deepest_db, float(-20 * np.log10(max(float(gain.min()), 1e-9))))
        return (delayed[:, :n] * gain[None, :]).astype(np.float32, copy=False)
