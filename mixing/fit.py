"""Fit music to the video's exact length: loop whole bars if short, end on a bar with a fade if long."""
from __future__ import annotations

import numpy as np

from autoscore_video.common.audio import exact_length

MIN_FINAL_S = 0.5  # a closing fade starts no later than this before the end
JOIN_FADE_S = 0.02  # crossfade where looped bars are joined


def fit_to_length(music: np.ndarray, rate: int, downbeats: list[float], duration: float,
                  max_fade_s: float) -> np.ndarray:
    """`music` (samples, channels) → exactly round(duration * rate) samples."""
    target = int(round(duration * rate))
    if len(music) < target:
        music = _loop_bars(music, rate, downbeats, target)
    out = music[:target].copy()
    first = int(round(fade_start(downbeats, duration, max_fade_s) * rate))
    if first < target:
        ramp = np.cos(np.linspace(0.0, np.pi / 2, target - first)) ** 2
        out[first:] *= ramp[:, None]
    return out


def fade_start(downbeats: list[float], duration: float, max_fade_s: float) -> float:
    """The last bar line inside the closing window, or the window's start where no bar line falls in it."""
    earliest = max(0.0, duration - max_fade_s)
    latest = max(0.0, duration - MIN_FINAL_S)
    inside = [d for d in downbeats if earliest <= d <= latest]
    return inside[-1] if inside else earliest


def _loop_bars(music: np.ndarray, rate: int, downbeats: list[float], target: int) -> np.ndarray:
    bars = [int(round(d * rate)) for d in downbeats if 0 <= d * rate <= len(music)]
    if len(bars) < 3:
        return exact_length(music, target)
    # Repeat the span between the second and the last bar line; the first bar is an intro.
    loop = music[bars[1]:bars[-1]]
    body = music[:bars[-1]]
    join = max(1, int(JOIN_FADE_S * rate))
    fade_in = np.linspace(0.0, 1.0, join)[:, None]
    while len(body) < target:
        piece = loop.copy()
        piece[:join] *= fade_in
        body = np.concatenate([body, piece])
    return body
