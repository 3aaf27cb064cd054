"""True peak (BS.1770-4 Annex 2: 4x oversampling), a true-peak limiter, and integrated loudness (`meter`).

The mix gets one static gain to the target and then this limiter; never a dynamic normaliser,
which would undo the ducking.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autoscore_video.mixing.meter import integrated_lufs

__all__ = ["Limited", "TruePeakMeter", "integrated_lufs", "limit_true_peak", "sample_peaks", "true_peak_db"]

OVERSAMPLE = 4
TAPS_PER_PHASE = 12  # a 48-tap interpolator, as the standard's example filter
BEFORE, AFTER = 5, 6  # input samples each oversampled point reads before and after its own
PEAK_BLOCK = 1 << 16  # samples oversampled at a time


@lru_cache(maxsize=1)
def _phases() -> np.ndarray:
    """(4, taps): the Kaiser-windowed sinc interpolator split into its 4 phases, each of unit gain at DC,
    reversed to multiply a window of input samples directly."""
    taps = OVERSAMPLE * TAPS_PER_PHASE
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(n / OVERSAMPLE) * np.kaiser(taps, 5.0)
    phases = np.stack([h[k::OVERSAMPLE] for k in range(OVERSAMPLE)])
    phases /= phases.sum(axis=1, keepdims=True)
    return np.ascontiguousarray(phases[:, ::-1], dtype=np.float32)


def _window_peaks(padded: np.ndarray) -> np.ndarray:
    """For each full window of TAPS_PER_PHASE samples of a 1-D float32 signal, the largest |value| of its 4
    points between the window's 6th and 7th sample, and of the 6th sample itself."""
    windows = sliding_window_view(padded, TAPS_PER_PHASE)
    out = np.abs(padded[BEFORE:BEFORE + len(windows)])
    phases = _phases()
    for start in range(0, len(windows), PEAK_BLOCK):
        points = phases @ windows[start:start + PEAK_BLOCK].T  # (4, samples): one row per phase
        np.abs(points, out=points)
        kept = out[start:start + PEAK_BLOCK]
        np.maximum(kept, np.maximum(np.maximum(points[0], points[1]), np.maximum(points[2], points[3])), out=kept)
    return out


def sample_peaks(audio: np.ndarray) -> np.ndarray:
    """Per sample, the largest |value| among it and the 4 oversampled points after it, over all channels
    (silence assumed outside the array)."""
    x = np.asarray(audio if audio.ndim == 2 else audio[:, None], np.float32)
    channels = x.shape[1]
    return _channel_peaks(np.concatenate([np.zeros((BEFORE, channels), np.float32), x,
                                          np.zeros((AFTER, channels), np.float32)]))


def _channel_peaks(padded: np.ndarray) -> np.ndarray:
    """`_window_peaks` of each channel of (samples, channels), the largest of them per window."""
    peaks = _window_peaks(np.ascontiguousarray(padded[:, 0]))
    for channel in range(1, padded.shape[1]):
        np.maximum(peaks, _window_peaks(np.ascontiguousarray(padded[:, channel])), out=peaks)
    return peaks


def true_peak_db(audio: np.ndarray) -> float:
    if audio.size == 0:
        return float("-inf")
    peak = float(sample_peaks(audio).max())
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


SPOT_SAMPLES = 480  # where a measured signal goes over a mark, it is noted once per this many samples


class TruePeakMeter:
    """The true peak of a signal fed a block at a time: the same value as `true_peak_db` of the whole. With
    `mark_db`, it also notes where the signal goes over that mark: (first sample of the spot, peak there)."""

    def __init__(self, channels: int = 2, mark_db: float | None = None):
        self.history = np.zeros((BEFORE, channels), dtype=np.float32)
        self.peak = 0.0
        self.position = 0  # the sample the next window is about
        self.mark = None if mark_db is None else 10.0 ** (mark_db / 20.0)
        self.spots: list[tuple[int, float]] = []

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, np.float32).reshape(len(block), -1)
        joined = np.concatenate([self.history, block])
        if len(joined) >= TAPS_PER_PHASE:
            peaks = _channel_peaks(joined)
            self.peak = max(self.peak, float(peaks.max()))
            if self.mark is not None and self.peak > self.mark:
                self._note(peaks)
            self.position += len(peaks)
        self.history = joined[max(0, len(joined) - (TAPS_PER_PHASE - 1)):]

    def _note(self, peaks: np.ndarray) -> None:
        over = np.flatnonzero(peaks > self.mark)
        if not len(over):
            return
        spot = (self.position + over) // SPOT_SAMPLES
        starts = np.flatnonzero(np.diff(spot, prepend=-1))
        for first, top in zip(spot[starts], np.maximum.reduceat(peaks[over], starts)):
            self.spots.append((int(first) * SPOT_SAMPLES, float(20.0 * np.log10(top))))

    def db(self) -> float:
        self.add(np.zeros((AFTER, self.history.shape[1]), np.float32))
        return 20.0 * np.log10(self.peak) if self.peak > 0 else float("-inf")


