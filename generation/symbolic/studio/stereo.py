"""Placing a stem in the stereo field. Audio is (2, samples), channels first."""
from __future__ import annotations

import math

import numpy as np


def pan(audio: np.ndarray, position: float) -> np.ndarray:
    """`position` -1 (left) .. +1 (right), constant power: a centred stem keeps its level in each channel, and a
    stereo stem keeps its own image, shifted (a balance control)."""
    angle = (position + 1) * math.pi / 4
    gains = np.array([[math.cos(angle)], [math.sin(angle)]], dtype=np.float32) * np.float32(math.sqrt(2))
    return audio * gains


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
    n = mid.shape[0]
    blocks = -(-n // SWEEP_BLOCK)
    block_times = np.arange(blocks) * SWEEP_BLOCK / sample_rate
    positions = np.arange(n, dtype=np.int64)
    out = np.zeros((2, n), dtype=np.float32)
    for channel, (rate_hz, phase) in enumerate(((0.31, 0.0), (0.43, 1.9))):
        delay = (delay_ms + sweep_ms * np.sin(2 * np.pi * rate_hz * block_times + phase)) / 1000 * sample_rate
        whole = np.floor(delay).astype(np.int64)
        fraction = np.repeat((delay - whole).astype(np.float32), SWEEP_BLOCK)[:n]
        read = positions - np.repeat(whole, SWEEP_BLOCK)[:n]
        valid = read >= 1
        here, before = mid[read[valid]], mid[read[valid] - 1]
        out[channel, valid] = here + (before - here) * fraction[valid]
    return out
