"""Placing a stem in the stereo field. Audio is (2, samples), channels first."""
from __future__ import annotations

import math

import numpy as np


def pan(audio: np.ndarray, position: float) -> np.ndarray:
    """`position` -1 (left) .. +1 (right), constant power: a centred stem keeps its level in each channel, and a
    stereo stem keeps its own image, shifted (a balance control)."""
    return audio * pan_gains(position)[:, None]


def pan_gains(position: float) -> np.ndarray:
    """The left and right gains `pan` gives `position`, (2,) float32."""
    angle = (position + 1) * math.pi / 4
    return np.array([math.cos(angle), math.sin(angle)], dtype=np.float32) * np.float32(math.sqrt(2))


def width(audio: np.ndarray, amount: float) -> np.ndarray:
    """Mid/side width: 0 folds to mono, 1 leaves the stem as it is, above 1 widens what is already stereo."""
    mid = (audio[0] + audio[1]) / 2
    side = (audio[0] - audio[1]) / 2 * np.float32(amount)
    return np.stack([mid + side, mid - side])


SWEEP_BLOCK = 16  # samples that share one delay: the sweep moves a tenth of a sample between blocks


def ensemble(audio: np.ndarray, sample_rate: int, depth: float) -> np.ndarray:
    """A detuned double on each side, as an ensemble or chorus makes one, mixed in at `depth` (0..1): what was
    one voice in the middle becomes a wide one."""
    return audio + np.float32(depth) * detuned_double((audio[0] + audio[1]) / 2, sample_rate)


def detuned_double(mid: np.ndarray, sample_rate: int, delay_ms: float = 14.0, sweep_ms: float = 3.0) -> np.ndarray:
    """`mid` (samples,) through a delay swept slowly (a few cents of detune), differently left and right:
    (2, samples)."""
    return DetunedDouble(sample_rate, delay_ms, sweep_ms)(mid)


SWEEPS = ((0.31, 0.0), (0.43, 1.9))  # (rate in Hz, phase) of the left and the right delay's sweep
STRETCH = 2 ** 16  # samples worked out together, a multiple of SWEEP_BLOCK


class DetunedDouble:
    """`detuned_double` of a signal that comes a block at a time (blocks of a multiple of SWEEP_BLOCK samples,
    but the last): it keeps as much of the past as the longest delay reads."""

    def __init__(self, sample_rate: int, delay_ms: float = 14.0, sweep_ms: float = 3.0):
        self.sample_rate, self.delay_ms, self.sweep_ms = sample_rate, delay_ms, sweep_ms
        self.history = np.zeros(int(np.ceil((delay_ms + sweep_ms) / 1000 * sample_rate)) + 2, dtype=np.float32)
        self.position = 0

    def __call__(self, mid: np.ndarray) -> np.ndarray:
        """(2, samples) for `mid` (samples,), worked out a stretch at a time: its index arrays stay small."""
        pieces = [self._stretch(mid[at:at + STRETCH]) for at in range(0, mid.shape[0], STRETCH)]
        return np.concatenate(pieces, axis=1) if pieces else np.zeros((2, 0), dtype=np.float32)

    def _stretch(self, mid: np.ndarray) -> np.ndarray:
        n, kept = mid.shape[0], self.history.shape[0]
        joined = np.concatenate([self.history, mid.astype(np.float32, copy=False)])
        first_block = self.position // SWEEP_BLOCK
        blocks = -(-n // SWEEP_BLOCK)
        block_times = (first_block + np.arange(blocks)) * SWEEP_BLOCK / self.sample_rate
        positions = self.position + np.arange(n, dtype=np.int64)
        out = np.zeros((2, n), dtype=np.float32)
        for channel, (rate_hz, phase) in enumerate(SWEEPS):
            delay = (self.delay_ms + self.sweep_ms * np.sin(2 * np.pi * rate_hz * block_times + phase)) / 1000 * \
                self.sample_rate
            whole = np.floor(delay).astype(np.int64)
            fraction = np.repeat((delay - whole).astype(np.float32), SWEEP_BLOCK)[:n]
            read = positions - np.repeat(whole, SWEEP_BLOCK)[:n]
            valid = read >= 1
            at = read[valid] - self.position + kept  # in `joined`
            here, before = joined[at], joined[at - 1]
            out[channel, valid] = here + (before - here) * fraction[valid]
        self.history = joined[-kept:].copy()
        self.position += n
        return out