class CeilingDips:
    """Places where the limiter's ceiling goes lower: each (first sample of a spot, dB), over the spot
    (SPOT_SAMPLES) and one spot either side; used where an encoder overshot the ceiling there."""

    def __init__(self, dips: list[tuple[int, float]]):
        ordered = sorted(dips)
        self.spots = ordered
        self.firsts = np.array([first for first, _ in ordered], dtype=np.int64)
        self.depths = np.array([depth for _, depth in ordered])

    def curve(self, ceiling_db: float, start: int, samples: int) -> np.ndarray | None:
        """Per sample from `start`, the ceiling (linear); None where no dip reaches the range."""
        lo = np.searchsorted(self.firsts, start - 2 * SPOT_SAMPLES, side="left")
        hi = np.searchsorted(self.firsts, start + samples + SPOT_SAMPLES, side="right")
        if lo >= hi:
            return None
        curve = np.full(samples, 10.0 ** (ceiling_db / 20.0), dtype=np.float32)
        for first, depth in zip(self.firsts[lo:hi], self.depths[lo:hi]):
            a, b = max(0, first - SPOT_SAMPLES - start), min(samples, first + 2 * SPOT_SAMPLES - start)
            if a < b:
                np.minimum(curve[a:b], np.float32(10.0 ** ((ceiling_db - depth) / 20.0)), out=curve[a:b])
        return curve


@dataclass
class Limited:
    audio: np.ndarray
    reduction_db: float  # largest gain reduction applied
    true_peak_db: float  # measured on the result
    gain: np.ndarray | None = None  # the gain applied to each sample (all passes), float32; None: untouched


LIMITER_PASSES = 3  # one does it; the others mop up what 4x oversampling under-reads


LOOKAHEAD_MS = 10.0
HOLD_MS = 40.0


def limiter_reach(rate: int, lookahead_ms: float = LOOKAHEAD_MS, hold_ms: float = HOLD_MS) -> tuple[int, int]:
    """(lookahead, hold) in samples: the limiter's gain at a peak is in place this long before and after it."""
    return max(1, int(rate * lookahead_ms / 1000.0)), max(1, int(rate * hold_ms / 1000.0))


def limiter_context(rate: int, lookahead_ms: float = LOOKAHEAD_MS, hold_ms: float = HOLD_MS) -> int:
    """Samples of the neighbouring signal the limiter must see on each side of a block for the block to come
    out as it would from limiting the whole signal at once (each pass reaches hold + lookahead back and the
    oversampling's few taps further; with room to spare)."""
    look, hold = limiter_reach(rate, lookahead_ms, hold_ms)
    return (LIMITER_PASSES + 1) * (hold + 2 * look + TAPS_PER_PHASE)


def limit_true_peak(audio: np.ndarray, rate: int, ceiling_db: float, *, peaks: np.ndarray | None = None,
                    ceiling: np.ndarray | None = None, lookahead_ms: float = LOOKAHEAD_MS,
                    hold_ms: float = HOLD_MS, keep_gain: bool = False) -> Limited:
    """Lookahead limiter on oversampled peaks; `peaks` may be given when already known (`sample_peaks`);
    `ceiling`: a linear ceiling per sample, where it is lower in places (`CeilingDips`); `keep_gain`: return the
    gain applied to each sample too.

    The gain each sample needs to keep its true peak under the ceiling is held from `lookahead`
    before it to `hold` after it (a sliding minimum), then smoothed by a trailing mean over the
    lookahead: the gain has fully arrived at every peak, and it ramps down and back up over
    `lookahead` without clicks. Array operations only, no per-sample loop.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    if ceiling is None:
        ceiling = np.full(1, 10.0 ** (ceiling_db / 20.0), dtype=np.float32)
    x = np.array(audio, dtype=np.float32, copy=True)
    look, hold = limiter_reach(rate, lookahead_ms, hold_ms)
    worst = 0.0
    applied = None
    peaks = sample_peaks(x) if peaks is None else peaks
    for _ in range(LIMITER_PASSES):
        if peaks.size == 0 or np.all(peaks <= ceiling):
            break
        needed = np.minimum(1.0, 0.9995 * ceiling / np.maximum(peaks, 1e-12))
        span = hold + look + 1  # held[n] = min(needed[n - hold .. n + look])
        held = minimum_filter1d(needed, size=span, origin=hold - span // 2, mode="nearest")
        gain = uniform_filter1d(held, size=look + 1, origin=look - (look + 1) // 2, mode="nearest")
        x[: len(gain)] *= gain[:, None].astype(np.float32) if x.ndim == 2 else gain.astype(np.float32)
        worst = max(worst, -20.0 * float(np.log10(gain.min())))
        if keep_gain:
            applied = gain.astype(np.float32) if applied is None else applied * gain.astype(np.float32)
        peaks = sample_peaks(x)
    top = float(peaks.max()) if peaks.size else 0.0
    return Limited(audio=x, reduction_db=worst, true_peak_db=20.0 * np.log10(top) if top > 0 else float("-inf"),
                   gain=applied)
