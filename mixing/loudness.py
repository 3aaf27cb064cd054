"""Loudness (ITU-R BS.1770-4 via pyloudnorm), true peak, and a true-peak limiter.

The mix gets one static gain to the target and then this limiter; never a dynamic normaliser,
which would undo the ducking.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

OVERSAMPLE = 4  # BS.1770-4 Annex 2: true peak from 4x oversampling at 48 kHz
PEAK_BLOCK = 1 << 16  # samples oversampled at a time: a 20-minute track's 4x copy would be gigabytes
# Input samples read beyond each side of a block: more than the oversampling filter reaches (resample_poly's
# filter spans 10 input samples each side), so every kept output saw the same inputs as one whole-array pass.
PEAK_MARGIN = 64


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS; -inf for silence or audio shorter than one 400 ms block."""
    import pyloudnorm

    if len(audio) < int(0.4 * rate) + 1:
        return float("-inf")
    meter = pyloudnorm.Meter(rate)
    with np.errstate(divide="ignore"):
        return float(meter.integrated_loudness(np.asarray(audio, dtype=np.float64)))


def sample_peaks(audio: np.ndarray) -> np.ndarray:
    """Per original sample, the largest |value| among its oversampled points, over all channels.
    Oversampled a block at a time (with overlap), giving exactly the values of one whole-array pass."""
    x = audio if audio.ndim == 2 else audio[:, None]
    n = len(x)
    peaks = np.zeros(n, dtype=np.float32)
    for start in range(0, n, PEAK_BLOCK):
        stop = min(n, start + PEAK_BLOCK)
        lo, hi = max(0, start - PEAK_MARGIN), min(n, stop + PEAK_MARGIN)
        block = peaks[start:stop]
        for channel in range(x.shape[1]):  # one contiguous 1-D pass per channel: much faster than axis=1
            upsampled = np.abs(resample_poly(np.ascontiguousarray(x[lo:hi, channel]), OVERSAMPLE, 1))
            kept = upsampled[(start - lo) * OVERSAMPLE:(stop - lo) * OVERSAMPLE]
            np.maximum(block, kept.reshape(-1, OVERSAMPLE).max(axis=1), out=block)
    return peaks


def true_peak_db(audio: np.ndarray) -> float:
    if audio.size == 0:
        return float("-inf")
    peak = float(sample_peaks(audio).max())
    return 20.0 * np.log10(peak) if peak > 0 else float("-inf")


@dataclass
class Limited:
    audio: np.ndarray
    reduction_db: float  # largest gain reduction applied
    true_peak_db: float  # measured on the result


def limit_true_peak(audio: np.ndarray, rate: int, ceiling_db: float, *, peaks: np.ndarray | None = None,
                    lookahead_ms: float = 10.0, hold_ms: float = 40.0) -> Limited:
    """Lookahead limiter on oversampled peaks; `peaks` may be given when already known (`sample_peaks`).

    The gain each sample needs to keep its true peak under the ceiling is held from `lookahead`
    before it to `hold` after it (a sliding minimum), then smoothed by a trailing mean over the
    lookahead: the gain has fully arrived at every peak, and it ramps down and back up over
    `lookahead` without clicks. Array operations only, no per-sample loop.
    """
    ceiling = 10.0 ** (ceiling_db / 20.0)
    x = np.array(audio, dtype=np.float32, copy=True)
    look = max(1, int(rate * lookahead_ms / 1000.0))
    hold = max(1, int(rate * hold_ms / 1000.0))
    worst = 0.0
    peaks = sample_peaks(x) if peaks is None else peaks
    for _ in range(3):  # one pass does it; the others mop up what 4x oversampling under-reads
        if peaks.size == 0 or peaks.max() <= ceiling:
            break
        needed = np.minimum(1.0, 0.9995 * ceiling / np.maximum(peaks, 1e-12))
        span = hold + look + 1  # held[n] = min(needed[n - hold .. n + look])
        held = minimum_filter1d(needed, size=span, origin=hold - span // 2, mode="nearest")
        gain = uniform_filter1d(held, size=look + 1, origin=look - (look + 1) // 2, mode="nearest")
        x[: len(gain)] *= gain[:, None].astype(np.float32) if x.ndim == 2 else gain.astype(np.float32)
        worst = max(worst, -20.0 * float(np.log10(gain.min())))
        peaks = sample_peaks(x)
    top = float(peaks.max()) if peaks.size else 0.0
    return Limited(audio=x, reduction_db=worst, true_peak_db=20.0 * np.log10(top) if top > 0 else float("-inf"))
