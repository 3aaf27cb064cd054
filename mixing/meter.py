"""Loudness by ITU-R BS.1770-4, measured a block at a time: the K-weighting filter carries its state from one
block to the next, the squared samples are summed per 100 ms step, and the gated integrated loudness is
computed from those steps (a gating block is 4 steps: 400 ms with 75% overlap).

Step sums are small (8 bytes a channel per 100 ms: 1.2 MB for two hours of stereo), so a mix can be measured
while it streams by, and so can a combination of signals at gains chosen later (`combine`).
"""
from __future__ import annotations

import math

import numpy as np

from autoscore_video.common.filtering import sosfilt

STEP_S = 0.1
STEPS_PER_BLOCK = 4  # 400 ms gating blocks
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0


def k_weighting_sos(rate: int) -> np.ndarray:
    """The pre-filter (high shelf) and the RLB high-pass as second-order sections, designed for `rate` so that
    at 48 kHz they give BS.1770's published coefficients (Brecht De Man's derivation of them)."""
    k = math.tan(math.pi * 1681.974450955533 / rate)
    q = 0.7071752369554196
    vh = 10.0 ** (3.999843853973347 / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1.0 + k / q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, high_pass])


class KWeighting:
    """The K-weighting filter for `channels` channels, its state carried across calls. Takes (samples,
    channels) blocks, returns (channels, samples) float64: each channel filtered as one contiguous run."""

    def __init__(self, rate: int, channels: int):
        self.sos = k_weighting_sos(rate)
        self.state = np.zeros((channels, len(self.sos), 2))
        self.position = 0  # samples filtered so far

    def __call__(self, block: np.ndarray) -> np.ndarray:
        block = block if block.ndim == 2 else block[:, None]
        out = np.empty((block.shape[1], len(block)))
        for channel in range(block.shape[1]):
            out[channel], self.state[channel] = sosfilt(self.sos, block[:, channel].astype(np.float64),
                                                        self.state[channel], self.position)
        self.position += len(block)
        return out


class StepSums:
    """Per 100 ms step and channel, the sum of a per-sample quantity (squared K-weighted samples, or the
    product of two signals' K-weighted samples), added a block at a time as (channels, samples)."""

    def __init__(self, rate: int, channels: int):
        self.step = int(round(STEP_S * rate))
        self.done: list[np.ndarray] = []
        self.partial = np.zeros(channels)
        self.filled = 0  # samples already in `partial`

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        n = values.shape[1]
        at = 0
        if self.filled:
            take = min(n, self.step - self.filled)
            self.partial += values[:, :take].sum(axis=1)
            self.filled += take
            at = take
            if self.filled == self.step:
                self.done.append(self.partial[None, :].copy())
                self.partial[:] = 0.0
                self.filled = 0
        whole = (n - at) // self.step
        if whole:
            chunk = values[:, at:at + whole * self.step]
            self.done.append(chunk.reshape(len(chunk), whole, self.step).sum(axis=2).T)
            at += whole * self.step
        if at < n:
            self.partial += values[:, at:].sum(axis=1)
            self.filled += n - at

    def result(self) -> np.ndarray:
        """(steps, channels); the last step may cover fewer samples than the others."""
        parts = list(self.done)
        if self.filled:
            parts.append(self.partial[None, :].copy())
        channels = len(self.partial)
        return np.concatenate(parts) if parts else np.zeros((0, channels))


class LoudnessMeter:
    """Integrated loudness of a signal fed a block at a time, (samples, channels) or (samples,)."""

    def __init__(self, rate: int, channels: int = 2):
        self.rate = rate
        self.weighting = KWeighting(rate, channels)
        self.sums = StepSums(rate, channels)
        self.samples = 0

    def add(self, block: np.ndarray) -> None:
        weighted = self.weighting(block)
        self.sums.add(weighted * weighted)
        self.samples += len(block)

    def integrated(self) -> float:
        return integrated_from_steps(self.sums.result(), self.samples, self.rate)


def block_powers(steps: np.ndarray, samples: int, rate: int) -> np.ndarray:
    """The 400 ms gating blocks' mean squares (summed over channels) from per-step sums, shape (steps,
    channels) or (steps,): as many blocks as BS.1770 counts for `samples` samples (none under 400 ms)."""
    block_s = STEP_S * STEPS_PER_BLOCK
    if samples < int(block_s * rate) + 1:
        return np.zeros(0)
    blocks = int(round((samples / rate - block_s) / STEP_S)) + 1
    per_step = steps.sum(axis=1) if steps.ndim == 2 else steps
    padded = np.concatenate([per_step, np.zeros(max(0, blocks + STEPS_PER_BLOCK - len(per_step)))])
    window = np.cumsum(np.concatenate([[0.0], padded]))
    return (window[STEPS_PER_BLOCK:STEPS_PER_BLOCK + blocks] - window[:blocks]) / (block_s * rate)


def integrated_from_steps(steps: np.ndarray, samples: int, rate: int) -> float:
    """Gated integrated loudness (LUFS) from per-step sums of squared K-weighted samples, shape (steps,
    channels) with every channel weighted 1 (mono, stereo); -inf for silence or under 400 ms of signal."""
    power = block_powers(steps, samples, rate)
    return gated_loudness(power) if len(power) else float("-inf")


def gate_mask(power: np.ndarray) -> np.ndarray:
    """Which 400 ms blocks (mean squares summed over channels) pass BS.1770's absolute and relative gates."""
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(np.maximum(power, 0.0))
    above = loudness >= ABSOLUTE_GATE_LUFS
    if not above.any():
        return above
    relative = -0.691 + 10.0 * math.log10(float(power[above].mean())) + RELATIVE_GATE_LU
    return (loudness > relative) & (loudness > ABSOLUTE_GATE_LUFS)


def gated_loudness(power: np.ndarray) -> float:
    """The integrated loudness from the 400 ms blocks' mean squares (summed over channels)."""
    kept = gate_mask(power)
    if not kept.any():
        return float("-inf")
    return -0.691 + 10.0 * math.log10(float(power[kept].mean()))


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS of a whole signal; -inf for silence or under one 400 ms block."""
    meter = LoudnessMeter(rate, audio.shape[1] if audio.ndim == 2 else 1)
    meter.add(np.asarray(audio))
    return meter.integrated()
